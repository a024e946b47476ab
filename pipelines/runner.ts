import type { DuckDBConnection } from '@duckdb/node-api';
import { type Alert, alertRow } from '../operators/alert.js';
import type { DedupChanges } from '../operators/dedup.js';
import { EVENT_TYPES, type Rejection } from '../operators/events.js';
import type { OperatorOutput } from '../operators/operator.js';
import type { GlobalOperator, LocalOperator, OperatorPlan, ShardRequests } from '../operators/parallel.js';
import { mergeUnknownCounts, type ActiveTaxonomy, type UnknownReasonCount } from '../operators/reason-mapping.js';
import { drainStateRows, type StateRow } from '../operators/state.js';
import { WatermarkTracker, type WatermarkSnapshot } from '../operators/watermark.js';
import { prepareCaseCheckpoint, watchesCaseDeadlines, type CaseDeadlineWatcher } from '../sinks/cases/index.js';
import type { CaseStatusInfo } from '../operators/service/case-status.js';
import type { SettledCase } from '../operators/service/operator.js';
import { JOB_CLOCK_KEY, jobClock, type JobClock } from '../sinks/duckdb/job-clock.js';
import { BusinessGauges } from '../sinks/metrics/business-gauges.js';
import { OperatorGauges } from '../sinks/metrics/operator-gauges.js';
import { OutcomeGauges } from '../sinks/metrics/outcome-gauges.js';
import { inferLeadOutcomes } from '../sinks/outcomes/infer.js';
import { activeTaxonomyNumber, taxonomyVersion } from '../sinks/taxonomy/store.js';
import { addUnknownReasonCounts } from '../sinks/taxonomy/unknown-codes.js';
import type { PartitionPosition, RecordBatch } from '../sources/source.js';
import { withIdleTicks, IDLE } from './idle-ticks.js';
import { replaysFiles } from './job-config.js';
import { readAhead } from './read-ahead.js';
import { dueReportAlerts, SCHEDULE_CURSOR_KEY } from './report-schedule.js';
import { CommitChain } from './commit-chain.js';
import { PartitionHandover } from './partition-handover.js';
import type { RunContext, RunProgress, RunSummary } from './run-context.js';
import { fromPortable } from './shards/portable-output.js';
import { InlineShardPool, WorkerShardPool, shardWorkerEntry, type RoutedBatch, type ShardPool } from './shards/pool.js';
import { shardOf } from './shards/routing.js';
import type { BatchResult, ShardRestore } from './shards/shard.js';

const WATERMARK_KEY = 'watermark';
/** Record batches read and split by worker ahead of the one being processed. */
const READ_AHEAD = 3;

/**
 * Runs one job: restore from the last checkpoint, pull batches from the source, hand each batch's
 * records to the shards (worker threads, by customer; pipelines/shards), and checkpoint outputs,
 * state and positions together.
 *
 * The main thread reads and splits batches, keeps the watermark over all partitions, runs the
 * operators' global parts (operators/parallel.ts) and writes checkpoints. Each batch is processed
 * by every shard before the watermark moves and the next batch goes out, so every record is judged
 * against the same watermark whatever the number of workers, and the results are the same.
 */
