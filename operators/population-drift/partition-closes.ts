/**
 * The drift operator's population part on a member of a job that merges drift across members (job
 * option `merge`): instead of deciding drift over this member's partitions, it closes each period
 * of the source partitions it reads and publishes, per partition, what the period's decision needs
 * from it (drift-merger.ts takes them): the event-level summaries (channel and contact-reason mix,
 * survey answers), the per-customer summaries of its customers (spend, transactions, usage,
 * profile), their RFM inputs (the population the tiers are cut from) and the customers the close
 * forgets (in records of POPULATION_CHUNK customers each).
 *
 * A period's records are its partition's final word (published once, at the close; a republication
 * replaces them): the key names the partition, the period and the part. They stay in this member's
 * state until it closes a later period, when it publishes nulls for them (the compacted topic then
 * drops them); a member that restarts publishes the ones it holds again, so a crash between a
 * checkpoint's commit and its produce loses nothing.
 *
 * Every period the member's watermark passes is closed, also one in which its partitions had no
 * event: its known customers still count (a spend of 0), and only the merge knows whether another
 * member's partitions had events then.
 *
 * A partition's open periods' event-level summaries and its published records are kept per source
 * partition number (`periods[n]`, `closed[n]`, stored as `<name>@n`), so they move with the
 * partition to its next reader; the period progress is the member's (its shards drop events of the
 * periods it has closed), and stays.
 */
import type { PartialRecord } from '../merge-port.js';
import type { ShardRequests } from '../parallel.js';
import { KeyedState } from '../state.js';
import type { DriftPartial, DriftRequest, PartitionCloseAnswers, Summaries } from './local.js';
import type { PopulationDriftOptions } from './options.js';
import type { CustomerValue } from './segments.js';
import { mergeSummaries, restoreSummaries } from './summaries.js';

/**
 * Customers per population record, and forgotten ids: about 100 bytes a customer with ids of a
 * few characters, under 600 bytes with the longest ids allowed (limits.max_id_length 256), so a
 * record stays below Kafka's 1 MB default message size.
 */
export const POPULATION_CHUNK = 1000;

/** One population record (key `[start, "population", chunk]`). */
export interface DriftPopulationRecord {
  /** RFM inputs of customers with a purchase in the trailing 12 months. */
  customers: CustomerValue[];
  /** Customers the close forgets (gone quiet for the customer TTL). */
  expired: string[];
}

/** A source partition's close of a period, as published (key `[start, "close"]`). */
export interface DriftCloseRecord {
  start: number;
  /** The partition had events in the period (a run of periods without any is skipped after the first). */
  active: boolean;
  /** Event-level features of its events in the period. */
  events: Summaries;
  /** Per-customer features of its customers known in the period. */
  customers: Summaries;
  /** Records `[start, "population", 0 .. chunks - 1]` hold its RFM inputs and the customers it forgets; published before this one. */
  chunks: number;
}

/** The key of a record within its partition: `[start, "close"]` or `[start, "population", chunk]`. */
export type DriftRecordKey = [start: number, part: 'close'] | [start: number, part: 'population', chunk: number];

interface CloseProgress {
  nextStart: number | null;
  closedAny: boolean;
}

const PROGRESS_KEY = 'progress';
/** The share of customers whose source partition is not known (local.ts `close` by partition). */
const UNKNOWN_PARTITION = '';

export class DriftPartitionCloses {
  readonly progress = new KeyedState<CloseProgress>();
  /** By source partition number: event-level summaries of its open periods by [partition, start]; an entry also says the partition had events then. */
  readonly periods: KeyedState<Summaries>[];
  /** By source partition number: its published records of closed periods by [partition, record key], until a later close replaces them by nulls. */
  readonly closed: KeyedState<unknown>[];
  /** Published records of customers whose partition is unknown, when the member had no partition to put them with (the member's own). */
  readonly unplaced = new KeyedState<unknown>();
  private pending: PartialRecord[] = [];
  /** A fresh part (start, restore) publishes the records it holds once (see the module comment). */
  private republish = true;
  /** Summaries objects of `periods` already rebuilt (after a restart they are raw JSON). */
  private readonly hydrated = new WeakSet<Summaries>();

