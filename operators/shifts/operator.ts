/**
 * CustomerShiftOperator: per-customer behaviour-shift detection and instant sales triggers.
 *
 * `process` aggregates transaction and usage events into per-customer, per-window measures (and
 * runs the instant rules on the event itself); profile events only record owner, tier and region.
 * When the watermark passes the end of a window, every known customer is evaluated for it, with 0
 * for measures it had no event for, and the `sales` alerts are emitted with `fired_at` = window end.
 * All state lives in KeyedState values of plain JSON, so a restore continues exactly.
 */
import type { Alert } from '../alert.js';
import { alertRow } from '../alert.js';
import type { PulseEvent, TransactionEvent, UsageEvent } from '../events.js';
import type { Operator, OperatorOutput } from '../operator.js';
import { KeyedState, keyIsCustomer } from '../state.js';
import { ALL_USAGE, type ShiftSettings, USAGE_PREFIX } from './config.js';
import { type CustomerProfile, instantAlert, shiftAlert } from './alerts.js';
import { type Assessment, type SeriesState, type Verdict, advance, assess, decide, newSeries } from './detector.js';
import { type WindowStats, advanceGlr, assessGlr, emptyWindow, expectedEvents } from './glr-detector.js';
import { benjaminiHochberg } from './fdr.js';
import { checkLargeTransaction, checkNewMetric, checkRefund, recordAmount } from './instant.js';
import { type PopulationState, newPopulation, populationStep, recordPopulationRate } from './population.js';

/** Everything the operator knows about one customer (one KeyedState value). */
export interface CustomerState {
  /** Window index of the customer's first transaction or usage event (null: profile only). */
  first: number | null;
  /** Detector state by measure (`spend_total`, `spend_count`, `usage:<metric>`). */
  series: Record<string, SeriesState>;
  /**
   * Open-window accumulators: window index -> measure -> value; with the GLR method also
   * `<measure>#n|k|l|q` (events, positive events, sum and sum of squares of log values).
   */
  acc: Record<string, Record<string, number>>;
  /** Recent non-negative transaction amounts (bounded), for the large-transaction rule. */
  amounts: number[];
  /** Usage metrics seen (bounded), for the new-metric rule. */
  metrics: string[];
  profile: CustomerProfile;
}

export interface ClockState {
  /** Next window index to close (null before the first event). */
  next: number | null;
  /** Highest window index that has seen an event. */
  max: number | null;
}

export const STATE_NAMES = { customers: 'customers', population: 'population', clock: 'clock' } as const;
const CLOCK_KEY = 'clock';
/** Suffixes of the GLR statistics in the accumulators (`#` never occurs in a measure name we create). */
const STAT_N = '#n';
const STAT_K = '#k';
const STAT_L = '#l';
const STAT_Q = '#q';
const isStat = (key: string): boolean => key.includes('#');

function windowStats(bucket: Record<string, number>, measure: string): WindowStats {
  const w = emptyWindow();
  w.x = bucket[measure] ?? 0;
  w.n = bucket[measure + STAT_N] ?? 0;
  w.k = bucket[measure + STAT_K] ?? 0;
  w.l = bucket[measure + STAT_L] ?? 0;
  w.q = bucket[measure + STAT_Q] ?? 0;
  return w;
}

export class CustomerShiftOperator implements Operator {
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly customers = new KeyedState<CustomerState>(keyIsCustomer);
  private readonly population = new KeyedState<PopulationState>();
  private readonly clock = new KeyedState<ClockState>();
  private outputs: Alert[] = [];
  private readonly trackSpendTotal: boolean;
  private readonly trackSpendCount: boolean;
  private readonly allUsage: boolean;
  private readonly usageMetrics: ReadonlySet<string>;

  constructor(
    readonly name: string,
    private readonly cfg: ShiftSettings,
  ) {
    this.states = {
      [STATE_NAMES.customers]: this.customers as KeyedState<unknown>,
      [STATE_NAMES.population]: this.population as KeyedState<unknown>,
      [STATE_NAMES.clock]: this.clock as KeyedState<unknown>,
    };
    this.trackSpendTotal = cfg.measures.includes('spend_total');
    this.trackSpendCount = cfg.measures.includes('spend_count');
    this.allUsage = cfg.measures.includes(ALL_USAGE);
    this.usageMetrics = new Set(cfg.measures.filter((m) => m.startsWith(USAGE_PREFIX) && m !== ALL_USAGE).map((m) => m.slice(USAGE_PREFIX.length)));
  }

  process(event: PulseEvent): void {
    if (event.type === 'profile') {
      const c = this.customer(event.customer_id);
      c.profile = { account_owner: event.account_owner, tier: event.tier, region: event.region };
      this.customers.touch(event.customer_id);
      return;
    }
    if (event.type !== 'transaction' && event.type !== 'usage') return;
    const index = Math.floor(event.ts / this.cfg.windowMs);
    const c = this.customer(event.customer_id);
    if (c.first === null) c.first = index;
    if (event.type === 'transaction') this.onTransaction(c, event, index);
    else this.onUsage(c, event, index);
    this.customers.touch(event.customer_id);
    const clock = this.clockState();
    if (clock.next === null) clock.next = index;
    if (clock.max === null || index > clock.max) clock.max = index;
    this.clock.set(CLOCK_KEY, clock);
  }