export class JobRunner {
  private readonly watermarks: WatermarkTracker;
  private readonly plans: OperatorPlan[];
  /** One local part per operator, never fed: what the state and capabilities of its shards are. */
  private readonly prototypes: LocalOperator[];
  private globals: Array<GlobalOperator | undefined>;
  private pool: ShardPool | undefined;
  /** Indexes of the operators whose local parts hold cases with deadlines. */
  private readonly caseWatchers: number[];
  private readonly positions = new Map<string, PartitionPosition>();
  private rejections: Rejection[] = [];
  private readonly ingestedByType = new Array<number>(EVENT_TYPES.length).fill(0);
  private eventsSinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private readonly progress: RunProgress = { records: 0, accepted: 0, rejected: 0, watermark: -Infinity, checkpoints: 0 };
  private readonly now: () => number;
  private readyFlag = false;
  /** Seconds per operator on the main thread since the last checkpoint (global parts). */
  private globalSeconds: number[];
  /** Seconds per operator over the run, all threads (the summary log line). */
  private readonly operatorSeconds: Record<string, number> = {};
  private readonly operatorGauges: OperatorGauges;
  private readonly businessGauges: BusinessGauges;
  private readonly outcomeGauges: OutcomeGauges;
  /** Checkpoints committing in the background, and the latch that stops the run when one fails. */
  private readonly commits: CommitChain;
  private readonly handover: PartitionHandover;
  /**
   * Scheduled reports: the job clock up to which their runs were made (pipelines/report-schedule.ts),
   * from the checkpoint, or where the clock started (the first watermark of a bounded input, the
   * wall clock at start for a live source) on a job's first run.
   */
  private scheduleCursor: number | undefined;
  /** The job clock runs on event time (a replay of files), not the wall clock (Kafka, stdin). */
  private readonly eventClock: boolean;
  /** The reason list the shards map contact reasons with since the last checkpoint (none: as they arrive). */
  private taxonomy: ActiveTaxonomy | undefined;

  constructor(private readonly context: RunContext) {
    const { job } = context;
    this.now = context.now ?? Date.now;
    this.commits = new CommitChain(context.exclusive);
    this.eventClock = replaysFiles(job);
    this.watermarks = new WatermarkTracker(job.eventTime);
    this.handover = new PartitionHandover(context, {
      positions: this.positions,
      watermarks: this.watermarks,
      now: this.now,
      checkpointCommitted: () => this.checkpointCommitted(),
      reloadState: async () => void (await this.loadState(true)),
    });
    this.plans = job.operators.map((op) => op.factory.build(op.name, op.settings, { allowedLatenessMs: job.eventTime.allowedLatenessMs }));
    this.prototypes = this.plans.map((plan) => plan.createLocal());
    this.globals = this.plans.map((plan) => plan.createGlobal?.());
    this.globalSeconds = this.plans.map(() => 0);
    this.caseWatchers = this.prototypes.flatMap((local, i) => (watchesCaseDeadlines(local) ? [i] : []));
    this.businessGauges = new BusinessGauges(context.metrics.registry);
    this.outcomeGauges = new OutcomeGauges(context.metrics.registry, context.job.outcomes);
    // The last event-time watermark: not the +Infinity that closes a bounded input's windows.
    context.metrics.trackWatermark(() => this.progress.watermark, this.now);
    // Fresh global parts, asked only which gauges they have: the run's own are restored from the checkpoint.
    const declared = this.plans.map((plan) => plan.createGlobal?.().gauges?.() ?? []);
    this.operatorGauges = new OperatorGauges(context.metrics.registry, this.businessGauges, job.metricsLabelLimits, declared);
  }

  get ready(): boolean {
    return this.readyFlag;
  }

