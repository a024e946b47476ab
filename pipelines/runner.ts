import type { DuckDBConnection } from '@duckdb/node-api';
import { alertRow } from '../operators/alert.js';
import type { DedupChanges } from '../operators/dedup.js';
import type { Rejection } from '../operators/events.js';
import type { OperatorOutput } from '../operators/operator.js';
import { withProfileStore } from '../operators/customer-profiles.js';
import { type GlobalOperator, type LocalOperator, type OperatorPlan, type ShardRequests, createLocals } from '../operators/parallel.js';
import { mergeUnknownCounts, type UnknownReasonCount } from '../operators/reason-mapping.js';
import { packStateRows, type PackedStateRows } from '../operators/state-pack.js';
import { WATERMARK_KEY, WatermarkTracker, type WatermarkSnapshot } from '../operators/watermark.js';
import { JOB_CLOCK_KEY, jobClock } from '../sinks/duckdb/job-clock.js';
import { inferLeadOutcomes } from '../sinks/outcomes/infer.js';
import { addUnknownReasonCounts } from '../sinks/taxonomy/unknown-codes.js';
import type { PartitionPosition, RecordBatch } from '../sources/source.js';
import { withIdleTicks, IDLE } from './idle-ticks.js';
import { replaysFiles } from './job-config.js';
import { readAhead } from './read-ahead.js';
import { CaseDeadlines } from './case-deadlines.js';
import { CheckpointMetrics } from './checkpoint-metrics.js';
import { CheckpointPacing } from './checkpoint-pacing.js';
import { CommitChain } from './commit-chain.js';
import { readStateToRestore } from './state-restore.js';
import { ScheduleCursor } from './schedule-cursor.js';
import { TaxonomyFollower } from './taxonomy-follower.js';
import { PartitionHandover } from './partition-handover.js';
import { PartitionMovesReport } from './partition-moves-report.js';
import { mergeMoves } from './partition-owners.js';
import { attachEnvelopes } from './rejection-envelopes.js';
import { noProgress, type RunContext, type RunProgress, type RunSummary } from './run-context.js';
import { fromPortable } from './shards/portable-output.js';
import { InlineShardPool, WorkerShardPool, shardWorkerEntry, type RoutedBatch, type ShardPool } from './shards/pool.js';
import type { BatchResult } from './shards/shard.js';
import { EVENTS_ACCEPTED_KEY, JOB_NAME_KEY, OPERATOR_MARKS_KEY, STATE_SETTINGS_KEY, operatorMarks } from './state-settings.js';
import { WINDOW_SIZES_SINCE_KEY } from './window-sizes-since.js';

/** Record batches read and split by worker ahead of the one being processed. */
const READ_AHEAD = 3;

/**
 * Runs one job: restore from the last checkpoint, pull batches from the source, hand each batch's
 * records to the shards (worker threads, by customer; pipelines/shards), and checkpoint outputs,
 * state and positions together.
 *
 * The main thread reads and splits batches, keeps the watermark over all partitions, runs the
 * operators' global parts (operators/parallel.ts) and writes checkpoints. Each batch is processed
 * by every shard before the watermark moves and the next batch is processed, so every record is
 * judged against the same watermark whatever the number of workers, and the results are the same.
 * What does not change what a shard sees, in which order, does not wait: the next batches' records
 * go to the threads while they work (pool.route), the watermark is sent without awaiting it, and a
 * checkpoint is staged in DuckDB while the shards go on from its cut (checkpointNow).
 */
export class JobRunner {
  private readonly watermarks: WatermarkTracker;
  private readonly plans: OperatorPlan[];
  /** One local part per operator, never fed: what the state and capabilities of its shards are. */
  private readonly prototypes: LocalOperator[];
  private globals: Array<GlobalOperator | undefined>;
  private pool: ShardPool | undefined;
  private readonly cases: CaseDeadlines;
  private readonly positions = new Map<string, PartitionPosition>();
  private rejections: Rejection[] = [];
  private eventsSinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private readonly pacing: CheckpointPacing;
  private readonly progress: RunProgress = noProgress();
  private readonly now: () => number;
  private readyFlag = false;
  /** Seconds per operator on the main thread since the last checkpoint (global parts). */
  private globalSeconds: number[];
  private readonly checkpointMetrics: CheckpointMetrics;
  /** Checkpoints committing in the background, and the latch that stops the run when one fails. */
  private readonly commits: CommitChain;
  private readonly handover: PartitionHandover;
  private readonly partitionMoves: PartitionMovesReport;
  private readonly schedule: ScheduleCursor;
  /** The job clock runs on event time (a replay of files), not the wall clock (Kafka, stdin). */
  private readonly eventClock: boolean;
  private readonly taxonomy: TaxonomyFollower;
  /** A bounded input has been read to its end: the next checkpoint is the last. */
  private inputEnded = false;
  /** The operators' marks as the last checkpoint stored them (those of operators taken out are kept). */
  private storedOperatorMarks: unknown;
  /** Events the job accepted in its runs before this one (as of the checkpoint it resumed from). */
  private acceptedBefore = 0;
  /** How far a bounded input's events reached when it ended (the newest event time). */
  private inputReached = Number.NEGATIVE_INFINITY;