  constructor(
    private readonly options: PopulationDriftOptions,
    /** Every partition of the source topic (`topic/partition`): a partition's state is kept under its number. */
    private readonly sourcePartitions: readonly string[],
    /** Customers per population record (tests set fewer). */
    private readonly chunkSize = POPULATION_CHUNK,
  ) {
    this.periods = sourcePartitions.map(() => new KeyedState<Summaries>());
    this.closed = sourcePartitions.map(() => new KeyedState<unknown>());
  }

  /** The group of every record: drift is decided over the whole population, in one merge partition. */
  get group(): string {
    return JSON.stringify(['population_drift', this.options.name]);
  }

  /** Adds the shards' partials of one batch of `partition`. */
  merge(partials: readonly unknown[], partition: string): void {
    const n = this.sourcePartitions.indexOf(partition);
    if (n < 0)
      throw new Error(`${this.options.name}: a batch of partition ${partition}, which is not one of the source's (${this.sourcePartitions.join(', ')})`);
    const periods = this.periods[n]!;
    const p = this.progressOf();
    for (const partial of partials as DriftPartial[]) {
      if (p.nextStart === null || (!p.closedAny && partial.minStart < p.nextStart)) p.nextStart = partial.minStart;
      for (const start of partial.starts) {
        // The shards drop events of closed periods; a partial cannot name one.
        if (p.closedAny && start < p.nextStart!) continue;
        const key = JSON.stringify([partition, start]);
        if (!periods.has(key)) periods.set(key, {});
      }
      for (const [start, summaries] of Object.entries(partial.periods)) {
        const key = JSON.stringify([partition, Number(start)]);
        const into = this.summaries(periods.get(key) ?? {});
        mergeSummaries(into, summaries);
        periods.set(key, into);
      }
    }
    this.progress.set(PROGRESS_KEY, p);
  }

  /** Closes every period the member's watermark has passed (a Kafka job's watermark is finite). */
  *onWatermark(watermark: number): ShardRequests {
    const p = this.progressOf();
    if (!Number.isFinite(watermark)) return;
    while (p.nextStart !== null && p.nextStart + this.options.periodMs <= watermark) {
      const start = p.nextStart;
      const end = start + this.options.periodMs;
      const answers = (yield { step: 'close', start, end, byPartition: true } satisfies DriftRequest) as PartitionCloseAnswers[];
      this.publish(start, answers);
      // Lets the shards forget customers gone quiet and move on; tiers are the merge's.
      yield { step: 'score', end, thresholds: null, rescoring: 'none' } satisfies DriftRequest;
      p.nextStart = end;
      p.closedAny = true;
      this.progress.set(PROGRESS_KEY, p);
    }
  }

  /** What the shards must know after a restore: events of closed periods are not counted. */
  syncRequest(): DriftRequest {
    const p = this.adoptMovedProgress();
    return { step: 'sync', nextStart: p.nextStart, closedAny: p.closedAny };
  }

  /** What the checkpoint being taken publishes. */
  cut(): PartialRecord[] {
    // A republication covers the closes since the start too (they are in `closed`); its nulls are not.
    // Population records before the close that counts them, as at the close (a restore loads state in any order).
    let records = this.pending;
    if (this.republish) {
      const held = this.closedStates().flatMap((closed) => [...closed.entries()].map(([key, value]) => this.record(key, value)));
      const isClose = (record: PartialRecord): boolean => (JSON.parse(record.key) as DriftRecordKey)[1] === 'close';
      records = [...this.pending.filter((record) => record.value === null), ...held.filter((r) => !isClose(r)), ...held.filter(isClose)];
    }
    this.republish = false;
    this.pending = [];
    return records;
  }

