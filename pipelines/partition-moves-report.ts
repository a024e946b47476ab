import type { Logger } from 'pino';
import type { PipelineMetrics } from '../sinks/metrics/pipeline-metrics.js';
import type { PartitionMoves } from './partition-owners.js';

/**
 * Tells of customers whose events come from more than one source partition (Kafka): counted in
 * `pulse_customer_partition_moves_total`, and said once a run with an example and what to do. With
 * one member the results are right; in a group of members each partition's owner keeps its own part
 * of such a customer's windows and state, and a hand-over moves it with whichever partition the
 * customer's latest event came from.
 */
export class PartitionMovesReport {
  private told = false;

  constructor(private readonly context: { metrics: Pick<PipelineMetrics, 'customerPartitionMoves'>; logger: Pick<Logger, 'warn'> }) {}

  report(moves: PartitionMoves): void {
    if (moves.count === 0) return;
    this.context.metrics.customerPartitionMoves.inc(moves.count);
    if (this.told || moves.example === null) return;
    this.told = true;
    const { customer_id, from, to } = moves.example;
    this.context.logger.warn(
      { customer_id, from, to, changes: moves.count },
      `customer '${customer_id}' had events from partition ${from} and then from ${to} (${moves.count} such change(s) since the last ` +
        `checkpoint; pulse_customer_partition_moves_total counts them): the topic is not keyed by customer_id, or its partitions changed. ` +
        `A single member computes such customers right; in a group of members their windows and state are split between the ` +
        `members that read their partitions. Produce each event with its customer_id as the message key`,
    );
  }
}
