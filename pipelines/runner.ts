import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { ContactKpiOperator } from '../operators/contact-kpis/index.js';
import { CustomerWindowsOperator, type CustomerWindowRow } from '../operators/customer-windows.js';
import { EVENT_TYPES, type EventType, type Rejection } from '../operators/events.js';
import { EventGate } from '../operators/event-gate.js';
import type { Operator, OperatorOutput } from '../operators/operator.js';
import type { WatermarkSnapshot } from '../operators/watermark.js';
import { alertRow } from '../operators/alert.js';
import { prepareCaseCheckpoint, watchesCaseDeadlines } from '../sinks/cases/index.js';
import type { PartitionHandoffDir } from '../sinks/duckdb/partition-handoff.js';
import { drainStateChanges, type DuckDBStore } from '../sinks/duckdb/store.js';
import { PopulationDriftOperator } from '../operators/population-drift/index.js';
import { BusinessGauges } from '../sinks/metrics/business-gauges.js';
import { ContactKpiGauges } from '../sinks/metrics/contact-kpi-gauges.js';
import type { PipelineMetrics } from '../sinks/metrics/pipeline-metrics.js';
import type { PartitionPosition, Source } from '../sources/source.js';
import { admitRecord, decodeAhead, type PredecodedBatch } from './decode-ahead.js';
import type { JobConfig } from './job-config.js';
import { PartitionOwners } from './partition-owners.js';
import type { SerialQueue } from './serial-queue.js';

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
  afterCheckpoint?: (committed: {
    rejections: Rejection[];
    outputs: OperatorOutput[];
    positions: ReadonlyMap<string, PartitionPosition>;
  }) => Promise<void>;
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

const WATERMARK_KEY = 'watermark';
/** Yielded by `withIdleTicks` when an unbounded source has been silent for a checkpoint interval. */
const IDLE = Symbol('idle');

/**
 * Runs one job: restore from the last checkpoint, pull batches from the source, pass every record
 * through the event gate into the operators, and checkpoint outputs, state and positions together.
 *
 * The per-record path is synchronous; awaiting happens only between batches (reading) and at
 * checkpoints, which also pause reading, so memory cannot run ahead of DuckDB.
 */
export class JobRunner {
  private readonly gate: EventGate;
  /** Rebuilt from the store after a partition hand-over changes what state this process holds. */
  private operators: Operator[];
  /** Customer -> source partition, for sources whose partitions can move to another process. */
  private readonly owners: PartitionOwners | undefined;
  private warnedNoHandoff = false;
  private readonly positions = new Map<string, PartitionPosition>();
  private rejections: Rejection[] = [];
  private readonly ingestedByType = new Array<number>(EVENT_TYPES.length).fill(0);
  private eventsSinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private readonly progress: RunProgress = { records: 0, accepted: 0, rejected: 0, watermark: -Infinity, checkpoints: 0 };
  private readonly now: () => number;
  private readyFlag = false;
  /** Index into `operators` of each KPI operator, its smallest window and its gauges. */
  private readonly kpiGauges: Array<[number, number, ContactKpiGauges]> = [];
  private readonly businessGauges: BusinessGauges;
  private readonly watchesCases: boolean;
  /** The last checkpoint's commit and what follows it (metrics, afterCheckpoint); never rejects. */
  private committing: Promise<void> = Promise.resolve();
  /**
   * Set when a checkpoint failed. Its outputs were drained and are gone from memory, so no later
   * checkpoint may commit (its positions would skip them): the run stops, and a restart replays
   * from the last committed checkpoint.
   */
  private commitFailure: { error: unknown } | undefined;

