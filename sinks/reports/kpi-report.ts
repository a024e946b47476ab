import type { DuckDBConnection } from '@duckdb/node-api';
import type { TopLevelSpec } from 'vega-lite';
import type { Alert } from '../../operators/alert.js';
import { CONTACT_CHANNELS } from '../../operators/events.js';
import { KPI_NAMES, kpiUnit } from '../../operators/contact-kpis/kpis.js';
import type { KpiName, KpiUnit } from '../../operators/contact-kpis/kpis.js';
import { SinkError, UsageError } from '../../operators/errors.js';
import { formatWindowSize, parseWindowSize, windowSizes } from './db.js';
import type { ReadCache } from './db.js';
import type { NoticeLevel, ReportBlock, ReportDocument } from './document.js';
import { dataSlug, fileTimestamp, slug } from './escape.js';
import { formatCount, formatInstant, formatNumber, formatPercent, formatSeconds, formatSigned, NA } from './format.js';
import { firstWindowStart, kpiRows, lastCompleteWindowStart, latestWindowStart, reasonChanges, scopeWhere } from './kpi-data.js';
import type { KpiRow, KpiScope, ReasonChange } from './kpi-data.js';
import { writeReport } from './write.js';
import type { PreparedReport, ReportPaths } from './write.js';

export interface KpiReportOptions {
  outDir: string;
  /** `15m`, `1h`, `1d` (any `<n><s|m|h|d|w>`); default: the alert's window, else `1d` when present, else the smallest. */
  windowSize?: string;
  /**
   * How many consecutive windows to chart, ending at the latest one: the alert's, else the last
   * complete one. The time axis is continuous: windows without data are gaps. Default 48.
   */
  last?: number;
  queue?: string;
  channel?: string;
  /** A `contact_kpis` KPI column; default the alert's `kpi` label, else `abandon_rate`. */
  kpi?: string;
  /** Drawn as a rule line; default the number in the alert's `threshold` annotation, if any. */
  threshold?: number;
  /** The alert this report explains: its numbers go at the top and it anchors the latest window. */
  alert?: Alert;
  /** Footer time; default now. */
  generatedAt?: Date;
  /** Shares the reads that do not depend on the alert with the other reports of a batch (db.ts). */
  cache?: ReadCache;
}

export const DEFAULT_KPI: KpiName = 'abandon_rate';
const DEFAULT_LAST = 48;
const DAY_MS = 86_400_000;
/** Windows before the latest one that the contact-reason baseline averages over. */
const REASON_BASELINE_WINDOWS = 3;
const TOP_REASONS = 5;

/**
 * Renders the contact-center KPI report: the KPI over the last windows per queue x channel (with
 * the threshold as a rule line), a breakdown of the latest window by queue and channel, the contact
 * reasons that grew most against the previous windows and, for an alert, its numbers at the top.
 */
export async function renderKpiReport(connection: DuckDBConnection, options: KpiReportOptions): Promise<ReportPaths> {
  const report = await prepareKpiReport(connection, options);
  return writeReport(report.doc, options.outDir, report.baseName);
}

