import type { DuckDBConnection } from '@duckdb/node-api';
import type { TopLevelSpec } from 'vega-lite';
import type { Alert } from '../../operators/alert.js';
import { SinkError, UsageError } from '../../operators/errors.js';
import { decideDatasetDrift, usesPValue } from '../../operators/drift-statistics/decide.js';
import type { DatasetDriftResult } from '../../operators/drift-statistics/decide.js';
import { ADHOC_RUN_PREFIX } from '../../operators/drift-statistics/rows.js';
import type { ReportBlock, ReportDocument } from './document.js';
import {
  customerDistribution,
  driftRuns,
  metricHistory,
  migrations,
  rescoreAlert,
  rescoredRuns,
  RESCORE_RULE,
  runMetrics,
  tilingWindowSize,
} from './drift-data.js';
import type { CustomerMeasure, Distribution, DriftMetric, MigrationCell, Period } from './drift-data.js';
import { slug } from './escape.js';
import { formatCount, formatInstant, formatNumber, formatPercent, NA } from './format.js';
import { writePreparedReport } from './write.js';
import type { PreparedReport, ReportPaths } from './write.js';

export interface DriftReportOptions {
  outDir: string;
  /** A `drift_metrics.run_id`; default the run with the latest current period. */
  runId?: string;
  /** Footer time; default now. */
  generatedAt?: Date;
  /** Dataset drift share threshold (SPEC section 7); default the alert's annotation, else 0.5. */
  shareThreshold?: number;
  /** Features marked `key`; default the drifted key features of the run's alert plus spend_per_customer. */
  keyFeatures?: readonly string[];
  /** Feature name -> the customer_windows measure it summarises, for the distribution charts. */
  featureMeasures?: Readonly<Record<string, CustomerMeasure>>;
  /** The alert this report explains (set by the alert hook). */
  alert?: Alert;
}

export interface DriftReportPaths extends ReportPaths {
  jsonPath: string;
}

/** The default job's features that customer_windows can rebuild per customer and period. */
export const DEFAULT_FEATURE_MEASURES: Readonly<Record<string, CustomerMeasure>> = {
  spend_per_customer: { kind: 'spend' },
  transactions_per_customer: { kind: 'purchases' },
  data_mb_per_customer: { kind: 'usage', metric: 'data_mb' },
};
export const DEFAULT_KEY_FEATURES: readonly string[] = ['spend_per_customer'];
const DEFAULT_SHARE_THRESHOLD = 0.5;
const HISTOGRAM_BINS = 30;

/** Words for the default features, for the recommendation; other names are shown with spaces. */
const PLAIN_NAMES: Record<string, string> = {
  spend_per_customer: 'spend per customer',
  transactions_per_customer: 'transactions per customer',
  data_mb_per_customer: 'data use per customer',
  transaction_channel: 'channel mix',
  contact_reason: 'contact reasons',
  contact_channel: 'contact channel mix',
  survey_nps: 'NPS answers',
  region: 'regional mix',
  age_band: 'age mix',
  value_tier: 'value-tier mix',
};

function plainName(feature: string): string {
  return PLAIN_NAMES[feature] ?? feature.replace(/_/g, ' ');
}

/** What a ranked feature row needs beyond its drift_metrics row. */
interface RankedFeature extends DriftMetric {
  /** How far past the threshold: score / threshold, or log p / log threshold for the p-value tests; 1 = at the threshold. */
  strength: number | null;
  key: boolean;
}

interface Verdict extends DatasetDriftResult {
  /** Features with too little data in a period: left out of the share. */
  insufficient: string[];
}

interface FeatureDistribution {
  feature: string;
  measure: CustomerMeasure;
  distribution: Distribution;
}

/**
 * Renders the population drift report of one run (default: the latest): the verdict and a
 * recommendation on top, features ranked by how far past their threshold they are, reference vs
 * current per-customer distributions rebuilt from customer_windows (spend, purchases, usage), the
 * tier migration as a heat map with segment sizes before and after, and each feature's decision
 * value over all runs against its threshold. Writes HTML, Markdown and JSON (the numbers behind it).
 */
export async function renderDriftReport(connection: DuckDBConnection, options: DriftReportOptions): Promise<DriftReportPaths> {
  const paths = await writePreparedReport(await prepareDriftReport(connection, options), options.outDir);
  return { ...paths, jsonPath: paths.jsonPath as string };
}

