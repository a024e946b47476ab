/**
 * The drift operator's global part in a job whose members merge their results (job option `merge`,
 * issue 20): instead of deciding drift over this member's partitions, it publishes each period's
 * close per source partition it reads (partition-closes.ts), and decides drift for the whole
 * population from every member's closes when this member owns the drift's merge partition
 * (drift-merger.ts). The rows, alerts and merge positions are state and outputs of this member's
 * checkpoint: one transaction.
 *
 * State is kept per partition number n (operators/partition-scoped-state.ts, as the KPI merge's):
 * source partition n's close progress, open periods and published closes, and the merge of merge
 * partition n (the member reading source partition n owns merge partition n; only the drift's
 * merge partition receives closes, so only its merger decides), so both move with source partition
 * n to its next reader.
 */
import type { GaugeReading } from '../gauges.js';
import { byMergePartition } from '../merge-inputs.js';
import type { MergePort } from '../merge-port.js';
import type { GlobalOperator, ShardRequests } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { partitionStateName } from '../partition-scoped-state.js';
import type { KeyedState } from '../state.js';
import { DriftMerger } from './drift-merger.js';
import { PopulationDriftGlobal } from './global.js';
import type { PopulationDriftOptions } from './options.js';
import { DriftPartitionCloses, POPULATION_CHUNK } from './partition-closes.js';

/** State names of the merge (besides the merged decision's own, global.ts), each per partition number (`<name>@<n>`). */
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
  /** By merge partition number: the decision over the whole population (empty but where the drift's merge partition is owned here). */
  private readonly mergers: DriftMerger[];

  constructor(
    options: PopulationDriftOptions,
    private readonly port: MergePort,
    idleTimeoutMs: number,
    /** Customers per population record (partition-closes.ts). */
    chunkSize = POPULATION_CHUNK,
  ) {
    this.name = options.name;
    const sources = port.sourcePartitions();
    this.closes = new DriftPartitionCloses(options, sources, chunkSize);
    this.mergers = sources.map(() => new DriftMerger(new PopulationDriftGlobal(options), idleTimeoutMs));
    const states: Record<string, KeyedState<unknown>> = {};
    for (let n = 0; n < sources.length; n++) {
      const merger = this.mergers[n]!;
      const own = {
        ...merger.global.states,
        [DRIFT_MERGE_STATES.progress]: this.closes.progress[n]!,
        [DRIFT_MERGE_STATES.periods]: this.closes.periods[n]!,
        [DRIFT_MERGE_STATES.closed]: this.closes.closed[n]!,
        [DRIFT_MERGE_STATES.latest]: merger.latest,
        [DRIFT_MERGE_STATES.positions]: merger.inputs.positions,
        [DRIFT_MERGE_STATES.reports]: merger.inputs.reports,
        [DRIFT_MERGE_STATES.scored]: merger.scored,
      } as Record<string, KeyedState<unknown>>;
      for (const [state, keyed] of Object.entries(own)) states[partitionStateName(state, n)] = keyed;
    }
    this.states = states;
  }

  merge(partials: readonly unknown[], partition?: string): void {
    if (partition === undefined) throw new Error(`${this.name}: a merged drift part needs each batch's source partition`);
    this.closes.merge(partials, partition);
  }

  *onWatermark(watermark: number): ShardRequests {
    yield* this.closes.onWatermark(watermark);
  }

  *onPartitionWatermark(partition: string, watermark: number): ShardRequests {
    yield* this.closes.onPartitionWatermark(partition, watermark);
  }

  *sync(): ShardRequests {
    const resume = new Map<number, number>();
    for (const merger of this.mergers) for (const [m, offset] of merger.inputs.resumeAfter()) resume.set(m, offset);
    this.port.follow(this.name, resume);
    yield this.closes.syncRequest();
  }

  /** At a checkpoint's cut: applies what the merge partitions received, and hands this member's closes to the port. */
  drainOutputs(): OperatorOutput[] {
    const now = this.port.now();
    const byPartition = byMergePartition(this.port.take(this.name), this.mergers.length, this.name);
    const sources = this.port.sourcePartitions();
    this.port.offer(this.closes.cut());
    return this.mergers.flatMap((merger, m) => {
      merger.apply(byPartition[m]!, sources, now);
      return merger.drainOutputs(now);
    });
  }

  /** The deciding merger's (the others have decided nothing: their gauges are empty). */
  gauges(): GaugeReading[] {
    return (this.mergers.find((merger) => merger.global.closedBefore() !== null) ?? this.mergers[0])?.global.gauges() ?? [];
  }
}