/** The KPI report's data, read from the database, as a document ready to render. */
export async function prepareKpiReport(connection: DuckDBConnection, options: Omit<KpiReportOptions, 'outDir'>): Promise<PreparedReport> {
  const alert = options.alert;
  const kpi = checkKpi(options.kpi ?? alert?.labels.kpi ?? DEFAULT_KPI);
  const queue = options.queue ?? alert?.labels.queue;
  const channel = options.channel ?? alert?.labels.channel;
  const threshold = options.threshold ?? parseThreshold(alert?.annotations.threshold);
  const last = options.last ?? DEFAULT_LAST;
  if (!Number.isInteger(last) || last < 1) throw new UsageError(`last must be a whole number >= 1, got ${last}`);

  const sizeMs = await chooseWindowSize(connection, options.windowSize ?? alert?.labels.window, queue, channel, options.cache);
  const scope: KpiScope = { sizeMs, ...(queue === undefined ? {} : { queue }), ...(channel === undefined ? {} : { channel }) };
  const scopeLatest = alert === undefined ? await lastCompleteWindowStart(connection, scope) : await latestWindowStart(connection, scope, alert.window_start);
  if (scopeLatest === null) {
    throw new SinkError(
      `no ${alert === undefined ? 'complete ' : ''}contact_kpis windows of ${formatWindowSize(sizeMs)} ${describeScope(scope)}${alert === undefined ? '' : " at or before the alert's window"}`,
    );
  }
  // Without an alert, the last complete window of the data, whichever queue had it: a queue that
  // has had no contacts for days is shown quiet up to it, not at its last busy day as if current.
  const dataLatest = alert === undefined ? await lastCompleteWindowStart(connection, { sizeMs }) : null;
  const latest = Math.max(scopeLatest, dataLatest ?? scopeLatest);
  // Consecutive window starts, oldest first: a window without a row is a gap, not skipped. The
  // range does not reach back before the first window in scope (nothing to show there).
  const first = (await firstWindowStart(connection, scope, options.cache)) ?? latest;
  const count = Math.min(last, Math.floor((latest - first) / sizeMs) + 1);
  const starts = Array.from({ length: count }, (_, i) => latest - (count - 1 - i) * sizeMs);
  const rows = await kpiRows(connection, scope, kpi, starts[0] as number, latest);
  const previous = starts.slice(-1 - REASON_BASELINE_WINDOWS, -1);
  const reasons = await reasonChanges(connection, scope, latest, previous, TOP_REASONS);

  const size = formatWindowSize(sizeMs);
  const blocks: ReportBlock[] = [];
  if (alert !== undefined) blocks.push(...alertBlocks(alert, kpi));
  const span = `${formatInstant(starts[0] as number)} to ${formatInstant(latest + sizeMs)}`;
  if (latest > scopeLatest) {
    blocks.push({
      type: 'notice',
      level: 'warning',
      title: 'No contacts lately',
      text:
        `${scopeName(scope)}: no contacts since the window from ${formatInstant(scopeLatest)} (the last with any); ` +
        `the data's last complete window is ${formatInstant(latest)} to ${formatInstant(latest + sizeMs)}.`,
    });
  }
  blocks.push(
    { type: 'heading', text: `${kpi} in the ${windowCount(starts.length)} of ${size} from ${span}` },
    {
      type: 'chart',
      title: `${kpi} per queue, one panel each, by channel${threshold === undefined ? '' : ` (threshold ${formatKpi(kpi, threshold)})`}`,
      spec: kpiChartSpec(kpi, rows, starts, sizeMs, threshold),
      alt: chartAlt(kpi, rows, starts.length, threshold),
    },
    ...breakdownBlocks(
      rows.filter((r) => r.window_start === latest),
      latest,
      sizeMs,
    ),
    ...reasonBlocks(reasons, previous.length),
  );
  const doc: ReportDocument = {
    title: `Contact-center KPI report: ${kpi}, ${queue ?? 'all queues'}${channel === undefined ? '' : ` / ${channel}`}`,
    subtitle:
      `${size} windows; ${alert === undefined ? 'the last complete window' : "the alert's window"} ` +
      `${formatInstant(latest)} to ${formatInstant(latest + sizeMs)}`,
    generatedAt: options.generatedAt ?? new Date(),
    blocks,
  };
  const baseName = kpiReportName({ kpi, queue, channel, size, latest, rule: alert?.rule });
  return { doc, baseName };
}

function kpiReportName(p: {
  kpi: string;
  queue: string | undefined;
  channel: string | undefined;
  size: string;
  latest: number;
  rule: string | undefined;
}): string {
  return [
    'kpi',
    slug(p.kpi),
    p.queue === undefined ? 'all' : dataSlug(p.queue),
    ...(p.channel === undefined ? [] : [dataSlug(p.channel)]),
    slug(p.size),
    fileTimestamp(p.latest),
    ...(p.rule === undefined ? [] : [slug(p.rule)]),
  ].join('-');
}

/**
 * The file name (without extension) of the report that explains a KPI rule's alert, or null for
 * alerts it does not explain (other kinds, no known `kpi` label). Every version of the alert
 * (firing, resolved) has the same name, and it follows from the alert alone, so the checkpoint can
 * link the report before it is rendered: the alert's window is the report's latest window.
 */
export function kpiAlertReportName(alert: Alert): string | null {
  const kpi = alert.labels.kpi;
  if (alert.kind !== 'analytic' || kpi === undefined || !isKpi(kpi)) return null;
  const { queue, channel, window } = alert.labels;
  return kpiReportName({ kpi, queue, channel, size: window ?? 'all', latest: alert.window_start, rule: alert.rule });
}

function isKpi(name: string): name is KpiName {
  return (KPI_NAMES as readonly string[]).includes(name);
}