  constructor(private readonly context: RunContext) {
    const { job } = context;
    this.now = context.now ?? Date.now;
    this.commits = new CommitChain(context.exclusive);
    this.pacing = new CheckpointPacing(job.checkpoint.maxShare);
    this.partitionMoves = new PartitionMovesReport(context);
    this.eventClock = replaysFiles(job);
    // A bounded input's partitions are files that wait for their turn: one waiting is not idle, and
    // skipping it would make its next records late (every file ends, and then stops holding back).
    this.watermarks = new WatermarkTracker(context.source.bounded ? { ...job.eventTime, idleTimeoutMs: Number.POSITIVE_INFINITY } : job.eventTime);
    this.handover = new PartitionHandover(context, {
      positions: this.positions,
      watermarks: this.watermarks,
      now: this.now,
      checkpointCommitted: () => this.checkpointCommitted(),
      reloadState: async () => void (await this.loadState(true)),
      advanceWatermark: () => this.advanceWatermark(),
    });
    const build = { allowedLatenessMs: job.eventTime.allowedLatenessMs, windowsSince: context.windowsSince };
    // The profile store first, when an operator reads profiles: the shards apply a profile event to it before the operators see it.
    const built = withProfileStore(job.operators.map((op) => op.factory.build(op.name, op.settings, build)));
    // Members that merge population results (job `merge`): the mergeable operators' global parts publish and merge.
    this.plans = context.merge ? built.map((plan) => context.merge!.plan(plan)) : built;
    this.prototypes = createLocals(this.plans);
    this.globals = this.plans.map((plan) => plan.createGlobal?.());
    this.globalSeconds = this.plans.map(() => 0);
    this.cases = new CaseDeadlines(this.prototypes);
    this.schedule = new ScheduleCursor(job.reportSchedules, job.reportLinks);
    this.checkpointMetrics = new CheckpointMetrics(context, this.plans);
    this.taxonomy = new TaxonomyFollower(context, (taxonomy) => this.pool!.setTaxonomy(taxonomy));
    // The last event-time watermark: not the +Infinity that closes a bounded input's windows.
    context.metrics.trackWatermark(() => this.progress.watermark, this.now);
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
      // Every file is read (on) to its end in this run, one that ended in an earlier run too: each
      // holds the watermark back until then. -Infinity registers a partition not seen yet.
      for (const partition of source.partitions ?? []) {
        this.watermarks.observe(partition, Number.NEGATIVE_INFINITY, this.now());
        this.watermarks.reopen(partition, this.now());
      }
      await this.taxonomy.follow();
      if (!this.eventClock) this.schedule.startAt(this.now());
      // Positions are otherwise published after a checkpoint only; a restarted job with nothing new
      // to read would show none.
      this.checkpointMetrics.publishPositions(resumeFrom);
      this.readyFlag = true;
      this.lastCheckpointAt = this.now();
      const pool = this.pool;
      const messages = readAhead(source.read(resumeFrom, signal), READ_AHEAD, (batch) => pool.route(batch));
      for await (const message of withIdleTicks(messages, this.context.job.checkpoint.intervalMs)) {
        // A checkpoint committing in the background failed: stop before more work is lost.
        this.commits.throwIfFailed();
        if (message === IDLE) {
          if ((this.eventsSinceCheckpoint > 0 || this.clockWorkDue() || this.context.merge?.pending()) && this.checkpointDue()) await this.checkpoint();
          else await this.followTaxonomyWhileIdle();
          continue;
        }
        if (message.kind === 'end') {
          this.watermarks.end(message.partition);
          await this.advanceWatermark();
          continue;
        }
        if (message.kind === 'next') {
          // Moved here as at an `end`: a restart delivers every file's `next` again, and the batch
          // after it must meet the watermark it met in an uninterrupted run.
          this.watermarks.expect(message.partition, message.eventTime, this.now());
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
        if (this.checkpointDue()) await this.checkpoint();
      }
      if (!signal.aborted && source.bounded) {
        // The input has ended: close every window at the final watermark. Said, as the last window
        // closes and the final checkpoint can take seconds on a large state with nothing else logged.
        logger.info({ records: this.progress.records }, 'input read to its end: closing the last windows and taking the final checkpoint');
        this.context.onInputEnd?.();
        this.inputEnded = true;
        this.inputReached = this.watermarks.newestEventTime();
        for (const global of this.globals) global?.inputEnded?.(this.inputReached);
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
        operatorSeconds: Object.fromEntries(Object.entries(this.checkpointMetrics.operatorSeconds).map(([name, s]) => [name, Math.round(s * 100) / 100])),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        heapUsedBytes: process.memoryUsage().heapUsed,
      },
      completed ? 'input processed to its end' : 'stopped; state checkpointed',
    );
    const notes = this.globals.flatMap((global) => global?.runNotes?.() ?? []);
    return { ...this.progress, completed, notes, reached: this.inputReached };
  }

