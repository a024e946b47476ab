import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PartitionRestores } from './partition-restores.js';

/**
 * The pipeline's own health metrics (SPEC section 6). Created once per run; labels come from
 * bounded sets only (event type, reject reason, operator name from the job, alert kind/severity),
 * never a customer or contact id.
 */
export class PipelineMetrics {
  readonly registry = new Registry();
  readonly eventsIngested: Counter<'type'>;
  readonly eventsRejected: Counter<'type' | 'reason'>;
  readonly reasonUnknown: Counter<'channel'>;
  readonly reasonTaxonomyVersion: Gauge;
  private readonly watermark: Gauge;
  private readonly watermarkLag: Gauge;
  /** Where the watermark gauges read from (`trackWatermark`). */
  private watermarkClock: { watermark: () => number; now: () => number } | undefined;
  readonly sourcePosition: Gauge<'source' | 'partition'>;
  readonly sourceLag: Gauge<'topic' | 'partition'>;
  private readonly partitionsAssigned: Gauge<'source'>;
  /** What `sourceLag` reads when scraped (`trackSourceLag`): lag by `topic/partition`. */
  private lagOf: (() => ReadonlyMap<string, number>) | undefined;
  /** What `partitionsAssigned` reads when scraped (`trackAssignment`). */
  private assignment: { source: string; count: () => number } | undefined;
  /** State restores after partition hand-overs (pulse status, pulse_partition_restore_*). */
  readonly restores: PartitionRestores;
  readonly stateEntries: Gauge<'operator' | 'state'>;
  readonly dedupIds: Gauge;
  readonly checkpointDuration: Histogram;
  readonly checkpoints: Counter<'outcome'>;
  readonly customerPartitionMoves: Counter;
  readonly alerts: Counter<'kind' | 'severity'>;
  readonly alertsHeldBack: Counter<'rule'>;
  readonly alertLatency: Histogram<'kind'>;
  readonly outputRows: Counter<'kind'>;
  readonly operatorSeconds: Counter<'operator'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'pulse_' });
      // prom-client exports these gauges with a `_total` suffix, which Prometheus reserves for
      // counters (`promtool check metrics` flags them); handle counts are not needed here.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(`pulse_${name}`);
      }
    }
    this.eventsIngested = new Counter({
      name: 'pulse_events_ingested_total',
      help: 'Events accepted into the pipeline (valid, not duplicate, not late), by event type; counted when the checkpoint that covers them commits.',
      labelNames: ['type'],
      registers,
    });
    this.eventsRejected = new Counter({
      name: 'pulse_events_rejected_total',
      help: 'Records sent to the dead-letter output, by event type (unknown if unreadable) and reason; counted when the checkpoint that covers them commits.',
      labelNames: ['type', 'reason'],
      registers,
    });
    // By channel only: the codes themselves are unbounded (they are listed in reason_unknown_codes).
    this.reasonUnknown = new Counter({
      name: 'pulse_reason_unknown_total',
      help: 'Contacts whose reason code the active reason list (taxonomy) does not know, by channel.',
      labelNames: ['channel'],
      registers,
    });
    this.reasonTaxonomyVersion = new Gauge({
      name: 'pulse_reason_taxonomy_version',
      help: 'The reason-list (taxonomy) version contact reasons are mapped with; 0 while there is none.',
      registers,
    });
    this.watermark = new Gauge({
      name: 'pulse_watermark_timestamp_seconds',
      help: 'Event-time watermark of the job, as a UNIX timestamp; absent until the job has one.',
      registers,
      collect: () => this.collectWatermark(this.watermark, (watermark) => watermark / 1000),
    });
    this.watermarkLag = new Gauge({
      name: 'pulse_watermark_lag_seconds',
      help: 'Wall-clock time minus the event-time watermark, when scraped (grows when the job falls behind or stops; large during a replay of history); absent until the job has a watermark.',
      registers,
      collect: () => this.collectWatermark(this.watermarkLag, (watermark, now) => (now - watermark) / 1000),
    });
    // An unlabelled gauge starts at 0, which would read as 1970 and a lag of decades.
    this.watermark.remove();
    this.watermarkLag.remove();
    this.sourcePosition = new Gauge({
      name: 'pulse_source_position',
      help:
        'Offset (line, row or Kafka offset) of the last processed record, by source and partition ' +
        "(a file: the shortest end of its path that tells it from the job's other inputs; Kafka: the partition number).",
      labelNames: ['source', 'partition'],
      registers,
    });
    this.sourceLag = new Gauge({
      name: 'pulse_source_lag_messages',
      help: 'Kafka consumer lag: messages in the partition after the last checkpointed one, for the partitions this member reads.',
      labelNames: ['topic', 'partition'],
      registers,
      collect: () => {
        if (!this.lagOf) return;
        // Only the partitions read now: a revoked partition's lag is its new owner's to report.
        this.sourceLag.reset();
        for (const [name, lag] of this.lagOf()) {
          const cut = name.lastIndexOf('/');
          this.sourceLag.set({ topic: name.slice(0, cut), partition: name.slice(cut + 1) }, lag);
        }
      },
    });
    this.partitionsAssigned = new Gauge({
      name: 'pulse_partitions_assigned',
      help: 'Source partitions this member reads now (Kafka: its share of the consumer group), by source.',
      labelNames: ['source'],
      registers,
      collect: () => {
        if (this.assignment) this.partitionsAssigned.set({ source: this.assignment.source }, this.assignment.count());
      },
    });
    this.restores = new PartitionRestores(this.registry);
    this.stateEntries = new Gauge({
      name: 'pulse_state_entries',
      help: 'Entries held in operator state (open windows, detector state, ...), by operator and state.',
      labelNames: ['operator', 'state'],
      registers,
    });
    this.dedupIds = new Gauge({
      name: 'pulse_dedup_ids',
      help: 'Event ids remembered for duplicate detection (bounded by the lateness horizon).',
      registers,
    });
    this.checkpointDuration = new Histogram({
      name: 'pulse_checkpoint_duration_seconds',
      help: 'Time to write one checkpoint transaction (outputs, state and positions) to DuckDB.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.checkpoints = new Counter({
      name: 'pulse_checkpoints_total',
      help: 'Checkpoints attempted, by outcome (ok, failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.customerPartitionMoves = new Counter({
      name: 'pulse_customer_partition_moves_total',
      help:
        'Kafka: events of a customer that came from another source partition than its earlier ones. Should stay 0: ' +
        'the topic is not keyed by customer_id (or its partitions changed), so members of a group split the customer.',
      registers,
    });
    this.alerts = new Counter({
      name: 'pulse_alerts_total',
      help: 'Alerts raised (firing; their resolutions are not counted), by kind and severity.',
      labelNames: ['kind', 'severity'],
      registers,
    });
    this.alertsHeldBack = new Counter({
      name: 'pulse_alerts_held_back_total',
      help:
        "Customers' alerts held back because their shift or silence is part of a move together (one analytic alert tells of the move; " +
        'table move_members lists them), by the rule held back.',
      labelNames: ['rule'],
      registers,
    });
    this.alertLatency = new Histogram({
      name: 'pulse_alert_latency_seconds',
      help:
        'Event-to-alert latency: from the event time that fired an alert to the commit that makes it durable ' +
        'and queues its delivery, by kind. Meaningful on live streams; a replay of history shows its age.',
      labelNames: ['kind'],
      buckets: [1, 5, 15, 30, 60, 300, 900, 3600, 21_600, 86_400],
      registers,
    });
    this.outputRows = new Counter({
      name: 'pulse_output_rows_total',
      help: 'Rows written to output tables, by output kind.',
      labelNames: ['kind'],
      registers,
    });
    this.operatorSeconds = new Counter({
      name: 'pulse_operator_seconds_total',
      help:
        'Time spent in each operator (processing events, watermarks, window and period closes, draining outputs), ' +
        'summed over the worker threads: its share of the CPU.',
      labelNames: ['operator'],
      registers,
    });
  }

  /**
   * The watermark gauges read `watermark()` (epoch ms; not finite while there is none) and
   * `now()` when scraped, so the lag is current between checkpoints and keeps growing while the
   * job is stuck. Before this is called, and while there is no watermark, both are absent.
   */
  trackWatermark(watermark: () => number, now: () => number = Date.now): void {
    this.watermarkClock = { watermark, now };
  }

  /** The tracked event-time watermark (epoch ms), or undefined while the job has none. */
  watermarkMs(): number | undefined {
    const watermark = this.watermarkClock?.watermark();
    return watermark !== undefined && Number.isFinite(watermark) ? watermark : undefined;
  }

  /** `pulse_partitions_assigned{source}` reads `count()` when scraped (a source with partitions that move). */
  trackAssignment(source: string, count: () => number): void {
    this.assignment = { source, count };
  }

  /** `pulse_source_lag_messages{topic,partition}` reads `lag()` (by `topic/partition`) when scraped. */
  trackSourceLag(lag: () => ReadonlyMap<string, number>): void {
    this.lagOf = lag;
  }

  private collectWatermark(gauge: Gauge, value: (watermarkMs: number, nowMs: number) => number): void {
    const watermark = this.watermarkClock?.watermark() ?? Number.NaN;
    if (Number.isFinite(watermark)) gauge.set(value(watermark, this.watermarkClock!.now()));
    else gauge.remove();
  }
}