function checkKpi(name: string): KpiName {
  if (!isKpi(name)) throw new UsageError(`unknown KPI "${name}"; use one of ${KPI_NAMES.join(', ')}`);
  return name;
}

/** `> 0.08` or `<= 20` from a threshold rule's annotation; change rules (`+25% vs 1w`) have none. */
export function parseThreshold(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^\s*(?:[<>]=?)?\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(text);
  return match === null ? undefined : Number(match[1]);
}

async function chooseWindowSize(
  connection: DuckDBConnection,
  requested: string | undefined,
  queue: string | undefined,
  channel: string | undefined,
  cache: ReadCache | undefined,
): Promise<number> {
  const scope = { ...(queue === undefined ? {} : { queue }), ...(channel === undefined ? {} : { channel }) };
  const { where, params } = scopeWhere(scope);
  const sizes = await windowSizes(connection, 'contact_kpis', where, params, cache);
  if (sizes.length === 0) {
    // Nothing failed: exit 2 with what to do, as for the other reports.
    throw new UsageError(`no contact_kpis rows ${describeScope(scope)} in the database; run a job with contact_kpis enabled first`);
  }
  // Without a size: the day (a 15m window of a quiet queue may hold one contact), else the smallest.
  if (requested === undefined) return sizes.includes(DAY_MS) ? DAY_MS : (sizes[0] as number);
  const size = parseWindowSize(requested);
  if (!sizes.includes(size)) {
    throw new UsageError(`no ${requested} windows in contact_kpis ${describeScope(scope)}; sizes present: ${sizes.map(formatWindowSize).join(', ')}`);
  }
  return size;
}

function describeScope(scope: { queue?: string; channel?: string }): string {
  return `for ${scopeName(scope)}`;
}

/** `billing / voice`, `billing`, `any queue / chat` or `any queue`. */
function scopeName(scope: { queue?: string; channel?: string }): string {
  return `${scope.queue ?? 'any queue'}${scope.channel === undefined ? '' : ` / ${scope.channel}`}`;
}

function formatKpi(kpi: KpiName, value: number | null): string {
  switch (kpiUnit(kpi)) {
    case 'ratio':
      return formatPercent(value);
    case 'seconds':
      return formatSeconds(value);
    case 'number':
      return formatNumber(value);
    case 'count':
      return formatCount(value);
  }
}

/** d3-format strings matching formatKpi, so chart labels read like the tables. */
const D3_FORMAT: Record<KpiUnit, string> = { ratio: '.1%', seconds: '.1f', number: '.2f', count: ',d' };

/** One colour per channel in every report, so a channel reads the same everywhere. */
const CHANNEL_COLOURS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#9d755d', '#72b7b2'];

/**
 * Small multiples: one panel per queue (rows), one line per channel in a fixed colour. Every series
 * has a value (or null) in every window of the range, and the x scale spans the whole range: a
 * window without data breaks the line (Vega-Lite's default for invalid values on path marks)
 * instead of joining points days apart.
 */