  private createPool(): ShardPool {
    const { job, source, logger } = this.context;
    const { allowedLatenessMs, maxFutureMs, minTimeMs } = job.eventTime;
    const options = { gate: { allowedLatenessMs, maxFutureMs, minTimeMs, limits: job.limits }, trackOwners: !source.bounded };
    const entry = shardWorkerEntry();
    if (job.workers > 0 && entry === undefined) logger.warn('no shard worker beside the runner: running on the main thread (workers: 0)');
    if (job.workers === 0 || entry === undefined) return new InlineShardPool(() => createLocals(this.plans), options);
    const operators = job.operators.map(({ type, name, settings }) => ({ type, name, settings }));
    const { windowsSince } = this.context;
    return new WorkerShardPool(job.workers, { operators, ...options, windowsSince, merged: this.context.merge !== undefined }, entry);
  }

  /**
   * Processes a batch on the shards, then moves the watermark. The shards get the new watermark
   * first, as soon as the batch's event times are in: they apply it while this thread merges the
   * batch's partials into the global parts, which then see it (the order each part sees batches and
   * watermarks in is the same as one after the other).
   */
  private async processBatch(batch: RecordBatch, routed: RoutedBatch): Promise<void> {
    const now = this.now();
    const results = await this.pool!.process(routed, this.context.source.name, now);
    const times = concatTimes(results.map((r) => r.eventTimes));
    // A batch without a plausible time registers nothing: an unknown partition does not hold the watermark back.
    if (times.length > 0) this.watermarks.observeBatch(batch.partition, times, now);
    if (this.eventClock) this.schedule.startAtEvents(times);
    this.watermarks.heartbeat(batch.partition, now);
    const watermark = await this.moveWatermark();
    let accepted = 0;
    for (const result of results) {
      attachEnvelopes(result.rejections, batch);
      for (const rejection of result.rejections) {
        this.rejections.push(rejection);
        this.checkpointMetrics.countRejected(rejection);
        if (rejection.reason === 'late') {
          this.progress.late += 1;
          if (rejection.longContact) this.progress.lateLongContacts += 1;
        } else if (rejection.reason === 'duplicate') this.progress.duplicates += 1;
      }
      this.checkpointMetrics.countIngested(result.acceptedByType);
      accepted += result.accepted;
    }
    this.mergePartials(results, batch.partition);
    this.positions.set(batch.partition, batch.position);
    this.progress.records += batch.records.length;
    this.progress.accepted += accepted;
    this.progress.rejected = this.progress.records - this.progress.accepted;
    this.eventsSinceCheckpoint += batch.records.length;
    this.context.onProgress?.(this.progress);
    if (watermark !== undefined) await this.watermarkGlobals(watermark);
    await this.partitionWatermarkGlobals([batch.partition]);
  }

  /** Hands each global part the partials of its local parts, in shard order. */
  private mergePartials(results: readonly BatchResult[], partition: string): void {
    this.globals.forEach((global, i) => {
      if (global === undefined) return;
      const partials: unknown[] = [];
      for (const result of results) if (result.partials[i] !== undefined) partials.push(result.partials[i]);
      if (partials.length === 0) return;
      const started = performance.now();
      global.merge(partials, partition);
      this.globalSeconds[i]! += (performance.now() - started) / 1000;
    });
  }

