import type { DuckDBConnection } from '@duckdb/node-api';
import type { DedupChanges } from '../operators/dedup.js';
import type { Rejection } from '../operators/events.js';
import type { OperatorOutput } from '../operators/operator.js';
import type { PackedStateRows } from '../operators/state-pack.js';
import type { WatermarkSnapshot } from '../operators/watermark.js';
import type { PartitionPosition } from '../sources/source.js';

/** What a committed checkpoint wrote. */
export interface CommittedCheckpoint {
  rejections: Rejection[];
  outputs: OperatorOutput[];
  positions: ReadonlyMap<string, PartitionPosition>;
  /** The state changes it committed besides keyed state (see `drained`): event ids, customers' partitions (a state changelog's input). */
  dedup: readonly DedupChanges[];
  owners: ReadonlyArray<{ customer_id: string; partition: string }>;
  watermark: WatermarkSnapshot;
}

/**
 * Where a job's checkpoints go besides the store's own tables: the alert outbox, report requests,
 * rejects files, Kafka offsets. Each part is optional; the runner calls every sink's part in the
 * order the sinks are given, the first two inside the checkpoint's transaction (exactly once with
 * the outputs), the last after the commit.
 */
export interface CheckpointSink {
  /**
   * The checkpoint's changed keyed state, as drained: the store releases each block once staged,
   * so a sink that carries state elsewhere (the state changelog) reads it here.
   */
  drained?(state: readonly PackedStateRows[]): void;
  /** Before the outputs are written; may amend them (links to reports and console pages). */
  beforeWrites?(connection: DuckDBConnection, outputs: readonly OperatorOutput[]): Promise<void>;
  /** After the outputs are written, in the same transaction (the alert outbox). */
  write?(connection: DuckDBConnection, outputs: readonly OperatorOutput[]): Promise<void>;
  /** After the commit, with what it wrote (rejects files, delivery, source offsets). */
  committed?(checkpoint: CommittedCheckpoint): Promise<void>;
}
