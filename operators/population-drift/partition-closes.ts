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
 * state until it closes a later period of that partition in a later checkpoint, when it publishes
 * nulls for them (the compacted topic then drops them); a member that restarts publishes the ones
 * it holds again, so a crash between a checkpoint's commit and its produce loses nothing. Closes of
 * the same checkpoint do not replace each other: a checkpoint is cut only once the previous one's
 * records are produced (pipelines/commit-chain.ts), so what the last cut published is safe to null,
 * while two periods of one partition closed since then are both still to be produced.
 *
 * Every period a partition passes is closed, also one in which it had no event: its known
 * customers still count (a spend of 0), and only the merge knows whether another partition had
 * events then.
 *
 * Everything of a partition is kept per source partition number (`progress[n]`, `periods[n]`,
 * `closed[n]`, stored as `<name>@n`), so it moves with the partition to its next reader, which goes
 * on where the previous one's checkpoint left it: its close progress (the first period not closed)
 * included, also when this member has closed that period of its other partitions already. A
 * partition's periods close when the member's watermark passes them, or, for one restored here
 * behind it, when the partition's own watermark does (`onPartitionWatermark`: what the merge is
 * told of it, so its close is published before the report that lets the merge decide). A close
 * asks the shards to fold the period into the customers of the partitions closing only, and they
 * drop an event only if its own batch partition has closed its period.
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
  /** The partition's first period not closed; null before its first event. */
  nextStart: number | null;
  closedAny: boolean;
}

const PROGRESS_KEY = 'progress';
/** The share of customers whose source partition is not known (local.ts `close` by partition). */
const UNKNOWN_PARTITION = '';

