/**
 * The drift operator's population part (main thread): event-time progress, the event-level
 * features of open periods, the reference summaries, and at each period close the comparison
 * (SPEC section 7), the value tiers and RFM scores of the whole population (`customer_segments`),
 * the rescoring alert and the migration matrix. Per-customer work runs on the shards (local.ts).
 */
import type { Alert } from '../alert.js';
import { alertRow, stableAlertId } from '../alert.js';
import type { GaugeReading } from '../gauges.js';
import type { GlobalOperator, ShardRequests } from '../parallel.js';
import type { OperatorOutput, OutputRow } from '../operator.js';
import { KeyedState } from '../state.js';
import type { CategoricalSummary, DriftMethod, FeatureDriftResult, FeatureVerdict, NumericSketch } from '../drift-statistics/index.js';
import { addCategory, decideDatasetDrift, decideFeatureDrift, driftMetricRow, verdictText } from '../drift-statistics/index.js';
import { DRIFT_STATES, emptySummary, type CloseAnswer, type DriftPartial, type DriftRequest, type Summaries, type Summary } from './local.js';
import type { PopulationDriftOptions, PopulationFeature, Tier } from './options.js';
import { periodStart } from './periods.js';
import { categoricalChange, numericChange, type FeatureChange } from './feature-change.js';
import { mergeSummaries, restoreSummaries } from './summaries.js';
import { emptyMigrationTally, mergeMigrationTallies, migrationCells, scoreCustomers, tierThresholds, type MigrationTally } from './segments.js';

interface PeriodRecord {
  start: number;
  summaries: Summaries;
  /** Its latest event time so far. */
  lastTs?: number;
  /** Its earliest event time so far (absent in state stored before 2026-12-07). */
  firstTs?: number;
}

interface ReferenceRecord {
  start: number;
  end: number;
  complete: boolean;
  summaries: Summaries;
}

export interface DriftScore {
  feature: string;
  method: DriftMethod;
  score: number;
  threshold: number;
  /** The feature's verdict (a categorical distance drifts only where its chi-square test rejects too). */
  drifted: boolean;
}

interface Progress {
  /** Start of the next period to close; null before the first event. */
  nextStart: number | null;
  closedAny: boolean;
  /** Periods closed so far (for the warm-up). */
  closedCount: number;
  maxTs: number | null;
  /** A rescoring has happened: the migration baseline stays at it (absent in state stored before 2026-12-06). */
  rescoredOnce?: boolean;
  latestScores: DriftScore[];
  /** Dataset drift (SPEC section 7) at the last evaluated period; absent before one, or in state stored before it was kept. */
  latestDatasetDrift?: boolean;
  /** Rescoring alerts still firing: resolved by the next period without dataset drift. */
  firingRescores?: Alert[];
  segmentSizes: Record<Tier, number>;
  /** Starts of periods at or after `nextStart` that have events (see `onWatermark`). */
  active?: number[];
  /** The last period closed had no event at all. */
  lastEmpty?: boolean;
  /** How far into the last period closed with events they reached (ms from its start; absent in state stored before 2026-12-06). */
  lastReach?: number;
}

const PROGRESS_KEY = 'progress';
export const RESCORE_RULE = 'SegmentationRescoreNeeded';

export class PopulationDriftGlobal implements GlobalOperator {
  readonly name: string;
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly periods = new KeyedState<PeriodRecord>();
  private readonly references = new KeyedState<ReferenceRecord>();
  private readonly meta = new KeyedState<Progress>();
  /** Summaries objects already rebuilt by the restore functions (after a restart they are raw JSON). */
  private readonly hydrated = new WeakSet<Summaries>();
  private readonly out = {
    drift: new Map<string, OutputRow>(),
    alerts: new Map<string, OutputRow>(),
    segments: new Map<string, OutputRow>(),
    migrations: new Map<string, OutputRow>(),
  };
  /** This run's events of periods closed before they came, by period start (`runNotes`). */
  private readonly leftOut = new Map<number, number>();

  constructor(private readonly options: PopulationDriftOptions) {
    this.name = options.name;
    this.states = {
      [DRIFT_STATES.periods]: this.periods,
      [DRIFT_STATES.references]: this.references,
      [DRIFT_STATES.meta]: this.meta,
    } as Record<string, KeyedState<unknown>>;
  }