/** The drift report's data, read from the database, as a document (and its JSON) ready to render. */
export async function prepareDriftReport(connection: DuckDBConnection, options: Omit<DriftReportOptions, 'outDir'>): Promise<PreparedReport> {
  const runs = await driftRuns(connection);
  if (runs.length === 0) {
    // Nothing failed: the database has no drift run yet (exit 2 with what it takes, as for the other reports).
    throw new UsageError(
      'no rows in drift_metrics: a drift run needs the warm-up periods (population_drift.warmup_periods, 1 by default), a reference and a current ' +
        'period, three weeks of events with the default job; run the job with population_drift over more data first',
    );
  }
  const runId = options.runId ?? (runs.at(-1) as { run_id: string }).run_id;
  if (!runs.some((r) => r.run_id === runId)) {
    const recent = runs
      .slice(-5)
      .map((r) => r.run_id)
      .join(', ');
    throw new UsageError(`no drift run "${runId}" in drift_metrics; recent runs: ${recent}`);
  }
  const metrics = await runMetrics(connection, runId);
  const first = metrics[0] as DriftMetric;
  const alert = options.alert ?? (await rescoreAlert(connection, runId, first.current_start));
  const shareThreshold = options.shareThreshold ?? parseShare(alert?.annotations.share_threshold) ?? DEFAULT_SHARE_THRESHOLD;
  const keys = new Set([...(options.keyFeatures ?? DEFAULT_KEY_FEATURES), ...splitList(alert?.annotations.key_features_drifted)]);
  const ranked = rankFeatures(metrics, keys);
  const verdict = decide(ranked, shareThreshold, alert !== null);

  const reference = period(first.reference_start, first.reference_end);
  const current = period(first.current_start, first.current_end);
  const measures = options.featureMeasures ?? DEFAULT_FEATURE_MEASURES;
  const { distributions, skipped, windowMs } = await loadDistributions(connection, ranked, measures, reference, current);
  const cells = await migrations(connection, runId);
  const lastRescore = cells.length > 0 ? null : ((await rescoredRuns(connection)).filter((r) => r !== runId).at(-1) ?? null);
  const history = historyOf(await metricHistory(connection), runId, first.current_start);
  const recommendation = recommend(verdict, ranked, (feature) => changeWords(feature, alertChanges(alert).get(feature), distributions), cells);

  const blocks: ReportBlock[] = [
    {
      type: 'notice',
      level: verdict.drifted ? 'alert' : 'info',
      title: verdictTitle(verdict),
      text: recommendation,
    },
    {
      type: 'facts',
      items: [
        { label: 'dataset drift', value: verdict.drifted ? 'yes' : 'no' },
        { label: 'drifted features', value: `${verdict.driftedFeatures.length} of ${verdict.evaluatedCount} evaluated (${formatPercent(verdict.share)})` },
        { label: 'share threshold', value: `${formatPercent(verdict.shareThreshold)} (or any key feature drifted)` },
        { label: 'key features', value: [...keys].sort().join(', ') || NA },
        { label: 'key features drifted', value: verdict.driftedKeyFeatures.join(', ') || 'none' },
        ...(verdict.insufficient.length > 0 ? [{ label: 'not evaluated (too little data)', value: verdict.insufficient.join(', ') }] : []),
        { label: 'reference period', value: describePeriod(reference) },
        { label: 'current period', value: describePeriod(current) },
        { label: 'run', value: runId },
        ...(alert === null ? [] : [{ label: 'alert', value: `${alert.rule} (${alert.severity}, ${alert.status}), id ${alert.alert_id}` }]),
      ],
    },
    { type: 'heading', text: 'Features ranked by drift' },
    featureTable(ranked),
    ...distributionBlocks(distributions, skipped, windowMs),
    ...migrationBlocks(cells, runId, lastRescore, verdict.drifted),
    ...historyBlocks(history, ranked),
  ];
  const doc: ReportDocument = {
    title: `Population drift report: ${verdict.drifted ? 'dataset drift' : 'no dataset drift'} in the period from ${current === null ? NA : formatInstant(current.start)}`,
    subtitle: `Run ${runId}; current ${describePeriod(current)} vs reference ${describePeriod(reference)}`,
    generatedAt: options.generatedAt ?? new Date(),
    blocks,
  };
  const data = {
    run_id: runId,
    generated_at: doc.generatedAt.toISOString(),
    verdict: {
      dataset_drift: verdict.drifted,
      share: verdict.share,
      share_threshold: verdict.shareThreshold,
      evaluated: verdict.evaluatedCount,
      drifted_features: verdict.driftedFeatures,
      key_features: [...keys].sort(),
      key_features_drifted: verdict.driftedKeyFeatures,
      insufficient_data: verdict.insufficient,
    },
    recommendation,
    reference: isoPeriod(reference),
    current: isoPeriod(current),
    alert_id: alert?.alert_id ?? null,
    features: ranked.map((f, i) => ({
      rank: i + 1,
      feature: f.feature,
      method: f.method,
      score: f.score,
      p_value: f.p_value,
      threshold: f.threshold,
      drifted: f.drifted,
      key: f.key,
      strength: f.strength,
      statistics: f.statistics,
    })),
    distributions: distributions.map((d) => ({ feature: d.feature, measure: d.measure, ...d.distribution })),
    distributions_skipped: skipped,
    migrations: cells,
    segments: segmentSizes(cells),
    history: history.map((h) => ({
      run_id: h.run_id,
      feature: h.feature,
      method: h.method,
      current_start: h.current_start === null ? null : formatInstant(h.current_start),
      score: h.score,
      p_value: h.p_value,
      threshold: h.threshold,
      drifted: h.drifted,
    })),
  };
  return { doc, baseName: driftReportName(runId), data };
}