  async run(): Promise<RunSummary> {
    const { source, signal, logger } = this.context;
    this.pool = this.createPool();
    let completed = false;
    try {
      const resumeFrom = await this.restore();
      await this.followTaxonomy();
      if (!this.eventClock) this.scheduleCursor ??= this.now();
      // Positions are otherwise published after a checkpoint only; a restarted job with nothing new
      // to read would show none.
      for (const [partition, position] of resumeFrom) {
        this.context.metrics.sourcePosition.set({ source: source.name, partition: partitionLabel(partition) }, position.offset);
      }
      this.readyFlag = true;
      this.lastCheckpointAt = this.now();
      const pool = this.pool;
      const messages = readAhead(source.read(resumeFrom, signal), READ_AHEAD, (batch) => pool.route(batch));
      for await (const message of withIdleTicks(messages, this.context.job.checkpoint.intervalMs)) {
        // A checkpoint committing in the background failed: stop before more work is lost.
        this.commits.throwIfFailed();
        if (message === IDLE) {
          if ((this.eventsSinceCheckpoint > 0 || this.clockWorkDue()) && this.checkpointDue()) await this.checkpoint();
          else await this.followTaxonomyWhileIdle();
          continue;
        }
        if (message.kind === 'end') {
          this.watermarks.end(message.partition);
          await this.advanceWatermark();
          continue;
        }
        if (message.kind === 'assign') {
          await this.handover.assigned(message);
          continue;
        }
        if (message.kind === 'revoke') {
          await this.handover.revoked(message);
          continue;
        }
        await this.processBatch(message, message.prepared);
        await this.advanceWatermark();
        if (this.checkpointDue()) await this.checkpoint();
      }
      if (!signal.aborted && source.bounded) {
        // The input has ended: close every window at the final watermark.
        this.watermarks.finish();
        await this.onWatermark(Number.POSITIVE_INFINITY);
        completed = true;
      }
    } finally {
      // After a failed checkpoint nothing more may commit or be handed over (pipelines/commit-chain.ts).
      if (!this.commits.failed && this.readyFlag) {
        await this.checkpointCommitted();
        if (!source.bounded) await this.handover.stopping();
      }
      await source.close();
      await this.pool.close();
    }
    this.commits.throwIfFailed();
    logger.info(
      {
        ...this.progress,
        completed,
        workers: this.context.job.workers,
        operatorSeconds: Object.fromEntries(Object.entries(this.operatorSeconds).map(([name, s]) => [name, Math.round(s * 100) / 100])),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        heapUsedBytes: process.memoryUsage().heapUsed,
      },
      completed ? 'input processed to its end' : 'stopped; state checkpointed',
    );
    return { ...this.progress, completed };
  }

  private createPool(): ShardPool {
    const { job, source, logger } = this.context;
    const { allowedLatenessMs, maxFutureMs, minTimeMs } = job.eventTime;
    const options = { gate: { allowedLatenessMs, maxFutureMs, minTimeMs, limits: job.limits }, trackOwners: !source.bounded };
    const entry = shardWorkerEntry();
    if (job.workers > 0 && entry === undefined) logger.warn('no shard worker beside the runner: running on the main thread (workers: 0)');
    if (job.workers === 0 || entry === undefined) return new InlineShardPool(() => this.plans.map((plan) => plan.createLocal()), options);
    const operators = job.operators.map(({ type, name, settings }) => ({ type, name, settings }));
    return new WorkerShardPool(job.workers, { operators, ...options }, entry);
  }

  private async processBatch(batch: RecordBatch, routed: RoutedBatch): Promise<void> {
    const now = this.now();
    const results = await this.pool!.process(routed, this.context.source.name, now);
    let accepted = 0;
    for (const result of results) {
      for (const rejection of result.rejections) {
        this.rejections.push(rejection);
        this.context.metrics.eventsRejected.inc({ type: rejection.type, reason: rejection.reason });
      }
      result.acceptedByType.forEach((n, i) => (this.ingestedByType[i]! += n));
      accepted += result.accepted;
    }
    this.mergePartials(results);
    const times = concatTimes(results.map((r) => r.eventTimes));
    // A batch without a plausible time registers nothing: an unknown partition does not hold the watermark back.
    if (times.length > 0) this.watermarks.observeBatch(batch.partition, times, now);
    this.watermarks.heartbeat(batch.partition, now);
    this.positions.set(batch.partition, batch.position);
    this.progress.records += batch.records.length;
    this.progress.accepted += accepted;
    this.progress.rejected = this.progress.records - this.progress.accepted;
    this.eventsSinceCheckpoint += batch.records.length;
    this.context.onProgress?.(this.progress);
  }

  /** Hands each global part the partials of its local parts, in shard order. */
  private mergePartials(results: readonly BatchResult[]): void {
    this.globals.forEach((global, i) => {
      if (global === undefined) return;
      const partials: unknown[] = [];
      for (const result of results) if (result.partials[i] !== undefined) partials.push(result.partials[i]);
      if (partials.length === 0) return;
      const started = performance.now();
      global.merge(partials);
      this.globalSeconds[i]! += (performance.now() - started) / 1000;
    });
  }