  private async advanceWatermark(): Promise<void> {
    const watermark = await this.moveWatermark();
    if (watermark !== undefined) await this.watermarkGlobals(watermark);
  }

  /** Moves the watermark over all partitions and sends it to the shards; the new one, or undefined if it did not move. */
  private async moveWatermark(): Promise<number | undefined> {
    const before = this.watermarks.current;
    const watermark = this.watermarks.advance(this.now());
    if (watermark <= before) return undefined;
    this.progress.watermark = watermark;
    await this.pool!.watermark(watermark);
    return watermark;
  }

  /** The shards' local parts first (they close their own state), then the global parts. */
  private async onWatermark(watermark: number): Promise<void> {
    await this.pool!.watermark(watermark);
    await this.watermarkGlobals(watermark);
  }

  private async watermarkGlobals(watermark: number): Promise<void> {
    for (const [i, global] of this.globals.entries()) if (global) await this.drive(i, global.onWatermark(watermark));
  }

  /**
   * Tells the global parts that keep their progress per source partition (merged drift) how far
   * `partitions` have got; one restored here behind the job's watermark moves on its own, which
   * the job's watermark (held at where it was) does not tell.
   */
  private async partitionWatermarkGlobals(partitions: Iterable<string>): Promise<void> {
    for (const [i, global] of this.globals.entries()) {
      if (!global?.onPartitionWatermark) continue;
      for (const partition of partitions) {
        const watermark = this.watermarks.partitionWatermarkOf(partition);
        if (watermark !== null) await this.drive(i, global.onPartitionWatermark(partition, watermark));
      }
    }
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
    return !this.eventClock && (this.cases.active || this.schedule.dueBy(this.now()));
  }

  /**
   * A checkpoint falls due after `max_events` events, or after `interval` once the previous one has
   * committed: taking a cut waits for that commit, and the loop would stop feeding the shards
   * meanwhile (the events go on instead, and the next checkpoint covers them), and once the pacing
   * allows (checkpoint-pacing.ts). `max_events` is not paced: it bounds what one checkpoint holds.
   */
  private checkpointDue(): boolean {
    const { maxEvents, intervalMs } = this.context.job.checkpoint;
    if (this.eventsSinceCheckpoint >= maxEvents) return true;
    const now = this.now();
    return !this.commits.busy && now - this.lastCheckpointAt >= intervalMs && this.pacing.mayStart(now);
  }

  /**
   * Makes outputs, operator state, dedup ids and source positions durable in one transaction.
   * Resolves once the checkpoint's cut is taken (everything it covers drained from the shards and
   * the global parts) when the shards run on worker threads: they go on with the next batches while
   * this thread stages the cut in DuckDB. With the shard on the main thread, whose column outputs are
   * views of its live state, it resolves once all of it is staged. The commit goes on on DuckDB's
   * threads in both cases (pipelines/commit-chain.ts).
   */
  private checkpoint(): Promise<void> {
    return this.commits.add((staged) => this.checkpointNow(staged));
  }

  /** A checkpoint, awaited until it has committed: before anything else reads or writes the store. */
  private async checkpointCommitted(): Promise<void> {
    await this.checkpoint();
    await this.commits.committed();
  }