  constructor(private readonly context: RunContext) {
    const { job } = context;
    this.now = context.now ?? Date.now;
    this.gate = new EventGate({ ...job.eventTime });
    this.operators = this.buildOperators();
    this.owners = context.source.bounded ? undefined : new PartitionOwners();
    this.businessGauges = new BusinessGauges(context.metrics.registry);
    // The last event-time watermark: not the +Infinity that closes a bounded input's windows.
    context.metrics.trackWatermark(() => this.progress.watermark, this.now);
    this.watchesCases = this.operators.some(watchesCaseDeadlines);
    this.operators.forEach((op, index) => {
      if (!(op instanceof ContactKpiOperator)) return;
      // Gauges show the smallest window: the most current view for a wallboard.
      const sizeMs = Math.min(...op.options.windowSizesMs);
      this.kpiGauges.push([index, sizeMs, new ContactKpiGauges(context.metrics.registry, `${sizeMs / 60_000}m`)]);
    });
  }

  private buildOperators(): Operator[] {
    const { job } = this.context;
    return job.operators.map((op) => op.factory.build(op.name, op.settings, { allowedLatenessMs: job.eventTime.allowedLatenessMs }));
  }

  get ready(): boolean {
    return this.readyFlag;
  }

  async run(): Promise<RunSummary> {
    const { source, signal, logger } = this.context;
    const resumeFrom = await this.restore();
    // Positions are otherwise published after a checkpoint only; a restarted job with nothing new
    // to read would show none.
    for (const [partition, position] of resumeFrom) {
      this.context.metrics.sourcePosition.set({ source: source.name, partition: partitionLabel(partition) }, position.offset);
    }
    this.readyFlag = true;
    this.lastCheckpointAt = this.now();
    let completed = false;
    try {
      const messages = decodeAhead(source.read(resumeFrom, signal), { workers: this.context.job.decode.workers });
      for await (const message of this.withIdleTicks(messages)) {
        // A checkpoint committing in the background failed: stop before more work is lost.
        if (this.commitFailure) throw this.commitFailure.error;
        if (message === IDLE) {
          if (this.eventsSinceCheckpoint > 0 && this.checkpointDue()) await this.checkpoint();
          continue;
        }
        if (message.kind === 'end') {
          this.gate.watermarks.end(message.partition);
          this.advanceWatermark();
          continue;
        }
        if (message.kind === 'assign') {
          const now = this.now();
          for (const partition of message.partitions) {
            // A newly assigned partition must hold the watermark back before its first record
            // (until the idle timeout), or the first partition to deliver drives the watermark past
            // every other partition's backlog and turns it into late records. observe() with
            // -Infinity registers an unseen partition and only refreshes a known one.
            this.gate.watermarks.observe(partition, Number.NEGATIVE_INFINITY, now);
            this.gate.watermarks.reopen(partition, now);
          }
          await this.takeOver(message.partitions);
          continue;
        }
        if (message.kind === 'revoke') {
          // Make everything read from these partitions durable before another member takes them,
          // then stop tracking them: later checkpoints must not overwrite the new owner's positions.
          await this.checkpointCommitted();
          for (const partition of message.partitions) this.gate.watermarks.end(partition);
          await this.handOver(message.partitions, { lost: message.lost });
          for (const partition of message.partitions) this.positions.delete(partition);
          message.done();
          continue;
        }
        this.processBatch(message);
        this.advanceWatermark();
        if (this.checkpointDue()) await this.checkpoint();
      }
      if (!signal.aborted && source.bounded) {
        // The input has ended: close every window at the final watermark.
        this.gate.watermarks.finish();
        for (const op of this.operators) op.onWatermark(Number.POSITIVE_INFINITY);
        completed = true;
      }
    } finally {
      // After a failed checkpoint nothing more may commit or be handed over (see commitFailure).
      if (!this.commitFailure) {
        await this.checkpointCommitted();
        // A graceful stop gives every partition up: whoever is assigned them next (this process
        // after a restart, or another member) continues from the snapshot.
        if (!source.bounded) await this.handOver([...this.positions.keys()], { stopping: true });
      }
      await source.close();
    }
    if (this.commitFailure) throw this.commitFailure.error;
    logger.info(
      {
        ...this.progress,
        completed,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        heapUsedBytes: process.memoryUsage().heapUsed,
      },
      completed ? 'input processed to its end' : 'stopped; state checkpointed',
    );
    return { ...this.progress, completed };
  }

