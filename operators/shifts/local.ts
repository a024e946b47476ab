/**
 * The shift operator's part on each shard: per-customer series, open-window accumulators and the
 * instant triggers on single events. Closing a window needs the whole population twice (its event
 * rate against what the series expected, and the false-discovery control over every customer's
 * p-value), so the global part (global.ts) drives a window close in three requests:
 *
 * 1. `collect`: evaluate every customer of the shard for the window; answer per measure the events
 *    observed and expected (exact sums) and, for the CUSUM method, the standardised values;
 * 2. `assess`: with the population's rate factors (or offsets), decide each series; answer the
 *    p-values of the candidates, how many series were tested and (GLR) where the strongest splits
 *    start (together.ts);
 * 3. `apply`: alert the candidates whose p-value is within the Benjamini-Hochberg cut but for those
 *    of a move together, advance every series, and take the next window to close.
 */
import type { Alert } from '../alert.js';
import { alertRow } from '../alert.js';
import type { PulseEvent, TransactionEvent, UsageEvent } from '../events.js';
import { exactAdd, type ExactSum } from '../exact-sum.js';
import type { LocalOperator } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { KeyedState, keyIsCustomer } from '../state.js';
import { ALL_USAGE, type LargeTransactionRule, type NewMetricRule, type ShiftSettings, USAGE_PREFIX } from './config.js';
import { type MoveMemberRow, SILENCE_ALERT_NAME, instantAlert, shiftAlert, shiftAlertName, silenceAlert } from './alerts.js';
import { type Assessment, type Verdict, advance, assess, changeAgrees, decide } from './detector.js';
import { type SeriesState, newSeries } from './series.js';
import { advanceGlr, assessGlr, expectedEvents, inReportedSilence, keepExpectation, markSilence } from './glr-detector.js';
import { checkLargeTransaction, checkNewMetric, checkRefund } from './instant.js';
import { populationKey } from './population.js';
import { appendBounded, appendExact } from '../state-list.js';
import { StringPool } from '../string-pool.js';
import { type SilenceEvidence, isSilence, silenceFires } from './silence.js';
import {
  type MoveKind,
  type ScreenedChanges,
  type SplitEdges,
  FLANK_WINDOWS,
  ONSET_SLACK,
  SCREEN_SHARE,
  countChange,
  countEdge,
  type KnownMoves,
  type MoveOnset,
  moveOf,
  locateChange,
  moveKind,
  watchesTogether,
} from './together.js';
import { type Accumulators, type LegacyAccumulators, accumulate, dropClosed, fromLegacy, sumsOf, windowStats, windowValue } from './accumulators.js';
import { type Profile, ProfileStore } from '../customer-profiles.js';

/** Everything the operator knows about one customer (one KeyedState value). */
export interface CustomerState {
  /** Window index of the customer's first transaction or usage event (null: profile only). */
  first: number | null;
  /** Detector state by measure (`spend_total`, `spend_count`, `usage:<metric>`). */
  series: Record<string, SeriesState>;
  /** Open-window accumulators (accumulators.ts). */
  open: Accumulators;
  /** Accumulators of a state written before issue 13; read into `open` when the customer is next used. */
  acc?: LegacyAccumulators;
  /** Recent non-negative transaction amounts (bounded), for the large-transaction rule. */
  amounts: number[];
  /**
   * The currency of `amounts` and of the spend series: the first a transaction of the customer
   * named. Absent before one did (and in state written before it was kept).
   */
  currency?: string;
  /** Usage metrics seen (bounded), for the new-metric rule. */
  metrics: string[];
  /** Owner, tier and region as versions before 2026-12-08 kept them here; now in the shard's profile store (`restored`). */
  profile?: (Omit<Profile, 'ts'> & { ts?: number }) | undefined;
}

export const SHIFT_STATES = { customers: 'customers', population: 'population', clock: 'clock' } as const;

/** Window indexes the shard's events of one batch fell in (the global part keeps the clock). */
export interface ShiftPartial {
  min: number;
  max: number;
  /** Every window index with an event, for skipping windows in which nobody did anything. */
  indexes: number[];
}

