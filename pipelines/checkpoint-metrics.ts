import { EVENT_TYPES, type Rejection } from '../operators/events.js';
import type { OperatorOutput } from '../operators/operator.js';
import type { GlobalOperator, OperatorPlan } from '../operators/parallel.js';
import type { PartitionPosition } from '../sources/source.js';
import { BusinessGauges } from '../sinks/metrics/business-gauges.js';
import { HeldCounts } from '../sinks/metrics/held-counts.js';
import { OperatorGauges } from '../sinks/metrics/operator-gauges.js';
import { OutcomeGauges } from '../sinks/metrics/outcome-gauges.js';
import { SourcePartitionLabels } from '../sinks/metrics/partition-labels.js';
import type { RunContext } from './run-context.js';

/** What one committed checkpoint reports besides its outputs. */
export interface CheckpointFigures {
  outputs: readonly OperatorOutput[];
  /** Entries held per operator, by state name (all shards). */
  sizes: ReadonlyArray<Readonly<Record<string, number>>>;
  dedupIds: number;
  /** Seconds per operator since the previous checkpoint, all threads. */
  seconds: readonly number[];
  /** The global parts, read for their gauges (operators/gauges.ts). */
  globals: ReadonlyArray<GlobalOperator | undefined>;
  /** The job clock of the checkpoint (overdue cases are counted by it). */
  clockAt: number | undefined;
  /** Whether some operator holds cases (their gauges are read from the `cases` table). */
  cases: boolean;
  /** The event counts taken when the checkpoint was cut (`cutCounts`). */
  counts: CountsAtCut;
}

/** Counts taken at a checkpoint's cut, added to their counters once it has committed. */
export interface CountsAtCut {
  release(): void;
}

/**
 * The job's metrics that move at checkpoints (sinks/metrics): events ingested and rejected, output
 * rows and alerts, source positions, state sizes and operator time, and the business gauges.
 * Published after each commit, so that they show what is durable.
 */
export class CheckpointMetrics {
  private readonly ingested: HeldCounts<'type'>;
  /** Rejects on the same clock as ingested events: the dead-letter ratio divides one by the other. */
  private readonly rejected: HeldCounts<'type' | 'reason'>;
  private readonly partitionLabels: SourcePartitionLabels;
  /** Seconds per operator over the run, all threads (the summary log line). */
  readonly operatorSeconds: Record<string, number> = {};
  private readonly operatorGauges: OperatorGauges;
  private readonly businessGauges: BusinessGauges;
  private readonly outcomeGauges: OutcomeGauges;

  constructor(
    private readonly context: Pick<RunContext, 'job' | 'metrics' | 'source' | 'store'>,
    private readonly plans: readonly OperatorPlan[],
  ) {
    const { job, metrics, source } = context;
    this.ingested = new HeldCounts(metrics.eventsIngested);
    this.rejected = new HeldCounts(metrics.eventsRejected);
    this.partitionLabels = new SourcePartitionLabels(source.partitions);
    this.businessGauges = new BusinessGauges(metrics.registry);
    this.outcomeGauges = new OutcomeGauges(metrics.registry, job.outcomes);
    // Fresh global parts, asked only which gauges they have: the run's own are restored from the checkpoint.
    const declared = plans.map((plan) => plan.createGlobal?.().gauges?.() ?? []);
    this.operatorGauges = new OperatorGauges(metrics.registry, this.businessGauges, job.metricsLabelLimits, declared);
  }

  /** Counts a batch's accepted events by type (published at the next checkpoint). */
  countIngested(acceptedByType: readonly number[]): void {
    acceptedByType.forEach((n, i) => this.ingested.add({ type: EVENT_TYPES[i]! }, n));
  }

  /** Counts a dead letter (published at the next checkpoint, with the accepted events). */
  countRejected({ type, reason }: Rejection): void {
    this.rejected.add({ type, reason });
  }

  publishPositions(positions: ReadonlyMap<string, PartitionPosition>): void {
    const { metrics, source } = this.context;
    for (const [partition, position] of positions) {
      const label = this.partitionLabels.of(partition);
      if (label !== undefined) metrics.sourcePosition.set({ source: source.name, partition: label }, position.offset);
    }
  }

  /**
   * The ingested and rejected counts of the records a checkpoint covers, taken when it is cut and
   * published with it: a crash before it commits reads those records again, and they are counted
   * once, by the checkpoint that holds them.
   */
  cutCounts(): CountsAtCut {
    const ingested = this.ingested.take();
    const rejected = this.rejected.take();
    return {
      release: () => {
        ingested.release();
        rejected.release();
      },
    };
  }

  async publish(figures: CheckpointFigures, positions: ReadonlyMap<string, PartitionPosition>): Promise<void> {
    const { metrics, store } = this.context;
    const { outputs, sizes, seconds } = figures;
    figures.counts.release();
    for (const output of outputs) {
      metrics.outputRows.inc({ kind: output.kind }, (output.columns ?? output.rows).length);
      // The rule is one of the shift operator's five (alerts.ts MoveMemberRow): a bounded label.
      if (output.kind === 'move_member') for (const row of output.rows) metrics.alertsHeldBack.inc({ rule: String(row['rule']) });
      if (output.kind !== 'alert') continue;
      const committedAt = Date.now();
      for (const row of output.rows) {
        // Alerts raised: a resolution is the same alert again, and counting it overstated every "alerts per hour" panel.
        if (row['status'] !== 'firing') continue;
        metrics.alerts.inc({ kind: String(row['kind']), severity: String(row['severity']) });
        metrics.alertLatency.observe({ kind: String(row['kind']) }, Math.max(0, (committedAt - Number(row['fired_at'])) / 1000));
      }
    }
    this.publishPositions(positions);
    this.plans.forEach((plan, i) => {
      for (const [state, n] of Object.entries(sizes[i]!)) metrics.stateEntries.set({ operator: plan.name, state }, n);
      if (seconds[i]! > 0) metrics.operatorSeconds.inc({ operator: plan.name }, seconds[i]);
      this.operatorSeconds[plan.name] = (this.operatorSeconds[plan.name] ?? 0) + seconds[i]!;
    });
    metrics.dedupIds.set(figures.dedupIds);
    this.operatorGauges.publish(figures.globals.map((global) => global?.gauges?.() ?? []));
    if (figures.cases) await this.businessGauges.publishCases(store.connection, figures.clockAt ?? Number.NEGATIVE_INFINITY);
    await this.outcomeGauges.publish(store.connection);
  }
}