function kpiChartSpec(kpi: KpiName, rows: KpiRow[], starts: number[], sizeMs: number, threshold: number | undefined): TopLevelSpec {
  const format = D3_FORMAT[kpiUnit(kpi)];
  const byKey = new Map(rows.map((r) => [`${r.queue}\u0000${r.channel}\u0000${r.window_start}`, r.value]));
  const series = [...new Set(rows.map((r) => `${r.queue}\u0000${r.channel}`))].sort();
  const values = series.flatMap((key) => {
    const [queue, channel] = key.split('\u0000') as [string, string];
    return starts.map((t) => ({
      window: formatInstant(t),
      t,
      value: byKey.get(`${key}\u0000${t}`) ?? null,
      queue,
      channel,
      series: `${queue} / ${channel}`,
    }));
  });
  const channels = [...new Set([...CONTACT_CHANNELS, ...rows.map((r) => r.channel)])];
  const present = channels.filter((c) => rows.some((r) => r.channel === c));
  const queues = new Set(rows.map((r) => r.queue)).size;
  const x = {
    field: 't',
    type: 'temporal',
    title: 'window start (UTC)',
    // Through parameters: the range moves with every report, the chart's shape does not (chart.ts).
    scale: { type: 'utc', domain: [{ expr: 'window_from' }, { expr: 'window_to' }] },
    axis: { format: axisFormat(sizeMs) },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    params: [
      { name: 'window_from', value: starts[0] },
      { name: 'window_to', value: (starts.at(-1) as number) + sizeMs },
    ],
    facet: {
      row: {
        field: 'queue',
        type: 'nominal',
        title: null,
        header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontSize: 13, labelFontWeight: 'bold', labelLimit: 0 },
      },
    },
    spec: {
      width: 720,
      height: queues > 1 ? 120 : 220,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: kpi, axis: { format } },
            color: {
              field: 'channel',
              type: 'nominal',
              title: 'channel',
              scale: { domain: channels, range: CHANNEL_COLOURS.slice(0, channels.length).concat(channels.length > CHANNEL_COLOURS.length ? ['#888888'] : []) },
              legend: { orient: 'top', direction: 'horizontal', labelLimit: 0, symbolType: 'stroke', values: present },
            },
            tooltip: [
              { field: 'series', type: 'nominal', title: 'queue / channel' },
              { field: 'window', type: 'nominal', title: 'window' },
              { field: 'value', type: 'quantitative', title: kpi, format },
            ],
          },
        },
        ...(threshold === undefined
          ? []
          : [
              {
                mark: { type: 'rule' as const, color: '#555555', strokeDash: [6, 4], strokeWidth: 1.5 },
                encoding: { y: { datum: threshold }, description: { value: `threshold ${threshold}` } },
              },
            ]),
      ],
    },
    resolve: { scale: { y: 'shared' } },
    config: { font: 'sans-serif' },
  } as unknown as TopLevelSpec;
}

/** Day windows need no time of day on the axis. */
function axisFormat(sizeMs: number): string {
  return sizeMs % DAY_MS === 0 ? '%Y-%m-%d' : '%m-%d %H:%M';
}

/** `1 window`, `4 windows`. */
function windowCount(n: number): string {
  return `${n} window${n === 1 ? '' : 's'}`;
}

function chartAlt(kpi: KpiName, rows: KpiRow[], windows: number, threshold: number | undefined): string {
  const series = new Set(rows.map((r) => `${r.queue} / ${r.channel}`));
  const latest = rows.filter((r) => r.window_start === rows.at(-1)?.window_start);
  const now = latest.map((r) => `${r.queue} / ${r.channel} ${formatKpi(kpi, r.value)}`).join('; ');
  // Series without a row in the latest window had no contacts in it: counted, not left unexplained.
  const quiet = series.size - latest.length;
  return (
    `${kpi} for ${series.size} queue/channel series over ${windowCount(windows)}; latest: ${now || NA}` +
    (quiet > 0 ? ` (${quiet} series without contacts in the latest window)` : '') +
    (threshold === undefined ? '' : `; threshold ${threshold}`)
  );
}

function breakdownBlocks(rows: KpiRow[], latest: number, sizeMs: number): ReportBlock[] {
  const provisional = rows.some((r) => !r.fcr_final && r.fcr_rate !== null);
  return [
    { type: 'heading', text: `Latest window by queue and channel (${formatInstant(latest)} to ${formatInstant(latest + sizeMs)})` },
    {
      type: 'table',
      columns: [
        { label: 'queue' },
        { label: 'channel' },
        { label: 'offered', align: 'right' },
        { label: 'handled', align: 'right' },
        { label: 'abandon rate', align: 'right' },
        { label: 'AHT', align: 'right' },
        { label: 'ASA', align: 'right' },
        { label: 'service level', align: 'right' },
        { label: 'FCR', align: 'right' },
      ],
      rows: rows.map((r) => [
        r.queue,
        r.channel,
        formatCount(r.offered),
        formatCount(r.handled),
        formatPercent(r.abandon_rate),
        formatSeconds(r.aht_seconds),
        formatSeconds(r.asa_seconds),
        formatPercent(r.service_level),
        formatPercent(r.fcr_rate) + (!r.fcr_final && r.fcr_rate !== null ? ' (provisional)' : ''),
      ]),
      ...(provisional ? { note: 'provisional: the FCR look-ahead (default 7 days after each contact) has not passed yet, so the value can still fall.' } : {}),
    },
  ];
}