  merge(partials: readonly unknown[]): void {
    const p = this.progress();
    for (const partial of partials as DriftPartial[]) {
      if (partial.leftOut)
        for (const [start, events] of Object.entries(partial.leftOut)) this.leftOut.set(Number(start), (this.leftOut.get(Number(start)) ?? 0) + events);
      // Only events of closed periods: nothing else to merge.
      if (partial.starts.length === 0) continue;
      if (p.nextStart === null || (!p.closedAny && partial.minStart < p.nextStart)) p.nextStart = partial.minStart;
      p.maxTs = p.maxTs === null ? partial.maxTs : Math.max(p.maxTs, partial.maxTs);
      const active = new Set(p.active ?? []);
      partial.starts.forEach((start, i) => {
        active.add(start);
        const period = this.periods.get(String(start)) ?? { start, summaries: {} };
        period.lastTs = Math.max(period.lastTs ?? -Infinity, partial.lastTs[i] as number);
        period.firstTs = Math.min(period.firstTs ?? Infinity, partial.firstTs[i] as number);
        this.periods.set(String(start), period);
      });
      for (const [key, summaries] of Object.entries(partial.periods)) {
        const period = this.periods.get(key) ?? { start: Number(key), summaries: {} };
        mergeSummaries(this.summaries(period.summaries), summaries);
        this.periods.set(key, period);
      }
      p.active = [...active].sort((a, b) => a - b);
    }
    this.meta.set(PROGRESS_KEY, p);
  }

  /**
   * Closes every period the watermark has passed (at the end of a bounded input, up to the last
   * event). Of a run of periods in which nothing happened only the first is closed, the rest are
   * skipped: the work never depends on the length of a gap in the data.
   */
  *onWatermark(watermark: number): ShardRequests {
    const { periodMs, offsetMs, finalPeriodSlackMs } = this.options;
    /**
     * At the end of a bounded input, whether the events of the period from `start` reach far
     * enough into it to compare it with full ones: to its end less `final_period_slack`, or as far
     * as the previous period's events reached less the same (a business closed on Sunday evenings
     * ends its weeks there). A week cut on Sunday at 01:00 with its busy Sunday missing was compared
     * with full weeks (a false rescoring on a stable population); it now waits for the next run.
     */
    const reachesEnd = (start: number, maxTs: number, lastReach: number | undefined): boolean =>
      maxTs >= start + periodMs - finalPeriodSlackMs || (lastReach !== undefined && maxTs - start >= lastReach - finalPeriodSlackMs);
    /**
     * Whether the events of the period from `start` begin later into it than the next period's do,
     * by more than `final_period_slack`: data that start on a Thursday, or resume mid-week after a
     * gap. Such a period is no like-for-like reference, and is not compared either. The warm-up
     * kept the first such week out, until one stray record months earlier used the warm-up up: the
     * four days of the real first week became the reference, and the first full week a false
     * rescoring (spend +43%).
     */
    const beginsLate = (start: number): boolean => {
      const first = this.periods.get(String(start))?.firstTs;
      const next = this.periods.get(String(start + periodMs))?.firstTs;
      return first !== undefined && next !== undefined && first - start > next - (start + periodMs) + finalPeriodSlackMs;
    };
    for (;;) {
      const p = this.progress();
      if (p.nextStart === null) return;
      const due = (start: number): boolean =>
        Number.isFinite(watermark) ? start + periodMs <= watermark : watermark > 0 && p.maxTs !== null && reachesEnd(start, p.maxTs, p.lastReach);
      if (!due(p.nextStart)) return;
      const active = p.active ?? [];
      const empty = !active.includes(p.nextStart);
      const start = p.nextStart;
      if (empty && p.lastEmpty) {
        // Skip to the next period with events, or to the first one not due yet.
        const nextActive = active.find((s) => s > start) ?? Number.POSITIVE_INFINITY;
        const firstNotDue = Number.isFinite(watermark) ? periodStart(watermark, periodMs, offsetMs) : Number.POSITIVE_INFINITY;
        const next = Math.min(nextActive, firstNotDue);
        if (!Number.isFinite(next)) return;
        p.nextStart = next;
        this.meta.set(PROGRESS_KEY, p);
        continue;
      }
      const end = start + periodMs;
      const lastTs = this.periods.get(String(start))?.lastTs;
      yield* this.closePeriod(start, end, empty, beginsLate(start));
      // An empty period reached nowhere: the last one with events keeps saying how far a period's events go.
      if (lastTs !== undefined) p.lastReach = lastTs - start;
      p.nextStart = end;
      p.closedAny = true;
      p.lastEmpty = empty;
      p.active = active.filter((s) => s >= end);
      this.meta.set(PROGRESS_KEY, p);
    }
  }

  *sync(): ShardRequests {
    const p = this.progress();
    const request: DriftRequest = { step: 'sync', nextStart: p.nextStart, closedAny: p.closedAny };
    yield request;
  }

