import type { RecordEnvelope } from '../operators/events.js';
import type { RawValue } from '../operators/record-limits.js';

/**
 * The source contract: sources read records and report positions; they never decode or process.
 *
 * Positions are per partition (a file, stdin, a Kafka topic-partition) so that the checkpoint can
 * store exactly where each partition stands, in the same transaction as the state it produced.
 */

/**
 * One raw record: a line of text (NDJSON, Kafka value), a row already split into columns, or
 * what stands in for a record that could not be read as text (too large, not UTF-8), so that it
 * reaches the dead letters at its position.
 */
export interface RawRecord {
  /** Record position within its partition: 1-based line, row index, or Kafka offset. */
  offset: number;
  value: RawValue;
  /** Kafka: the message's key and headers (undefined when it had neither, and for other sources). */
  envelope?: RecordEnvelope | undefined;
}

/** Where a partition stands after its last processed record; stored in the checkpoint. */
export interface PartitionPosition {
  /** Offset of the last record processed (same meaning as `RawRecord.offset`). */
  offset: number;
  /** Source-specific resume hint, e.g. the byte offset just after that record in a file. */
  resume: number;
  /** Files: what the file started with when it was read (file-fingerprint.ts); a file replaced since is read from its start. */
  fingerprint?: string;
}

export interface RecordBatch {
  kind: 'records';
  partition: string;
  records: RawRecord[];
  /** The partition's position once every record of this batch is processed. */
  position: PartitionPosition;
  /** Epoch ms when the batch was read (processing time), for idle detection and lag. */
  readAt: number;
}

/** A partition has ended (end of file): it no longer holds the watermark back. */
export interface PartitionEnd {
  kind: 'end';
  partition: string;
}

/**
 * A partition's next batch is dated from about `eventTime` (the earliest of a few of its records;
 * -Infinity when unknown). A reader that makes some partitions wait while others go first (files
 * in event-time order) says so, and the waiting partition holds the watermark back from there
 * rather than from its last batch (from -Infinity when it has none yet).
 */
export interface PartitionNext {
  kind: 'next';
  partition: string;
  eventTime: number;
}

/**
 * Partitions were assigned to this process (Kafka consumer-group rebalance). Positions come from
 * the checkpoint, so the runner only has to let them hold the watermark again (`reopen`).
 */
export interface PartitionsAssigned {
  kind: 'assign';
  partitions: string[];
  /**
   * Present when the source waits for the runner before reading the partitions (state restored
   * from a changelog): call it with the last offset processed of each partition whose restore
   * moved it; reading starts after the later of that and the source's own offset.
   */
  started?: (restored: ReadonlyMap<string, number>) => void;
}

/**
 * Partitions are being taken away (Kafka consumer-group rebalance). Every batch of these
 * partitions was yielded before this message. The source does not give them up until `done` is
 * called: the runner must first checkpoint (positions, state and outputs in one transaction), so
 * that the next owner resumes exactly after the last processed record.
 */
export interface PartitionsRevoked {
  kind: 'revoke';
  partitions: string[];
  /** True when the group already gave them to another member (session lost): checkpoint anyway. */
  lost: boolean;
  /** Call once the checkpoint covering every batch yielded so far has committed. */
  done: () => void;
}

export type SourceMessage = RecordBatch | PartitionEnd | PartitionNext | PartitionsAssigned | PartitionsRevoked;

export interface Source {
  /** Name from the job config; part of every record position. */
  readonly name: string;
  /** True when the input ends by itself (files, stdin); false for Kafka. */
  readonly bounded: boolean;
  /**
   * Every partition the read will deliver, when known before the first record (files: one per
   * path). Each holds the watermark back from the start, as an assigned Kafka partition does:
   * otherwise the first file to deliver a batch moves the watermark past the start of the others.
   */
  readonly partitions?: readonly string[];
  /**
   * Reads from the stored positions (records at or before a partition's stored offset are
   * skipped). Ends for bounded sources; stops when `signal` aborts.
   */
  read(resumeFrom: ReadonlyMap<string, PartitionPosition>, signal: AbortSignal): AsyncIterable<SourceMessage>;
  close(): Promise<void>;
}