  private async advanceWatermark(): Promise<void> {
    const before = this.watermarks.current;
    const watermark = this.watermarks.advance(this.now());
    if (watermark > before) {
      if (this.eventClock && Number.isFinite(watermark)) this.scheduleCursor ??= watermark;
      this.progress.watermark = watermark;
      await this.onWatermark(watermark);
    }
  }

  /** The shards' local parts first (they close their own state), then the global parts. */
  private async onWatermark(watermark: number): Promise<void> {
    await this.pool!.watermark(watermark);
    for (const [i, global] of this.globals.entries()) if (global) await this.drive(i, global.onWatermark(watermark));
  }

  /** Runs a global part's requests against its local parts on every shard. */
  private async drive(index: number, requests: ShardRequests): Promise<void> {
    let started = performance.now();
    let step = requests.next();
    for (;;) {
      this.globalSeconds[index]! += (performance.now() - started) / 1000;
      if (step.done) return;
      const answers = await this.pool!.ask(index, step.value);
      started = performance.now();
      step = requests.next(answers);
    }
  }

  /**
   * A live job's clock (the wall clock) moves while its source is silent: a checkpoint is needed
   * without new events when a scheduled report is due or a case deadline may have passed.
   */
  private clockWorkDue(): boolean {
    if (this.eventClock) return false;
    if (this.caseWatchers.length > 0) return true;
    const cursor = this.scheduleCursor;
    if (cursor === undefined) return false;
    const now = this.now();
    return this.context.job.reportSchedules.some((s) => (s.cron.nextRun(new Date(cursor))?.getTime() ?? Infinity) <= now);
  }

  private checkpointDue(): boolean {
    const { maxEvents, intervalMs } = this.context.job.checkpoint;
    return this.eventsSinceCheckpoint >= maxEvents || this.now() - this.lastCheckpointAt >= intervalMs;
  }

  /**
   * Makes outputs, operator state, dedup ids and source positions durable in one transaction.
   * Resolves once all of it is staged in DuckDB; the commit goes on on DuckDB's threads while the
   * next events are processed (pipelines/commit-chain.ts).
   */
  private checkpoint(): Promise<void> {
    return this.commits.add((staged) => this.checkpointNow(staged));
  }

  /** A checkpoint, awaited until it has committed: before anything else reads or writes the store. */
  private async checkpointCommitted(): Promise<void> {
    await this.checkpoint();
    await this.commits.committed();
  }