function driftReportName(runId: string): string {
  return slug(runId.startsWith('drift') ? runId : `drift-${runId}`);
}

/**
 * The file name (without extension) of the drift report that explains a `SegmentationRescoreNeeded`
 * alert (its run from the `run_id` annotation), or null for other alerts. It follows from the alert
 * alone, so the checkpoint can link the report before it is rendered.
 */
export function driftAlertReportName(alert: Alert): string | null {
  if (alert.rule !== RESCORE_RULE) return null;
  const runId = alert.annotations.run_id;
  return runId === undefined ? `drift-alert-${slug(alert.alert_id)}` : driftReportName(runId);
}

/** The drift report of a rescore alert's run (`run_id` annotation, else the run of its period). */
export async function prepareDriftAlertReport(connection: DuckDBConnection, alert: Alert): Promise<PreparedReport> {
  let runId = alert.annotations.run_id;
  if (runId === undefined) runId = (await driftRuns(connection)).find((r) => r.current_start === alert.window_start)?.run_id;
  if (runId === undefined)
    throw new SinkError(`no drift_metrics run for alert ${alert.alert_id} (period ${formatInstant(alert.window_start)}); write drift_metrics before rendering`);
  return prepareDriftReport(connection, { runId, alert });
}

/** A share threshold from an alert annotation; anything outside (0, 1] is ignored (the default applies). */
function parseShare(text: string | undefined): number | undefined {
  const n = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
  return n > 0 && n <= 1 ? n : undefined;
}

