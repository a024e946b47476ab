/**
 * Population drift: per period (default weeks from Monday 00:00 UTC), summarise the customer
 * population (per-customer spend, transactions and usage, channel and contact-reason mix, survey
 * answers, profile attributes, value tier), compare each feature with the reference period by the
 * SPEC section 7 rules (operators/drift), write `drift_metrics` rows, and on dataset drift raise
 * `SegmentationRescoreNeeded` and rescore: value tiers and RFM per customer (`customer_segments`)
 * and the tier migration since the previous rescoring (`segment_migrations`).
 *
 * State is plain JSON in KeyedState: one record per customer (open period accumulators, trailing
 * 12 monthly spend and purchase counts, recent profiles, tier now and at the previous rescoring),
 * one record per open period (event-level summaries), the reference summaries and progress. Event
 * contributions are kept per period and folded in only when their period closes, so events that
 * arrive ahead of the watermark never leak into an earlier period.
 */
import type { Alert } from '../alert.js';
import { alertRow, stableAlertId } from '../alert.js';
import type { PulseEvent } from '../events.js';
import type { Operator, OperatorOutput, OutputRow } from '../operator.js';
import { KeyedState, keyIsCustomer } from '../state.js';
import type { CategoricalSummary, DriftMethod, FeatureDriftResult, FeatureVerdict, NumericSketch } from '../drift/index.js';
import {
  addCategory,
  addValue,
  createCategoricalSummary,
  createNumericSketch,
  decideDatasetDrift,
  decideFeatureDrift,
  driftMetricRow,
  isNumericSketch,
  mergeCategorical,
  mergeNumericSketch,
  restoreCategoricalSummary,
  restoreNumericSketch,
} from '../drift/index.js';
import type { PopulationDriftOptions, PopulationFeature, Tier } from './options.js';
import { TIER_NAMES } from './options.js';
import { days, monthIndex, periodStart } from './periods.js';
import type { CustomerValue, ScoredTier } from './segments.js';
import { migrationMatrix, scoreCustomers } from './segments.js';

type Summary = NumericSketch | CategoricalSummary;
type Summaries = Record<string, Summary>;

/** One customer's contributions to one open period. */
interface PeriodAccumulator {
  spend: number;
  /** All transactions, refunds included (feature transaction_count). */
  transactions: number;
  usage: Record<string, number>;
  lastPurchase: number | null;
  /** Month index -> [spend, purchases], folded into the trailing 12 months at close. */
  byMonth: Record<string, [number, number]>;
}

interface ProfileSnapshot {
  ts: number;
  attrs: Record<string, string | null>;
}

export interface CustomerRecord {
  firstSeen: number;
  lastSeen: number;
  /** Period start -> accumulator, for periods not closed yet. */
  open: Record<string, PeriodAccumulator>;
  /** Month index of monthSpend[11]; null before the first closed purchase. */
  monthIdx: number | null;
  monthSpend: number[];
  monthCount: number[];
  /** Last purchase in closed periods. */
  lastPurchase: number | null;
  /** Profiles by time; only the latest one before the last closed period end is kept beside newer ones. */
  profiles: ProfileSnapshot[];
  tier: Tier | null;
  /** Tier and spend at the previous rescoring (the migration baseline). */
  scored: ScoredTier | null;
}

interface PeriodRecord {
  start: number;
  summaries: Summaries;
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
}

interface Progress {
  /** Start of the next period to close; null before the first event. */
  nextStart: number | null;
  closedAny: boolean;
  /** Periods closed so far (for the warm-up). */
  closedCount: number;
  maxTs: number | null;
  baselineScored: boolean;
  latestScores: DriftScore[];
  segmentSizes: Record<Tier, number>;
}

const PROGRESS_KEY = 'progress';
export const RESCORE_RULE = 'SegmentationRescoreNeeded';

export class PopulationDriftOperator implements Operator {
  readonly name: string;
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly customers = new KeyedState<CustomerRecord>(keyIsCustomer);
  private readonly periods = new KeyedState<PeriodRecord>();
  private readonly references = new KeyedState<ReferenceRecord>();
  private readonly meta = new KeyedState<Progress>();
  /** Summaries objects already rebuilt by the restore functions (after a restart they are raw JSON). */
  private readonly hydrated = new WeakSet<Summaries>();
  private readonly usageMetrics: Set<string>;
  private readonly profileAttrs: Set<string>;
  private readonly out = {
    drift: new Map<string, OutputRow>(),
    alerts: new Map<string, OutputRow>(),
    segments: new Map<string, OutputRow>(),
    migrations: new Map<string, OutputRow>(),
  };

