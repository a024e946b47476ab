import type { Logger } from 'pino';
import type { StateChangelog } from '../sinks/changelog/state-changelog.js';
import type { PartitionHandoffDir } from '../sinks/duckdb/partition-handoff.js';
import type { DuckDBStore } from '../sinks/duckdb/store.js';
import type { PipelineMetrics } from '../sinks/metrics/pipeline-metrics.js';
import type { OperatorPlan } from '../operators/parallel.js';
import type { Source } from '../sources/source.js';
import type { CheckpointSink } from './checkpoint-sink.js';
import type { JobConfig } from './job-config.js';
import type { SerialQueue } from '../sinks/serial-queue.js';
import type { StateSettings } from './state-settings.js';
import type { WindowSizesSince } from './window-sizes-since.js';

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
  /**
   * Where partition state is carried instead (job `checkpoint.changelog`): an assigned partition is
   * restored from the changelog when it is ahead of the store (its writes are a checkpoint sink).
   */
  changelog?: StateChangelog;
  /**
   * Population results merged across members (job `merge`): wraps the mergeable plans, and says when
   * merge records wait to be applied (a checkpoint applies them, even while the source is silent).
   */
  merge?: { plan(plan: OperatorPlan): OperatorPlan; pending(): boolean };
  /** The operators' state-shaping settings, stored with every checkpoint (pipelines/state-settings.ts). */
  stateSettings?: StateSettings;
  /** When each window size came into the job, stored with every checkpoint (pipelines/window-sizes-since.ts). */
  windowsSince?: WindowSizesSince;
  /** Checkpoints run through this queue, so other writers of the database (the job's API) take turns. */
  exclusive?: SerialQueue;
  /** Where each checkpoint goes besides the store's tables, in this order (checkpoint-sink.ts). */
  sinks?: readonly CheckpointSink[];
  /**
   * Called once a bounded input has been read to its end, before its last windows close and its
   * final checkpoint: work deferred to the end (alert reports) may start beside them.
   */
  onInputEnd?: () => void;
  /** Called after every batch with the running totals (progress display). */
  onProgress?: (progress: RunProgress) => void;
  /** Wall clock, injectable for tests. */
  now?: () => number;
}

export interface RunProgress {
  records: number;
  accepted: number;
  rejected: number;
  /** Of the rejected, those refused as `late` (behind the watermark by more than the allowed lateness). */
  late: number;
  /** Of the late, contacts late by their length alone (Rejection `longContact`). */
  lateLongContacts: number;
  /** Of the rejected, those refused as `duplicate` (an event id already counted). */
  duplicates: number;
  watermark: number;
  checkpoints: number;
}

/** The totals before the first record. */
export function noProgress(): RunProgress {
  return { records: 0, accepted: 0, rejected: 0, late: 0, lateLongContacts: 0, duplicates: 0, watermark: -Infinity, checkpoints: 0 };
}

export interface RunSummary extends RunProgress {
  /** True when a bounded input was read to its end and every window closed. */
  completed: boolean;
  /** What the operators say of their work in this run (GlobalOperator `runNotes`). */
  notes: string[];
  /** How far a bounded input's events reached (the newest event time) when it ended; -Infinity otherwise. */
  reached: number;
}