function splitList(text: string | undefined): string[] {
  return text === undefined
    ? []
    : text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

function period(start: number | null, end: number | null): Period | null {
  return start === null || end === null ? null : { start, end };
}

function describePeriod(p: Period | null): string {
  return p === null ? NA : `${formatInstant(p.start)} to ${formatInstant(p.end)}`;
}

function isoPeriod(p: Period | null): { start: string; end: string } | null {
  return p === null ? null : { start: formatInstant(p.start), end: formatInstant(p.end) };
}

/** The value compared with the threshold: the p-value for the tests, else the score. */
function decisionValue(m: DriftMetric): number | null {
  return usesPValue(m.method) ? m.p_value : m.score;
}

function strengthOf(m: DriftMetric): number | null {
  if (m.threshold === null || m.threshold <= 0) return null;
  if (usesPValue(m.method)) {
    if (m.p_value === null || m.threshold >= 1) return null;
    // log p / log threshold: 1 at the threshold, 2 when p = threshold^2; p underflowing to 0 is far past.
    return m.p_value <= 0 ? Number.POSITIVE_INFINITY : Math.log(m.p_value) / Math.log(m.threshold);
  }
  return m.score === null ? null : m.score / m.threshold;
}

/** Drifted first, then by how far past the threshold, then by name; unevaluated features last. */
function rankFeatures(metrics: readonly DriftMetric[], keys: ReadonlySet<string>): RankedFeature[] {
  return metrics
    .map((m) => ({ ...m, strength: strengthOf(m), key: keys.has(m.feature) }))
    .sort((a, b) => {
      if (a.drifted !== b.drifted) return a.drifted ? -1 : 1;
      if (a.strength === null || b.strength === null) return a.strength === null ? (b.strength === null ? a.feature.localeCompare(b.feature) : 1) : -1;
      return b.strength - a.strength || a.feature.localeCompare(b.feature);
    });
}

/**
 * SPEC section 7 over the stored feature verdicts, by the job's own rule (decideDatasetDrift); an
 * alert for the run means the job decided drift, also when the keys or threshold given here differ.
 */
function decide(ranked: readonly RankedFeature[], shareThreshold: number, alertFired: boolean): Verdict {
  const dataset = decideDatasetDrift(ranked, { shareThreshold });
  return {
    ...dataset,
    drifted: alertFired || dataset.drifted,
    insufficient: ranked.filter((f) => f.method === 'insufficient_data').map((f) => f.feature),
  };
}

function verdictTitle(v: Verdict): string {
  const share = `${v.driftedFeatures.length} of ${v.evaluatedCount} features drifted (${formatPercent(v.share)}; threshold ${formatPercent(v.shareThreshold)})`;
  const key = v.driftedKeyFeatures.length > 0 ? `; key feature ${v.driftedKeyFeatures.join(', ')} drifted` : '';
  return `Dataset drift: ${v.drifted ? 'YES' : 'no'}. ${share}${key}`;
}

/** "spend per customer up 78% (mean 120.00 to 213.60)" when the distribution was rebuilt. */
/** A drifted feature's change as its alert states it (`changes`: baseline, current, of what). */
interface StatedChange {
  of: string;
  baseline: number;
  current: number;
}

/** The `changes` annotation of the run's alert by feature (none without an alert, or from before it had one). */
function alertChanges(alert: Alert | null): Map<string, StatedChange> {
  try {
    return new Map(Object.entries(JSON.parse(alert?.annotations.changes ?? '{}') as Record<string, StatedChange>));
  } catch {
    return new Map();
  }
}

/**
 * How a feature moved, in words: as its alert states it when it has one (the job's own figures over
 * every customer of the population), else from the charts' data. The charts are rebuilt from
 * `customer_windows`, which leaves out customers without a window in a period: a tester's report
 * said "up 38% (mean 59.76 to 82.24)" while its alert said +39.5% (56.00 to 78.12), SciPy's figure.
 */
function changeWords(feature: string, stated: StatedChange | undefined, distributions: readonly FeatureDistribution[]): string {
  if (stated !== undefined && stated.of !== 'mean') {
    return `${plainName(feature)} changed (${stated.of} ${formatPercent(stated.baseline)} to ${formatPercent(stated.current)})`;
  }
  const d = distributions.find((x) => x.feature === feature)?.distribution;
  const before = stated?.baseline ?? d?.reference.mean ?? null;
  const after = stated?.current ?? d?.current.mean ?? null;
  if (before === null || after === null || before === 0) return `${plainName(feature)} changed`;
  const change = after / before - 1;
  const direction = change >= 0 ? 'up' : 'down';
  return `${plainName(feature)} ${direction} ${Math.abs(change * 100).toFixed(0)}% (mean ${formatNumber(before)} to ${formatNumber(after)})`;
}

function recommend(v: Verdict, ranked: readonly RankedFeature[], words: (feature: string) => string, cells: readonly MigrationCell[]): string {
  // Key features first: they decide on their own.
  const drifted = [...ranked.filter((f) => f.drifted && f.key), ...ranked.filter((f) => f.drifted && !f.key)].map((f) => words(f.feature));
  const list = drifted.length <= 1 ? (drifted[0] ?? '') : `${drifted.slice(0, -1).join(', ')} and ${drifted.at(-1) as string}`;
  if (!v.drifted) {
    const watch = drifted.length === 0 ? 'No feature drifted.' : `Drifted, but not enough to act on: ${list}.`;
    return `No action needed: the customer population is stable enough for the current segmentation (the share of drifted features is below the threshold and no key feature drifted). ${watch}`;
  }
  const moved = cells.filter((c) => c.from_tier !== c.to_tier);
  const movedCustomers = moved.reduce((s, c) => s + c.customers, 0);
  const rescored =
    cells.length === 0
      ? ''
      : ` The value tiers were rescored in this run: ${formatCount(movedCustomers)} customers changed tier (new, lost or moved), see the migration below.`;
  // Each item says how its feature moved ("up 16%", "changed"): the sentence around them does not.
  return `Rescore the segmentation models and review targeting built on them. From the reference to the current period: ${list}. Segments and scores trained on the old population no longer describe today's customers.${rescored}`;
}

function formatScore(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return NA;
  if (value !== 0 && Math.abs(value) < 0.001) return value.toExponential(2);
  return formatNumber(value, 4);
}

/**
 * The drifted condition: `>= 0.1` for scores, `p <= 0.05` (KS) or `p < 0.05` (chi-square). A
 * categorical distance comes with the p-value of the chi-square test that must reject as well
 * (operators/drift-statistics/decide.ts `beyondChance`).
 */
function thresholdText(method: string, threshold: number | null, pValue: number | null): string {
  if (threshold === null) return NA;
  if (method === 'ks') return `p <= ${formatScore(threshold)}`;
  if (method === 'chisquare') return `p < ${formatScore(threshold)}`;
  return pValue === null ? `>= ${formatScore(threshold)}` : `>= ${formatScore(threshold)} and chi-square rejects`;
}

/** Names of the stored statistics (operators/drift-statistics DriftStats), as the report shows them. */
const STATISTIC_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['psi', 'PSI'],
  ['ks_statistic', 'KS D'],
  ['ks_p_value', 'KS p'],
  ['wasserstein', 'W1'],
  ['wasserstein_norm', 'W1 normalised'],
  ['js', 'JS distance'],
  ['chi2', 'chi-square'],
  ['chi2_p_value', 'chi-square p'],
];