  onWatermark(watermark: number): void {
    const clock = this.clockState();
    if (clock.next === null || clock.max === null) return;
    // Close only windows up to the newest one with events: a watermark that runs ahead of the data
    // (idle source, end of input) must not invent days of silence for every customer.
    const limit = watermark === Number.POSITIVE_INFINITY ? clock.max : Math.min(clock.max, Math.floor(watermark / this.cfg.windowMs) - 1);
    if (limit < clock.next) return;
    for (let index = clock.next; index <= limit; index++) this.closeWindow(index);
    this.clock.set(CLOCK_KEY, { next: limit + 1, max: clock.max });
  }

  drainOutputs(): OperatorOutput[] {
    if (this.outputs.length === 0) return [];
    const rows = this.outputs.map(alertRow);
    this.outputs = [];
    return [{ kind: 'alert', rows }];
  }

  private clockState(): ClockState {
    return this.clock.get(CLOCK_KEY) ?? { next: null, max: null };
  }

  private customer(id: string): CustomerState {
    let c = this.customers.get(id);
    if (!c) {
      c = { first: null, series: {}, acc: {}, amounts: [], metrics: [], profile: { account_owner: null, tier: null, region: null } };
      this.customers.set(id, c);
    }
    return c;
  }

  /** Adds to the open window's accumulator; events for windows already closed are not counted. */
  private add(c: CustomerState, index: number, measure: string, value: number): void {
    const next = this.clockState().next;
    if (next !== null && index < next) return;
    const key = String(index);
    const bucket = (c.acc[key] ??= {});
    bucket[measure] = (bucket[measure] ?? 0) + value;
    if (this.cfg.method === 'glr') {
      bucket[measure + STAT_N] = (bucket[measure + STAT_N] ?? 0) + 1;
      if (value > 0) {
        const lv = Math.log(value);
        bucket[measure + STAT_K] = (bucket[measure + STAT_K] ?? 0) + 1;
        bucket[measure + STAT_L] = (bucket[measure + STAT_L] ?? 0) + lv;
        bucket[measure + STAT_Q] = (bucket[measure + STAT_Q] ?? 0) + lv * lv;
      }
    }
  }

  private onTransaction(c: CustomerState, e: TransactionEvent, index: number): void {
    for (const rule of this.cfg.instant) {
      const hit =
        rule.rule === 'large_transaction' ? checkLargeTransaction(rule, e.amount, c.amounts) : rule.rule === 'refund' ? checkRefund(rule, e.amount) : null;
      if (hit) this.outputs.push(instantAlert(hit, e.customer_id, e.event_id, e.ts, c.profile));
    }
    if (e.amount < 0) return;
    const large = this.cfg.instant.find((r) => r.rule === 'large_transaction');
    recordAmount(c.amounts, e.amount, large && large.rule === 'large_transaction' ? large.history : 20);
    if (this.trackSpendTotal) this.add(c, index, 'spend_total', e.amount);
    if (this.trackSpendCount) this.add(c, index, 'spend_count', 1);
  }

  private onUsage(c: CustomerState, e: UsageEvent, index: number): void {
    const rule = this.cfg.instant.find((r) => r.rule === 'new_metric');
    if (rule && rule.rule === 'new_metric') {
      const hit = checkNewMetric(rule, e.metric, c.metrics, index - (c.first ?? index));
      if (hit) this.outputs.push(instantAlert(hit, e.customer_id, e.event_id, e.ts, c.profile));
    }
    const maxMetrics = rule && rule.rule === 'new_metric' ? rule.maxMetrics : 32;
    if (!c.metrics.includes(e.metric) && c.metrics.length < maxMetrics) c.metrics.push(e.metric);
    if (this.allUsage || this.usageMetrics.has(e.metric)) this.add(c, index, USAGE_PREFIX + e.metric, e.quantity);
  }

