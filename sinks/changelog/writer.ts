import type { DedupChanges } from '../../operators/dedup.js';
import { partitionOfStateName } from '../../operators/partition-scoped-state.js';
import type { OperatorOutput } from '../../operators/operator.js';
import type { StateRow } from '../../operators/state.js';
import type { WatermarkSnapshot } from '../../operators/watermark.js';
import type { PartitionPosition } from '../../sources/source.js';
import { windowEntry } from './partition-state.js';
import {
  encodeEntry,
  encodeMarker,
  encodeTombstone,
  entryKey,
  type ChangelogEntry,
  type ChangelogRecord,
  type DedupEntry,
  type EntryKey,
  type WindowEntry,
} from './records.js';

/** What a committed checkpoint changed, as the changelog needs it (pipelines/checkpoint-sink.ts). */
export interface ChangelogCheckpoint {
  state: readonly StateRow[];
  /** Its customer window rows (`windowEntries` of its outputs, taken before the loop went on). */
  windows: readonly WindowEntry[];
  dedup: readonly DedupChanges[];
  /** Customers whose source partition is new or changed. */
  owners: ReadonlyArray<{ customer_id: string; partition: string }>;
  positions: ReadonlyMap<string, PartitionPosition>;
  watermark: WatermarkSnapshot;
}

export interface ChangelogWriterOptions {
  allowedLatenessMs: number;
  /** The changelog partition of a source partition (`topic/partition`); undefined when it is not the source topic's. */
  partitionOf(sourcePartition: string): number | undefined;
  /** The source partition (`topic/partition`) of a partition number: where partition-scoped population state goes. */
  sourcePartition(partition: number): string;
}

/**
 * Turns a checkpoint's changes into changelog records, by source partition: each customer-keyed
 * state change and each customer window row goes to the partition its customer's events come
 * from, each event id to its own partition, and each partition the checkpoint covers gets a
 * marker with its position last. Window rows are tombstoned once their window is closed (the
 * watermark passed end + allowed lateness), and event ids once the lateness horizon passes them, so
 * the compacted topic holds open windows and the horizon's ids, not the job's whole history.
 */
export class ChangelogWriter {
  /** Customer -> source partition, as `pulse_partition_owners`. */
  private readonly owners = new Map<string, string>();
  /** Open windows written to the changelog, by record key: tombstoned when they close. */
  private readonly openWindows = new Map<string, { partition: string; end: number; key: EntryKey }>();
  private dedupBefore: number | null = null;
  /**
   * Event ids in the changelog, by minute of event time, as flattened [source partition, customer,
   * id] triples: tombstoned when the horizon passes their minute. Parallel flat arrays rather than
   * an object per id: they live for the lateness horizon, which can hold millions of ids.
   */
  private readonly idsByMinute = new Map<number, Array<string | null>>();
  /** Changes whose customer has no known partition since `takeUnrouted` (should not happen: owners are drained with the state). */
  private unrouted = 0;

  constructor(private readonly options: ChangelogWriterOptions) {}

  /** Customers' partitions as stored (at start). */
  seedOwners(owners: Iterable<[string, string]>): void {
    for (const [customer, partition] of owners) this.owners.set(customer, partition);
  }

  /** A partition's entries now held here (restored or published): their customers, open windows and event ids. */
  adopt(partition: string, entries: readonly ChangelogEntry[]): void {
    for (const entry of entries) {
      if (entry.kind === 'dedup') {
        this.rememberId(partition, entry);
        continue;
      }
      if (entry.kind === 'partition_state') continue;
      this.owners.set(entry.customer, partition);
      if (entry.kind === 'window') this.openWindows.set(entryKey(entry), { partition, end: entry.windowEnd, key: entry });
    }
  }

  /** A partition given up: its windows and event ids are no longer this member's to tombstone. */
  forget(partition: string): void {
    for (const [key, window] of this.openWindows) if (window.partition === partition) this.openWindows.delete(key);
    for (const [minute, triples] of this.idsByMinute) {
      const kept: Array<string | null> = [];
      for (let i = 0; i < triples.length; i += 3) if (triples[i] !== partition) kept.push(triples[i]!, triples[i + 1]!, triples[i + 2]!);
      if (kept.length === 0) this.idsByMinute.delete(minute);
      else this.idsByMinute.set(minute, kept);
    }
  }

  /** Changes left out since the last call because their customer had no known partition. */
  takeUnrouted(): number {
    const count = this.unrouted;
    this.unrouted = 0;
    return count;
  }

  /** The marker of a partition at `position`, with this writer's dedup horizon. */
  marker(partition: string, position: PartitionPosition, maxEventTime: number | null): ChangelogRecord {
    return encodeMarker({ partition, position, maxEventTime, dedupBefore: this.dedupBefore });
  }

