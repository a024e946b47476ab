/**
 * The drift operator's global part in a job whose members merge their results (job option `merge`,
 * issue 20): instead of deciding drift over this member's partitions, it publishes each period's
 * close per source partition it reads (partition-closes.ts), and decides drift for the whole
 * population from every member's closes when this member owns the drift's merge partition
 * (drift-merger.ts). The rows, alerts and merge positions are state and outputs of this member's
 * checkpoint: one transaction.
 */
import type { GaugeReading } from '../gauges.js';
import type { MergePort } from '../merge-port.js';
import type { GlobalOperator, ShardRequests } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import type { KeyedState } from '../state.js';
import { DriftMerger } from './drift-merger.js';
import { PopulationDriftGlobal } from './global.js';
import type { PopulationDriftOptions } from './options.js';
import { DriftPartitionCloses, POPULATION_CHUNK } from './partition-closes.js';

/** State names of the merge (besides the merged decision's own, global.ts). */
export const DRIFT_MERGE_STATES = {
  progress: 'partition_progress',
  periods: 'partition_periods',
  closed: 'partition_closes',
  latest: 'merge_latest',
  positions: 'merge_positions',
  reports: 'merge_reports',
  scored: 'merge_scored',
} as const;

export class MergedDriftGlobal implements GlobalOperator {
  readonly name: string;
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly closes: DriftPartitionCloses;
  private readonly merger: DriftMerger;

  constructor(
    options: PopulationDriftOptions,
    private readonly port: MergePort,
    idleTimeoutMs: number,
    /** Customers per population record (partition-closes.ts). */
    chunkSize = POPULATION_CHUNK,
  ) {
    this.name = options.name;
    this.closes = new DriftPartitionCloses(options, chunkSize);
    this.merger = new DriftMerger(new PopulationDriftGlobal(options), idleTimeoutMs);
    this.states = {
      ...this.merger.global.states,
      [DRIFT_MERGE_STATES.progress]: this.closes.progress,
      [DRIFT_MERGE_STATES.periods]: this.closes.periods,
      [DRIFT_MERGE_STATES.closed]: this.closes.closed,
      [DRIFT_MERGE_STATES.latest]: this.merger.latest,
      [DRIFT_MERGE_STATES.positions]: this.merger.inputs.positions,
      [DRIFT_MERGE_STATES.reports]: this.merger.inputs.reports,
      [DRIFT_MERGE_STATES.scored]: this.merger.scored,
    } as Record<string, KeyedState<unknown>>;
  }

  merge(partials: readonly unknown[], partition?: string): void {
    if (partition === undefined) throw new Error(`${this.name}: a merged drift part needs each batch's source partition`);
    this.closes.merge(partials, partition);
  }

  *onWatermark(watermark: number): ShardRequests {
    yield* this.closes.onWatermark(watermark);
  }

  *sync(): ShardRequests {
    this.port.follow(this.name, this.merger.inputs.resumeAfter());
    yield this.closes.syncRequest();
  }

  /** At a checkpoint's cut: applies what the merge partitions received, and hands this member's closes to the port. */
  drainOutputs(): OperatorOutput[] {
    const now = this.port.now();
    this.merger.apply(this.port.take(this.name), this.port.sourcePartitions(), now);
    this.port.offer(this.closes.cut());
    return this.merger.drainOutputs(now);
  }

  gauges(): GaugeReading[] {
    return this.merger.global.gauges();
  }
}