  constructor(private readonly options: PopulationDriftOptions) {
    this.name = options.name;
    this.states = { customers: this.customers, periods: this.periods, references: this.references, meta: this.meta };
    this.usageMetrics = new Set(options.features.filter((f) => f.source === 'usage').map((f) => f.field as string));
    this.profileAttrs = new Set(options.features.filter((f) => f.source === 'profile').map((f) => f.field as string));
  }

  process(event: PulseEvent): void {
    const p = this.progress();
    const start = periodStart(event.ts, this.options.periodMs, this.options.offsetMs);
    if (p.nextStart !== null && start < p.nextStart) {
      if (p.closedAny) return; // its period is closed: the runner's lateness should have refused it
      p.nextStart = start;
    }
    if (p.nextStart === null) p.nextStart = start;
    p.maxTs = p.maxTs === null ? event.ts : Math.max(p.maxTs, event.ts);
    this.meta.touch(PROGRESS_KEY);
    if (event.customer_id !== null) this.customerEvent(event, event.customer_id, start);
    if (event.type === 'transaction') this.addEventFeature(start, 'channel', null, event.channel);
    else if (event.type === 'contact') {
      this.addEventFeature(start, 'contact_reason', null, event.reason);
      this.addEventFeature(start, 'contact_channel', null, event.channel);
    } else if (event.type === 'survey') {
      for (const f of this.options.features) {
        if (f.source !== 'survey') continue;
        const answer = event.answers[f.field as string];
        if (answer === undefined) continue;
        this.addEventFeature(start, 'survey', f.field, answer, f);
      }
    }
  }