  /** Runs after the previous checkpoint has committed; calls `staged` once its writes are in DuckDB. */
  private async checkpointNow(staged: () => void): Promise<void> {
    const { store, metrics, source } = this.context;
    const started = performance.now();
    // Cases: overdue escalations are settled against the `cases` table (people may have closed
    // them) before draining, and changes people made with `pulse cases` become notifications.
    // The job clock (sinks/duckdb/job-clock.ts): deadlines and schedules are judged by it, and it is
    // stored so that `pulse cases list` judges by it too.
    const watermark = this.watermarks.snapshot();
    const clock = jobClock(this.eventClock, watermark.current, this.now());
    const caseWork =
      this.caseWatchers.length > 0
        ? await prepareCaseCheckpoint(store.connection, this.caseDeadlineWatchers(), clock?.at ?? this.now(), clock?.basis === 'wall' ? clock.at : undefined)
        : undefined;
    const drained = await this.drain();
    const { outputs, state, dedup, owners, unknownReasons } = drained;
    // A reason list saved since the last checkpoint maps the records read after this one (the
    // read loop waits for this checkpoint to be staged before it sends the shards more).
    await this.followTaxonomy();
    if (caseWork && caseWork.alerts.length > 0) outputs.push({ kind: 'alert', rows: caseWork.alerts.map(alertRow) });
    const scheduled = this.dueReports(clock);
    if (scheduled.length > 0) outputs.push({ kind: 'alert', rows: scheduled.map(alertRow) });
    const rejections = this.rejections;
    this.rejections = [];
    // What this checkpoint covers: the loop moves the live map on while the commit runs.
    const positions = new Map(this.positions);
    try {
      const { committed } = await store.beginCheckpoint({
        outputs,
        rejections,
        state,
        dedup,
        positions: [...positions].map(([partition, position]) => ({ source: source.name, partition, position })),
        ...(source.bounded ? {} : { owners }),
        jobState: {
          [WATERMARK_KEY]: watermark,
          ...(clock ? { [JOB_CLOCK_KEY]: clock } : {}),
          ...(this.scheduleCursor !== undefined ? { [SCHEDULE_CURSOR_KEY]: this.scheduleCursor } : {}),
        },
        ...(this.context.beforeCheckpointWrites
          ? { beforeWrites: (connection: DuckDBConnection) => this.context.beforeCheckpointWrites!(connection, outputs) }
          : {}),
        extraWrites: async (connection: DuckDBConnection) => {
          await caseWork?.write(connection);
          await addUnknownReasonCounts(connection, unknownReasons);
          // Lead outcomes from the transactions stored so far, in this transaction: exactly once.
          const { leadInference } = this.context.job;
          if (leadInference && watermark.current !== null) await inferLeadOutcomes(connection, { ...leadInference, watermark: watermark.current });
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
    await this.publishMetrics(outputs, drained.sizes, drained.dedupIds, drained.seconds, clock?.at);
    for (const { channel, count } of unknownReasons) metrics.reasonUnknown.inc({ channel }, count);
    await this.context.afterCheckpoint?.({ rejections, outputs, positions });
  }

  /**
   * The scheduled reports whose time the job clock passed since the last checkpoint, as `report`
   * alerts; moves the cursor, which this checkpoint stores with them (exactly once).
   */
  private dueReports(clock: JobClock | undefined): Alert[] {
    const { reportSchedules, reportLinks } = this.context.job;
    if (clock === undefined || this.scheduleCursor === undefined || clock.at <= this.scheduleCursor) return [];
    // The cursor moves without schedules too: schedules added later start from then, not from the job's first day.
    const alerts = reportSchedules.length > 0 ? dueReportAlerts(reportSchedules, this.scheduleCursor, clock.at, reportLinks) : [];
    this.scheduleCursor = clock.at;
    return alerts;
  }

  /** Everything the shards and the global parts changed since the previous checkpoint. */
  private async drain(): Promise<{
    outputs: OperatorOutput[];
    state: StateRow[];
    dedup: DedupChanges[];
    owners: Array<{ customer_id: string; partition: string }>;
    sizes: Array<Record<string, number>>;
    dedupIds: number;
    seconds: number[];
    unknownReasons: UnknownReasonCount[];
  }> {
    const shards = await this.pool!.drain();
    const outputs: OperatorOutput[] = [];
    const state: StateRow[] = [];
    const owners: Array<{ customer_id: string; partition: string }> = [];
    const sizes = this.plans.map((): Record<string, number> => ({}));
    const seconds = [...this.globalSeconds];
    this.globalSeconds = this.plans.map(() => 0);
    let dedupIds = 0;
    for (const shard of shards) {
      for (const output of shard.outputs) outputs.push(fromPortable(output));
      for (const row of shard.state) state.push(row);
      for (const owner of shard.owners) owners.push(owner);
      shard.sizes.forEach((held, i) => {
        for (const [name, n] of Object.entries(held)) sizes[i]![name] = (sizes[i]![name] ?? 0) + n;
      });
      shard.seconds.forEach((s, i) => (seconds[i]! += s));
      dedupIds += shard.dedupIds;
    }
    this.globals.forEach((global, i) => {
      if (global === undefined) return;
      const started = performance.now();
      for (const output of global.drainOutputs()) outputs.push(output);
      for (const row of drainStateRows(global.name, global.states)) state.push(row);
      for (const [name, keyed] of Object.entries(global.states)) sizes[i]![name] = keyed.size;
      seconds[i]! += (performance.now() - started) / 1000;
    });
    const unknownReasons = mergeUnknownCounts(shards.map((s) => s.unknownReasons));
    return { outputs, state, dedup: shards.map((s) => s.dedup), owners, sizes, dedupIds, seconds, unknownReasons };
  }

  /**
   * Hands the shards the active reason list when it is not the one they use: a version saved with
   * `pulse reasons import` or on the console takes effect from the next checkpoint, without a restart.
   */
  private async followTaxonomy(): Promise<void> {
    const connection = this.context.store.connection;
    const newest = await activeTaxonomyNumber(connection);
    if (newest === this.taxonomy?.version) return;
    const saved = newest === undefined ? undefined : await taxonomyVersion(connection, newest);
    this.taxonomy = saved === undefined ? undefined : { version: saved.version, taxonomy: saved.taxonomy };
    await this.pool!.setTaxonomy(this.taxonomy);
    if (this.taxonomy === undefined) return;
    this.context.metrics.reasonTaxonomyVersion.set(this.taxonomy.version);
    this.context.logger.info(
      { version: this.taxonomy.version, reasons: this.taxonomy.taxonomy.reasons.length },
      'contact reasons now mapped by this reason list version',
    );
  }

  /**
   * A live source that is silent takes no checkpoints: look for a new reason list anyway, so the
   * next records use it. In turn with the job API's writers, after the last commit.
   */
  private async followTaxonomyWhileIdle(): Promise<void> {
    await this.commits.afterCommit(() => this.followTaxonomy());
  }

  /** The case watchers' local parts, asked on every shard. */
  private caseDeadlineWatchers(): CaseDeadlineWatcher[] {
    return this.caseWatchers.map((index) => ({
      overdueCases: async (dueBy?: number) =>
        ((await this.pool!.ask(index, { step: 'overdue', ...(dueBy !== undefined ? { dueBy } : {}) })) as Array<Array<{ case_id: string }>>).flat(),
      settleOverdue: async (statuses: ReadonlyMap<string, CaseStatusInfo>) =>
        ((await this.pool!.ask(index, { step: 'settle', statuses })) as SettledCase[][]).flat(),
    }));
  }

  /** `clockAt`: the job clock of the checkpoint (overdue cases are counted by it). */
  private async publishMetrics(
    outputs: OperatorOutput[],
    sizes: Array<Record<string, number>>,
    dedupIds: number,
    seconds: number[],
    clockAt: number | undefined,
  ): Promise<void> {
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
    for (const [partition, position] of this.positions) {
      metrics.sourcePosition.set({ source: source.name, partition: partitionLabel(partition) }, position.offset);
    }
    this.plans.forEach((plan, i) => {
      for (const [state, n] of Object.entries(sizes[i]!)) metrics.stateEntries.set({ operator: plan.name, state }, n);
      if (seconds[i]! > 0) metrics.operatorSeconds.inc({ operator: plan.name }, seconds[i]);
      this.operatorSeconds[plan.name] = (this.operatorSeconds[plan.name] ?? 0) + seconds[i]!;
    });
    metrics.dedupIds.set(dedupIds);
    this.operatorGauges.publish(this.globals.map((global) => global?.gauges?.() ?? []));
    if (this.caseWatchers.length > 0) await this.businessGauges.publishCases(this.context.store.connection, clockAt ?? Number.NEGATIVE_INFINITY);
    await this.outcomeGauges.publish(this.context.store.connection);
  }

  /** Loads the last checkpoint: positions, watermark, then every shard's and global part's state. */
  private async restore(): Promise<ReadonlyMap<string, PartitionPosition>> {
    const { store, source, logger } = this.context;
    const checkpoint = await store.loadCheckpoint();
    const positions = checkpoint.positions.get(source.name) ?? new Map<string, PartitionPosition>();
    for (const [partition, position] of positions) this.positions.set(partition, position);
    const snapshot = checkpoint.jobState[WATERMARK_KEY] as WatermarkSnapshot | undefined;
    if (snapshot) this.watermarks.restore(snapshot, this.now());
    const cursor = checkpoint.jobState[SCHEDULE_CURSOR_KEY];
    if (typeof cursor === 'number') this.scheduleCursor = cursor;
    // A checkpoint taken before the first watermark (e.g. a Kafka partition assigned but not read
    // yet holds it at -Infinity) still has open windows: load them all then, or the next run would
    // start those windows empty and overwrite their rows.
    const watermark = this.watermarks.current;
    const openWindows = await this.loadState(Number.isFinite(watermark) || positions.size > 0);
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
   * Replaces every shard's and global part's state with the store's: keyed state goes to the shard
   * of its customer, population state to the global parts; the open windows too when
   * `withWindows` (their count is returned).
   */
  private async loadState(withWindows: boolean): Promise<number | undefined> {
    const { store, job } = this.context;
    const pool = this.pool!;
    const watermark = this.watermarks.current;
    const shards: ShardRestore[] = Array.from({ length: pool.size }, () => ({
      watermark,
      states: this.plans.map(() => ({})),
      windows: [],
      dedup: [],
      owners: [],
    }));
    this.globals = this.plans.map((plan) => plan.createGlobal?.());
    const opIndex = new Map(this.plans.map((plan, i) => [plan.name, i]));
    const globalEntries = new Map<string, Array<[string, unknown]>>();
    for (const row of await store.loadStateRows()) {
      const i = opIndex.get(row.operator);
      if (i === undefined) continue; // an operator no longer in the job
      if (this.globals[i]?.states[row.state]) {
        const key = `${i}\u0000${row.state}`;
        const entries = globalEntries.get(key) ?? [];
        entries.push([row.key, JSON.parse(row.value)]);
        globalEntries.set(key, entries);
        continue;
      }
      const keyed = this.prototypes[i]!.states[row.state];
      if (!keyed) continue;
      const customer = row.customer_id ?? keyed.customerOfEntry(row.key, JSON.parse(row.value));
      const states = shards[shardOf(customer, pool.size)]!.states[i]!;
      (states[row.state] ??= []).push([row.key, row.value]);
    }
    this.globals.forEach((global, i) => {
      for (const [name, keyed] of Object.entries(global?.states ?? {})) keyed.restore(globalEntries.get(`${i}\u0000${name}`) ?? []);
    });
    for (const [id, customer, ts] of await store.loadDedup()) {
      // An id without a customer (unknown caller, or stored by an older version) is kept by every shard.
      if (customer === null) for (const shard of shards) shard.dedup.push([id, customer, ts]);
      else shards[shardOf(customer, pool.size)]!.dedup.push([id, customer, ts]);
    }
    if (!this.context.source.bounded) {
      for (const [customer, partition] of await store.loadOwners()) shards[shardOf(customer, pool.size)]!.owners.push([customer, partition]);
    }
    let openWindows: number | undefined;
    if (withWindows && this.prototypes.some((local) => local.restoreOpenWindows)) {
      const rows = await store.loadOpenWindows(watermark, job.eventTime.allowedLatenessMs);
      for (const row of rows) shards[shardOf(row.customer_id, pool.size)]!.windows.push(row);
      openWindows = rows.length;
    } else if (withWindows) {
      openWindows = 0;
    }
    await pool.restore(shards);
    for (const [i, global] of this.globals.entries()) if (global?.sync) await this.drive(i, global.sync());
    return openWindows;
  }
}

/** The event times of one batch over all shards. */
function concatTimes(parts: readonly Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0]!;
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** File paths are long; the label keeps the file name, which is bounded by the job's inputs. */
function partitionLabel(partition: string): string {
  return partition.split('/').pop() ?? partition;
}