function reasonBlocks(reasons: ReasonChange[], previousWindows: number): ReportBlock[] {
  const heading: ReportBlock = { type: 'heading', text: 'Contact reasons behind the change' };
  if (previousWindows === 0) return [heading, { type: 'paragraph', text: 'No earlier window to compare contact reasons with.' }];
  if (reasons.length === 0)
    return [heading, { type: 'paragraph', text: `No contact reason grew against the mean of the previous ${previousWindows} window(s).` }];
  return [
    heading,
    {
      type: 'table',
      caption: `Reasons whose volume grew most vs the mean of the previous ${previousWindows} window(s)`,
      columns: [
        { label: 'reason' },
        { label: 'contacts', align: 'right' },
        { label: 'previous mean', align: 'right' },
        { label: 'change', align: 'right' },
        { label: 'change %', align: 'right' },
      ],
      rows: reasons.map((r) => [
        r.reason,
        formatCount(r.current),
        formatNumber(r.baseline, 1),
        formatSigned(r.change, 1),
        r.relative === null ? 'new' : `+${(r.relative * 100).toFixed(0)}%`,
      ]),
    },
  ];
}

const ALERT_FACT_ORDER = ['current', 'baseline', 'change', 'threshold', 'offered', 'interval', 'window_end'];
const ALERT_TEXT_KEYS = new Set(['summary', 'description']);
/** The link to this very report, which the checkpoint sets before the report is rendered. */
const SELF_LINK_KEY = 'report_path';
/** Annotations holding one value of the alert's KPI, shown in the KPI's format. */
const KPI_VALUE_KEYS = new Set(['current', 'baseline', 'resolved_value']);

/**
 * The alert's box: coloured by its state when the report is written (resolved: green) and, while
 * it fires, by severity (critical red, warning amber, info blue), with every number in the
 * format of its kind.
 */
function alertBlocks(alert: Alert, kpi: KpiName): ReportBlock[] {
  const a = alert.annotations;
  const extra = Object.keys(a)
    .filter((k) => !ALERT_FACT_ORDER.includes(k) && !ALERT_TEXT_KEYS.has(k) && k !== SELF_LINK_KEY)
    .sort();
  const facts = [...ALERT_FACT_ORDER, ...extra]
    .filter((k) => a[k] !== undefined)
    .map((k) => ({ label: k.replace(/_/g, ' '), value: formatAnnotation(k, a[k] as string, kpi) }));
  return [
    {
      type: 'notice',
      level: noticeLevel(alert),
      title: `Alert ${alert.rule} (${alert.severity}, ${alert.status}): ${a.summary ?? ''}`.replace(/: $/, ''),
      text: a.description ?? a.summary ?? '',
    },
    {
      type: 'facts',
      items: [
        ...facts,
        { label: 'queue / channel', value: `${alert.labels.queue ?? NA} / ${alert.labels.channel ?? NA}` },
        { label: 'window start', value: formatInstant(alert.window_start) },
        { label: 'fired at', value: formatInstant(alert.fired_at) },
        { label: 'alert id', value: alert.alert_id },
      ],
    },
  ];
}

export function noticeLevel(alert: Pick<Alert, 'status' | 'severity'>): NoticeLevel {
  if (alert.status === 'resolved') return 'ok';
  return alert.severity === 'critical' ? 'alert' : alert.severity === 'warning' ? 'warning' : 'info';
}

/**
 * An annotation as the report shows it: KPI values in the KPI's format (percent with one decimal,
 * seconds, counts), the change as a percentage with one decimal, the offered contacts as a count;
 * text that is not a plain number (n/a, "+25% vs 1w earlier") as it is.
 */
export function formatAnnotation(key: string, value: string, kpi: KpiName): string {
  const n = /^[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(value.trim()) ? Number(value) : null;
  if (KPI_VALUE_KEYS.has(key) && n !== null) return formatKpi(kpi, n);
  if (key === 'offered' && n !== null) return formatCount(n);
  if (key === 'change') {
    const pct = /^([+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?)%$/i.exec(value.trim());
    if (pct) return `${Number(pct[1]) > 0 ? '+' : ''}${Number(pct[1]).toFixed(1)}%`;
  }
  if (key === 'interval') {
    const i = /^(.*interval) \[(\S+), (\S+)\]$/.exec(value.trim());
    if (i && Number.isFinite(Number(i[2])) && Number.isFinite(Number(i[3])))
      return `${i[1]} ${formatKpi(kpi, Number(i[2]))} to ${formatKpi(kpi, Number(i[3]))}`;
  }
  if (key === 'threshold') {
    const t = /^\s*([<>]=?)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(value);
    if (t) return `${t[1]} ${formatKpi(kpi, Number(t[2]))}`;
  }
  return value;
}
