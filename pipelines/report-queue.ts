import { basename, dirname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { Alert } from '../operators/alert.js';
import { PulseError, SinkError } from '../operators/errors.js';
import { inTransaction } from '../sinks/duckdb/transaction.js';
import { loadLatestAlerts, prepareAlertReport, queryRows, ReadCache } from '../sinks/reports/index.js';
import type { AlertReportKind } from '../sinks/reports/index.js';
import type { ReportMetrics } from '../sinks/reports/metrics.js';
import type { ReportWriter } from '../sinks/reports/render-thread.js';
import { SerialQueue } from '../sinks/serial-queue.js';
import { CANNOT_WRITE } from '../sinks/reports/write.js';

export interface ReportQueueOptions {
  /** A connection of its own (`store.connect()`), never the checkpoint's; closed by `stop()`. */
  connection: DuckDBConnection;
  /**
   * Renders and writes the reports. While the input is read the queue renders one report at a time
   * (ingestion keeps the other cores); once a bounded input has ended it keeps two reports a
   * writer thread in flight (`writer.threads`; a pool such as render-pool.ts queues what exceeds them).
   */
  writer: ReportWriter;
  metrics: ReportMetrics;
  logger: Logger;
  /**
   * Render nothing until the input ends (`inputEnded()` or `drain()`): a replay of files ends soon
   * and nobody waits on its reports while it runs, so the whole CPU goes to ingestion and the
   * reports are rendered at the end.
   */
  deferUntilDrain?: boolean;
  /**
   * Called with each rendered (or failed) request's alert on the queue's connection, inside the
   * transaction that marks the request done: scheduled reports' notifications are put in the
   * outbox here, once their report exists, exactly once.
   */
  afterRender?: (connection: DuckDBConnection, alert: Alert) => Promise<void>;
  /**
   * Opens a further connection for each further lane once the input has ended, on which that lane reads its
   * reports' data: the reads of the lanes then overlap instead of taking turns on `connection`
   * (about 60% of a drain's time was this queue's database work, one query at a time). Marks
   * stay on `connection`. Without it every lane reads on `connection`.
   */
  connect?: () => Promise<DuckDBConnection>;
}

interface ReportRequest {
  alert_id: string;
  alert_status: string;
  kind: AlertReportKind;
  report_path: string;
}

/** A request rendered (`error` undefined) or not, with its alert as read (null: not in the table). */
interface RenderOutcome {
  request: ReportRequest;
  alert: Alert | null;
  error?: string;
  cause?: unknown;
}

/** Runs a lane's reads of a report's data on its connection. */
type ReadOn = <T>(work: (connection: DuckDBConnection) => Promise<T>) => Promise<T>;

/** Requests read per query; the backlog is re-read between batches, so new ones join in order. */
const BATCH = 32;

/**
 * Renders the reports that checkpoints requested (`pulse_report_requests`, written in the
 * checkpoint transaction by pipelines/alert-reports.ts), after they commit, in the order requested:
 * the report's data is read from the database on this queue's own connection (the queries run on
 * DuckDB's threads) and the report is rendered and written by `writer` (worker threads), so
 * neither the event loop's batches nor checkpoints wait for a report. One report is in flight at a
 * time while the input is read; once it has ended, two per writer thread, each further lane reading on
 * a connection of its own (`connect`) while the marks take turns on the queue's. Requests are
 * read and marked a batch at a time: a request is marked done once the files of its batch are
 * written (each atomically, by rename), so a crash before that leaves it pending and the next run
 * over the database renders it; one after the files are written and before the mark renders those
 * requests once more, to the same files. A request that fails is logged with its alert id and the
 * error, counted and marked failed with the error; one whose files could not be written is tried
 * again by the next run over the database, once (a full disk or a directory it could not write then
 * may be fixed since: its reports were missing for good, linked from their alerts).
 */
export class ReportQueue {
  private wake: (() => void) | undefined;
  private notified = false;
  private stopping = false;
  private draining = false;
  /**
   * Set when a bounded input has ended (what was rendered and failed by then): from then on the queue
   * renders at full speed, two reports a writer thread in flight, deferred or not.
   */
  private atInputEnd: { rendered: number; failed: number } | undefined;
  private drainAnnounced = false;
  private rendered = 0;
  /** Pending requests at the last batch, less those handled since. */
  private backlog = 0;
  private failed = 0;
  /** The connection's work (reads and marks of concurrent requests) one piece at a time. */
  private readonly db = new SerialQueue();
  /**
   * Reads that do not depend on a report's alert, shared by the reports rendered until the next
   * checkpoint commits (a new cache at each notice): at the end of a file replay, every pending
   * report of a queue and channel reads its window sizes and first window once.
   */
  private cache = new ReadCache();
  /** Lane i + 1's own connection for reading (`connect`), opened at its first report. */
  private readonly readers: DuckDBConnection[] = [];
  private readonly loop: Promise<void>;

  constructor(private readonly options: ReportQueueOptions) {
    this.loop = this.run();
  }

  /** Reports that failed in this run (each logged, and marked failed in pulse_report_requests). */
  get failures(): number {
    return this.failed;
  }

  /** A checkpoint has committed (possibly with requests): look for them. Never waits. */
  notify(): void {
    this.notified = true;
    this.cache = new ReadCache();
    this.wake?.();
  }

  /**
   * A bounded input has been read to its end: render what is pending at full speed now, while the
   * job closes its last windows and commits its final checkpoint (whose requests come after).
   */
  inputEnded(): void {
    this.atInputEnd ??= { rendered: this.rendered, failed: this.failed };
    this.notify();
  }

  /**
   * Renders every pending request (the end of a bounded input, after its final checkpoint: nothing
   * new will be requested), then stops the queue. Returns how many were rendered and how many
   * failed since the input ended.
   */
  async drain(): Promise<{ rendered: number; failed: number }> {
    this.inputEnded();
    const before = this.atInputEnd!;
    this.draining = true;
    await this.stop();
    return { rendered: this.rendered - before.rendered, failed: this.failed - before.failed };
  }

  /**
   * Stops after the report in progress (unless draining: then after the last pending one) and
   * closes the connection and the writer. Requests still pending stay for the next run.
   */
  async stop(): Promise<void> {
    if (!this.draining) this.stopping = true;
    // Through notify: a loop about to wait must see it, not only a loop already waiting.
    this.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { connection, logger } = this.options;
    try {
      // Only files that could not be written: a report whose data is missing would fail again.
      const retried = await connection.runAndReadAll(
        `UPDATE pulse_report_requests SET status = 'pending' WHERE status = 'failed' AND starts_with(last_error, $prefix) RETURNING alert_id`,
        { prefix: CANNOT_WRITE },
      );
      if (retried.currentRowCount > 0) {
        logger.info({ reports: retried.currentRowCount }, `trying again ${retried.currentRowCount} alert reports that an earlier run could not write`);
      }
      for (;;) {
        if (this.stopping) break;
        this.notified = false;
        if (this.options.deferUntilDrain && this.atInputEnd === undefined) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        const batch = await this.nextBatch();
        if (batch.length === 0) {
          // A notice that came while the batch was read (a checkpoint committed after its query)
          // is looked at before a drain ends: its requests would be left for the next run.
          if (this.draining && !this.notified) break;
          if (!this.notified) await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        await this.renderBatch(batch);
      }
    } catch (error) {
      // The queue's own database work failed (not a report): stop rendering, keep the job going.
      logger.error({ err: error }, 'the report queue stopped: its database connection failed. Pending reports are rendered by the next run over this database');
    } finally {
      const pending = await this.pendingCount().catch(() => undefined);
      if (pending !== undefined && pending > 0) logger.info({ pending }, 'report requests left pending for the next run');
      await this.options.writer.close();
      for (const reader of this.readers) reader.closeSync();
      connection.closeSync();
    }
  }

  /**
   * The oldest pending requests. A request that a later one of the same alert follows (it fired,
   * then resolved, and neither is rendered yet) is superseded first: both write the same file, and
   * the report shows the alert as it is stored now, so the later one is enough.
   */
  private async nextBatch(): Promise<ReportRequest[]> {
    const { connection, metrics } = this.options;
    await connection.run(
      `UPDATE pulse_report_requests r SET status = 'superseded'
        WHERE status = 'pending'
          AND EXISTS (SELECT 1 FROM pulse_report_requests l WHERE l.alert_id = r.alert_id AND l.status = 'pending' AND l.seq > r.seq)`,
    );
    const pending = await this.pendingCount();
    this.backlog = pending;
    metrics.backlog(pending);
    if (this.atInputEnd !== undefined && !this.drainAnnounced && pending > 0) {
      this.drainAnnounced = true;
      this.options.logger.info({ pending }, `input ended: rendering the ${pending} alert reports still pending before exiting`);
    }
    if (pending > 0) this.options.logger.debug({ pending }, 'rendering alert reports');
    const rows = await queryRows(
      connection,
      `SELECT alert_id, alert_status, kind, report_path FROM pulse_report_requests WHERE status = 'pending' ORDER BY seq LIMIT ${BATCH}`,
    );
    return rows.map((r) => ({
      alert_id: String(r['alert_id']),
      alert_status: String(r['alert_status']),
      kind: String(r['kind']) as AlertReportKind,
      report_path: String(r['report_path']),
    }));
  }

  /**
   * Renders a batch with twice as many requests in flight as the writer has threads once the input
   * has ended (one otherwise), then marks the batch in one transaction: a commit per report was a
   * fifth of a drain's database time. The batch's alerts are read in one query, and reads that do
   * not depend on the alert are shared (`cache`). What was rendered is marked even when the queue
   * stops meanwhile; a database failure is thrown after the marks.
   */
  private async renderBatch(batch: readonly ReportRequest[]): Promise<void> {
    // Two lanes a writer thread: a report's time is about half reading (on DuckDB's threads) and
    // half rendering, so while one lane's report renders the other's data is read.
    const lanes = this.atInputEnd !== undefined ? Math.max(1, Math.min(2 * (this.options.writer.threads ?? 1), batch.length)) : 1;
    const alerts = await this.db.run(() => loadLatestAlerts(this.options.connection, [...new Set(batch.map((r) => r.alert_id))]));
    const cache = this.cache;
    const outcomes: RenderOutcome[] = [];
    let next = 0;
    const lane = async (index: number): Promise<void> => {
      const read = await this.readerOf(index);
      while (!this.stopping && next < batch.length) {
        const request = batch[next++]!;
        outcomes.push(await this.render(request, alerts.get(request.alert_id) ?? null, read, cache));
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: lanes }, (_, index) => lane(index)));
    if (outcomes.length > 0) await this.mark(outcomes);
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  /**
   * How lane `index` runs its reads: lane 0, and every lane without `connect`, in turn on the
   * queue's connection; a further lane directly on a connection of its own.
   */
  private async readerOf(index: number): Promise<ReadOn> {
    const { connect, connection } = this.options;
    if (index === 0 || connect === undefined) return (work) => this.db.run(() => work(connection));
    const reader = (this.readers[index - 1] ??= await connect());
    return (work) => work(reader);
  }

  private async pendingCount(): Promise<number> {
    const [row] = await queryRows(this.options.connection, `SELECT count(*) AS n FROM pulse_report_requests WHERE status = 'pending'`);
    return Number(row?.['n'] ?? 0);
  }

  /** Reads, renders and writes one request's report; a failure is its outcome, never thrown. */
  private async render(request: ReportRequest, alert: Alert | null, read: ReadOn, cache: ReadCache): Promise<RenderOutcome> {
    try {
      if (alert === null) throw new SinkError(`alert ${request.alert_id} is not in the alerts table`);
      const target = { kind: request.kind, baseName: basename(request.report_path, '.html') };
      const report = await read((reader) => prepareAlertReport(reader, target, alert, cache));
      await this.options.writer.write(report, dirname(request.report_path));
      return { request, alert };
    } catch (error) {
      return { request, alert, error: error instanceof Error ? error.message : String(error), cause: error };
    }
  }

  /**
   * Marks rendered requests done and failed ones failed (running `afterRender` for each alert) in
   * one transaction, in its turn on the connection; then logs and counts them.
   */
  private async mark(outcomes: readonly RenderOutcome[]): Promise<void> {
    const { connection, metrics, logger } = this.options;
    const done = outcomes.filter((o) => o.error === undefined);
    await this.db.run(() =>
      inTransaction(connection, async () => {
        // A failed report's notification goes without its report rather than not at all.
        for (const { alert } of outcomes) if (alert !== null) await this.options.afterRender?.(connection, alert);
        if (done.length > 0) {
          const keys = done.map((_, i) => `($id${i}, $status${i})`).join(', ');
          await connection.run(
            `UPDATE pulse_report_requests r SET status = 'done', renders = renders + 1, rendered_at = now(), last_error = NULL
               FROM (VALUES ${keys}) AS k(id, status) WHERE r.alert_id = k.id AND r.alert_status = k.status`,
            Object.fromEntries(
              done.flatMap(({ request }, i) => [
                [`id${i}`, request.alert_id],
                [`status${i}`, request.alert_status],
              ]),
            ),
          );
        }
        for (const { request, error } of outcomes) {
          if (error === undefined) continue;
          await connection.run(`UPDATE pulse_report_requests SET status = 'failed', last_error = $error WHERE alert_id = $id AND alert_status = $status`, {
            id: request.alert_id,
            status: request.alert_status,
            error,
          });
        }
      }),
    );
    for (const { request, error, cause } of outcomes) {
      const fields = { alert_id: request.alert_id, alert_status: request.alert_status, kind: request.kind, report_path: request.report_path };
      if (error === undefined) {
        this.rendered++;
        metrics.rendered(request.kind);
        logger.debug(fields, 'alert report written');
      } else {
        // A failure the job foresaw (a file it could not write) says all in its message; a stack
        // only for the unforeseen.
        logger.error(
          { ...fields, ...(cause instanceof PulseError ? {} : { err: cause }) },
          `rendering the ${request.kind} report of alert ${request.alert_id} to ${request.report_path} failed: ${error}. ` +
            'The alert keeps its link and the job goes on; the request is marked failed in pulse_report_requests',
        );
        this.failed++;
        metrics.failed(request.kind);
      }
    }
    // Counted down here and re-read with each batch (requests committed meanwhile join then).
    this.backlog -= outcomes.length;
    metrics.backlog(this.backlog);
  }
}