/**
 * Per population (measure, or measure and segment): events observed and expected in the window,
 * series with an expectation, and the log sizes' departure from their series' baselines.
 */
export interface MeasureRate {
  observed: number;
  expected: ExactSum;
  series: number;
  /** Sum over positive-sized events of ln(size) - their series' baseline mean log size. */
  sizeDeviation: ExactSum;
  sizeEvents: number;
}

export type ShiftRequest =
  | { step: 'sync'; next: number | null }
  | { step: 'collect'; index: number }
  | {
      step: 'assess';
      index: number;
      /** GLR: ln(rate factor) by window index, per population key (population.ts). */
      rates?: Record<string, Record<string, number>>;
      /** GLR: log-size departure by window index, per population key. */
      sizes?: Record<string, Record<string, number>>;
      /** CUSUM: population offsets per measure. */
      offsets?: Record<string, { offsetU: number; offsetZ: number }>;
    }
  | {
      step: 'apply';
      index: number;
      cut: number;
      next: number;
      /** GLR: onsets of moves together (together.ts) by kind of move, per population key. */
      together?: Record<string, KnownMoves>;
    };

export interface CollectAnswer {
  rates: Record<string, MeasureRate>;
  /** CUSUM: standardised values of the assessed series, per measure. */
  us: Record<string, number[]>;
}

export interface AssessAnswer {
  pValues: number[];
  tested: number;
  /** GLR with `population.together`: where the strongest splits' changes may start (together.ts). */
  screened?: ScreenedChanges;
  /** GLR with `population.together`: the assessed series by the first window they can split at (together.ts `SplitEdges`). */
  edges?: SplitEdges;
}

/** The accumulators of a window in which the customer had no events. */
const NO_EVENTS: Readonly<Record<string, number[]>> = Object.freeze({});

const identity = (v: number): number => v;

/**
 * A population's per-window table (ln rate factor or log-size departure, by window index) as the
 * function `assessGlr` calls for each window of a series, with `map` applied once per window of
 * `[index - span, index]` and kept: thousands of series ask for the same windows at each close.
 */
class WindowTable {
  private readonly from: number;
  /** `map` of each window's value; NaN until asked for. */
  private readonly values: Float64Array;

  constructor(
    private readonly table: Readonly<Record<number, number>>,
    private readonly map: (value: number) => number,
    index: number,
    span: number,
  ) {
    this.from = index - span;
    this.values = new Float64Array(span + 1).fill(Number.NaN);
    this.lookup = hasEntries(table) ? this.at : null;
  }

  /**
   * What `assessGlr` is given: `at`, or null when no window has an entry (the population did not
   * move in any: every window normal), so it need not ask for each window of every series.
   */
  readonly lookup: ((windowIndex: number) => number) | null;

  private readonly at = (windowIndex: number): number => {
    const j = windowIndex - this.from;
    if (j < 0 || j >= this.values.length) return this.map(this.table[windowIndex] ?? 0);
    let v = this.values[j] as number;
    if (Number.isNaN(v)) this.values[j] = v = this.map(this.table[windowIndex] ?? 0);
    return v;
  };
}

function hasEntries(table: object): boolean {
  for (const _ in table) return true;
  return false;
}

/** The series of the customer's purchases: both go quiet together (the silence rule watches one of them). */
const PURCHASE_MEASURES: readonly string[] = ['spend_total', 'spend_count'];

/** One series of one customer in the window being closed. */
interface Item {
  id: string;
  c: CustomerState;
  measure: string;
  /** The series' population (populationKey: the measure, or measure and segment). */
  key: string;
  s: SeriesState;
  /**
   * The window's sums of the measure (accumulators.ts; none without events): its statistics are
   * read from them when used rather than copied into an object per series, which a close of a
   * million customers held for every series at once.
   */
  sums: readonly number[] | undefined;
  /**
   * GLR: the assessment and verdict of a candidate only (an alert describes them); every other
   * series takes what it needs from its assessment at once (keepExpectation), and a million
   * customers' assessments held from `assess` to `apply` were ~0.3 GB a shard at each close.
   */
  a: Assessment | null;
  v: Verdict | null;
  /**
   * GLR, a candidate only: the first and last window its change may start at (glr-detector.ts
   * `changeStarts`) and what it moved which way (together.ts), to tell whether it is part of a move.
   */
  change: { starts: readonly [number, number]; kind: MoveKind } | null;
  /** Silence rule evidence (the silence measure's series only), kept only when it is a silence. */
  q: SilenceEvidence | null;
}