  drainOutputs(): OperatorOutput[] {
    const outputs: OperatorOutput[] = [];
    const push = (kind: OperatorOutput['kind'], rows: Map<string, OutputRow>): void => {
      if (rows.size > 0) outputs.push({ kind, rows: [...rows.values()] });
      rows.clear();
    };
    push('drift_metric', this.out.drift);
    push('alert', this.out.alerts);
    push('customer_segment', this.out.segments);
    push('segment_migration', this.out.migrations);
    return outputs;
  }

  /** The start of the next period to close once one has closed (every period before it is closed), else null. */
  closedBefore(): number | null {
    const p = this.progress();
    return p.closedAny ? p.nextStart : null;
  }

  /** Deciding score and threshold per feature at the last evaluated period (pulse_drift_score/threshold). */
  latestScores(): DriftScore[] {
    return this.progress().latestScores.map((s) => ({ ...s }));
  }

  /** Customers per value tier at the last period close (pulse_segment_customers{tier}). */
  segmentSizes(): Record<Tier, number> {
    return { ...this.progress().segmentSizes };
  }

  gauges(): GaugeReading[] {
    return [
      { kind: 'drift_scores', scores: this.latestScores(), ...datasetDrifted(this.progress()) },
      { kind: 'segment_sizes', customers: this.segmentSizes() },
    ];
  }

  /**
   * Events that came after their period was closed: a run whose input ended within
   * final_period_slack of a period's end closed it, and a later run brought its stragglers. Said
   * at the end of the run, not left out silently.
   */
  runNotes(): string[] {
    if (this.leftOut.size === 0) return [];
    const periods = [...this.leftOut.keys()].sort((a, b) => a - b);
    const events = [...this.leftOut.values()].reduce((a, b) => a + b, 0);
    const days = (start: number): string => new Date(start).toISOString().slice(0, 10);
    return [
      `${this.name}: ${events} events of periods closed before they came (from ${periods.map(days).join(', ')}) are left out of drift and ` +
        "customer_segments: an earlier run's input ended within final_period_slack of the period's end and closed it; they are counted in " +
        'customer_windows and contact_kpis. A replay of the whole input into a new database counts them',
    ];
  }

  private progress(): Progress {
    let p = this.meta.get(PROGRESS_KEY);
    if (p === undefined) {
      p = {
        nextStart: null,
        closedAny: false,
        closedCount: 0,
        maxTs: null,
        rescoredOnce: false,
        latestScores: [],
        segmentSizes: { Bronze: 0, Silver: 0, Gold: 0 },
      };
      this.meta.set(PROGRESS_KEY, p);
    }
    return p;
  }

