import type { PartitionPosition } from '../../sources/source.js';

/**
 * The records of a state changelog topic (checkpoint.changelog, README "State carried by Kafka").
 *
 * Changelog partition P holds the customer state of source partition P: one record per changed
 * entry, keyed so that compaction keeps the latest value of each (a deleted entry is a tombstone:
 * a null value), and after each checkpoint's changes a marker record with the source position that
 * checkpoint covers. Keys and values are JSON text; a key is a JSON array whose first element says
 * what the record is, so the kinds never collide.
 */

/** A customer-keyed operator state entry (a `pulse_state` row). */
export interface StateEntry {
  kind: 'state';
  operator: string;
  state: string;
  key: string;
  customer: string;
  /** The entry's value as JSON text (as `pulse_state.value`). */
  value: string;
}

/** A customer window (a `customer_windows` row; open windows are the windows operator's state). Times in epoch ms. */
export interface WindowEntry {
  kind: 'window';
  customer: string;
  windowStart: number;
  windowEnd: number;
  /** Every column of the row, times in epoch ms. */
  row: Record<string, unknown>;
}

/**
 * An event id seen (a `pulse_dedup` row): a later duplicate of it is dropped. Keyed by customer and
 * id, as duplicates are judged (operators/dedup.ts): two customers' events that share an id are two
 * entries. Tombstoned once the lateness horizon passes it (writer.ts), so that the compacted topic
 * holds the ids of the horizon, not every id the job ever saw.
 */
export interface DedupEntry {
  kind: 'dedup';
  eventId: string;
  customer: string | null;
  ts: number;
}

/**
 * Population state scoped to the partition's number (a `pulse_state` row without customer whose
 * state name ends in `@<n>`, operators/partition-scoped-state.ts): a merging job's cumulative KPI
 * accumulators of source partition n per window x queue x channel, its drift closes and open drift
 * periods, and the merges of merge partition n. Tombstoned when the operator deletes the entry (a
 * window expired, a drift period closed).
 */
export interface PartitionStateEntry {
  kind: 'partition_state';
  operator: string;
  state: string;
  key: string;
  /** The entry's value as JSON text (as `pulse_state.value`). */
  value: string;
}

export type ChangelogEntry = StateEntry | WindowEntry | DedupEntry | PartitionStateEntry;

/** What a checkpoint covered of one source partition: written after that checkpoint's changes. */
export interface ChangelogMarker {
  kind: 'marker';
  /** The source partition (`topic/partition`). */
  partition: string;
  position: PartitionPosition;
  /** Highest event time read from the partition (null: none yet). */
  maxEventTime: number | null;
  /** Event ids older than this are expired and left out of a restore (null: none expired). */
  dedupBefore: number | null;
}

/** One Kafka record of the changelog: key and value as text, a null value being a tombstone. */
export interface ChangelogRecord {
  key: string;
  value: string | null;
}

/** What names an entry: the parts of its record key. */
export type EntryKey =
  | Pick<StateEntry, 'kind' | 'operator' | 'state' | 'key'>
  | Pick<PartitionStateEntry, 'kind' | 'operator' | 'state' | 'key'>
  | Pick<WindowEntry, 'kind' | 'customer' | 'windowStart' | 'windowEnd'>
  | Pick<DedupEntry, 'kind' | 'eventId' | 'customer'>;

const MARKER_KEY = JSON.stringify(['marker']);

/** The record key of an entry: what compaction keeps one value of. */
export function entryKey(entry: EntryKey): string {
  switch (entry.kind) {
    case 'state':
      return JSON.stringify(['state', entry.operator, entry.state, entry.key]);
    case 'partition_state':
      return JSON.stringify(['partition_state', entry.operator, entry.state, entry.key]);
    case 'window':
      return JSON.stringify(['window', entry.customer, entry.windowStart, entry.windowEnd]);
    case 'dedup':
      return JSON.stringify(['dedup', entry.customer, entry.eventId]);
  }
}

export function encodeEntry(entry: ChangelogEntry): ChangelogRecord {
  const key = entryKey(entry);
  switch (entry.kind) {
    case 'state':
      return { key, value: JSON.stringify({ customer: entry.customer, value: entry.value }) };
    case 'partition_state':
      return { key, value: JSON.stringify({ value: entry.value }) };
    case 'window':
      return { key, value: JSON.stringify(entry.row) };
    case 'dedup':
      return { key, value: JSON.stringify({ customer: entry.customer, ts: entry.ts }) };
  }
}

/** A deleted entry: compaction drops the key's earlier values, then the tombstone itself. */
export function encodeTombstone(entry: EntryKey): ChangelogRecord {
  return { key: entryKey(entry), value: null };
}

export function encodeMarker(marker: Omit<ChangelogMarker, 'kind'>): ChangelogRecord {
  return { key: MARKER_KEY, value: JSON.stringify(marker) };
}

/** What a record is; a record this version cannot read is an error naming the key (a topic shared with something else). */
export type DecodedRecord = { kind: 'marker'; marker: ChangelogMarker } | { kind: 'entry'; key: string; entry: ChangelogEntry | null };