function otherStatistics(statistics: Readonly<Record<string, number>>): string {
  const shown = STATISTIC_LABELS.filter(([key]) => statistics[key] !== undefined).map(([key, label]) => `${label} ${formatScore(statistics[key]!)}`);
  if (statistics['reference_size'] !== undefined) shown.push(`n ${statistics['reference_size']} / ${statistics['current_size'] ?? NA}`);
  return shown.length > 0 ? shown.join(', ') : NA;
}

function featureTable(ranked: readonly RankedFeature[]): ReportBlock {
  return {
    type: 'table',
    caption:
      'One row per feature of this run; the method decides (normalised Wasserstein or Jensen-Shannon with more than 1,000 values per period, else KS or chi-square p-value; a Jensen-Shannon distance only where the chi-square test of the same counts rejects too, its p-value beside it).',
    columns: [
      { label: 'rank', align: 'right' },
      { label: 'feature' },
      { label: 'method' },
      { label: 'score', align: 'right' },
      { label: 'p-value', align: 'right' },
      { label: 'threshold', align: 'right' },
      { label: 'vs threshold', align: 'right' },
      { label: 'drifted' },
      { label: 'other statistics' },
    ],
    rows: ranked.map((f, i) => [
      String(i + 1),
      f.key ? `${f.feature} (key)` : f.feature,
      f.method,
      formatScore(f.score),
      formatScore(f.p_value),
      thresholdText(f.method, f.threshold, f.p_value),
      f.strength === null ? NA : Number.isFinite(f.strength) ? `${f.strength.toFixed(2)}x` : 'far past',
      f.drifted ? 'yes' : 'no',
      otherStatistics(f.statistics),
    ]),
    note: 'vs threshold: score / threshold, or log(p) / log(threshold) for the p-value tests; 1.00x is at the threshold, above means drifted (a categorical distance: when its chi-square test also rejects). Other statistics: every one computed for the feature (SPEC section 7), whichever decides, and the values in each period (n).',
  };
}

async function loadDistributions(
  connection: DuckDBConnection,
  ranked: readonly RankedFeature[],
  measures: Readonly<Record<string, CustomerMeasure>>,
  reference: Period | null,
  current: Period | null,
): Promise<{ distributions: FeatureDistribution[]; skipped: string[]; windowMs: number | null }> {
  const wanted = ranked.filter((f) => Object.hasOwn(measures, f.feature));
  const skipped = ranked.filter((f) => !Object.hasOwn(measures, f.feature)).map((f) => f.feature);
  if (wanted.length === 0 || reference === null || current === null) return { distributions: [], skipped: ranked.map((f) => f.feature), windowMs: null };
  const windowMs = await tilingWindowSize(connection, [reference, current]);
  if (windowMs === null) return { distributions: [], skipped: ranked.map((f) => f.feature), windowMs: null };
  const distributions: FeatureDistribution[] = [];
  for (const f of wanted) {
    const measure = measures[f.feature] as CustomerMeasure;
    distributions.push({
      feature: f.feature,
      measure,
      distribution: await customerDistribution(connection, measure, reference, current, windowMs, HISTOGRAM_BINS),
    });
  }
  return { distributions, skipped, windowMs };
}

function measureLabel(m: CustomerMeasure): string {
  if (m.kind === 'spend') return 'spend per customer in the period (sum of customer_windows.spend_total)';
  if (m.kind === 'purchases') return 'purchases per customer in the period (sum of customer_windows.spend_count)';
  return `${m.metric} per customer in the period (sum of customer_windows.usage.${m.metric})`;
}