  /**
   * Closes the period [start, end): folds it into every customer, scores tiers, and compares it
   * with the reference. A period without a single event (`empty`: an outage, a gap in the input)
   * is no population to compare: it is neither evaluated nor a reference. Compared, it drifted
   * (every spend 0, -100%) and so did the next period against it, two rescorings for a data gap.
   * Nor is a period whose events begin late in it (`partial`: see `onWatermark`).
   */
  private *closePeriod(start: number, end: number, empty: boolean, partial: boolean): ShardRequests {
    const o = this.options;
    const periodKey = String(start);
    const current: Summaries = {};
    const eventSummaries = this.periods.get(periodKey);
    if (eventSummaries) Object.assign(current, this.summaries(eventSummaries.summaries));
    this.periods.delete(periodKey);
    for (const f of o.features) current[f.name] ??= emptySummary(f, o);

    const closed = (yield { step: 'close', start, end } satisfies DriftRequest) as CloseAnswer[];
    for (const answer of closed) mergeSummaries(current, answer.summaries);
    // One canonical order, whichever shard each customer is on.
    const population = closed.flatMap((a) => a.population).sort((a, b) => (a.customer_id < b.customer_id ? -1 : a.customer_id > b.customer_id ? 1 : 0));

    // Tiers and RFM at every close (cheap); the segment feature is the tier mix.
    const scores = scoreCustomers(population, o.goldShare, o.silverShare);
    const sizes: Record<Tier, number> = { Bronze: 0, Silver: 0, Gold: 0 };
    for (const s of scores) {
      sizes[s.tier] += 1;
      for (const f of o.features) if (f.source === 'segment') addCategory(current[f.name] as CategoricalSummary, s.tier);
      this.out.segments.set(s.customer_id, {
        customer_id: s.customer_id,
        tier: s.tier,
        recency_days: s.recencyDays,
        frequency: s.frequency,
        monetary: s.monetary,
        r_score: s.rScore,
        f_score: s.fScore,
        m_score: s.mScore,
        rfm: s.rfm,
        trailing_spend: s.monetary,
        updated_at: end,
      });
    }
    const p = this.progress();
    p.segmentSizes = sizes;

    // Compare with the reference, then roll the reference forward.
    const comparable = p.closedCount >= o.warmupPeriods && !partial;
    let rescore = false;
    if (!empty) {
      p.closedCount += 1;
      const reference = comparable ? this.referenceFor() : null;
      if (reference !== null) rescore = this.evaluate(start, end, current, reference);
      this.updateReferences(start, end, current, !comparable);
    }

    // The migration's baseline: the tiers at the previous rescoring, and until the first one, at the
    // previous close. Set once at the first close, the first rescoring compared with the warm-up
    // week, when half the customers had not bought yet: a tester's 1,816 "changed tier" were mostly
    // customers scored for six weeks shown as new.
    const rescoring = rescore ? 'rescore' : p.rescoredOnce === true ? 'none' : 'baseline';
    if (rescore) p.rescoredOnce = true;
    const thresholds =
      population.length === 0
        ? null
        : tierThresholds(
            population.map((c) => c.monetary),
            o.goldShare,
            o.silverShare,
          );
    const tallies = (yield { step: 'score', end, thresholds, rescoring } satisfies DriftRequest) as Array<MigrationTally | null>;
    if (rescoring === 'rescore') {
      const tally = emptyMigrationTally();
      for (const t of tallies) if (t !== null) mergeMigrationTallies(tally, t);
      const runId = this.runId(start);
      for (const cell of migrationCells(tally)) {
        this.out.migrations.set(`${runId}|${cell.from_tier}|${cell.to_tier}`, {
          run_id: runId,
          from_tier: cell.from_tier,
          to_tier: cell.to_tier,
          customers: cell.customers,
          revenue_share: cell.revenue_share,
        });
      }
    }
    this.meta.set(PROGRESS_KEY, p);
  }

  /** Feature verdicts, drift_metrics rows and the dataset decision; true when the dataset drifted. */
  private evaluate(start: number, end: number, current: Summaries, reference: ReferenceRecord): boolean {
    const o = this.options;
    const runId = this.runId(start);
    const periods = { referenceStart: reference.start, referenceEnd: reference.end, currentStart: start, currentEnd: end };
    const verdicts: FeatureVerdict[] = [];
    const results: Array<[PopulationFeature, FeatureDriftResult]> = [];
    const changes = new Map<string, FeatureChange>();
    const refSummaries = this.summaries(reference.summaries);
    for (const f of o.features) {
      const ref = refSummaries[f.name] ?? emptySummary(f, o);
      const cur = current[f.name] as Summary;
      const result =
        f.kind === 'numeric'
          ? decideFeatureDrift({ kind: 'numeric', ref: ref as NumericSketch, cur: cur as NumericSketch, options: f.drift })
          : decideFeatureDrift({ kind: 'categorical', ref: ref as CategoricalSummary, cur: cur as CategoricalSummary, options: f.drift });
      results.push([f, result]);
      const change = !result.drifted
        ? null
        : f.kind === 'numeric'
          ? numericChange(f.name, ref as NumericSketch, cur as NumericSketch)
          : categoricalChange(f.name, ref as CategoricalSummary, cur as CategoricalSummary);
      if (change !== null) changes.set(f.name, change);
      verdicts.push({ feature: f.name, drifted: result.drifted, method: result.method, key: f.key });
      this.out.drift.set(`${runId}|${f.name}`, driftMetricRow(runId, f.name, result, periods));
    }
    const p = this.progress();
    p.latestScores = results
      .filter(([, r]) => r.score !== null && r.threshold !== null)
      .map(([f, r]) => ({ feature: f.name, method: r.method, score: r.score as number, threshold: r.threshold as number, drifted: r.drifted }));
    const dataset = decideDatasetDrift(verdicts, { shareThreshold: o.shareThreshold });
    p.latestDatasetDrift = dataset.drifted;
    if (!dataset.drifted) {
      this.resolveRescores(p, start, end, dataset.share);
      return false;
    }
    const scores = Object.fromEntries(
      results.filter(([, r]) => r.drifted).map(([f, r]) => [f.name, { method: r.method, score: r.score, p_value: r.p_value, threshold: r.threshold }]),
    );
    const share = dataset.share ?? 0;
    const alert: Alert = {
      alert_id: stableAlertId(RESCORE_RULE, start, this.name),
      kind: 'analytic',
      rule: RESCORE_RULE,
      severity: 'warning',
      customer_id: null,
      window_start: start,
      fired_at: end,
      labels: { alertname: RESCORE_RULE, kind: 'analytic', severity: 'warning' },
      annotations: {
        summary: `Customer population drifted in ${new Date(start).toISOString().slice(0, 10)} period: segmentation rescored`,
        description:
          `${dataset.driftedCount} of ${dataset.evaluatedCount} features drifted (share ${share.toFixed(3)}, threshold ${dataset.shareThreshold})` +
          (dataset.driftedKeyFeatures.length > 0 ? `; key features drifted: ${dataset.driftedKeyFeatures.join(', ')}` : '') +
          `; drifted: ${results
            .filter(([, r]) => r.drifted)
            .map(([f, r]) => `${changes.get(f.name)?.text ?? f.name}, ${verdictText(r)}`)
            .join('; ')}`,
        share: String(share),
        share_threshold: String(dataset.shareThreshold),
        drifted_features: dataset.driftedFeatures.join(','),
        key_features_drifted: dataset.driftedKeyFeatures.join(','),
        scores: JSON.stringify(scores),
        // Baseline, current value and change of each drifted feature (SPEC section 5), for automation.
        changes: JSON.stringify(Object.fromEntries([...changes].map(([name, c]) => [name, { of: c.of, baseline: c.baseline, current: c.current }]))),
        reference_start: new Date(reference.start).toISOString(),
        reference_end: new Date(reference.end).toISOString(),
        run_id: runId,
      },
      status: 'firing',
    };
    this.out.alerts.set(`${alert.alert_id}|${alert.status}`, alertRow(alert));
    p.firingRescores = [...(p.firingRescores ?? []), alert];
    return true;
  }

