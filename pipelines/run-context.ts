import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { Rejection } from '../operators/events.js';
import type { OperatorOutput } from '../operators/operator.js';
import type { PartitionHandoffDir } from '../sinks/duckdb/partition-handoff.js';
import type { DuckDBStore } from '../sinks/duckdb/store.js';
import type { PipelineMetrics } from '../sinks/metrics/pipeline-metrics.js';
import type { PartitionPosition, Source } from '../sources/source.js';
import type { JobConfig } from './job-config.js';
import type { SerialQueue } from './serial-queue.js';

/** What a job run is given: the job, its source and store, and where its outputs go beyond the store. */
export interface RunContext {
  job: JobConfig;
  source: Source;
  store: DuckDBStore;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Aborted by SIGINT/SIGTERM: drain, checkpoint, stop. */
  signal: AbortSignal;
  /**
   * Where partition state is handed over (job `checkpoint.handoff_dir`): a partition this process
   * gives up is exported there, and one it is assigned is imported when the snapshot is ahead.
   */
  handoff?: PartitionHandoffDir;
  /** Checkpoints run through this queue, so other writers of the database (the job's API) take turns. */
  exclusive?: SerialQueue;
  /** Inside each checkpoint transaction, before the outputs are written; may amend them. */
  beforeCheckpointWrites?: (connection: DuckDBConnection, outputs: readonly OperatorOutput[]) => Promise<void>;
  /** Extra writes inside each checkpoint transaction, given that checkpoint's outputs (the alert outbox). */
  checkpointWrites?: (connection: DuckDBConnection, outputs: readonly OperatorOutput[]) => Promise<void>;
  /** Called after each checkpoint commits, with what it wrote (rejects files, delivery, ...). */
  afterCheckpoint?: (committed: { rejections: Rejection[]; outputs: OperatorOutput[]; positions: ReadonlyMap<string, PartitionPosition> }) => Promise<void>;
  /** Called after every batch with the running totals (progress display). */
  onProgress?: (progress: RunProgress) => void;
  /** Wall clock, injectable for tests. */
  now?: () => number;
}

export interface RunProgress {
  records: number;
  accepted: number;
  rejected: number;
  watermark: number;
  checkpoints: number;
}

export interface RunSummary extends RunProgress {
  /** True when a bounded input was read to its end and every window closed. */
  completed: boolean;
}