/** Reads the accumulators of a state written before issue 13 into today's form (once). */
function upgrade(c: CustomerState): void {
  if (c.acc === undefined) return;
  c.open = fromLegacy(c.acc);
  delete c.acc;
}

export class CustomerShiftLocal implements LocalOperator {
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly customers = new KeyedState<CustomerState>(keyIsCustomer);
  /** Shared copies of usage metric names and currencies (a few for every customer). */
  private readonly repeatedValues = new StringPool();
  private outputs: Alert[] = [];
  /** Customers whose alerts moves held back since the last drain (alerts.ts MoveMemberRow). */
  private members: MoveMemberRow[] = [];
  /** First window not closed yet (events of earlier windows are not counted); null before any. */
  private next: number | null = null;
  private partial: ShiftPartial | null = null;
  /** The series of the window being closed, between `collect` and `apply`. */
  private items: Item[] = [];
  private candidates: Item[] = [];
  private readonly trackSpendTotal: boolean;
  private readonly trackSpendCount: boolean;
  private readonly allUsage: boolean;
  private readonly usageMetrics: ReadonlySet<string>;
  /** The purchase series the silence rule watches: spend_count, else spend_total; null when off. */
  private readonly silenceMeasure: string | null;
  /** The instant rules that keep per-customer lists, looked up once rather than per event. */
  private readonly largeRule: LargeTransactionRule | undefined;
  private readonly newMetricRule: NewMetricRule | undefined;

  constructor(
    readonly name: string,
    private readonly cfg: ShiftSettings,
    /** What the profile events said of each customer (owner, tier and region label its alerts). */
    private readonly profiles: ProfileStore,
  ) {
    this.states = { [SHIFT_STATES.customers]: this.customers as KeyedState<unknown> };
    this.trackSpendTotal = cfg.measures.includes('spend_total');
    this.trackSpendCount = cfg.measures.includes('spend_count');
    this.allUsage = cfg.measures.includes(ALL_USAGE);
    this.usageMetrics = new Set(cfg.measures.filter((m) => m.startsWith(USAGE_PREFIX) && m !== ALL_USAGE).map((m) => m.slice(USAGE_PREFIX.length)));
    const purchases = this.trackSpendCount ? 'spend_count' : this.trackSpendTotal ? 'spend_total' : null;
    this.silenceMeasure = cfg.method === 'glr' && cfg.silence.enabled ? purchases : null;
    this.largeRule = cfg.instant.find((r): r is LargeTransactionRule => r.rule === 'large_transaction');
    this.newMetricRule = cfg.instant.find((r): r is NewMetricRule => r.rule === 'new_metric');
  }

  process(event: PulseEvent): void {
    if (event.type !== 'transaction' && event.type !== 'usage') return;
    const index = Math.floor(event.ts / this.cfg.windowMs);
    const c = this.customer(event.customer_id);
    if (c.first === null) c.first = index;
    if (event.type === 'transaction') this.onTransaction(c, event, index);
    else this.onUsage(c, event, index);
    this.customers.touch(event.customer_id);
    const p = (this.partial ??= { min: index, max: index, indexes: [] });
    if (index < p.min) p.min = index;
    if (index > p.max) p.max = index;
    if (!p.indexes.includes(index)) p.indexes.push(index);
  }

  onWatermark(): void {}