function distributionBlocks(distributions: readonly FeatureDistribution[], skipped: readonly string[], windowMs: number | null): ReportBlock[] {
  const blocks: ReportBlock[] = [{ type: 'heading', text: 'Reference vs current distributions' }];
  if (distributions.length === 0) {
    blocks.push({
      type: 'paragraph',
      text:
        windowMs === null && skipped.length > 0
          ? 'No distributions could be rebuilt: customer_windows has no window size that tiles both periods (or no rows).'
          : 'No feature of this run can be rebuilt from the tables.',
    });
  } else {
    blocks.push({
      type: 'paragraph',
      text:
        'Rebuilt per customer from customer_windows for the two periods of this run: a customer counts from its first window on, with 0 in a period without activity. ' +
        'The drift job counts a customer from its first event of any type and counts refunds as transactions, so these charts can differ slightly from the scores above.',
    });
  }
  for (const d of distributions) {
    const { reference: ref, current: cur } = d.distribution;
    const change =
      ref.mean === null || cur.mean === null || ref.mean === 0 ? NA : `${cur.mean >= ref.mean ? '+' : ''}${((cur.mean / ref.mean - 1) * 100).toFixed(1)}%`;
    blocks.push(
      {
        type: 'table',
        caption: `${d.feature}: ${measureLabel(d.measure)}`,
        columns: [{ label: 'period' }, { label: 'customers', align: 'right' }, { label: 'mean', align: 'right' }, { label: 'median', align: 'right' }],
        rows: [
          ['reference', formatCount(ref.customers), formatNumber(ref.mean), formatNumber(ref.median)],
          ['current', formatCount(cur.customers), formatNumber(cur.mean), formatNumber(cur.median)],
        ],
        note: `Change of the mean: ${change}.`,
      },
      {
        type: 'chart',
        title: `${d.feature}: share of customers per bin, reference vs current`,
        spec: histogramSpec(d),
        alt: histogramAlt(d),
      },
    );
  }
  if (skipped.length > 0) {
    blocks.push({
      type: 'paragraph',
      text: `Not shown: ${skipped.join(', ')}. The tables keep no per-period distribution of these features (channel mix, contact reasons, survey answers, profiles and tiers are summarised inside the drift job only); their scores above are the job's.`,
    });
  }
  return blocks;
}

/** `0 to < 500`, `>= 9,500`, or one whole number for count bins of width 1. */
function binLabel(edges: readonly number[], i: number, integer: boolean): string {
  const digits = edges.every(Number.isInteger) ? 0 : 2;
  const lo = edges[i] as number;
  const hi = edges[i + 1];
  if (hi === undefined) return `>= ${formatNumber(lo, digits)}`;
  if (integer && hi - lo === 1) return formatNumber(lo, 0);
  return `${formatNumber(lo, digits)} to < ${formatNumber(hi, digits)}`;
}

