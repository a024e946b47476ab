/**
 * The KPI operator's global part in a job whose members merge their results (job option `merge`,
 * issue 20): instead of finishing the windows of this member's partitions, it publishes their
 * cumulative accumulators per source partition (partition-partials.ts), and finishes the windows of
 * the merge partitions this member owns from every member's accumulators (merger.ts). The rows,
 * alerts and merge positions are state and outputs of this member's checkpoint: one transaction.
 *
 * State is kept per partition number n (operators/partition-scoped-state.ts): source partition n's
 * accumulators and merge partition n's merge (the member reading source partition n owns merge
 * partition n), so that both move with source partition n to its next reader (hand-over directory
 * or state changelog), which continues the cumulative sums and the merged windows, rules included,
 * where the last reader's checkpoint left them.
 */
import type { GaugeReading } from '../gauges.js';
import { byMergePartition } from '../merge-inputs.js';
import type { MergePort } from '../merge-port.js';
import type { GlobalOperator, ShardRequests } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { partitionStateName } from '../partition-scoped-state.js';
import { KeyedState } from '../state.js';
import type { ThresholdRule } from '../rules/types.js';
import { ContactKpiGlobal } from './global.js';
import type { ContactKpiRow } from './kpis.js';
import type { KpiWatermarkSync } from './local.js';
import { KpiMerger } from './merger.js';
import type { ContactKpiOptions } from './options.js';
import { KpiPartitionPartials } from './partition-partials.js';

/** State names of the merge (besides the merged windows' own, global.ts); all but `member` are per partition number (`<name>@<n>`). */
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
  /** By source partition number: that partition's cumulative accumulators. */
  private readonly partials: KpiPartitionPartials[];
  /** By merge partition number: the merge of its queues and channels (empty where another member owns it). */
  private readonly mergers: KpiMerger[];
  /** This member's own watermark (its local parts drop contacts by it), not the merged one. */
  private readonly member = new KeyedState<number>();

  constructor(
    readonly name: string,
    options: ContactKpiOptions,
    rules: readonly ThresholdRule[],
    private readonly port: MergePort,
    idleTimeoutMs: number,
  ) {
    const count = port.sourcePartitions().length;
    this.partials = Array.from({ length: count }, () => new KpiPartitionPartials(name, options.allowedLatenessMs, options.windowSizesMs));
    this.mergers = Array.from({ length: count }, () => new KpiMerger(new ContactKpiGlobal(name, options, rules), options.allowedLatenessMs, idleTimeoutMs));
    const states: Record<string, KeyedState<unknown>> = { [KPI_MERGE_STATES.member]: this.member as KeyedState<unknown> };
    for (let n = 0; n < count; n++) {
      const merger = this.mergers[n]!;
      const own: Record<string, KeyedState<unknown>> = {
        ...merger.global.states,
        [KPI_MERGE_STATES.partials]: this.partials[n]!.state as KeyedState<unknown>,
        [KPI_MERGE_STATES.latest]: merger.latest as KeyedState<unknown>,
        [KPI_MERGE_STATES.positions]: merger.inputs.positions as KeyedState<unknown>,
        [KPI_MERGE_STATES.reports]: merger.inputs.reports as KeyedState<unknown>,
      };
      for (const [state, keyed] of Object.entries(own)) states[partitionStateName(state, n)] = keyed;
    }
    this.states = states;
  }

  merge(partials: readonly unknown[], partition?: string): void {
    const n = partition === undefined ? -1 : this.port.sourcePartitions().indexOf(partition);
    if (n < 0) throw new Error(`${this.name}: a merged KPI part needs each batch's source partition (got ${String(partition)})`);
    this.partials[n]!.add(partials, partition!);
  }

  // eslint-disable-next-line require-yield -- the global-operator contract is a generator; this part asks the shards nothing here
  *onWatermark(watermark: number): ShardRequests {
    if (watermark <= (this.member.get(WATERMARK_KEY) ?? -Infinity)) return;
    this.member.set(WATERMARK_KEY, Number.isFinite(watermark) ? watermark : Number.MAX_SAFE_INTEGER);
    for (const partials of this.partials) partials.expire(watermark);
  }

  *sync(): ShardRequests {
    const resume = new Map<number, number>();
    for (const merger of this.mergers) for (const [m, offset] of merger.inputs.resumeAfter()) resume.set(m, offset);
    this.port.follow(this.name, resume);
    const request: KpiWatermarkSync = { watermark: this.member.get(WATERMARK_KEY) ?? -Infinity };
    yield request;
  }

  /** At a checkpoint's cut: applies what the merge partitions received, and hands this member's changed partials to the port. */
  drainOutputs(): OperatorOutput[] {
    const now = this.port.now();
    const byPartition = byMergePartition(this.port.take(this.name), this.mergers.length, this.name);
    const sources = this.port.sourcePartitions();
    this.port.offer(this.partials.flatMap((partials) => partials.cut()));
    return this.mergers.flatMap((merger, m) => {
      merger.apply(byPartition[m]!, sources, now);
      return merger.drainOutputs(now);
    });
  }

  /** One reading per window size: the rows of the merge partitions this member owns (at most one merger has a queue x channel). */
  gauges(): GaugeReading[] {
    const rows = new Map<string, ContactKpiRow[]>();
    for (const merger of this.mergers) {
      for (const reading of merger.global.gauges()) {
        if (reading.kind !== 'contact_kpis') continue;
        rows.set(reading.window, [...(rows.get(reading.window) ?? []), ...reading.rows]);
      }
    }
    return [...rows].map(([window, list]) => ({ kind: 'contact_kpis', window, rows: list.sort(byQueueChannel) }));
  }
}

function byQueueChannel(a: ContactKpiRow, b: ContactKpiRow): number {
  return a.queue === b.queue ? (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0) : a.queue < b.queue ? -1 : 1;
}