  /** Takes the profiles an earlier version kept in the customers' state into the profile store. */
  restored(): void {
    this.customers.forEach((c, id) => {
      if (c.profile === undefined) return;
      // Every customer had one: all none before its first profile event (no time since 2026-12-06).
      const { ts, account_owner, tier, region } = c.profile;
      if (ts !== undefined || account_owner !== null || tier !== null || region !== null) this.profiles.adopt(id, { account_owner, tier, region, ts: ts ?? 0 });
      // Not `delete`: that turns the object into a slow dictionary (JSON leaves out undefined).
      c.profile = undefined;
      this.customers.touch(id);
    });
  }

  drainOutputs(): OperatorOutput[] {
    const outputs: OperatorOutput[] = [];
    if (this.outputs.length > 0) outputs.push({ kind: 'alert', rows: this.outputs.map(alertRow) });
    if (this.members.length > 0) outputs.push({ kind: 'move_member', rows: this.members });
    this.outputs = [];
    this.members = [];
    return outputs;
  }

  drainPartial(): ShiftPartial | undefined {
    const partial = this.partial ?? undefined;
    this.partial = null;
    return partial;
  }

  answer(request: unknown): unknown {
    const r = request as ShiftRequest;
    switch (r.step) {
      case 'sync':
        this.next = r.next;
        return null;
      case 'collect':
        return this.collect(r.index);
      case 'assess':
        return this.assess(r.index, r.rates, r.sizes, r.offsets);
      case 'apply':
        this.apply(r.index, r.cut, r.together ?? {});
        this.next = r.next;
        return null;
    }
  }

  private customer(id: string): CustomerState {
    let c = this.customers.get(id);
    if (c) upgrade(c);
    else {
      c = { first: null, series: {}, open: [], amounts: [], metrics: [] };
      this.customers.set(id, c);
    }
    return c;
  }

  /** Adds to the open window's accumulator; events for windows already closed are not counted. */
  private add(c: CustomerState, index: number, measure: string, value: number): void {
    if (this.next !== null && index < this.next) return;
    c.open = accumulate(c.open, index, measure, value, this.cfg.method === 'glr');
  }

  private onTransaction(c: CustomerState, e: TransactionEvent, index: number): void {
    if (e.currency !== null) c.currency ??= this.repeatedValues.shared(e.currency);
    // An amount in another currency than the customer's is not comparable with its amounts: a 4,500
    // JPY purchase of a EUR customer was a one-in-two-million large transaction and a spend jump. It
    // counts as a purchase, and is judged by nothing that compares amounts.
    if (e.currency !== null && e.currency !== c.currency) {
      if (e.amount >= 0 && this.trackSpendCount) this.add(c, index, 'spend_count', 1);
      return;
    }
    for (const rule of this.cfg.instant) {
      const hit =
        rule.rule === 'large_transaction' ? checkLargeTransaction(rule, e.amount, c.amounts) : rule.rule === 'refund' ? checkRefund(rule, e.amount) : null;
      if (hit) this.outputs.push(instantAlert(hit, e.customer_id, e.event_id, e.ts, this.profiles.latest(e.customer_id)));
    }
    if (e.amount < 0) return;
    c.amounts = appendBounded(c.amounts, e.amount, this.largeRule?.history ?? 20);
    if (this.trackSpendTotal) this.add(c, index, 'spend_total', e.amount);
    if (this.trackSpendCount) this.add(c, index, 'spend_count', 1);
  }

  private onUsage(c: CustomerState, e: UsageEvent, index: number): void {
    const rule = this.newMetricRule;
    if (rule) {
      const hit = checkNewMetric(rule, e.metric, c.metrics, index - (c.first ?? index));
      if (hit) this.outputs.push(instantAlert(hit, e.customer_id, e.event_id, e.ts, this.profiles.latest(e.customer_id)));
    }
    const maxMetrics = rule?.maxMetrics ?? 32;
    if (!c.metrics.includes(e.metric) && c.metrics.length < maxMetrics) c.metrics = appendExact(c.metrics, this.repeatedValues.shared(e.metric));
    if (this.allUsage || this.usageMetrics.has(e.metric)) this.add(c, index, USAGE_PREFIX + e.metric, e.quantity);
  }