  onWatermark(watermark: number): void {
    const { periodMs, finalPeriodSlackMs } = this.options;
    for (;;) {
      const p = this.progress();
      if (p.nextStart === null) return;
      const end = p.nextStart + periodMs;
      const due = Number.isFinite(watermark) ? end <= watermark : p.maxTs !== null && end - finalPeriodSlackMs <= p.maxTs;
      if (!due || (!Number.isFinite(watermark) && watermark < 0)) return;
      this.closePeriod(p.nextStart, end);
      p.nextStart = end;
      p.closedAny = true;
      this.meta.set(PROGRESS_KEY, p);
    }
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

  /** Deciding score and threshold per feature at the last evaluated period (pulse_drift_score/threshold). */
  latestScores(): DriftScore[] {
    return this.progress().latestScores.map((s) => ({ ...s }));
  }

  /** Customers per value tier at the last period close (pulse_segment_customers{tier}). */
  segmentSizes(): Record<Tier, number> {
    return { ...this.progress().segmentSizes };
  }

  private progress(): Progress {
    let p = this.meta.get(PROGRESS_KEY);
    if (p === undefined) {
      p = { nextStart: null, closedAny: false, closedCount: 0, maxTs: null, baselineScored: false, latestScores: [], segmentSizes: { Bronze: 0, Silver: 0, Gold: 0 } };
      this.meta.set(PROGRESS_KEY, p);
    }
    return p;
  }

  private customerEvent(event: PulseEvent, id: string, start: number): void {
    let c = this.customers.get(id);
    if (c === undefined) {
      c = {
        firstSeen: event.ts,
        lastSeen: event.ts,
        open: {},
        monthIdx: null,
        monthSpend: new Array<number>(12).fill(0),
        monthCount: new Array<number>(12).fill(0),
        lastPurchase: null,
        profiles: [],
        tier: null,
        scored: null,
      };
    }
    c.firstSeen = Math.min(c.firstSeen, event.ts);
    c.lastSeen = Math.max(c.lastSeen, event.ts);
    if (event.type === 'transaction' || event.type === 'usage') {
      const key = String(start);
      const acc = (c.open[key] ??= { spend: 0, transactions: 0, usage: {}, lastPurchase: null, byMonth: {} });
      if (event.type === 'transaction') {
        acc.transactions += 1;
        if (event.amount >= 0) {
          acc.spend += event.amount;
          acc.lastPurchase = acc.lastPurchase === null ? event.ts : Math.max(acc.lastPurchase, event.ts);
          const month = String(monthIndex(event.ts));
          const m = (acc.byMonth[month] ??= [0, 0]);
          m[0] += event.amount;
          m[1] += 1;
        }
      } else if (this.usageMetrics.has(event.metric)) {
        acc.usage[event.metric] = (Object.hasOwn(acc.usage, event.metric) ? acc.usage[event.metric]! : 0) + event.quantity;
      }
    } else if (event.type === 'profile' && this.profileAttrs.size > 0) {
      const attrs: Record<string, string | null> = {};
      for (const a of this.profileAttrs) attrs[a] = profileAttribute(event, a);
      c.profiles.push({ ts: event.ts, attrs });
      c.profiles.sort((a, b) => a.ts - b.ts);
    }
    this.customers.set(id, c);
  }

  private addEventFeature(start: number, source: PopulationFeature['source'], field: string | null, value: string | number | boolean, only?: PopulationFeature): void {
    const features = only ? [only] : this.options.features.filter((f) => f.source === source && f.field === field);
    if (features.length === 0) return;
    const key = String(start);
    let period = this.periods.get(key);
    if (period === undefined) period = { start, summaries: {} };
    const summaries = this.summaries(period.summaries);
    for (const f of features) {
      const s = (summaries[f.name] ??= this.emptySummary(f));
      if (isNumericSketch(s)) addValue(s, typeof value === 'number' ? value : null);
      else addCategory(s, value);
    }
    this.periods.set(key, period);
  }

  private closePeriod(start: number, end: number): void {
    const o = this.options;
    const periodKey = String(start);
    const current: Summaries = {};
    const eventSummaries = this.periods.get(periodKey);
    if (eventSummaries) Object.assign(current, this.summaries(eventSummaries.summaries));
    this.periods.delete(periodKey);
    for (const f of o.features) current[f.name] ??= this.emptySummary(f);

    // Per-customer features, the trailing 12 months and the population to score.
    const population: CustomerValue[] = [];
    const closeMonth = monthIndex(end - 1);
    for (const [id, c] of this.customers.entries()) {
      const acc = c.open[periodKey];
      if (acc) {
        foldTrailing(c, acc);
        delete c.open[periodKey];
        this.customers.touch(id);
      }
      if (c.firstSeen >= end) continue; // not known yet in this period
      for (const f of o.features) {
        if (f.source === 'spend') addValue(current[f.name] as NumericSketch, acc?.spend ?? 0);
        else if (f.source === 'transaction_count') addValue(current[f.name] as NumericSketch, acc?.transactions ?? 0);
        else if (f.source === 'usage') {
          const usage = acc?.usage ?? {};
          addValue(current[f.name] as NumericSketch, Object.hasOwn(usage, f.field as string) ? usage[f.field as string]! : 0);
        }
      }
      if (this.profileAttrs.size > 0) {
        const profile = latestProfileBefore(c, end);
        if (profile) this.customers.touch(id);
        for (const f of o.features) {
          if (f.source === 'profile') addCategory(current[f.name] as CategoricalSummary, profile?.attrs[f.field as string] ?? null);
        }
      }
      const trailing = trailingOf(c, closeMonth);
      if (trailing.frequency > 0 && c.lastPurchase !== null) {
        population.push({ customer_id: id, recencyDays: Math.max(0, days(end - c.lastPurchase)), frequency: trailing.frequency, monetary: trailing.spend });
      }
    }

    // Tiers and RFM at every close (cheap); the segment feature is the tier mix.
    const scores = scoreCustomers(population, o.goldShare, o.silverShare);
    const sizes: Record<Tier, number> = { Bronze: 0, Silver: 0, Gold: 0 };
    const scoredNow = new Map<string, ScoredTier>();
    for (const s of scores) {
      sizes[s.tier] += 1;
      scoredNow.set(s.customer_id, { tier: s.tier, spend: s.monetary });
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
    for (const [id, c] of this.customers.entries()) {
      const tier = scoredNow.get(id)?.tier ?? null;
      if (c.tier !== tier) {
        c.tier = tier;
        this.customers.touch(id);
      }
    }
    const p = this.progress();
    p.segmentSizes = sizes;

    // Compare with the reference, then roll the reference forward.
    const warmingUp = p.closedCount < o.warmupPeriods;
    p.closedCount += 1;
    const reference = warmingUp ? null : this.referenceFor();
    let rescore = false;
    if (reference !== null) rescore = this.evaluate(start, end, current, reference);
    this.updateReferences(start, end, current, warmingUp);

    if (!p.baselineScored) {
      this.setScored(scoredNow);
      p.baselineScored = true;
    } else if (rescore) {
      const runId = this.runId(start);
      const previous = new Map<string, ScoredTier>();
      for (const [id, c] of this.customers.entries()) if (c.scored !== null) previous.set(id, c.scored);
      for (const cell of migrationMatrix(previous, scoredNow)) {
        this.out.migrations.set(`${runId}|${cell.from_tier}|${cell.to_tier}`, {
          run_id: runId,
          from_tier: cell.from_tier,
          to_tier: cell.to_tier,
          customers: cell.customers,
          revenue_share: cell.revenue_share,
        });
      }
      this.setScored(scoredNow);
    }
    this.expireCustomers(end);
    this.meta.set(PROGRESS_KEY, p);
  }

  /** Feature verdicts, drift_metrics rows and the dataset decision; true when the dataset drifted. */
  private evaluate(start: number, end: number, current: Summaries, reference: ReferenceRecord): boolean {
    const o = this.options;
    const runId = this.runId(start);
    const periods = { referenceStart: reference.start, referenceEnd: reference.end, currentStart: start, currentEnd: end };
    const verdicts: FeatureVerdict[] = [];
    const results: Array<[PopulationFeature, FeatureDriftResult]> = [];
    const refSummaries = this.summaries(reference.summaries);
    for (const f of o.features) {
      const ref = refSummaries[f.name] ?? this.emptySummary(f);
      const cur = current[f.name] as Summary;
      const result =
        f.kind === 'numeric'
          ? decideFeatureDrift({ kind: 'numeric', ref: ref as NumericSketch, cur: cur as NumericSketch, options: f.drift })
          : decideFeatureDrift({ kind: 'categorical', ref: ref as CategoricalSummary, cur: cur as CategoricalSummary, options: f.drift });
      results.push([f, result]);
      verdicts.push({ feature: f.name, drifted: result.drifted, method: result.method, key: f.key });
      this.out.drift.set(`${runId}|${f.name}`, driftMetricRow(runId, f.name, result, periods));
    }
    const p = this.progress();
    p.latestScores = results
      .filter(([, r]) => r.score !== null && r.threshold !== null)
      .map(([f, r]) => ({ feature: f.name, method: r.method, score: r.score as number, threshold: r.threshold as number }));
    const dataset = decideDatasetDrift(verdicts, { shareThreshold: o.shareThreshold });
    if (!dataset.drifted) return false;
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
            .map(([f, r]) => `${f.name} ${r.method}=${r.score?.toPrecision(4)} (threshold ${r.threshold})`)
            .join(', ')}`,
        share: String(share),
        share_threshold: String(dataset.shareThreshold),
        drifted_features: dataset.driftedFeatures.join(','),
        key_features_drifted: dataset.driftedKeyFeatures.join(','),
        scores: JSON.stringify(scores),
        reference_start: new Date(reference.start).toISOString(),
        reference_end: new Date(reference.end).toISOString(),
        run_id: runId,
      },
      status: 'firing',
    };
    this.out.alerts.set(alert.alert_id, alertRow(alert));
    return true;
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

  private updateReferences(start: number, end: number, current: Summaries, warmingUp: boolean): void {
    const ref = this.options.reference;
    const key = this.referenceKey();
    if (ref.mode === 'previous') {
      if (warmingUp) return;
      this.references.set(key, { start, end, complete: true, summaries: current });
      this.hydrated.add(current);
      return;
    }
    const existing = this.references.get(key);
    if (existing?.complete) return; // frozen
    const rangeStart = ref.start;
    const rangeEnd = ref.end;
    if (rangeStart === null || rangeEnd === null) {
      if (warmingUp) return;
      this.references.set(key, { start, end, complete: true, summaries: current });
      this.hydrated.add(current);
      return;
    }
    if (start < rangeStart || end > rangeEnd) return;
    const building = existing ?? { start: rangeStart, end: rangeEnd, complete: false, summaries: {} };
    const into = this.summaries(building.summaries);
    for (const [name, s] of Object.entries(current)) {
      const target = into[name];
      if (target === undefined) into[name] = s;
      else if (isNumericSketch(target)) mergeNumericSketch(target, s as NumericSketch);
      else mergeCategorical(target, s as CategoricalSummary);
    }
    building.complete = end === rangeEnd;
    this.references.set(key, building);
  }

  private setScored(scoredNow: ReadonlyMap<string, ScoredTier>): void {
    for (const [id, c] of this.customers.entries()) {
      const s = scoredNow.get(id) ?? null;
      if (c.scored?.tier !== s?.tier || c.scored?.spend !== s?.spend) {
        c.scored = s;
        this.customers.touch(id);
      }
    }
  }

  private expireCustomers(end: number): void {
    const stale: string[] = [];
    for (const [id, c] of this.customers.entries()) {
      if (c.lastSeen < end - this.options.customerTtlMs && Object.keys(c.open).length === 0) stale.push(id);
    }
    for (const id of stale) this.customers.delete(id);
  }

  private runId(start: number): string {
    const iso = new Date(start).toISOString();
    return this.name === 'population_drift' ? `drift-${iso}` : `drift-${this.name}-${iso}`;
  }

  private emptySummary(f: PopulationFeature): Summary {
    return f.kind === 'numeric' ? createNumericSketch({ relativeAccuracy: this.options.relativeAccuracy }) : createCategoricalSummary();
  }

  /** After a restart summaries are raw JSON: rebuild them once with the validating restore functions. */
  private summaries(s: Summaries): Summaries {
    if (this.hydrated.has(s)) return s;
    for (const [name, v] of Object.entries(s)) s[name] = isNumericSketch(v) ? restoreNumericSketch(v) : restoreCategoricalSummary(v);
    this.hydrated.add(s);
    return s;
  }
}

function profileAttribute(event: Extract<PulseEvent, { type: 'profile' }>, attr: string): string | null {
  if (attr === 'region') return event.region;
  if (attr === 'age_band') return event.age_band;
  if (attr === 'tier') return event.tier;
  if (attr === 'account_owner') return event.account_owner;
  if (attr === 'signup_date') return event.signup_date;
  return Object.hasOwn(event.attributes, attr) ? (event.attributes[attr] ?? null) : null;
}

/** The latest profile before `end`; older ones are dropped (bounded), newer ones kept for later periods. */
function latestProfileBefore(c: CustomerRecord, end: number): ProfileSnapshot | null {
  let idx = -1;
  for (let i = 0; i < c.profiles.length; i++) if (c.profiles[i]!.ts < end) idx = i;
  if (idx > 0) c.profiles.splice(0, idx);
  return idx >= 0 ? c.profiles[0]! : null;
}

/** Adds a closed period's purchases to the 12 monthly slots (slot 11 = month `monthIdx`). */
function foldTrailing(c: CustomerRecord, acc: PeriodAccumulator): void {
  for (const [monthKey, [spend, count]] of Object.entries(acc.byMonth)) {
    const m = Number(monthKey);
    if (c.monthIdx === null) c.monthIdx = m;
    if (m > c.monthIdx) {
      const shift = Math.min(12, m - c.monthIdx);
      c.monthSpend = [...c.monthSpend.slice(shift), ...new Array<number>(shift).fill(0)];
      c.monthCount = [...c.monthCount.slice(shift), ...new Array<number>(shift).fill(0)];
      c.monthIdx = m;
    }
    const slot = 11 - (c.monthIdx - m);
    if (slot < 0) continue;
    c.monthSpend[slot]! += spend;
    c.monthCount[slot]! += count;
  }
  if (acc.lastPurchase !== null) c.lastPurchase = c.lastPurchase === null ? acc.lastPurchase : Math.max(c.lastPurchase, acc.lastPurchase);
}

/** Spend and purchases in the 12 calendar months ending with `closeMonth`. */
function trailingOf(c: CustomerRecord, closeMonth: number): { spend: number; frequency: number } {
  let spend = 0;
  let frequency = 0;
  if (c.monthIdx === null) return { spend, frequency };
  for (let i = 0; i < 12; i++) {
    const month = c.monthIdx - (11 - i);
    if (month > closeMonth - 12 && month <= closeMonth) {
      spend += c.monthSpend[i]!;
      frequency += c.monthCount[i]!;
    }
  }
  return { spend, frequency };
}

export { TIER_NAMES };