export class DriftPartitionCloses {
  /** By source partition number: its close progress (one entry, from its first event on). */
  readonly progress: KeyedState<CloseProgress>[];
  /** By source partition number: event-level summaries of its open periods by [partition, start]; an entry also says the partition had events then. */
  readonly periods: KeyedState<Summaries>[];
  /** By source partition number: its published records of closed periods by [partition, record key], until a close in a later checkpoint replaces them by nulls. */
  readonly closed: KeyedState<unknown>[];
  private pending: PartialRecord[] = [];
  /** State keys of the records added since the last cut: not produced yet, so a later close must not replace them. */
  private readonly sinceCut = new Set<string>();
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
    this.progress = sourcePartitions.map(() => new KeyedState<CloseProgress>());
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
    const p = this.progressOf(n);
    for (const partial of partials as DriftPartial[]) {
      if (p.nextStart === null || (!p.closedAny && partial.minStart < p.nextStart)) p.nextStart = partial.minStart;
      for (const start of partial.starts) {
        // The shards drop events of the partition's closed periods; a partial cannot name one.
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
    this.progress[n]!.set(PROGRESS_KEY, p);
  }

  /** Closes every period the member's watermark has passed, of every source partition read here (an idle one too; a Kafka job's watermark is finite). */
  *onWatermark(watermark: number): ShardRequests {
    yield* this.closeUpTo(watermark, this.heldNumbers());
  }

  /** Closes the periods source partition `partition` has passed: one restored here behind the member's watermark catches up on its own. */
  *onPartitionWatermark(partition: string, watermark: number): ShardRequests {
    const n = this.sourcePartitions.indexOf(partition);
    if (n >= 0) yield* this.closeUpTo(watermark, [n]);
  }

  /** What the shards must know after a restore: events of a partition's closed periods are not counted. */
  syncRequest(): DriftRequest {
    const partitions: Record<string, number> = {};
    for (const n of this.heldNumbers()) {
      const p = this.progressOf(n);
      if (p.closedAny) partitions[this.sourcePartitions[n]!] = p.nextStart!;
    }
    return { step: 'sync', nextStart: null, closedAny: false, partitions };
  }

  /** What the checkpoint being taken publishes. */
  cut(): PartialRecord[] {
    // A republication covers the closes since the start too (they are in `closed`); its nulls are not.
    // Population records before the close that counts them, as at the close (a restore loads state in any order).
    let records = this.pending;
    if (this.republish) {
      const held = this.closed.flatMap((closed) => [...closed.entries()].map(([key, value]) => this.record(key, value)));
      const isClose = (record: PartialRecord): boolean => (JSON.parse(record.key) as DriftRecordKey)[1] === 'close';
      records = [...this.pending.filter((record) => record.value === null), ...held.filter((r) => !isClose(r)), ...held.filter(isClose)];
    }
    this.republish = false;
    this.pending = [];
    this.sinceCut.clear();
    return records;
  }

  /**
   * Closes, period after period, the periods before `watermark` of the source partitions numbered
   * `numbers`; partitions at the same period close together (one pass over the shards' customers).
   */
  private *closeUpTo(watermark: number, numbers: readonly number[]): ShardRequests {
    if (!Number.isFinite(watermark)) return;
    const { periodMs } = this.options;
    for (;;) {
      const due = numbers.filter((n) => {
        const next = this.progressOf(n).nextStart;
        return next !== null && next + periodMs <= watermark;
      });
      if (due.length === 0) return;
      const start = Math.min(...due.map((n) => this.progressOf(n).nextStart!));
      const end = start + periodMs;
      const closing = due.filter((n) => this.progressOf(n).nextStart === start);
      const partitions = closing.map((n) => this.sourcePartitions[n]!);
      // Customers without a known partition (state from before the job merged, no event since) go
      // with the lowest partition read here: under '' every member's would replace the others'.
      const unknownWith = this.sourcePartitions[Math.min(...this.heldNumbers())]!;
      const shares = partitions.includes(unknownWith) ? [...partitions, UNKNOWN_PARTITION] : partitions;
      const answers = (yield { step: 'close', start, end, partitions: shares } satisfies DriftRequest) as PartitionCloseAnswers[];
      this.publish(start, answers, partitions, unknownWith);
      // Lets the shards forget those partitions' customers gone quiet and move on; tiers are the merge's.
      yield { step: 'score', end, thresholds: null, rescoring: 'none', partitions: shares } satisfies DriftRequest;
      for (const n of closing) this.progress[n]!.set(PROGRESS_KEY, { nextStart: end, closedAny: true });
    }
  }

  private publish(start: number, answers: readonly PartitionCloseAnswers[], partitions: readonly string[], unknownWith: string): void {
    for (const partition of partitions) {
      const n = this.sourcePartitions.indexOf(partition);
      const closed = this.closed[n]!;
      // Its closes published by earlier checkpoints are replaced (nulls): a partition keeps the closes of its last checkpoint only, to publish again after a restart.
      for (const [key] of [...closed.entries()]) {
        if (this.sinceCut.has(key) || (JSON.parse(key) as [string, DriftRecordKey])[1][0] >= start) continue;
        this.pending.push(this.record(key, null));
        closed.delete(key);
      }
      const customers: Summaries = {};
      const population: CustomerValue[] = [];
      const expired: string[] = [];
      const shares = partition === unknownWith ? [partition, UNKNOWN_PARTITION] : [partition];
      for (const answer of answers) {
        for (const share of shares.map((name) => answer[name])) {
          if (share === undefined) continue;
          mergeSummaries(customers, share.summaries);
          population.push(...share.population);
          expired.push(...share.expired);
        }
      }
      const [periods, periodKey] = [this.periods[n]!, JSON.stringify([partition, start])];
      const events = periods.get(periodKey);
      periods.delete(periodKey);
      const chunks = Math.ceil(Math.max(population.length, expired.length) / this.chunkSize);
      for (let chunk = 0; chunk < chunks; chunk++) {
        const [from, to] = [chunk * this.chunkSize, (chunk + 1) * this.chunkSize];
        const record: DriftPopulationRecord = { customers: population.slice(from, to), expired: expired.slice(from, to) };
        this.add(n, [start, 'population', chunk], record);
      }
      const close: DriftCloseRecord = { start, active: events !== undefined, events: events ?? {}, customers, chunks };
      this.add(n, [start, 'close'], close);
    }
  }

  private add(n: number, key: DriftRecordKey, value: unknown): void {
    const stateKey = JSON.stringify([this.sourcePartitions[n]!, key]);
    this.closed[n]!.set(stateKey, value);
    this.sinceCut.add(stateKey);
    this.pending.push(this.record(stateKey, value));
  }

  private record(stateKey: string, value: unknown): PartialRecord {
    const [partition, key] = JSON.parse(stateKey) as [string, DriftRecordKey];
    return { operator: this.options.name, partition, key: JSON.stringify(key), group: this.group, value };
  }

  /** Source partitions whose progress is here: read here since their first event, or restored with their state. */
  private heldNumbers(): number[] {
    return this.progress.flatMap((_, n) => (this.progressOf(n).nextStart === null ? [] : [n]));
  }

  private progressOf(n: number): CloseProgress {
    return this.progress[n]!.get(PROGRESS_KEY) ?? { nextStart: null, closedAny: false };
  }

  private summaries(s: Summaries): Summaries {
    if (this.hydrated.has(s)) return s;
    this.hydrated.add(s);
    return restoreSummaries(s);
  }
}