  /** Step 1: every known customer's series for window `index` (see the module comment). */
  private collect(index: number): CollectAnswer {
    const cfg = this.cfg;
    const glr = cfg.method === 'glr';
    const items: Item[] = [];
    // forEach, and indexed loops below: this runs once a window, often not optimised, and there
    // each iterator step allocated (about 70 MB at 200,000 customers, at the same moment as the rest).
    this.customers.forEach((c, id) => {
      upgrade(c);
      if (c.first === null || c.first > index) return;
      const bucket = sumsOf(c.open, index) ?? NO_EVENTS;
      // A series starts at the customer's first non-zero value of the measure. (`for in` rather
      // than Object.entries: this runs for every customer at every window close.)
      for (const measure in bucket) if (windowValue(bucket[measure]) !== 0 && !c.series[measure]) c.series[measure] = newSeries(index);
      const segment = cfg.population.segmentBy === 'none' ? null : (this.profiles.latest(id)?.[cfg.population.segmentBy] ?? '');
      const measures = sortedKeys(c.series);
      for (let i = 0; i < measures.length; i++) {
        const measure = measures[i]!;
        const s = c.series[measure] as SeriesState;
        const sums = bucket[measure];
        const a = glr ? null : assess(s, windowValue(sums), index, cfg);
        items.push({ id, c, measure, key: populationKey(measure, segment), s, sums, a, v: null, change: null, q: null });
      }
      // Drop this and any older (stale) accumulators.
      const dropped = dropClosed(c.open, index);
      // Only a customer whose state changes is written at the next checkpoint: its series advance
      // in `apply`, or an accumulator went; a customer without series (refunds only) stays clean.
      if (dropped || Object.keys(c.series).length > 0) this.customers.touch(id);
    });
    this.items = items;
    const rates: Record<string, MeasureRate> = {};
    const us: Record<string, number[]> = {};
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const rate = (rates[it.key] ??= { observed: 0, expected: [], series: 0, sizeDeviation: [], sizeEvents: 0 });
      if (glr) {
        const w = windowStats(it.sums);
        // A series in a reported silence expects nothing of this window (the customer went quiet).
        const expected = inReportedSilence(it.s, index, w) ? null : expectedEvents(it.s, index, cfg.seasonPeriod);
        if (expected === null) continue;
        rate.observed += w.n;
        exactAdd(rate.expected, expected);
        rate.series += 1;
        if (it.s.mu !== undefined && w.k > 0) {
          exactAdd(rate.sizeDeviation, w.l - w.k * it.s.mu);
          rate.sizeEvents += w.k;
        }
      } else if (it.a) {
        (us[it.measure] ??= []).push(it.a.u);
      }
    }
    return { rates, us };
  }

  /** Step 2: the verdicts, given the population's rate factors (GLR) or offsets (CUSUM). */
  private assess(
    index: number,
    rates: Record<string, Record<string, number>> = {},
    sizes: Record<string, Record<string, number>> = {},
    offsets: Record<string, { offsetU: number; offsetZ: number }> = {},
  ): AssessAnswer {
    const cfg = this.cfg;
    let tested = 0;
    // Every series of a population asks for the same windows' factors: each is computed once.
    const rateFactors = new Map<string, WindowTable>();
    const sizeShifts = new Map<string, WindowTable>();
    const span = cfg.ringWindows;
    const watching = watchesTogether(cfg);
    const screened: ScreenedChanges = {};
    const edges: SplitEdges = {};
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (cfg.method === 'glr') {
        let rate = rateFactors.get(it.key);
        if (rate === undefined) rateFactors.set(it.key, (rate = new WindowTable(rates[it.key] ?? {}, Math.exp, index, span)));
        let size = sizeShifts.get(it.key);
        if (size === undefined) sizeShifts.set(it.key, (size = new WindowTable(sizes[it.key] ?? {}, identity, index, span)));
        const purchases = this.silenceMeasure !== null && PURCHASE_MEASURES.includes(it.measure);
        const r = assessGlr(it.s, windowStats(it.sums), index, cfg, rate.lookup, size.lookup, it.measure === this.silenceMeasure, purchases);
        if (r === null) continue;
        tested += 1;
        keepExpectation(it.s, r.a);
        const kind = moveKind(r.v.direction, r.sizeLed);
        if (watching) {
          countEdge(edges, it.key, Math.max(earliestSplit(it.s, index, cfg), index - cfg.glr.maxRecent + 1));
          screen(screened, it, r, kind, index, cfg);
        }
        if (r.v.fired && index >= it.s.quiet) {
          it.a = r.a;
          it.v = r.v;
          it.change = { starts: r.starts!, kind }; // a fired verdict has its change interval
        }
        if (r.silence && isSilence(r.silence, cfg.silence, it.s.qg)) it.q = r.silence;
      } else if (it.a) {
        const offset = offsets[it.key] ?? { offsetU: 0, offsetZ: 0 };
        it.v = decide(it.s, it.a, cfg, offset.offsetU, offset.offsetZ);
        tested += 1;
      }
    }
    this.candidates = this.items.filter((it) => it.v?.fired && index >= it.s.quiet);
    const pValues = this.candidates.map((it) => (it.v as Verdict).pValue);
    return cfg.method === 'glr' ? { pValues, tested, screened, edges } : { pValues, tested };
  }

  /**
   * Step 3: alerts for the candidates within the cut, then every series moves on. A candidate whose
   * change could have started at the onset of a move together (together.ts `moveOf`) gets no
   * alert, but restarts from its split as if alerted; a `move_members` row lists it under the move.
   */
  private apply(index: number, cut: number, together: Record<string, KnownMoves>): void {
    const cfg = this.cfg;
    const alerted = new Set<Item>(this.candidates.filter((it) => (it.v as Verdict).pValue <= cut));
    const windowStart = index * cfg.windowMs;
    // Silence first. A gap the customer's rate makes implausible is a silence, the silence rule's
    // case: its windows are left out of the purchase series' GLR from now on (see SeriesState.qm),
    // so neither the gap nor the way back from it reads as a level shift, and the customer gets no
    // drop alert on those series for it. It is reported (CustomerWentQuiet) for a steady rate only.
    const quiet = new Set<CustomerState>();
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (!it.q) continue;
      for (const measure of PURCHASE_MEASURES) {
        const s = it.c.series[measure];
        if (s) markSilence(s, it.q.lastEventIndex + 1, index + 1);
      }
      const fires = silenceFires(it.q, cfg.silence, it.s.qg);
      const move = fires ? moveOf(together[it.key]?.['down-count'], [it.q.lastEventIndex + 1, it.q.latestStop]) : undefined;
      it.s.qg = it.q.lastEventIndex;
      quiet.add(it.c);
      if (move) this.holdBack(it, SILENCE_ALERT_NAME, move, windowStart);
      if (!fires || move) continue;
      this.outputs.push(
        silenceAlert({
          customerId: it.id,
          measure: it.measure,
          windowStart,
          window: cfg.window,
          windowMs: cfg.windowMs,
          evidence: it.q,
          threshold: cfg.silence.h,
          profile: this.profiles.latest(it.id),
        }),
      );
    }
    const fired = new Set<Item>();
    const moved = new Set<Item>();
    for (const it of alerted) {
      const v = it.v as Verdict;
      const move = it.change !== null ? moveOf(together[it.key]?.[it.change.kind], it.change.starts) : undefined;
      if (move) {
        this.holdBack(it, shiftAlertName(it.measure, v.direction), move, windowStart);
        moved.add(it);
      } else if (!(quiet.has(it.c) && PURCHASE_MEASURES.includes(it.measure) && v.direction === 'down') && changeAgrees(v.direction, it.a as Assessment)) {
        fired.add(it);
      }
    }
    for (const [it, also] of oneAlertPerShift(fired)) {
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
          profile: this.profiles.latest(it.id),
          also: also && { measure: also.measure, assessment: also.a as Assessment, verdict: also.v as Verdict },
        }),
      );
    }
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const fire = fired.has(it);
      if (cfg.method === 'glr') advanceGlr(it.s, windowStats(it.sums), index, it.v, fire || moved.has(it), cfg, it.a);
      else advance(it.s, windowValue(it.sums), index, it.v, fire, cfg);
    }
    this.items = [];
    this.candidates = [];
  }

  /** Lists a customer whose `rule` alert a move holds back under the move's alert (table `move_members`). */
  private holdBack(it: Item, rule: string, move: MoveOnset, windowStart: number): void {
    this.members.push({
      alert_id: move.alertId,
      customer_id: it.id,
      measure: it.measure,
      rule,
      onset_start: move.start * this.cfg.windowMs,
      window_start: windowStart,
    });
  }
}