function histogramSpec(d: FeatureDistribution): TopLevelSpec {
  const { edges, reference, current } = d.distribution;
  const integer = d.measure.kind === 'purchases';
  const values: Array<Record<string, unknown>> = [];
  for (const [name, s] of [
    ['reference', reference],
    ['current', current],
  ] as const) {
    s.counts.forEach((n, i) => {
      values.push({ period: name, bin: i, range: binLabel(edges, i, integer), customers: n, share: s.customers > 0 ? n / s.customers : 0 });
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 760,
    height: 220,
    data: { values },
    mark: { type: 'bar', opacity: 0.55, binSpacing: 0 },
    encoding: {
      x: {
        field: 'range',
        type: 'ordinal',
        sort: { field: 'bin' },
        title: d.feature,
        axis: { labelAngle: -45, labelOverlap: true },
      },
      y: { field: 'share', type: 'quantitative', title: 'share of customers', axis: { format: '.0%' }, stack: null },
      color: {
        field: 'period',
        type: 'nominal',
        title: 'period',
        scale: { domain: ['reference', 'current'], range: ['#4c78a8', '#e45756'] },
      },
      tooltip: [
        { field: 'period', type: 'nominal', title: 'period' },
        { field: 'range', type: 'nominal', title: 'bin' },
        { field: 'customers', type: 'quantitative', title: 'customers', format: ',d' },
        { field: 'share', type: 'quantitative', title: 'share', format: '.1%' },
      ],
    },
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

function histogramAlt(d: FeatureDistribution): string {
  const { reference: r, current: c } = d.distribution;
  return (
    `Overlaid histograms of ${d.feature}: reference ${formatCount(r.customers)} customers, mean ${formatNumber(r.mean)}, median ${formatNumber(r.median)}; ` +
    `current ${formatCount(c.customers)} customers, mean ${formatNumber(c.mean)}, median ${formatNumber(c.median)}`
  );
}

const TIER_ORDER = ['Gold', 'Silver', 'Bronze', 'none'];

function tierOrder(tiers: Iterable<string>): string[] {
  const known = TIER_ORDER.filter((t) => [...tiers].includes(t));
  const other = [...new Set(tiers)].filter((t) => !TIER_ORDER.includes(t)).sort();
  return [...known.filter((t) => t !== 'none'), ...other, ...known.filter((t) => t === 'none')];
}

interface SegmentSize {
  tier: string;
  customers_before: number;
  customers_after: number;
  /** Share of the current revenue held by the customers in this tier before (their current spend). */
  revenue_share_by_former_tier: number;
  revenue_share_after: number;
  /** Share of the previous revenue held by customers of this tier who dropped out (to_tier none). */
  revenue_share_lost: number;
}

function segmentSizes(cells: readonly MigrationCell[]): SegmentSize[] {
  const tiers = tierOrder(cells.flatMap((c) => [c.from_tier, c.to_tier])).filter((t) => t !== 'none');
  return tiers.map((tier) => ({
    tier,
    customers_before: sum(cells.filter((c) => c.from_tier === tier).map((c) => c.customers)),
    customers_after: sum(cells.filter((c) => c.to_tier === tier).map((c) => c.customers)),
    revenue_share_by_former_tier: sum(cells.filter((c) => c.from_tier === tier && c.to_tier !== 'none').map((c) => c.revenue_share)),
    revenue_share_after: sum(cells.filter((c) => c.to_tier === tier).map((c) => c.revenue_share)),
    revenue_share_lost: sum(cells.filter((c) => c.from_tier === tier && c.to_tier === 'none').map((c) => c.revenue_share)),
  }));
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}

function migrationBlocks(cells: readonly MigrationCell[], runId: string, lastRescore: string | null, drifted: boolean): ReportBlock[] {
  const heading: ReportBlock = { type: 'heading', text: 'Segment migration at this rescoring' };
  if (cells.length === 0) {
    const why = drifted
      ? 'The job did not rescore in this run (the first rescoring only sets the baseline).'
      : 'The job rescores the value tiers only on dataset drift, so this run has no migration.';
    return [
      heading,
      {
        type: 'paragraph',
        text: `${why}${lastRescore === null ? ' No earlier rescoring is stored.' : ` The latest rescoring is run ${lastRescore}: pass --run ${lastRescore} to see it.`}`,
      },
    ];
  }
  const order = tierOrder(cells.flatMap((c) => [c.from_tier, c.to_tier]));
  const sizes = segmentSizes(cells);
  const total = sum(cells.map((c) => c.customers));
  return [
    heading,
    {
      type: 'paragraph',
      text: `Rows: tier at the previous rescoring; columns: tier now (none = new or lost customers). Each cell: customers and their share of revenue (trailing 12-month spend now over the current total; for lost customers, their spend at the previous rescoring over the previous total). ${formatCount(total)} customers in all.`,
    },
    {
      type: 'chart',
      title: `Tier migration, run ${runId}: customers (share of revenue)`,
      spec: heatmapSpec(cells, order),
      alt:
        `Heat map of ${cells.length} tier migration cells: ` +
        cells.map((c) => `${c.from_tier} to ${c.to_tier} ${formatCount(c.customers)} (${formatPercent(c.revenue_share)})`).join('; '),
    },
    {
      type: 'table',
      caption: 'Segment sizes and revenue share before and after the rescoring',
      columns: [
        { label: 'tier' },
        { label: 'customers before', align: 'right' },
        { label: 'customers after', align: 'right' },
        { label: 'change', align: 'right' },
        { label: 'revenue share after', align: 'right' },
        { label: 'current revenue share of former members', align: 'right' },
        { label: 'previous revenue share of lost members', align: 'right' },
      ],
      rows: sizes.map((s) => [
        s.tier,
        formatCount(s.customers_before),
        formatCount(s.customers_after),
        `${s.customers_after - s.customers_before >= 0 ? '+' : ''}${formatCount(s.customers_after - s.customers_before)}`,
        formatPercent(s.revenue_share_after),
        formatPercent(s.revenue_share_by_former_tier),
        formatPercent(s.revenue_share_lost),
      ]),
    },
  ];
}

function heatmapSpec(cells: readonly MigrationCell[], order: readonly string[]): TopLevelSpec {
  const values = cells.map((c) => ({
    from: c.from_tier,
    to: c.to_tier,
    customers: c.customers,
    revenue_share: c.revenue_share,
    label: `${formatCount(c.customers)} (${formatPercent(c.revenue_share)})`,
  }));
  const max = Math.max(...cells.map((c) => c.customers));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 260,
    data: { values },
    encoding: {
      x: { field: 'to', type: 'nominal', title: 'tier now', sort: [...order], axis: { orient: 'top', labelAngle: 0 } },
      y: { field: 'from', type: 'nominal', title: 'tier at the previous rescoring', sort: [...order] },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: { field: 'customers', type: 'quantitative', title: 'customers', scale: { scheme: 'blues' } },
          tooltip: [
            { field: 'from', type: 'nominal', title: 'from' },
            { field: 'to', type: 'nominal', title: 'to' },
            { field: 'customers', type: 'quantitative', title: 'customers', format: ',d' },
            { field: 'revenue_share', type: 'quantitative', title: 'revenue share', format: '.1%' },
          ],
        },
      },
      {
        mark: { type: 'text', fontSize: 13 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: `datum.customers > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
    config: { font: 'sans-serif', axis: { grid: false }, view: { stroke: null } },
  } as TopLevelSpec;
}

/**
 * The runs a report's history shows: those up to its own period (a report rendered after later
 * runs showed them too, so its headline and its "latest" disagreed), and the job's runs only, not
 * `pulse drift evaluate`'s ad-hoc ones, unless the report is of an ad-hoc run.
 */
function historyOf(all: readonly DriftMetric[], runId: string, currentStart: number | null): DriftMetric[] {
  const adhoc = runId.startsWith(ADHOC_RUN_PREFIX);
  return all.filter(
    (m) =>
      (currentStart === null || m.current_start === null || m.current_start <= currentStart) &&
      (m.run_id === runId || adhoc || !m.run_id.startsWith(ADHOC_RUN_PREFIX)),
  );
}

function historyBlocks(history: readonly DriftMetric[], ranked: readonly RankedFeature[]): ReportBlock[] {
  const runs = new Set(history.map((h) => h.run_id)).size;
  const blocks: ReportBlock[] = [
    { type: 'heading', text: `Drift over runs (${runs} run${runs === 1 ? '' : 's'})` },
    {
      type: 'paragraph',
      text: 'Per feature, the value the decision compares with the threshold, per run: the score (drifted at or above the dashed line) or, for the KS and chi-square tests used on small samples, the p-value (drifted at or below it). Red points drifted.',
    },
  ];
  for (const f of ranked) {
    const rows = history.filter((h) => h.feature === f.feature && h.current_start !== null && decisionValue(h) !== null);
    if (rows.length === 0) {
      blocks.push({ type: 'paragraph', text: `${f.feature}: no evaluated run yet.` });
      continue;
    }
    const methods = [...new Set(rows.map((r) => r.method))];
    const pvalue = methods.every(usesPValue);
    const measure = methods.length > 1 ? 'score or p-value' : pvalue ? 'p-value' : `${methods[0]} score`;
    blocks.push({
      type: 'chart',
      title: `${f.feature}: ${measure} per run vs threshold`,
      spec: historySpec(rows, measure),
      alt:
        `${f.feature} ${measure} over ${rows.length} runs; latest ${formatScore(decisionValue(rows.at(-1) as DriftMetric))} ` +
        `(threshold ${formatScore((rows.at(-1) as DriftMetric).threshold)}); drifted in ${rows.filter((r) => r.drifted).length}`,
    });
  }
  return blocks;
}

function historySpec(rows: readonly DriftMetric[], measure: string): TopLevelSpec {
  const values = rows.map((r) => ({
    t: r.current_start,
    period: formatInstant(r.current_start as number),
    value: decisionValue(r),
    threshold: r.threshold,
    method: r.method,
    drifted: r.drifted ? 'drifted' : 'stable',
  }));
  // x lives in the data layers only: a shared x would turn the threshold rule into vertical ticks.
  const x = { field: 't', type: 'temporal', title: 'period start (UTC)', scale: { type: 'utc' }, axis: { format: '%Y-%m-%d' } };
  const thresholds = [...new Set(rows.map((r) => r.threshold).filter((t): t is number => t !== null))];
  const thresholdLayer =
    thresholds.length === 1
      ? // Own one-row data: with the layer's rows a datum rule is drawn once per run.
        {
          data: { values: [{}] },
          mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4], strokeWidth: 2 },
          encoding: { y: { datum: thresholds[0] }, description: { value: `threshold ${thresholds[0]}` } },
        }
      : {
          mark: { type: 'line', color: '#c0392b', strokeDash: [6, 4], interpolate: 'step-after' },
          encoding: { x, y: { field: 'threshold', type: 'quantitative' }, description: { value: 'threshold (changes with the method)' } },
        };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 760,
    height: 160,
    data: { values },
    layer: [
      { mark: { type: 'line', color: '#4c78a8' }, encoding: { x, y: { field: 'value', type: 'quantitative', title: measure } } },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative' },
          color: { field: 'drifted', type: 'nominal', title: 'verdict', scale: { domain: ['stable', 'drifted'], range: ['#4c78a8', '#c0392b'] } },
          tooltip: [
            { field: 'period', type: 'nominal', title: 'period' },
            { field: 'method', type: 'nominal', title: 'method' },
            { field: 'value', type: 'quantitative', title: 'value', format: '.4g' },
            { field: 'threshold', type: 'quantitative', title: 'threshold', format: '.4g' },
            { field: 'drifted', type: 'nominal', title: 'verdict' },
          ],
        },
      },
      thresholdLayer,
    ],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}