  /**
   * The records of a checkpoint by changelog partition, markers last, for the source partitions
   * in `held` (a partition already given away is its new owner's to write).
   */
  records(checkpoint: ChangelogCheckpoint, held: ReadonlySet<string>): Map<number, ChangelogRecord[]> {
    for (const { customer_id, partition } of checkpoint.owners) this.owners.set(customer_id, partition);
    for (const dedup of checkpoint.dedup) {
      if (Number.isFinite(dedup.expiredBefore)) this.dedupBefore = Math.max(this.dedupBefore ?? -Infinity, dedup.expiredBefore);
    }
    const out = new Map<number, ChangelogRecord[]>();
    /** Adds a record to its changelog partition; false when it has none here. */
    const push = (sourcePartition: string | undefined, record: ChangelogRecord): boolean => {
      if (sourcePartition === undefined) {
        this.unrouted++;
        return false;
      }
      if (!held.has(sourcePartition)) return false;
      const partition = this.options.partitionOf(sourcePartition);
      if (partition === undefined) return false;
      let records = out.get(partition);
      if (!records) out.set(partition, (records = []));
      records.push(record);
      return true;
    };
    for (const row of checkpoint.state) {
      if (row.customer_id === null) {
        // Population state is each member's own, except the state scoped to a partition's number.
        const number = partitionOfStateName(row.state);
        if (number === undefined) continue;
        const key = { kind: 'partition_state' as const, operator: row.operator, state: row.state, key: row.key };
        push(this.options.sourcePartition(number), row.value === null ? encodeTombstone(key) : encodeEntry({ ...key, value: row.value }));
        continue;
      }
      const key = { kind: 'state' as const, operator: row.operator, state: row.state, key: row.key };
      const record = row.value === null ? encodeTombstone(key) : encodeEntry({ ...key, customer: row.customer_id, value: row.value });
      push(this.owners.get(row.customer_id), record);
    }
    for (const entry of checkpoint.windows) {
      const partition = this.owners.get(entry.customer);
      push(partition, encodeEntry(entry));
      if (partition !== undefined) this.openWindows.set(entryKey(entry), { partition, end: entry.windowEnd, key: entry });
    }
    const watermark = checkpoint.watermark.current;
    if (watermark !== null) {
      for (const [key, window] of this.openWindows) {
        if (window.end + this.options.allowedLatenessMs > watermark) continue;
        this.openWindows.delete(key);
        push(window.partition, encodeTombstone(window.key));
      }
    }
    this.tombstoneExpiredIds(push);
    const horizon = this.dedupBefore ?? Number.NEGATIVE_INFINITY;
    for (const dedup of checkpoint.dedup) {
      for (let i = 0; i < dedup.ids.length; i++) {
        // Below the horizon already (another shard's watermark is ahead): no restore would use it.
        if (dedup.times[i]! < horizon) continue;
        const entry: DedupEntry = { kind: 'dedup', eventId: dedup.ids[i]!, customer: dedup.customers[i] ?? null, ts: dedup.times[i]! };
        if (push(dedup.partitions[i], encodeEntry(entry))) this.rememberId(dedup.partitions[i]!, entry);
      }
    }
    for (const [partition, position] of checkpoint.positions) {
      push(partition, this.marker(partition, position, checkpoint.watermark.partitions[partition]?.maxEventTime ?? null));
    }
    return out;
  }

  private rememberId(partition: string, entry: DedupEntry): void {
    const minute = Math.floor(entry.ts / MINUTE_MS);
    let triples = this.idsByMinute.get(minute);
    if (triples === undefined) this.idsByMinute.set(minute, (triples = []));
    triples.push(partition, entry.customer, entry.eventId);
  }

  /** Tombstones for the event ids of every minute wholly below the horizon. */
  private tombstoneExpiredIds(push: (sourcePartition: string, record: ChangelogRecord) => boolean): void {
    if (this.dedupBefore === null) return;
    for (const [minute, triples] of this.idsByMinute) {
      if ((minute + 1) * MINUTE_MS > this.dedupBefore) continue;
      for (let i = 0; i < triples.length; i += 3) {
        push(triples[i]!, encodeTombstone({ kind: 'dedup', customer: triples[i + 1] ?? null, eventId: triples[i + 2]! }));
      }
      this.idsByMinute.delete(minute);
    }
  }
}

const MINUTE_MS = 60_000;

/**
 * The customer window rows of a checkpoint's outputs as entries. Taken while the checkpoint is
 * staged: an inline shard's column outputs are views of its live state, which the loop changes
 * once the checkpoint is staged.
 */
export function windowEntries(outputs: readonly OperatorOutput[]): WindowEntry[] {
  const entries: WindowEntry[] = [];
  for (const output of outputs) if (output.kind === 'customer_window') for (const row of outputRows(output)) entries.push(windowEntry(row));
  return entries;
}

/** An output's rows as objects, from its columns when it has them (customer windows do). */
function* outputRows(output: OperatorOutput): Iterable<Record<string, unknown>> {
  const columns = output.columns;
  if (!columns) {
    yield* output.rows;
    return;
  }
  const values = columns.names.map((name) => [name, columns.column(name)] as const);
  for (let i = 0; i < columns.length; i++) {
    const row: Record<string, unknown> = {};
    for (const [name, column] of values) {
      const value = column[i];
      row[name] = typeof value === 'number' && Number.isNaN(value) ? null : value;
    }
    yield row;
  }
}