/**
 * One alert per shift of a customer's purchases: when both purchase measures fire the same way at
 * one window close (more purchases and more spend), the one with the stronger evidence tells of
 * both, and the other series restarts as alerted all the same. A tester's sales team got
 * "spend_count jumped 165%" and "spend_total jumped 91%" as two leads of one customer on one day.
 * Returns each alert's series with its companion, in the order the series fired.
 */
function oneAlertPerShift(fired: ReadonlySet<Item>): Array<[lead: Item, also: Item | undefined]> {
  const companion = new Map<Item, Item>();
  const told = new Set<Item>();
  const firstOfCustomer = new Map<CustomerState, Item>();
  for (const it of fired) {
    if (!PURCHASE_MEASURES.includes(it.measure)) continue;
    const other = firstOfCustomer.get(it.c);
    if (other === undefined) {
      firstOfCustomer.set(it.c, it);
      continue;
    }
    if ((other.v as Verdict).direction !== (it.v as Verdict).direction) continue;
    const [lead, also] = (it.v as Verdict).pValue < (other.v as Verdict).pValue ? [it, other] : [other, it];
    companion.set(lead, also);
    told.add(also);
  }
  return [...fired].filter((it) => !told.has(it)).map((it) => [it, companion.get(it)]);
}

/** The first window a split of series `s` can start at when window `index` closes: `minHistory` windows into its ring. */
function earliestSplit(s: SeriesState, index: number, cfg: ShiftSettings): number {
  return index - s.v.length + cfg.minHistory;
}