export function decodeRecord(record: ChangelogRecord): DecodedRecord {
  let key: unknown;
  try {
    key = JSON.parse(record.key);
  } catch {
    throw new ChangelogFormatError(record.key, 'the key is not JSON');
  }
  if (!Array.isArray(key) || typeof key[0] !== 'string') throw new ChangelogFormatError(record.key, 'the key is not a changelog key');
  if (key[0] === 'marker') {
    if (record.value === null) throw new ChangelogFormatError(record.key, 'a marker without a value');
    return { kind: 'marker', marker: { kind: 'marker', ...(JSON.parse(record.value) as Omit<ChangelogMarker, 'kind'>) } };
  }
  const value = record.value === null ? null : (JSON.parse(record.value) as Record<string, unknown>);
  const parts = key as unknown[];
  switch (parts[0]) {
    case 'state': {
      const [, operator, state, k] = parts as [string, string, string, string];
      const entry: StateEntry | null = value && { kind: 'state', operator, state, key: k, customer: String(value['customer']), value: String(value['value']) };
      return { kind: 'entry', key: record.key, entry };
    }
    case 'partition_state': {
      const [, operator, state, k] = parts as [string, string, string, string];
      const entry: PartitionStateEntry | null = value && { kind: 'partition_state', operator, state, key: k, value: String(value['value']) };
      return { kind: 'entry', key: record.key, entry };
    }
    case 'window': {
      const [, customer, windowStart, windowEnd] = parts as [string, string, number, number];
      return { kind: 'entry', key: record.key, entry: value && { kind: 'window', customer, windowStart, windowEnd, row: value } };
    }
    case 'dedup': {
      // ["dedup", id] is the key of versions before ids were keyed by customer too; the value names the customer either way.
      const eventId = String(parts[parts.length - 1]);
      const entry: DedupEntry | null = value && { kind: 'dedup', eventId, customer: value['customer'] as string | null, ts: Number(value['ts']) };
      return { kind: 'entry', key: record.key, entry };
    }
    default:
      throw new ChangelogFormatError(record.key, `unknown record kind '${String(parts[0])}'`);
  }
}

export class ChangelogFormatError extends Error {
  constructor(key: string, why: string) {
    super(`changelog record with key ${key.slice(0, 200)}: ${why}; is the changelog topic used by something else than this job?`);
  }
}

/**
 * A partition's state as of its last marker: the latest value per key over the records up to the
 * last marker (tombstones remove keys), plus the keys changed after it. Those trailing changes
 * belong to a checkpoint whose marker was never written (its member died while producing): they
 * are not state, and the next owner overwrites them (`repairs`) before its own first marker.
 */
export class ChangelogFold {
  private readonly committed = new Map<string, ChangelogEntry>();
  private pending = new Map<string, ChangelogEntry | null>();
  private last: ChangelogMarker | undefined;
  /** Records read, for restore progress. */
  records = 0;

  add(record: ChangelogRecord): void {
    this.records++;
    const decoded = decodeRecord(record);
    if (decoded.kind === 'entry') {
      this.pending.set(decoded.key, decoded.entry);
      return;
    }
    for (const [key, entry] of this.pending) {
      if (entry === null) this.committed.delete(key);
      else this.committed.set(key, entry);
    }
    this.pending = new Map();
    this.last = decoded.marker;
  }

  /** The last marker read; undefined when none (nothing committed yet). */
  get marker(): ChangelogMarker | undefined {
    return this.last;
  }

  /** The entries as of the last marker; dedup ids older than the marker's horizon are left out. */
  entries(): ChangelogEntry[] {
    return [...this.committed.values()].filter((e) => !this.expired(e));
  }

  /**
   * Tombstones for the committed event ids older than the last marker's horizon: ids their writer
   * did not get to tombstone (it died first, or was a version that never did), which no restore
   * uses; the next owner deletes them so that compaction can.
   */
  expiredTombstones(): ChangelogRecord[] {
    return [...this.committed].filter(([, entry]) => this.expired(entry)).map(([key]) => ({ key, value: null }));
  }

  private expired(entry: ChangelogEntry): boolean {
    const before = this.last?.dedupBefore ?? null;
    return entry.kind === 'dedup' && before !== null && entry.ts < before;
  }

  /** Every key read, committed or not: what a member publishing its own state must overwrite or delete. */
  keys(): Set<string> {
    return new Set([...this.committed.keys(), ...this.pending.keys()]);
  }

  /** True when records follow the last marker (a checkpoint whose marker was never written). */
  get hasTrailing(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Records that undo the changes after the last marker: the committed value of each such key, or
   * a tombstone where it had none. Produced by the next owner before its first marker, so that a
   * later restore does not take them for state.
   */
  repairs(): ChangelogRecord[] {
    return [...this.pending.keys()].map((key) => {
      const entry = this.committed.get(key);
      return entry ? encodeEntry(entry) : { key, value: null };
    });
  }
}
