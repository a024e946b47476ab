/**
 * The drift operator's part on each shard: one record per customer (open period accumulators,
 * trailing 12 monthly spend and purchase counts, recent profiles, tier now and at the previous
 * rescoring), and the event-level features (channel and contact-reason mix, survey answers) of the
 * shard's events, handed over after every batch. Closing a period takes two requests of the global
 * part (global.ts):
 *
 * 1. `close`: fold the period into every customer (in a job that merges drift across members, those
 *    of the source partitions named: each partition has its own progress) and answer the shard's
 *    share of the per-customer features (partial sketches, which merge exactly) and of the
 *    population to score (RFM inputs);
 * 2. `score`: with the population's tier thresholds, set every customer's tier; at a rescoring also
 *    tally the tier migrations since the previous one; forget customers gone quiet.
 */
import { answerNumber } from '../answer-number.js';
import { type Profile, type ProfileStore, isProfileField, profileValue } from '../customer-profiles.js';
import type { PulseEvent } from '../events.js';
import type { LocalOperator } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { KeyedState, keyIsCustomer } from '../state.js';
import type { CategoricalSummary, NumericSketch } from '../drift-statistics/index.js';
import { addCategory, addValue, createCategoricalSummary, createNumericSketch, isNumericSketch } from '../drift-statistics/index.js';
import type { PopulationDriftOptions, PopulationFeature, Tier } from './options.js';
import { PeriodKeys, days, monthIndex, periodStart } from './periods.js';
import type { CustomerValue, MigrationTally, ScoredTier, TierThresholds } from './segments.js';
import { emptyMigrationTally, tallyMigrations, tierOf } from './segments.js';

export type Summary = NumericSketch | CategoricalSummary;
export type Summaries = Record<string, Summary>;

/**
 * One customer's contributions to one open period. `usage` and `months` are created at their
 * first value (state written before 2026-12-03 has `usage` empty: the same thing).
 */
interface PeriodAccumulator {
  spend: number;
  /** All transactions, refunds included (feature transaction_count). */
  transactions: number;
  usage?: Record<string, number>;
  lastPurchase: number | null;
  /**
   * Spend and purchases by calendar month, as flat [month index, spend, purchases] triples (a
   * period spans one or two months), folded into the trailing 12 months at close. A flat list,
   * not an object keyed by month: a key like "24312" is an array index to V8, which keeps such an
   * object's one entry in a sparse dictionary of some 190 bytes more a customer.
   */
  months?: number[];
  /** The same as an object (month index -> [spend, purchases]) in state written before 2026-12-05; see `monthsOf`. */
  byMonth?: Record<string, [number, number]> | undefined;
}

/** What one profile event said of the attributes drift reads, as versions before 2026-12-08 kept it (null: cleared). */
interface LegacyProfileSnapshot {
  ts: number;
  attrs: Record<string, string | null>;
}

export interface CustomerRecord {
  firstSeen: number;
  lastSeen: number;
  /** Period start -> accumulator, for periods not closed yet. */
  open: Record<string, PeriodAccumulator>;
  /**
   * Month index of monthSpend[11]; null before the first closed purchase, and then the two
   * arrays are null too (state written before 2026-12-03 has twelve zeros in them: ignored).
   */
  monthIdx: number | null;
  monthSpend: number[] | null;
  monthCount: number[] | null;
  /** Last purchase in closed periods. */
  lastPurchase: number | null;
  /** Profile changes as versions before 2026-12-08 kept them here; now in the shard's profile store (`restored`). */
  profiles?: LegacyProfileSnapshot[] | undefined;
  tier: Tier | null;
  /** Tier and spend at the previous rescoring (the migration baseline). */
  scored: ScoredTier | null;
  /**
   * Contact reason -> time of the customer's latest contact with it, within the last
   * REPEAT_CONTACT_WINDOW_MS (older entries are dropped). Absent in state written before issue 17.
   */
  recentReasons?: Record<string, number>;
  /** The source partition of the customer's latest event; kept only in a job that merges drift across members (`merge`). */
  partition?: string;
}