  private publish(start: number, answers: readonly PartitionCloseAnswers[]): void {
    for (const closed of this.closedStates()) {
      for (const [key] of [...closed.entries()]) {
        if ((JSON.parse(key) as [string, DriftRecordKey])[1][0] >= start) continue;
        this.pending.push(this.record(key, null));
        closed.delete(key);
      }
    }
    const partitions = new Set(answers.flatMap((answer) => Object.keys(answer)));
    for (const periods of this.periods) {
      for (const [key] of periods.entries()) {
        const [partition, periodStart] = JSON.parse(key) as [string, number];
        if (periodStart === start) partitions.add(partition);
      }
    }
    // A partition whose close of the period came with it from a reader that had closed it already
    // (its progress was ahead): that close had the events, and stays the partition's word.
    for (const partition of [...partitions]) {
      if (!this.closedOf(partition).has(JSON.stringify([partition, [start, 'close']]))) continue;
      this.periodsOf(partition)?.delete(JSON.stringify([partition, start]));
      partitions.delete(partition);
    }
    // Customers without a known partition (state from before the job merged, no event since) go
    // with one of this member's partitions: under '' every member's would replace the others'.
    const known = [...partitions].filter((partition) => partition !== UNKNOWN_PARTITION).sort();
    const sharesOf = (partition: string): string[] => (partition === known[0] ? [partition, UNKNOWN_PARTITION] : [partition]);
    for (const partition of known.length > 0 ? known : [...partitions]) {
      const customers: Summaries = {};
      const population: CustomerValue[] = [];
      const expired: string[] = [];
      for (const answer of answers) {
        for (const share of sharesOf(partition).map((name) => answer[name])) {
          if (share === undefined) continue;
          mergeSummaries(customers, share.summaries);
          population.push(...share.population);
          expired.push(...share.expired);
        }
      }
      const [periods, periodKey] = [this.periodsOf(partition), JSON.stringify([partition, start])];
      const events = periods?.get(periodKey);
      periods?.delete(periodKey);
      const chunks = Math.ceil(Math.max(population.length, expired.length) / this.chunkSize);
      for (let chunk = 0; chunk < chunks; chunk++) {
        const [from, to] = [chunk * this.chunkSize, (chunk + 1) * this.chunkSize];
        const record: DriftPopulationRecord = { customers: population.slice(from, to), expired: expired.slice(from, to) };
        this.add(partition, [start, 'population', chunk], record);
      }
      const close: DriftCloseRecord = { start, active: events !== undefined, events: events ?? {}, customers, chunks };
      this.add(partition, [start, 'close'], close);
    }
  }

  private add(partition: string, key: DriftRecordKey, value: unknown): void {
    const stateKey = JSON.stringify([partition, key]);
    this.closedOf(partition).set(stateKey, value);
    this.pending.push(this.record(stateKey, value));
  }

  private record(stateKey: string, value: unknown): PartialRecord {
    const [partition, key] = JSON.parse(stateKey) as [string, DriftRecordKey];
    return { operator: this.options.name, partition, key: JSON.stringify(key), group: this.group, value };
  }

  /**
   * A member that has closed no period yet (a late join) and was handed partitions continues where
   * their previous reader was: at the first period it had not closed (the one after its latest
   * close, or its earliest open one). Otherwise its first batch would set the progress, and a
   * moved open period before that batch's events would never be closed. A member that has closed
   * periods keeps its own progress (the module comment).
   */
  private adoptMovedProgress(): CloseProgress {
    const p = this.progressOf();
    if (p.closedAny) return p;
    const starts = [
      ...this.closed.flatMap((closed) => [...closed.entries()].map(([key]) => (JSON.parse(key) as [string, DriftRecordKey])[1][0] + this.options.periodMs)),
      ...this.periods.flatMap((periods) => [...periods.entries()].map(([key]) => (JSON.parse(key) as [string, number])[1])),
    ];
    if (starts.length === 0) return p;
    const adopted: CloseProgress = { nextStart: Math.min(...starts, p.nextStart ?? Infinity), closedAny: this.closed.some((closed) => closed.size > 0) };
    this.progress.set(PROGRESS_KEY, adopted);
    return adopted;
  }

  private periodsOf(partition: string): KeyedState<Summaries> | undefined {
    return this.periods[this.sourcePartitions.indexOf(partition)];
  }

  private closedOf(partition: string): KeyedState<unknown> {
    return this.closed[this.sourcePartitions.indexOf(partition)] ?? this.unplaced;
  }

  private closedStates(): KeyedState<unknown>[] {
    return [...this.closed, this.unplaced];
  }

  private progressOf(): CloseProgress {
    return this.progress.get(PROGRESS_KEY) ?? { nextStart: null, closedAny: false };
  }

  private summaries(s: Summaries): Summaries {
    if (this.hydrated.has(s)) return s;
    this.hydrated.add(s);
    return restoreSummaries(s);
  }
}