  /**
   * Runs after the previous checkpoint has committed; calls `staged` once the loop may go on: after
   * the cut when the drained data are copies (`pool.detached`), else once its writes are in DuckDB.
   * Nothing after the cut reads what the loop changes next: the drained rows are copies or fresh
   * rows, and positions, rejections and job state are taken here.
   */
  private async checkpointNow(staged: () => void): Promise<void> {
    const { store, metrics, source, sinks = [] } = this.context;
    const started = performance.now();
    const startedAt = this.now();
    // Cases: overdue escalations are settled against the `cases` table (people may have closed
    // them) before draining, and changes people made with `pulse cases` become notifications.
    // The job clock (sinks/duckdb/job-clock.ts): deadlines and schedules are judged by it, and it is
    // stored so that `pulse cases list` judges by it too.
    const watermark = this.watermarks.snapshot();
    const clock = jobClock(this.eventClock, watermark.current, this.now());
    const caseWork = await this.cases.prepare(store.connection, this.pool!, clock, this.now());
    const drained = await this.drain();
    const { outputs, dedup, owners, unknownReasons } = drained;
    // The sinks read the state as it arrives, before the store stages (and releases) its blocks.
    const state = drained.state.then((blocks) => {
      for (const sink of sinks) sink.drained?.(blocks);
      return blocks;
    });
    // The store awaits it; a checkpoint that fails before it gets there has its error already.
    state.catch(() => undefined);
    // A reason list saved since the last checkpoint maps the records read after this one (the
    // read loop waits for this checkpoint to be staged before it sends the shards more).
    await this.taxonomy.follow();
    if (caseWork && caseWork.alerts.length > 0) outputs.push({ kind: 'alert', rows: caseWork.alerts.map(alertRow) });
    // The input's end: the last day and week the data covers get their reports, though their
    // time comes after the data.
    const scheduled = this.inputEnded ? this.schedule.takeAtInputEnd(clock, this.watermarks.newestEventTime()) : this.schedule.take(clock);
    if (scheduled.length > 0) outputs.push({ kind: 'alert', rows: scheduled.map(alertRow) });
    const rejections = this.rejections;
    this.rejections = [];
    const counts = this.checkpointMetrics.cutCounts();
    // What this checkpoint covers: the loop moves the live map on while the commit runs.
    const positions = new Map(this.positions);
    const accepted = this.acceptedBefore + this.progress.accepted;
    this.eventsSinceCheckpoint = 0;
    this.lastCheckpointAt = this.now();
    if (this.pool!.detached) staged();
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
          ...this.schedule.jobState(),
          ...(this.context.stateSettings ? { [STATE_SETTINGS_KEY]: this.context.stateSettings } : {}),
          [EVENTS_ACCEPTED_KEY]: accepted,
          [OPERATOR_MARKS_KEY]: operatorMarks(
            this.storedOperatorMarks,
            this.plans.map((plan) => plan.name),
            { accepted, watermark: watermark.current },
          ),
          ...(this.context.windowsSince ? { [WINDOW_SIZES_SINCE_KEY]: this.context.windowsSince } : {}),
          [JOB_NAME_KEY]: this.context.job.name,
        },
        beforeWrites: async (connection: DuckDBConnection) => {
          for (const sink of sinks) await sink.beforeWrites?.(connection, outputs);
        },
        extraWrites: async (connection: DuckDBConnection) => {
          await caseWork?.write(connection);
          await addUnknownReasonCounts(connection, unknownReasons);
          // Lead outcomes from the transactions stored so far, in this transaction: exactly once.
          const { leadInference } = this.context.job;
          if (leadInference && watermark.current !== null) await inferLeadOutcomes(connection, { ...leadInference, watermark: watermark.current });
          for (const sink of sinks) await sink.write?.(connection, outputs);
        },
      });
      this.pacing.staged(startedAt, this.now());
      staged();
      await committed;
      metrics.checkpoints.inc({ outcome: 'ok' });
    } catch (error) {
      metrics.checkpoints.inc({ outcome: 'failed' });
      throw error;
    }
    metrics.checkpointDuration.observe((performance.now() - started) / 1000);
    this.progress.checkpoints++;
    await this.checkpointMetrics.publish(
      {
        outputs,
        sizes: drained.sizes,
        dedupIds: drained.dedupIds,
        seconds: drained.seconds,
        globals: this.globals,
        clockAt: clock?.at,
        cases: this.cases.active,
        counts,
      },
      this.positions,
    );
    for (const { channel, count } of unknownReasons) metrics.reasonUnknown.inc({ channel }, count);
    for (const sink of sinks) await sink.committed?.({ rejections, outputs, positions, dedup, owners, watermark });
  }

  /**
   * Everything the shards and the global parts changed since the previous checkpoint. Resolves
   * with the outputs; the changed keyed state follows in `state` (the shards pack it meanwhile),
   * its packing seconds added to `seconds` when it arrives.
   */
  private async drain(): Promise<{
    outputs: OperatorOutput[];
    state: Promise<PackedStateRows[]>;
    dedup: DedupChanges[];
    owners: Array<{ customer_id: string; partition: string }>;
    sizes: Array<Record<string, number>>;
    dedupIds: number;
    seconds: number[];
    unknownReasons: UnknownReasonCount[];
  }> {
    const drains = this.pool!.drain();
    // Awaited by the checkpoint; handled here too, so that a failure of both parts is not also an unhandled rejection.
    drains.state.catch(() => undefined);
    const shards = await drains.shards;
    const outputs: OperatorOutput[] = [];
    const state: PackedStateRows[] = [];
    const owners: Array<{ customer_id: string; partition: string }> = [];
    const sizes = this.plans.map((): Record<string, number> => ({}));
    const seconds = [...this.globalSeconds];
    this.globalSeconds = this.plans.map(() => 0);
    let dedupIds = 0;
    this.partitionMoves.report(mergeMoves(shards.map((shard) => shard.ownerMoves)));
    for (const shard of shards) {
      for (const output of shard.outputs) outputs.push(fromPortable(output));
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
      for (const block of packStateRows(global.name, global.states)) state.push(block);
      for (const [name, keyed] of Object.entries(global.states)) sizes[i]![name] = keyed.size;
      seconds[i]! += (performance.now() - started) / 1000;
    });
    const unknownReasons = mergeUnknownCounts(shards.map((s) => s.unknownReasons));
    const shardState = drains.state.then((parts) => {
      for (const part of parts) {
        for (const block of part.state) state.push(block);
        part.seconds.forEach((s, i) => (seconds[i]! += s));
      }
      return state;
    });
    return { outputs, state: shardState, dedup: shards.map((s) => s.dedup), owners, sizes, dedupIds, seconds, unknownReasons };
  }

  /**
   * A live source that is silent takes no checkpoints: look for a new reason list anyway, so the
   * next records use it. In turn with the job API's writers, after the last commit.
   */
  private async followTaxonomyWhileIdle(): Promise<void> {
    await this.commits.afterCommit(() => this.taxonomy.follow());
  }

  /** Loads the last checkpoint: positions, watermark, then every shard's and global part's state. */
  private async restore(): Promise<ReadonlyMap<string, PartitionPosition>> {
    const { store, source, logger } = this.context;
    const checkpoint = await store.loadCheckpoint();
    const positions = checkpoint.positions.get(source.name) ?? new Map<string, PartitionPosition>();
    for (const [partition, position] of positions) this.positions.set(partition, position);
    const snapshot = checkpoint.jobState[WATERMARK_KEY] as WatermarkSnapshot | undefined;
    if (snapshot) this.watermarks.restore(snapshot, this.now());
    this.schedule.restore(checkpoint.jobState);
    this.storedOperatorMarks = checkpoint.jobState[OPERATOR_MARKS_KEY];
    const accepted = checkpoint.jobState[EVENTS_ACCEPTED_KEY];
    this.acceptedBefore = typeof accepted === 'number' ? accepted : 0;
    // A checkpoint taken before the first watermark (e.g. a Kafka partition assigned but not read
    // yet holds it at -Infinity) still has open windows: load them all then, or the next run would
    // start those windows empty and overwrite their rows.
    const watermark = this.watermarks.current;
    const openWindows = await this.loadState(Number.isFinite(watermark) || positions.size > 0);
    await this.cases.restored(store.connection, this.pool!);
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
    const { store, job, source } = this.context;
    const pool = this.pool!;
    const { shards, globals, openWindows, unwatchedCases } = await readStateToRestore(store, this.plans, this.prototypes, {
      shardCount: pool.size,
      watermark: this.watermarks.current,
      withWindows,
      withOwners: !source.bounded,
      allowedLatenessMs: job.eventTime.allowedLatenessMs,
      adoptUnwatchedCases: job.sources[job.source]?.type !== 'kafka',
    });
    if (unwatchedCases.count > 0) this.context.logger.warn(unwatchedCasesText(unwatchedCases.count, unwatchedCases.adoptedBy));
    this.globals = globals;
    await pool.restore(shards);
    for (const [i, global] of this.globals.entries()) if (global?.sync) await this.drive(i, global.sync());
    // A partition restored here may have got further than its previous reader had closed.
    await this.partitionWatermarkGlobals(this.positions.keys());
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

/** What the run says of the cases that operators no longer in the job were watching when it started. */
function unwatchedCasesText(count: number, adoptedBy: string | undefined): string {
  const which = `${count} case${count === 1 ? '' : 's'} with a deadline to watch ${count === 1 ? 'was' : 'were'} watched by an operator no longer in the job (renamed or taken out)`;
  return adoptedBy !== undefined
    ? `${which}: '${adoptedBy}' watches them from now on, so they escalate when due`
    : `${which}: they will not escalate when due (the job has several operators that watch cases, or members of a Kafka group share them); close them with pulse cases or the console`;
}