/**
 * A contact with the same reason as one of the customer's contacts less than 7 days before (the FCR
 * look-ahead of SPEC section 4) is a repeat of it and is left out of the contact_reason mix: repeats
 * copy the reason of the contact they follow, so counting them would make the contacts of a week a
 * clustered sample, and the chi-square test, which assumes independent contacts, would flag stable
 * weeks (issue 17: 4 of 22 stable weeks on 300 customers with repeats counted).
 */
export const REPEAT_CONTACT_WINDOW_MS = 7 * 86_400_000;

/** What a shard's events of one batch add: the progress of event time and event-level features. */
export interface DriftPartial {
  minStart: number;
  maxTs: number;
  /** Every period start with an event. */
  starts: number[];
  /** The latest event time of each of `starts` (same order): how far into it the events reach. */
  lastTs: number[];
  /** The earliest event time of each of `starts` (same order): how early in it the events begin. */
  firstTs: number[];
  /** Period start -> event-level feature summaries. */
  periods: Record<string, Summaries>;
  /** Period start -> events of that period, closed already, that were left out (see `process`). */
  leftOut?: Record<string, number>;
}

/**
 * In a job that merges drift across members, each source partition has its own progress
 * (partition-closes.ts): `partitions` of `sync` gives the first period not closed of each partition
 * that has closed one, and `close` and `score` name the partitions whose period they close ('' for
 * the customers whose partition is unknown): only their customers are folded, answered (per
 * partition: PartitionCloseAnswers), forgotten. Without it, one progress for every customer.
 */
export type DriftRequest =
  | { step: 'sync'; nextStart: number | null; closedAny: boolean; partitions?: Record<string, number> }
  | { step: 'close'; start: number; end: number; partitions?: string[] }
  | { step: 'score'; end: number; thresholds: TierThresholds | null; rescoring: 'baseline' | 'rescore' | 'none'; partitions?: string[] };

export interface CloseAnswer {
  /** Per-customer features of the shard's customers (spend, transaction_count, usage, profile). */
  summaries: Summaries;
  /** The shard's customers with a purchase in the trailing 12 months (RFM inputs). */
  population: CustomerValue[];
}

/** A source partition's share of a close, in a job that merges drift across members. */
export interface PartitionCloseAnswer extends CloseAnswer {
  /** Its customers this close forgets (gone quiet for the customer TTL): the merge forgets their last tiers too. */
  expired: string[];
}

/** A `close` asked `byPartition`: the shares of the shard's customers by source partition ('' for a customer whose partition is unknown). */
export type PartitionCloseAnswers = Record<string, PartitionCloseAnswer>;

function eventFeatureKey(source: PopulationFeature['source'], field: string | null): string {
  return field === null ? source : `${source}:${field}`;
}

export const DRIFT_STATES = { customers: 'customers', periods: 'periods', references: 'references', meta: 'meta' } as const;

export class PopulationDriftLocal implements LocalOperator {
  readonly name: string;
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly customers = new KeyedState<CustomerRecord>(keyIsCustomer);
  private readonly usageMetrics: Set<string>;
  /** Features by source and field, looked up per event rather than filtered from the list each time. */
  private readonly eventFeatures = new Map<string, PopulationFeature[]>();
  /** Events of periods before this one are not counted (closed): the global progress, or the batch partition's (`merge`). */
  private closedBefore: number | null = null;
  /** By source partition, in a job that merges drift: the start of its first period not closed, once it has closed one. */
  private partitionsClosedBefore = new Map<string, number>();
  private partial: DriftPartial | null = null;
  /** Events of closed periods since the last partial (DriftPartial `leftOut`). */
  private leftOut: Record<string, number> | null = null;
  /** Text keys of period starts and months, cached: one per event otherwise. */
  private readonly keys = new PeriodKeys();
  /** Trailing spend of the customers scored at the last `close`, for `score`. */
  private population: CustomerValue[] = [];
  /** The source partition of the batch being processed (see `partition` of CustomerRecord). */
  private batchPartition: string | undefined;