  /**
   * GLR path: per measure, the population's event rate of this window against what the series
   * expected (population.ts, `populationRate`); a population-wide move scales every series'
   * exposure of that window, so it is no one customer's shift. Then each series is assessed.
   */
  private assessGlrItems(items: Array<{ measure: string; s: SeriesState; w: WindowStats | null; a: Assessment | null; v: Verdict | null }>, index: number): void {
    const cfg = this.cfg;
    const byMeasure = new Map<string, { observed: number; expected: number; series: number }>();
    for (const it of items) {
      const expected = expectedEvents(it.s, index, cfg.seasonPeriod);
      if (expected === null || !it.w) continue;
      const g = byMeasure.get(it.measure) ?? { observed: 0, expected: 0, series: 0 };
      g.observed += it.w.n;
      g.expected += expected;
      g.series += 1;
      byMeasure.set(it.measure, g);
    }
    const lookups = new Map<string, (i: number) => number>();
    for (const measure of new Set(items.map((it) => it.measure))) {
      const pop = this.population.get(measure) ?? newPopulation();
      const g = byMeasure.get(measure);
      const enabled = cfg.population.enabled && !!g && g.series >= cfg.population.minSeries;
      recordPopulationRate(pop, index, enabled && g ? g.observed : 0, enabled && g ? g.expected : 0, cfg.ringWindows);
      if (enabled) this.population.set(measure, pop);
      const rates = pop.rates ?? {};
      lookups.set(measure, (i: number) => Math.exp(rates[String(i)] ?? 0));
    }
    for (const it of items) {
      if (!it.w) continue;
      const r = assessGlr(it.s, it.w, index, cfg, lookups.get(it.measure));
      it.a = r?.a ?? null;
      it.v = r?.v ?? null;
    }
  }

  /** Evaluates every known customer for window `index` (see the module comment). */
  private closeWindow(index: number): void {
    const cfg = this.cfg;
    const key = String(index);
    interface Item {
      id: string;
      c: CustomerState;
      measure: string;
      s: SeriesState;
      x: number;
      w: WindowStats | null;
      a: Assessment | null;
      v: Verdict | null;
    }
    const items: Item[] = [];
    const ids = [...this.customers.entries()].filter(([, c]) => c.first !== null && c.first <= index).map(([id]) => id).sort();
    for (const id of ids) {
      const c = this.customers.get(id) as CustomerState;
      const bucket = c.acc[key] ?? {};
      // A series starts at the customer's first non-zero value of the measure.
      for (const [measure, value] of Object.entries(bucket)) if (value !== 0 && !isStat(measure) && !c.series[measure]) c.series[measure] = newSeries(index);
      for (const measure of Object.keys(c.series).sort()) {
        const s = c.series[measure] as SeriesState;
        const x = bucket[measure] ?? 0;
        if (cfg.method === 'glr') {
          items.push({ id, c, measure, s, x, w: windowStats(bucket, measure), a: null, v: null });
        } else {
          items.push({ id, c, measure, s, x, w: null, a: assess(s, x, index, cfg), v: null });
        }
      }
      // Drop this and any older (stale) accumulators.
      for (const k of Object.keys(c.acc)) if (Number(k) <= index) delete c.acc[k];
      this.customers.touch(id);
    }

    if (cfg.method === 'glr') this.assessGlrItems(items, index);

    // Population offsets per measure family, then the detectors.
    const byMeasure = new Map<string, Item[]>();
    for (const it of items) {
      if (!it.a) continue;
      const group = byMeasure.get(it.measure);
      if (group) group.push(it);
      else byMeasure.set(it.measure, [it]);
    }
    // The GLR verdicts are final (no population offset: its evidence is not a standardised value).
    for (const measure of cfg.method === 'glr' ? [] : [...byMeasure.keys()].sort()) {
      const group = byMeasure.get(measure) as Item[];
      let offsetU = 0;
      let offsetZ = 0;
      if (cfg.population.enabled) {
        const pop = this.population.get(measure) ?? newPopulation();
        ({ offsetU, offsetZ } = populationStep(pop, group.map((it) => (it.a as Assessment).u), cfg.population.minSeries, cfg.shortWindows));
        this.population.set(measure, pop);
      }
      for (const it of group) it.v = decide(it.s, it.a as Assessment, cfg, offsetU, offsetZ);
    }

    const candidates = items.filter((it) => it.v?.fired && index >= it.s.quiet);
    const tested = items.reduce((n, it) => n + (it.a ? 1 : 0), 0);
    const accepted = cfg.fdr.enabled
      ? benjaminiHochberg(candidates.map((it) => (it.v as Verdict).pValue), cfg.fdr.q, Math.max(tested, candidates.length))
      : candidates.map(() => true);
    const alerted = new Set<Item>(candidates.filter((_, i) => accepted[i]));

    const windowStart = index * cfg.windowMs;
    for (const it of items) {
      const fire = alerted.has(it);
      if (fire) {
        const v = it.v as Verdict;
        this.outputs.push(
          shiftAlert({
            customerId: it.id,
            measure: it.measure,
            windowStart,
            windowEnd: windowStart + cfg.windowMs,
            window: cfg.window,
            assessment: it.a as Assessment,
            verdict: v,
            threshold: v.detector === 'glr' ? cfg.glr.h : v.detector === 'cusum' ? cfg.cusum.h : cfg.robustZ,
            profile: it.c.profile,
          }),
        );
      }
      if (it.w) advanceGlr(it.s, it.w, index, it.v, fire, cfg, it.a);
      else advance(it.s, it.x, index, it.v, fire, cfg);
    }
  }
}