  /**
   * A period without dataset drift resolves the rescoring alerts still firing: the population has
   * settled (they fired for good otherwise, on the console and in Alertmanager).
   */
  private resolveRescores(p: Progress, start: number, end: number, share: number | null): void {
    for (const firing of p.firingRescores ?? []) {
      const resolved: Alert = {
        ...firing,
        annotations: {
          ...firing.annotations,
          resolved_at: new Date(end).toISOString(),
          resolution: `no dataset drift in the period from ${new Date(start).toISOString().slice(0, 10)}${share === null ? '' : ` (share of drifted features ${share.toFixed(3)})`}`,
        },
        status: 'resolved',
      };
      this.out.alerts.set(`${resolved.alert_id}|${resolved.status}`, alertRow(resolved));
    }
    delete p.firingRescores;
  }

  /** The complete reference to compare with, or null while there is none. */
  private referenceFor(): ReferenceRecord | null {
    const r = this.references.get(this.referenceKey());
    return r !== undefined && r.complete ? r : null;
  }

  private referenceKey(): string {
    const ref = this.options.reference;
    return ref.mode === 'snapshot' ? `snapshot:${ref.name}` : ref.mode;
  }

  private updateReferences(start: number, end: number, current: Summaries, notComparable: boolean): void {
    const ref = this.options.reference;
    const key = this.referenceKey();
    if (ref.mode === 'previous') {
      if (notComparable) return;
      this.references.set(key, { start, end, complete: true, summaries: current });
      this.hydrated.add(current);
      return;
    }
    const existing = this.references.get(key);
    if (existing?.complete) return; // frozen
    const rangeStart = ref.start;
    const rangeEnd = ref.end;
    if (rangeStart === null || rangeEnd === null) {
      if (notComparable) return;
      this.references.set(key, { start, end, complete: true, summaries: current });
      this.hydrated.add(current);
      return;
    }
    if (start < rangeStart || end > rangeEnd) return;
    const building = existing ?? { start: rangeStart, end: rangeEnd, complete: false, summaries: {} };
    mergeSummaries(this.summaries(building.summaries), current);
    building.complete = end === rangeEnd;
    this.references.set(key, building);
  }

  private runId(start: number): string {
    const iso = new Date(start).toISOString();
    return this.name === 'population_drift' ? `drift-${iso}` : `drift-${this.name}-${iso}`;
  }

  /** After a restart summaries are raw JSON: rebuild them once with the validating restore functions. */
  private summaries(s: Summaries): Summaries {
    if (this.hydrated.has(s)) return s;
    this.hydrated.add(s);
    return restoreSummaries(s);
  }
}

function datasetDrifted(p: Progress): { datasetDrifted?: boolean } {
  return p.latestDatasetDrift === undefined ? {} : { datasetDrifted: p.latestDatasetDrift };
}