/**
 * Counts where a series' change may start (together.ts), when it has at least SCREEN_SHARE of the
 * evidence an alert needs: its change interval, or its best split's start when that is wide
 * (`locateChange`), or for a customer going quiet the windows it may have stopped at (a stop is
 * the silence rule's, not a split's: many going quiet at once, the stores of a region closed, are
 * a move too). Series that began with the population are judged at its edge (together.ts
 * `populationEdge`). A series that restarted (after an alert or a move, its ring cut at the split)
 * or began later counts only a change more than 11 windows past its own earliest possible split,
 * where its left flank lies within its own history: the customers of one move restart together
 * and would pile their splits up at their new edge.
 */
function screen(screened: ScreenedChanges, it: Item, r: NonNullable<ReturnType<typeof assessGlr>>, kind: MoveKind, index: number, cfg: ShiftSettings): void {
  const earliest = earliestSplit(it.s, index, cfg);
  const restarted = it.s.v.length < Math.min(cfg.ringWindows, index - (it.c.first ?? index));
  const counted = (window: number): boolean => !restarted || window > earliest + ONSET_SLACK + FLANK_WINDOWS;
  if (Math.abs(r.v.score) >= SCREEN_SHARE * cfg.glr.h) {
    const [first, last] = locateChange(r.starts, index - r.a.guard + 1);
    if (counted(first)) countChange(screened, it.key, kind, first, last);
  } else if (r.silence && r.silence.score >= SCREEN_SHARE * cfg.silence.h) {
    const [first, last] = locateChange([r.silence.lastEventIndex + 1, r.silence.latestStop], r.silence.lastEventIndex + 1);
    if (counted(first)) countChange(screened, it.key, 'down-count', first, last);
  }
}

/**
 * The object's keys in code-unit order, as `sort()` gives them, sorted by insertion: a customer
 * has a few measures, and `Array.prototype.sort` allocated about 600 bytes a call, at every window
 * close of every customer (a quarter of what the last close of 200,000 customers allocated).
 */
function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}
