/**
 * How a population operator's global part takes part in a merge across members (issue 20 item 1,
 * job option `merge`): it offers the cumulative partials of the source partitions this member
 * reads, and takes the partials and watermark reports the member's merge partitions received.
 * The Kafka side (sinks/merge) implements the port; operators see only these plain values.
 */

/**
 * One source partition's cumulative partial for one key, as published: replaces the previous one
 * of the same (operator, partition, key); `value: null` says it is gone (expired).
 */
export interface PartialRecord {
  operator: string;
  /** The source partition it sums (`topic/partition`). */
  partition: string;
  /** The operator's key of the partial, e.g. a window and queue x channel. */
  key: string;
  /** What must be merged in one place (one queue x channel's windows, so its rules see its series; the whole population for drift). */
  group: string;
  value: unknown;
}

/** Where a record was read: merge-topic partition and offset. */
export interface MergePosition {
  mergePartition: number;
  offset: number;
}

/** What a member's merge partitions received, in their order. */
export type MergeInput =
  | (Omit<PartialRecord, 'group'> & { kind: 'partial'; position: MergePosition })
  /** A source partition's watermark as its reader's job had it at a checkpoint (after that checkpoint's partials). */
  | { kind: 'watermark'; partition: string; watermark: number; position: MergePosition };

export interface MergePort {
  /** Every partition of the source topic (`topic/partition`): all hold the merged watermark back. */
  sourcePartitions(): readonly string[];
  /** Resume reading for `operator` after these offsets (by merge partition); called after every restore. */
  follow(operator: string, positions: ReadonlyMap<number, number>): void;
  /** What arrived for `operator` since the previous call. */
  take(operator: string): MergeInput[];
  /** The partials a checkpoint publishes once it has committed. */
  offer(records: readonly PartialRecord[]): void;
  /** Processing time (idle reports). */
  now(): number;
}
