/**
 * The KPI operator's global part in a job whose members merge their results (job option `merge`,
 * issue 20): instead of finishing the windows of this member's partitions, it publishes their
 * cumulative accumulators per source partition (partition-partials.ts), and finishes the windows of
 * the merge partitions this member owns from every member's accumulators (merger.ts). The rows,
 * alerts and merge positions are state and outputs of this member's checkpoint: one transaction.
 */
import type { GaugeReading } from '../gauges.js';
import type { MergePort } from '../merge-port.js';
import type { GlobalOperator, ShardRequests } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { KeyedState } from '../state.js';
import type { ThresholdRule } from '../rules/types.js';
import { ContactKpiGlobal } from './global.js';
import type { KpiWatermarkSync } from './local.js';
import { KpiMerger } from './merger.js';
import type { ContactKpiOptions } from './options.js';
import { KpiPartitionPartials } from './partition-partials.js';

/** State names of the merge (besides the merged windows' own, global.ts). */
export const KPI_MERGE_STATES = {
  partials: 'partition_partials',
  latest: 'merge_latest',
  positions: 'merge_positions',
  reports: 'merge_reports',
  member: 'member_meta',
} as const;

const WATERMARK_KEY = 'watermark';

export class MergedKpiGlobal implements GlobalOperator {
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly partials: KpiPartitionPartials;
  private readonly merger: KpiMerger;
  /** This member's own watermark (its local parts drop contacts by it), not the merged one. */
  private readonly member = new KeyedState<number>();

  constructor(
    readonly name: string,
    options: ContactKpiOptions,
    rules: readonly ThresholdRule[],
    private readonly port: MergePort,
    idleTimeoutMs: number,
  ) {
    this.partials = new KpiPartitionPartials(name, options.allowedLatenessMs);
    this.merger = new KpiMerger(new ContactKpiGlobal(name, options, rules), options.allowedLatenessMs, idleTimeoutMs);
    this.states = {
      ...this.merger.global.states,
      [KPI_MERGE_STATES.partials]: this.partials.state,
      [KPI_MERGE_STATES.latest]: this.merger.latest,
      [KPI_MERGE_STATES.positions]: this.merger.positions,
      [KPI_MERGE_STATES.reports]: this.merger.reports,
      [KPI_MERGE_STATES.member]: this.member,
    } as Record<string, KeyedState<unknown>>;
  }

  merge(partials: readonly unknown[], partition?: string): void {
    if (partition === undefined) throw new Error(`${this.name}: a merged KPI part needs each batch's source partition`);
    this.partials.add(partials, partition);
  }

  // eslint-disable-next-line require-yield -- the global-operator contract is a generator; this part asks the shards nothing here
  *onWatermark(watermark: number): ShardRequests {
    if (watermark <= (this.member.get(WATERMARK_KEY) ?? -Infinity)) return;
    this.member.set(WATERMARK_KEY, Number.isFinite(watermark) ? watermark : Number.MAX_SAFE_INTEGER);
    this.partials.expire(watermark);
  }

  *sync(): ShardRequests {
    this.port.follow(this.name, this.merger.resumeAfter());
    const request: KpiWatermarkSync = { watermark: this.member.get(WATERMARK_KEY) ?? -Infinity };
    yield request;
  }

  /** At a checkpoint's cut: applies what the merge partitions received, and hands this member's changed partials to the port. */
  drainOutputs(): OperatorOutput[] {
    const now = this.port.now();
    this.merger.apply(this.port.take(this.name), this.port.sourcePartitions(), now);
    this.port.offer(this.partials.cut());
    return this.merger.drainOutputs(now);
  }

  gauges(): GaugeReading[] {
    return this.merger.global.gauges();
  }
}