  /**
   * A source may go silent for hours after a burst (Kafka; also stdin fed by a live producer);
   * checkpoints are otherwise only taken after a batch, so the last records read would stay
   * uncommitted (no positions, alerts or metrics, nothing for the job's API to show) until more
   * input arrives. While the source is silent this yields IDLE every checkpoint interval so that
   * the due checkpoint is taken; the pending read stays pending. Files never wait, so for them the
   * timer never fires.
   */
  private async *withIdleTicks<T>(messages: AsyncIterable<T>): AsyncGenerator<T | typeof IDLE> {
    const iterator = messages[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<T>> | undefined;
    try {
      for (;;) {
        pending ??= iterator.next();
        let timer: NodeJS.Timeout | undefined;
        const tick = new Promise<typeof IDLE>((resolve) => {
          timer = setTimeout(() => resolve(IDLE), Math.max(10, this.context.job.checkpoint.intervalMs));
        });
        const next = await Promise.race([pending, tick]);
        clearTimeout(timer);
        if (next === IDLE) {
          yield IDLE;
          continue;
        }
        pending = undefined;
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A read still pending ends when the source is closed (after the final checkpoint);
      // awaiting return() before that would wait for it forever.
      if (pending) void pending.then(() => iterator.return?.(), () => undefined).catch(() => undefined);
      else await iterator.return?.();
    }
  }

  private processBatch(batch: PredecodedBatch): void {
    const now = this.now();
    const sourceName = this.context.source.name;
    const operators = this.operators;
    const owners = this.owners;
    for (let index = 0; index < batch.records.length; index++) {
      const event = admitRecord(this.gate, batch, index, sourceName, now);
      if (event === null) {
        const rejection = this.gate.lastRejection!;
        this.rejections.push(rejection);
        this.context.metrics.eventsRejected.inc({ type: rejection.type, reason: rejection.reason });
        continue;
      }
      for (let i = 0; i < operators.length; i++) operators[i]!.process(event);
      if (owners !== undefined && event.customer_id !== null) owners.observe(event.customer_id, batch.partition);
      this.ingestedByType[EVENT_TYPE_INDEX[event.type]]!++;
      this.progress.accepted++;
    }
    this.gate.watermarks.heartbeat(batch.partition, now);
    this.positions.set(batch.partition, batch.position);
    this.progress.records += batch.records.length;
    this.progress.rejected = this.progress.records - this.progress.accepted;
    this.eventsSinceCheckpoint += batch.records.length;
    this.context.onProgress?.(this.progress);
  }

  private advanceWatermark(): void {
    const before = this.gate.watermarks.current;
    const watermark = this.gate.advance(this.now());
    if (watermark > before) {
      for (const op of this.operators) op.onWatermark(watermark);
      this.progress.watermark = watermark;
    }
  }

  private checkpointDue(): boolean {
    const { maxEvents, intervalMs } = this.context.job.checkpoint;
    return this.eventsSinceCheckpoint >= maxEvents || this.now() - this.lastCheckpointAt >= intervalMs;
  }

  /**
   * Makes outputs, operator state, dedup ids and source positions durable in one transaction.
   * Resolves once all of it is staged in DuckDB; the commit goes on on DuckDB's threads while the
   * next events are processed (`committed()` waits for it). Checkpoints and the job API's commands
   * take turns through `exclusive`, for the whole of a checkpoint, commit included.
   */
  private checkpoint(): Promise<void> {
    let staged!: () => void;
    let failed!: (error: unknown) => void;
    const stagedPromise = new Promise<void>((resolve, reject) => {
      staged = resolve;
      failed = reject;
    });
    const previous = this.committing;
    const whole = this.context.exclusive
      ? this.context.exclusive.run(() => this.checkpointNow(previous, staged))
      : this.checkpointNow(previous, staged);
    this.committing = whole.catch((error: unknown) => {
      this.commitFailure ??= { error };
      failed(error);
    });
    return stagedPromise;
  }

  /** Waits for the last checkpoint's commit; throws if it failed. */
  private async committed(): Promise<void> {
    await this.committing;
    if (this.commitFailure) throw this.commitFailure.error;
  }

  /** A checkpoint, awaited until it has committed: before anything else reads or writes the store. */
  private async checkpointCommitted(): Promise<void> {
    await this.checkpoint();
    await this.committed();
  }

  /** `previous`: the commit of the checkpoint before, which this one follows. */
  private async checkpointNow(previous: Promise<void>, staged: () => void): Promise<void> {
    const { store, metrics, source } = this.context;
    await previous;
    if (this.commitFailure) throw this.commitFailure.error;
    const started = performance.now();
    // Cases: overdue escalations are settled against the `cases` table (people may have closed
    // them) before draining, and changes people made with `pulse cases` become notifications.
    const caseWork = this.watchesCases
      ? await prepareCaseCheckpoint(store.connection, this.operators, this.now())
      : undefined;
    const outputs = this.operators.flatMap((op) => op.drainOutputs());
    if (caseWork && caseWork.alerts.length > 0) outputs.push({ kind: 'alert', rows: caseWork.alerts.map(alertRow) });
    const state = drainStateChanges(this.operators);
    const rejections = this.rejections;
    this.rejections = [];
    // What this checkpoint covers: the loop moves the live map on while the commit runs.
    const positions = new Map(this.positions);
    try {
      const { committed } = await store.beginCheckpoint({
        outputs,
        rejections,
        state,
        dedup: this.gate.dedup.drainChanges(),
        positions: [...positions].map(([partition, position]) => ({ source: source.name, partition, position })),
        ...(this.owners ? { owners: this.owners.drainChanges() } : {}),
        jobState: { [WATERMARK_KEY]: this.gate.watermarks.snapshot() },
        ...(this.context.beforeCheckpointWrites
          ? { beforeWrites: (connection: DuckDBConnection) => this.context.beforeCheckpointWrites!(connection, outputs) }
          : {}),
        extraWrites: async (connection: DuckDBConnection) => {
          await caseWork?.write(connection);
          await this.context.checkpointWrites?.(connection, outputs);
        },
      });
      this.eventsSinceCheckpoint = 0;
      this.lastCheckpointAt = this.now();
      staged();
      await committed;
      metrics.checkpoints.inc({ outcome: 'ok' });
    } catch (error) {
      metrics.checkpoints.inc({ outcome: 'failed' });
      throw error;
    }
    metrics.checkpointDuration.observe((performance.now() - started) / 1000);
    this.progress.checkpoints++;
    await this.publishMetrics(outputs);
    await this.context.afterCheckpoint?.({ rejections, outputs, positions });
  }

  private async publishMetrics(outputs: OperatorOutput[]): Promise<void> {
    const { metrics, source } = this.context;
    EVENT_TYPES.forEach((type, i) => {
      if (this.ingestedByType[i]! > 0) metrics.eventsIngested.inc({ type }, this.ingestedByType[i]);
      this.ingestedByType[i] = 0;
    });
    for (const output of outputs) {
      metrics.outputRows.inc({ kind: output.kind }, (output.columns ?? output.rows).length);
      if (output.kind !== 'alert') continue;
      const committedAt = Date.now();
      for (const row of output.rows) {
        metrics.alerts.inc({ kind: String(row['kind']), severity: String(row['severity']) });
        if (row['status'] === 'firing') {
          metrics.alertLatency.observe({ kind: String(row['kind']) }, Math.max(0, (committedAt - Number(row['fired_at'])) / 1000));
        }
      }
    }
    const watermark = this.gate.watermarks.current;
    for (const [partition, position] of this.positions) {
      metrics.sourcePosition.set({ source: source.name, partition: partitionLabel(partition) }, position.offset);
    }
    for (const op of this.operators) {
      if (op instanceof CustomerWindowsOperator) metrics.stateEntries.set({ operator: op.name, state: 'open_windows' }, op.size);
      for (const [name, keyed] of Object.entries(op.states)) metrics.stateEntries.set({ operator: op.name, state: name }, keyed.size);
    }
    metrics.dedupIds.set(this.gate.dedup.size);
    for (const [index, sizeMs, gauges] of this.kpiGauges) gauges.publish((this.operators[index] as ContactKpiOperator).latestClosed(sizeMs));
    for (const op of this.operators) {
      if (!(op instanceof PopulationDriftOperator)) continue;
      this.businessGauges.publishDrift(op.latestScores());
      this.businessGauges.publishSegments(op.segmentSizes());
    }
    if (this.watchesCases) await this.businessGauges.publishCases(this.context.store.connection, watermark);
  }

  /** Loads the last checkpoint: positions, watermark, dedup ids, operator state, open windows. */
  private async restore(): Promise<ReadonlyMap<string, PartitionPosition>> {
    const { store, source, job, logger } = this.context;
    const checkpoint = await store.loadCheckpoint();
    const positions = checkpoint.positions.get(source.name) ?? new Map<string, PartitionPosition>();
    for (const [partition, position] of positions) this.positions.set(partition, position);
    const snapshot = checkpoint.jobState[WATERMARK_KEY] as WatermarkSnapshot | undefined;
    if (snapshot) this.gate.watermarks.restore(snapshot, this.now());
    this.gate.dedup.restore(await store.loadDedup());
    this.owners?.restore(await store.loadOwners());
    // A checkpoint taken before the first watermark (e.g. a Kafka partition assigned but not read
    // yet holds it at -Infinity) still has open windows: load them all then, or the next run would
    // start those windows empty and overwrite their rows.
    const watermark = this.gate.watermarks.current;
    const openWindows = await this.restoreOperators(Number.isFinite(watermark) || positions.size > 0);
    if (openWindows !== undefined) {
      this.progress.watermark = watermark;
      logger.info(
        { partitions: positions.size, watermark: Number.isFinite(watermark) ? new Date(watermark).toISOString() : null, openWindows },
        'resumed from checkpoint',
      );
    }
    return positions;
  }

  /**
   * Loads every operator's keyed state, and the open windows when `withWindows` (their count is
   * returned), from the store into the current operators.
   */
  private async restoreOperators(withWindows: boolean): Promise<number | undefined> {
    const { store, job } = this.context;
    for (const op of this.operators) {
      for (const [name, keyed] of Object.entries(op.states)) keyed.restore(await store.loadOperatorState(op.name, name));
    }
    if (!withWindows) return undefined;
    const watermark = this.gate.watermarks.current;
    const rows = await store.loadRows(
      `SELECT customer_id, epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end,
              spend_total, spend_count, spend_max, refund_total, usage_total, CAST(usage AS VARCHAR) AS usage, contacts
       FROM customer_windows WHERE epoch_ms(window_end) + $lateness > $watermark`,
      { lateness: job.eventTime.allowedLatenessMs, watermark: Number.isFinite(watermark) ? watermark : Number.MIN_SAFE_INTEGER },
    );
    const open: CustomerWindowRow[] = rows.map((row) => ({
      customer_id: String(row['customer_id']),
      window_start: Number(row['window_start']),
      window_end: Number(row['window_end']),
      spend_total: Number(row['spend_total']),
      spend_count: Number(row['spend_count']),
      spend_max: row['spend_max'] === null ? null : Number(row['spend_max']),
      refund_total: Number(row['refund_total']),
      usage_total: Number(row['usage_total']),
      usage: JSON.parse(String(row['usage'])) as Record<string, number>,
      contacts: Number(row['contacts']),
    }));
    for (const op of this.operators) if (op instanceof CustomerWindowsOperator) op.restoreOpenWindows(open);
    return open.length;
  }

  /**
   * Exports the state of partitions this process gives up to the hand-over directory (after a
   * checkpoint), and rebuilds the operators without it: the next owner continues that state, so
   * this process must neither keep updating it nor write its windows again.
   */
  private async handOver(partitions: readonly string[], { stopping = false, lost = false } = {}): Promise<void> {
    const { handoff, store, source, job, logger } = this.context;
    const moved = partitions.filter((p) => this.positions.has(p));
    if (moved.length === 0) return;
    if (!handoff) {
      if (!stopping && !this.warnedNoHandoff) {
        this.warnedNoHandoff = true;
        logger.warn(
          { partitions: moved },
          'partitions revoked without checkpoint.handoff_dir: their customers\' state stays in this process and ' +
            'does not move to the new owner, and per-customer detectors here see those customers go silent. ' +
            'Run one member per group, or set checkpoint.handoff_dir (sources/kafka/README.md)',
        );
      }
      return;
    }
    const open = { allowedLatenessMs: job.eventTime.allowedLatenessMs, watermark: this.gate.watermarks.current };
    for (const partition of moved) {
      if (lost) {
        // The group gave the partition away already; a snapshot now could be newer than the point
        // its new owner started from. Drop our copy; the new owner continues from the last snapshot.
        await handoff.discard(store.connection, source.name, partition, open);
        logger.warn({ partition }, 'partition lost (session timed out): its state since the last hand-over is dropped here');
      } else {
        const position = this.positions.get(partition)!;
        const manifest = await handoff.export(store.connection, source.name, partition, position, this.gate.watermarks.maxEventTimeOf(partition), open);
        logger.info({ partition, offset: manifest.position.offset, rows: manifest.rows }, 'partition state handed over');
      }
      this.positions.delete(partition);
    }
    if (!stopping) await this.reloadState();
  }

  /**
   * Imports hand-over snapshots of newly assigned partitions that are ahead of this process's own
   * position for them (the source was started right after the snapshot's position).
   */
  private async takeOver(partitions: readonly string[]): Promise<void> {
    const { handoff, store, source, logger } = this.context;
    if (!handoff) return;
    const snapshots = partitions
      .map((partition) => handoff.newest(source.name, partition))
      .filter((snapshot) => snapshot !== undefined)
      .filter((snapshot) => snapshot.manifest.position.offset > (this.positions.get(snapshot.manifest.partition)?.offset ?? -1));
    if (snapshots.length === 0) return;
    // The reload below replaces in-memory state with the store's: make the store current first.
    await this.checkpointCommitted();
    const now = this.now();
    for (const snapshot of snapshots) {
      const { partition, position, maxEventTime, rows } = snapshot.manifest;
      await handoff.import(store.connection, snapshot);
      this.positions.set(partition, position);
      if (maxEventTime !== null) this.gate.watermarks.observe(partition, maxEventTime, now);
      logger.info({ partition, offset: position.offset, rows }, 'partition state taken over');
    }
    await this.reloadState();
  }

  /** Rebuilds the operators, dedup ids and partition owners from the store (after a hand-over). */
  private async reloadState(): Promise<void> {
    this.operators = this.buildOperators();
    await this.restoreOperators(true);
    this.gate.dedup.restore(await this.context.store.loadDedup());
    this.owners?.restore(await this.context.store.loadOwners());
  }
}

const EVENT_TYPE_INDEX = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, i])) as Record<EventType, number>;

/** File paths are long; the label keeps the file name, which is bounded by the job's inputs. */
function partitionLabel(partition: string): string {
  return partition.split('/').pop() ?? partition;
}