  /**
   * `profiles`: the shard's profile store, when a feature reads the profile (its attributes as of
   * each period's end). `tracksPartitions`: remember each customer's source partition, for closes
   * asked `byPartition`.
   */
  constructor(
    private readonly options: PopulationDriftOptions,
    private readonly profiles: ProfileStore | undefined,
    private readonly tracksPartitions = false,
  ) {
    this.name = options.name;
    this.states = { [DRIFT_STATES.customers]: this.customers as KeyedState<unknown> };
    this.usageMetrics = new Set(options.features.filter((f) => f.source === 'usage').map((f) => f.field as string));
    for (const f of options.features) {
      const key = eventFeatureKey(f.source, f.field);
      this.eventFeatures.set(key, [...(this.eventFeatures.get(key) ?? []), f]);
    }
  }

  process(event: PulseEvent): void {
    const start = periodStart(event.ts, this.options.periodMs, this.options.offsetMs);
    // Its period is closed: the end of an earlier run's input closed it (its events reached within
    // final_period_slack of its end), and this straggler, within the lateness, came after. Counted,
    // and said at the end of the run: it is in the windows and KPIs, not in drift.
    if (this.closedBefore !== null && start < this.closedBefore) {
      const left = (this.leftOut ??= {});
      left[start] = (left[start] ?? 0) + 1;
      return;
    }
    const p = (this.partial ??= { minStart: start, maxTs: event.ts, starts: [], lastTs: [], firstTs: [], periods: {} });
    if (start < p.minStart) p.minStart = start;
    const at = p.starts.indexOf(start);
    if (at < 0) {
      p.starts.push(start);
      p.lastTs.push(event.ts);
      p.firstTs.push(event.ts);
    } else {
      if (event.ts > (p.lastTs[at] as number)) p.lastTs[at] = event.ts;
      if (event.ts < (p.firstTs[at] as number)) p.firstTs[at] = event.ts;
    }
    if (event.ts > p.maxTs) p.maxTs = event.ts;
    const c = event.customer_id === null ? undefined : this.customerEvent(event, event.customer_id, start);
    if (event.type === 'transaction') this.addEventFeature(start, 'channel', null, event.channel);
    else if (event.type === 'contact') {
      if (c === undefined || !isRepeatContact(c, event.reason, event.ts)) {
        this.addEventFeature(start, 'contact_reason', null, event.reason);
      }
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

  beginBatch(partition: string): void {
    if (!this.tracksPartitions) return;
    this.batchPartition = partition;
    this.closedBefore = this.partitionsClosedBefore.get(partition) ?? null;
  }

  onWatermark(): void {}

  /** Takes the profile changes an earlier version kept in the customers' records into the profile store. */
  restored(): void {
    this.customers.forEach((c, id) => {
      if (c.profiles === undefined) return;
      for (const { ts, attrs } of c.profiles) this.profiles?.applyChange(id, profileChange(ts, attrs));
      // Not `delete`: that turns the record into a slow dictionary (JSON leaves out undefined).
      c.profiles = undefined;
      this.customers.touch(id);
    });
  }

  drainOutputs(): OperatorOutput[] {
    return [];
  }

  drainPartial(): DriftPartial | undefined {
    let partial = this.partial ?? undefined;
    this.partial = null;
    if (this.leftOut !== null) {
      // No period of its own: a start beyond every period moves nothing in the global part.
      partial ??= { minStart: Number.POSITIVE_INFINITY, maxTs: Number.NEGATIVE_INFINITY, starts: [], lastTs: [], firstTs: [], periods: {} };
      partial.leftOut = this.leftOut;
      this.leftOut = null;
    }
    return partial;
  }

  answer(request: unknown): unknown {
    const r = request as DriftRequest;
    switch (r.step) {
      case 'sync':
        if (r.partitions === undefined) this.closedBefore = r.closedAny ? r.nextStart : null;
        else this.setPartitionsClosedBefore(new Map(Object.entries(r.partitions)));
        return null;
      case 'close':
        return this.close(r.start, r.end, r.partitions === undefined ? undefined : new Set(r.partitions));
      case 'score':
        if (r.partitions === undefined) this.closedBefore = r.end;
        else this.setPartitionsClosedBefore(new Map([...this.partitionsClosedBefore, ...r.partitions.map((p): [string, number] => [p, r.end])]));
        return this.score(r.end, r.thresholds, r.rescoring, r.partitions === undefined ? undefined : new Set(r.partitions));
    }
  }

  private setPartitionsClosedBefore(closedBefore: Map<string, number>): void {
    this.partitionsClosedBefore = closedBefore;
    if (this.batchPartition !== undefined) this.closedBefore = closedBefore.get(this.batchPartition) ?? null;
  }

  /** Adds the event to its customer's record (created at the first event) and returns the record. */
  private customerEvent(event: PulseEvent, id: string, start: number): CustomerRecord {
    let c = this.customers.get(id);
    if (c === undefined) {
      c = {
        firstSeen: event.ts,
        lastSeen: event.ts,
        open: {},
        monthIdx: null,
        monthSpend: null,
        monthCount: null,
        lastPurchase: null,
        tier: null,
        scored: null,
      };
      this.customers.set(id, c);
    } else {
      this.customers.touch(id);
    }
    c.firstSeen = Math.min(c.firstSeen, event.ts);
    c.lastSeen = Math.max(c.lastSeen, event.ts);
    if (this.batchPartition !== undefined) c.partition = this.batchPartition;
    // Usage of a metric that no feature reads adds nothing: no accumulator for it.
    if (event.type === 'transaction' || (event.type === 'usage' && this.usageMetrics.has(event.metric))) {
      const acc = (c.open[this.keys.period(start)] ??= { spend: 0, transactions: 0, lastPurchase: null });
      if (event.type === 'transaction') {
        acc.transactions += 1;
        if (event.amount >= 0) {
          acc.spend += event.amount;
          acc.lastPurchase = acc.lastPurchase === null ? event.ts : Math.max(acc.lastPurchase, event.ts);
          addToMonth(acc, this.keys.month(event.ts), event.amount);
        }
      } else {
        const usage = (acc.usage ??= {});
        usage[event.metric] = (Object.hasOwn(usage, event.metric) ? usage[event.metric]! : 0) + event.quantity;
      }
    }
    return c;
  }

  private addEventFeature(
    start: number,
    source: PopulationFeature['source'],
    field: string | null,
    value: string | number | boolean,
    only?: PopulationFeature,
  ): void {
    const features = only ? [only] : this.eventFeatures.get(eventFeatureKey(source, field));
    if (features === undefined) return;
    const periods = this.partial!.periods;
    const summaries = (periods[this.keys.period(start)] ??= {});
    for (const f of features) {
      const s = (summaries[f.name] ??= emptySummary(f, this.options));
      // A survey answer "7" is the number 7, as the service rules read it; other text is missing.
      if (isNumericSketch(s)) addValue(s, answerNumber(value));
      else addCategory(s, value);
    }
  }

  /** Step 1 (see the module comment); of the customers of `partitions` only, by source partition, in a job that merges drift across members. */
  private close(start: number, end: number, partitions: ReadonlySet<string> | undefined): CloseAnswer | PartitionCloseAnswers {
    const byPartition = partitions !== undefined;
    const o = this.options;
    const periodKey = String(start);
    const shares = new Map<string, PartitionCloseAnswer>();
    const shareOf = (partition: string): PartitionCloseAnswer => {
      let share = shares.get(partition);
      if (share === undefined) {
        const summaries: Summaries = {};
        for (const f of o.features) if (isPerCustomer(f)) summaries[f.name] = emptySummary(f, o);
        share = { summaries, population: [], expired: [] };
        shares.set(partition, share);
      }
      return share;
    };
    if (!byPartition) shareOf('');
    const closeMonth = monthIndex(end - 1);
    for (const [id, c] of this.customers.entries()) {
      // Another partition's customer: its partition closes this period on its own (partition-closes.ts).
      if (partitions !== undefined && !partitions.has(c.partition ?? '')) continue;
      const acc = c.open[periodKey];
      if (acc) {
        foldTrailing(c, acc);
        c.open = withoutKey(c.open, periodKey);
        this.customers.touch(id);
      }
      if (c.firstSeen >= end) continue; // not known yet in this period
      const { summaries, population, expired } = shareOf(byPartition ? (c.partition ?? '') : '');
      if (byPartition && this.expires(c, end)) expired.push(id);
      for (const f of o.features) {
        if (f.source === 'spend') addValue(summaries[f.name] as NumericSketch, acc?.spend ?? 0);
        else if (f.source === 'transaction_count') addValue(summaries[f.name] as NumericSketch, acc?.transactions ?? 0);
        else if (f.source === 'usage') {
          const usage = acc?.usage ?? {};
          addValue(summaries[f.name] as NumericSketch, Object.hasOwn(usage, f.field as string) ? usage[f.field as string]! : 0);
        }
      }
      if (this.profiles !== undefined) {
        const profile = this.profiles.asOf(id, end);
        for (const f of o.features) {
          if (f.source === 'profile') addCategory(summaries[f.name] as CategoricalSummary, profileValue(profile, f.field as string) ?? null);
        }
      }
      const trailing = trailingOf(c, closeMonth);
      if (trailing.frequency > 0 && c.lastPurchase !== null) {
        population.push({ customer_id: id, recencyDays: Math.max(0, days(end - c.lastPurchase)), frequency: trailing.frequency, monetary: trailing.spend });
      }
    }
    this.population = [...shares.values()].flatMap((share) => share.population);
    if (byPartition) return Object.fromEntries(shares);
    const { summaries, population } = shares.get('')!;
    return { summaries, population };
  }

  /** Step 2 (see the module comment); the migration tally at a rescoring, else null. */
  private score(
    end: number,
    thresholds: TierThresholds | null,
    rescoring: 'baseline' | 'rescore' | 'none',
    partitions: ReadonlySet<string> | undefined,
  ): MigrationTally | null {
    const scoredNow = new Map<string, ScoredTier>();
    if (thresholds !== null) for (const v of this.population) scoredNow.set(v.customer_id, { tier: tierOf(v.monetary, thresholds), spend: v.monetary });
    this.population = [];
    for (const [id, c] of this.customers.entries()) {
      const tier = scoredNow.get(id)?.tier ?? null;
      if (c.tier !== tier) {
        c.tier = tier;
        this.customers.touch(id);
      }
    }
    let tally: MigrationTally | null = null;
    if (rescoring === 'rescore') {
      const previous = new Map<string, ScoredTier>();
      for (const [id, c] of this.customers.entries()) if (c.scored !== null) previous.set(id, c.scored);
      tally = tallyMigrations(emptyMigrationTally(), previous, scoredNow);
    }
    if (rescoring !== 'none') this.setScored(scoredNow);
    this.expireCustomers(end, partitions);
    return tally;
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

  /** Forgets the customers gone quiet (of `partitions` only: another partition's may still be in its open period). */
  private expireCustomers(end: number, partitions: ReadonlySet<string> | undefined): void {
    const stale: string[] = [];
    for (const [id, c] of this.customers.entries()) {
      if ((partitions === undefined || partitions.has(c.partition ?? '')) && this.expires(c, end)) stale.push(id);
    }
    for (const id of stale) this.customers.delete(id);
  }

  /** Whether the close of the period ending at `end` forgets the customer (quiet for the TTL, no open period). */
  private expires(c: CustomerRecord, end: number): boolean {
    return c.lastSeen < end - this.options.customerTtlMs && Object.keys(c.open).length === 0;
  }
}

/**
 * `record` without `key`, as a new object. `delete` of any but the property added last turns an
 * object into a dictionary for good (179 bytes a customer's open periods against 56): after four
 * weeks nearly every customer's `open` was one (bench/state-memory.ts heap snapshot).
 */
function withoutKey<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const rest: Record<string, T> = {};
  for (const k in record) if (k !== key) rest[k] = record[k]!;
  return rest;
}

/** Whether this contact repeats a recent one of the customer (see REPEAT_CONTACT_WINDOW_MS); remembers it. */
function isRepeatContact(c: CustomerRecord, reason: string, ts: number): boolean {
  // A null-prototype map, so that reason codes such as "constructor" are plain keys (state read
  // back from DuckDB is ordinary JSON: rebuilt once).
  let recent = c.recentReasons;
  if (recent === undefined || Object.getPrototypeOf(recent) !== null) {
    recent = c.recentReasons = Object.assign(Object.create(null) as Record<string, number>, recent);
  }
  const previous = recent[reason];
  const repeat = previous !== undefined && previous <= ts && ts - previous < REPEAT_CONTACT_WINDOW_MS;
  recent[reason] = previous === undefined ? ts : Math.max(previous, ts);
  for (const r in recent) if (recent[r]! <= ts - REPEAT_CONTACT_WINDOW_MS) delete recent[r];
  return repeat;
}

/** Features computed per customer at a period close (the others are counted per event). */
export function isPerCustomer(f: PopulationFeature): boolean {
  return f.source === 'spend' || f.source === 'transaction_count' || f.source === 'usage' || f.source === 'profile';
}

export function emptySummary(f: PopulationFeature, options: Pick<PopulationDriftOptions, 'relativeAccuracy'>): Summary {
  return f.kind === 'numeric' ? createNumericSketch({ relativeAccuracy: options.relativeAccuracy }) : createCategoricalSummary();
}

/**
 * The period's month triples (`PeriodAccumulator.months`), none before its first purchase. Those of
 * state written before they were triples (`byMonth`) become triples first, so that each month's
 * purchases go on in one sum.
 */
function monthsOf(acc: PeriodAccumulator): number[] | undefined {
  if (acc.byMonth !== undefined) {
    acc.months = Object.entries(acc.byMonth).flatMap(([month, [spend, count]]) => [Number(month), spend, count]);
    // Not `delete`: that turns the object into a slow dictionary (JSON leaves the undefined out).
    acc.byMonth = undefined;
  }
  return acc.months;
}

/** Adds a purchase of `amount` in calendar month `month` to the period's month triples. */
function addToMonth(acc: PeriodAccumulator, month: number, amount: number): void {
  const months = monthsOf(acc);
  if (months === undefined) {
    acc.months = [month, amount, 1];
    return;
  }
  for (let i = 0; i < months.length; i += 3) {
    if (months[i] !== month) continue;
    months[i + 1]! += amount;
    months[i + 2]! += 1;
    return;
  }
  months.push(month, amount, 1);
}

/** Adds a closed period's purchases to the 12 monthly slots (slot 11 = month `monthIdx`). */
function foldTrailing(c: CustomerRecord, acc: PeriodAccumulator): void {
  const months = monthsOf(acc) ?? [];
  for (let i = 0; i < months.length; i += 3) {
    const m = months[i]!;
    const spend = months[i + 1]!;
    const count = months[i + 2]!;
    let { monthIdx, monthSpend, monthCount } = c;
    if (monthIdx === null || monthSpend === null || monthCount === null) {
      monthIdx = m;
      monthSpend = new Array<number>(12).fill(0);
      monthCount = new Array<number>(12).fill(0);
    } else if (m > monthIdx) {
      const shift = Math.min(12, m - monthIdx);
      monthSpend = [...monthSpend.slice(shift), ...new Array<number>(shift).fill(0)];
      monthCount = [...monthCount.slice(shift), ...new Array<number>(shift).fill(0)];
      monthIdx = m;
    }
    c.monthIdx = monthIdx;
    c.monthSpend = monthSpend;
    c.monthCount = monthCount;
    const slot = 11 - (monthIdx - m);
    if (slot < 0) continue;
    monthSpend[slot]! += spend;
    monthCount[slot]! += count;
  }
  if (acc.lastPurchase !== null) c.lastPurchase = c.lastPurchase === null ? acc.lastPurchase : Math.max(c.lastPurchase, acc.lastPurchase);
}

/** Spend and purchases in the 12 calendar months ending with `closeMonth`. */
function trailingOf(c: CustomerRecord, closeMonth: number): { spend: number; frequency: number } {
  let spend = 0;
  let frequency = 0;
  const { monthIdx, monthSpend, monthCount } = c;
  if (monthIdx === null || monthSpend === null || monthCount === null) return { spend, frequency };
  for (let i = 0; i < 12; i++) {
    const month = monthIdx - (11 - i);
    if (month > closeMonth - 12 && month <= closeMonth) {
      spend += monthSpend[i]!;
      frequency += monthCount[i]!;
    }
  }
  return { spend, frequency };
}

/** A change of attributes by name (a legacy snapshot's) as the profile store keeps one. */
function profileChange(ts: number, attrs: Readonly<Record<string, string | null>>): Profile {
  const change: Profile = { ts };
  for (const [name, value] of Object.entries(attrs)) {
    if (isProfileField(name)) change[name] = value;
    else (change.attributes ??= {})[name] = value;
  }
  return change;
}
