import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertRow, type Alert } from '../../operators/alert.js';
import { SinkError } from '../../operators/errors.js';
import type { OperatorOutput } from '../../operators/operator.js';
import { linkAlertReports, recordReportRequests } from '../../pipelines/alert-reports.js';
import { ReportQueue } from '../../pipelines/report-queue.js';
import { STATE_TABLES_DDL } from '../../sinks/duckdb/schema.js';
import { alertReportTarget, loadAlert, prepareAlertReport, queryRows } from '../../sinks/reports/index.js';
import { renderReport } from '../../sinks/reports/write.js';
import { promReportMetrics, type ReportMetrics } from '../../sinks/reports/metrics.js';
import { IN_THREAD_WRITER, WorkerReportWriter, type ReportWriter } from '../../sinks/reports/render-thread.js';
import { buildFixture, T0, W, type Fixture } from '../sinks/reports/fixture.js';

const DIST_WORKER = pathToFileURL(join(process.cwd(), 'dist/sinks/reports/render-worker.js'));

let fx: Fixture;
let reportsDir: string;
let registry: Registry;
let metrics: ReportMetrics;
let logLines: Array<Record<string, unknown>>;

beforeEach(async () => {
  // The hand-made KPI database of the report tests: alert a-kpi fires on billing/voice.
  fx = await buildFixture();
  reportsDir = join(fx.dir, 'reports');
  await fx.connection.run(STATE_TABLES_DDL.find((ddl) => ddl.includes('pulse_report_requests')) as string);
  registry = new Registry();
  metrics = promReportMetrics(registry);
  logLines = [];
});
afterEach(() => fx.close());

/** A queue on a connection of its own, as the job runs it; it starts looking for requests at once. */
async function queue(writer: ReportWriter, deferUntilDrain = false, connect?: () => Promise<DuckDBConnection>): Promise<ReportQueue> {
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
  return new ReportQueue({ connection: await fx.instance.connect(), writer, metrics, logger, deferUntilDrain, ...(connect ? { connect } : {}) });
}

/** What a checkpoint does with an alert version: link it, store it, request its report, commit. */
async function checkpointAlert(alert: Alert): Promise<Alert> {
  const outputs: OperatorOutput[] = [{ kind: 'alert', rows: [alertRow(alert)] }];
  linkAlertReports(outputs, reportsDir);
  const linked = outputs[0]!.rows[0] as unknown as Alert;
  await fx.connection.run('BEGIN TRANSACTION');
  await fx.connection.run(`DELETE FROM alerts WHERE alert_id = $id`, { id: alert.alert_id });
  await fx.connection.run(
    `INSERT INTO alerts VALUES ($id, $kind, $rule, $severity, NULL, make_timestamptz($ws::BIGINT * 1000), make_timestamptz($fired::BIGINT * 1000), $labels::JSON, $annotations::JSON, $status)`,
    {
      id: linked.alert_id,
      kind: linked.kind,
      rule: linked.rule,
      severity: linked.severity,
      ws: linked.window_start,
      fired: linked.fired_at,
      labels: JSON.stringify(linked.labels),
      annotations: JSON.stringify(linked.annotations),
      status: linked.status,
    },
  );
  await recordReportRequests(fx.connection, outputs);
  await fx.connection.run('COMMIT');
  return linked;
}

const requests = () => queryRows(fx.connection, `SELECT alert_id, alert_status, kind, status, renders, last_error FROM pulse_report_requests ORDER BY seq`);

async function metric(name: string, kind?: string): Promise<number> {
  const values = (await registry.getSingleMetric(name)!.get()).values;
  return values.find((v) => kind === undefined || v.labels['kind'] === kind)?.value ?? Number.NaN;
}

async function firingKpiAlert(): Promise<Alert> {
  return (await loadAlert(fx.connection, 'a-kpi')) as Alert;
}

describe('ReportQueue', () => {
  it('deferred until the drain (a replay of files), it renders nothing while notified, then everything at the drain', async () => {
    let writes = 0;
    const counting: ReportWriter = { write: async (report, out) => void (writes++, await IN_THREAD_WRITER.write(report, out)), close: async () => undefined };
    const q = await queue(counting, true);
    await checkpointAlert(await firingKpiAlert());
    q.notify();
    // The queue's connection shares the database with ours: by the time two more round trips of
    // ours are done, a queue that reacted to the notice would have read the request.
    await requests();
    await requests();
    expect(writes).toBe(0);
    expect((await requests())[0]).toMatchObject({ status: 'pending', renders: 0 });
    expect(await q.drain()).toEqual({ rendered: 1, failed: 0 });
    expect(writes).toBe(1);
  });

  it("deferred, it renders what is pending once the input ends, before the drain, and the final checkpoint's requests at the drain", async () => {
    const written: string[] = [];
    let firstWritten!: () => void;
    const first = new Promise<void>((resolve) => (firstWritten = resolve));
    const recording: ReportWriter = {
      write: async (report, out) => {
        await IN_THREAD_WRITER.write(report, out);
        written.push(report.baseName);
        firstWritten();
      },
      close: async () => undefined,
    };
    const q = await queue(recording, true);
    const kpi = await firingKpiAlert();
    await checkpointAlert({ ...kpi, alert_id: 'a-1', rule: 'rule_1' });
    q.notify();
    q.inputEnded();
    await first;
    expect(written).toEqual([expect.stringContaining('rule_1')]);
    // The final checkpoint commits after the input ended: the queue is still there for its requests.
    await checkpointAlert({ ...kpi, alert_id: 'a-2', rule: 'rule_2' });
    q.notify();
    expect(await q.drain()).toEqual({ rendered: 2, failed: 0 });
    expect(written).toEqual([expect.stringContaining('rule_1'), expect.stringContaining('rule_2')]);
    expect((await requests()).map((r) => [r['alert_id'], r['status'], r['renders']])).toEqual([
      ['a-1', 'done', 1],
      ['a-2', 'done', 1],
    ]);
  });

  it('renders a committed request on the worker thread to the linked path, once, and counts it', async () => {
    if (!existsSync(DIST_WORKER)) throw new Error('dist/sinks/reports/render-worker.js is missing: run `npx tsc -p tsconfig.json` first');
    const alert = await checkpointAlert(await firingKpiAlert());
    const link = alert.annotations['report_path'] as string;
    expect(link).toBe(join(reportsDir, 'kpi-abandon_rate-billing-voice-15m-2026-01-05T10-45-00Z-billing_abandon_rate.html'));
    expect(existsSync(link)).toBe(false); // linked at commit, rendered after

    const result = await (await queue(new WorkerReportWriter(DIST_WORKER))).drain();
    expect(result).toEqual({ rendered: 1, failed: 0 });
    expect(readFileSync(link, 'utf8')).toContain('Alert billing_abandon_rate (critical, firing)');
    expect(existsSync(link.replace(/\.html$/, '.md'))).toBe(true);
    expect(await requests()).toEqual([{ alert_id: 'a-kpi', alert_status: 'firing', kind: 'kpi', status: 'done', renders: 1, last_error: null }]);
    expect(await metric('pulse_reports_rendered_total', 'kpi')).toBe(1);
    expect(await metric('pulse_reports_rendered_total', 'drift')).toBe(0);
    expect(await metric('pulse_report_backlog')).toBe(0);
  });

  it('renders an alert that fired and resolved before its turn once, as resolved, to the same file', async () => {
    const firing = await checkpointAlert(await firingKpiAlert());
    const resolved = await checkpointAlert({ ...firing, status: 'resolved', annotations: { ...firing.annotations, resolved_at: '2026-01-05T11:30:00.000Z' } });
    expect(resolved.annotations['report_path']).toBe(firing.annotations['report_path']);

    expect(await (await queue(IN_THREAD_WRITER)).drain()).toEqual({ rendered: 1, failed: 0 });
    expect((await requests()).map((r) => [r['alert_status'], r['status'], r['renders']])).toEqual([
      ['firing', 'superseded', 0],
      ['resolved', 'done', 1],
    ]);
    const html = readFileSync(resolved.annotations['report_path'] as string, 'utf8');
    expect(html).toContain('(critical, resolved)');
    expect(html).not.toContain('(critical, firing)');
  });

  it('re-renders the same file when the alert resolves after its firing report was written', async () => {
    const firing = await checkpointAlert(await firingKpiAlert());
    await (await queue(IN_THREAD_WRITER)).drain();
    const path = firing.annotations['report_path'] as string;
    expect(readFileSync(path, 'utf8')).toContain('(critical, firing)');
    // The same version again (as a later checkpoint could emit it) is not requested again.
    await checkpointAlert(firing);
    await checkpointAlert({ ...firing, status: 'resolved' });
    await (await queue(IN_THREAD_WRITER)).drain();
    expect(readFileSync(path, 'utf8')).toContain('(critical, resolved)');
    expect((await requests()).map((r) => [r['alert_status'], r['status'], r['renders']])).toEqual([
      ['firing', 'done', 1],
      ['resolved', 'done', 1],
    ]);
  });

  it('logs and counts a report that fails, marks it failed, and goes on with the next one (a failure of its data is not tried again)', async () => {
    const kpi = await firingKpiAlert();
    // A KPI alert on a queue without contact_kpis rows: its report cannot be built.
    const ghost = await checkpointAlert({ ...kpi, alert_id: 'a-ghost', labels: { ...kpi.labels, queue: 'nowhere' } });
    await checkpointAlert(kpi);

    expect(await (await queue(IN_THREAD_WRITER)).drain()).toEqual({ rendered: 1, failed: 1 });
    const rows = await requests();
    expect(rows.map((r) => [r['alert_id'], r['status'], r['renders']])).toEqual([
      ['a-ghost', 'failed', 0],
      ['a-kpi', 'done', 1],
    ]);
    expect(String(rows[0]!['last_error'])).toMatch(/no contact_kpis rows for nowhere/);
    const logged = logLines.filter((l) => l['level'] === 50);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ alert_id: 'a-ghost', kind: 'kpi', report_path: ghost.annotations['report_path'] });
    expect(String(logged[0]!['msg'])).toMatch(/alert a-ghost to .* failed: no contact_kpis rows for nowhere/);
    // A failure the job foresaw says all in its message: no stack trace in the log.
    expect(logged[0]).not.toHaveProperty('err');
    expect(await metric('pulse_report_failures_total', 'kpi')).toBe(1);
    expect(await metric('pulse_reports_rendered_total', 'kpi')).toBe(1);
    expect(existsSync(ghost.annotations['report_path'] as string)).toBe(false);
    // Its data is missing: the next run leaves it failed.
    expect(await (await queue(IN_THREAD_WRITER)).drain()).toEqual({ rendered: 0, failed: 0 });
  });

  it('tries a report that failed in an earlier run again in the next one (a full disk freed since), once a run', async () => {
    const kpi = await checkpointAlert(await firingKpiAlert());
    // As writeReport says a full disk (sinks/reports/write.ts).
    const full: ReportWriter = {
      write: () => Promise.reject(new SinkError(`cannot write ${kpi.annotations['report_path']}: ENOSPC: no space left on device, write; free space`)),
      close: async () => undefined,
    };
    expect(await (await queue(full)).drain()).toEqual({ rendered: 0, failed: 1 });
    expect((await requests()).map((r) => r['status'])).toEqual(['failed']);
    // The next run over the database, the disk freed: rendered, the request done.
    expect(await (await queue(IN_THREAD_WRITER)).drain()).toEqual({ rendered: 1, failed: 0 });
    expect((await requests()).map((r) => [r['status'], r['renders'], r['last_error']])).toEqual([['done', 1, null]]);
    expect(existsSync(kpi.annotations['report_path'] as string)).toBe(true);
    expect(logLines.some((l) => l['msg'] === 'trying again 1 alert reports that an earlier run could not write')).toBe(true);
  });

  it('logs the stack of a failure nobody foresaw (a defect), beside its message', async () => {
    await checkpointAlert(await firingKpiAlert());
    const broken: ReportWriter = { write: () => Promise.reject(new TypeError('x is not a function')), close: async () => undefined };
    expect(await (await queue(broken)).drain()).toEqual({ rendered: 0, failed: 1 });
    const logged = logLines.filter((l) => l['level'] === 50);
    expect(String(logged[0]!['msg'])).toMatch(/failed: x is not a function/);
    expect(String((logged[0]!['err'] as { stack: string }).stack)).toMatch(/^TypeError: x is not a function\n\s+at /);
  });

  it('marks a request whose alert is no longer in the alerts table failed, and the rest of its batch done', async () => {
    const kpi = await firingKpiAlert();
    await checkpointAlert({ ...kpi, alert_id: 'a-gone', rule: 'gone_rule' });
    await checkpointAlert(kpi);
    await fx.connection.run(`DELETE FROM alerts WHERE alert_id = 'a-gone'`);

    expect(await (await queue(IN_THREAD_WRITER)).drain()).toEqual({ rendered: 1, failed: 1 });
    const rows = await requests();
    expect(rows.map((r) => [r['alert_id'], r['status'], r['renders']])).toEqual([
      ['a-gone', 'failed', 0],
      ['a-kpi', 'done', 1],
    ]);
    expect(String(rows[0]!['last_error'])).toBe('alert a-gone is not in the alerts table');
  });

  it("renders each report of a batch as it renders alone: the reads a batch shares never mix two alerts' queues, channels or windows", async () => {
    const kpi = await firingKpiAlert();
    // The tech queue's windows start later than billing's: its report charts 2 windows, billing's 4.
    await fx.connection.run(`DELETE FROM contact_kpis WHERE queue = 'tech' AND window_start < make_timestamptz($w2::BIGINT * 1000)`, { w2: W[2]! });
    const alerts = [
      await checkpointAlert(kpi),
      await checkpointAlert({ ...kpi, alert_id: 'a-chat', rule: 'chat_rule', labels: { ...kpi.labels, channel: 'chat' } }),
      await checkpointAlert({ ...kpi, alert_id: 'a-tech', rule: 'tech_rule', labels: { ...kpi.labels, queue: 'tech' } }),
      await checkpointAlert({ ...kpi, alert_id: 'a-hour', rule: 'hour_rule', window_start: T0, labels: { ...kpi.labels, window: '1h' } }),
    ];
    expect(await (await queue(IN_THREAD_WRITER)).drain()).toEqual({ rendered: 4, failed: 0 });

    const withoutFooter = (markdown: string) => markdown.replace(/^_Generated by .*$/m, '');
    const written = alerts.map((a) => withoutFooter(readFileSync((a.annotations['report_path'] as string).replace(/\.html$/, '.md'), 'utf8')));
    expect(new Set(written).size).toBe(alerts.length);
    for (const [i, alert] of alerts.entries()) {
      const alone = await prepareAlertReport(fx.connection, alertReportTarget(alert)!, alert);
      const { markdown } = await renderReport(alone.doc, basename(alert.annotations['report_path'] as string));
      expect(written[i]).toBe(withoutFooter(markdown));
    }
  });

  it('leaves what it has not rendered when stopped, and the next queue renders each of those once', async () => {
    const kpi = await firingKpiAlert();
    // Three alerts (three rules) with three report files.
    const [first, second] = [
      await checkpointAlert({ ...kpi, alert_id: 'a-1', rule: 'rule_1' }),
      await checkpointAlert({ ...kpi, alert_id: 'a-2', rule: 'rule_2' }),
      await checkpointAlert({ ...kpi, alert_id: 'a-3', rule: 'rule_3' }),
    ];

    // The first render is held until the queue has been told to stop.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const rendering = new Promise<void>((resolve) => (started = resolve));
    const holding: ReportWriter = {
      write: async (report, outDir) => {
        started();
        await held;
        await IN_THREAD_WRITER.write(report, outDir);
      },
      close: async () => undefined,
    };
    const stopped = await queue(holding);
    await rendering;
    const stopping = stopped.stop();
    release();
    await stopping;
    expect(existsSync(first!.annotations['report_path'] as string)).toBe(true);
    expect(existsSync(second!.annotations['report_path'] as string)).toBe(false);
    expect((await requests()).map((r) => [r['alert_id'], r['status'], r['renders']])).toEqual([
      ['a-1', 'done', 1],
      ['a-2', 'pending', 0],
      ['a-3', 'pending', 0],
    ]);
    expect(logLines.some((l) => l['pending'] === 2)).toBe(true);

    expect(await (await queue(IN_THREAD_WRITER)).drain()).toEqual({ rendered: 2, failed: 0 });
    expect((await requests()).map((r) => [r['alert_id'], r['status'], r['renders']])).toEqual([
      ['a-1', 'done', 1],
      ['a-2', 'done', 1],
      ['a-3', 'done', 1],
    ]);
  });

  it('draining, keeps two reports a writer thread in flight (one read while the other renders); while the input is read, one', async () => {
    const kpi = await firingKpiAlert();
    for (const n of [1, 2, 3, 4, 5, 6]) await checkpointAlert({ ...kpi, alert_id: `a-${n}`, rule: `rule_${n}` });
    let inFlight = 0;
    let maxInFlight = 0;
    // Resolved when the n-th write of a phase is in flight.
    let started: Array<() => void> = [];
    let hold: Promise<unknown> = Promise.resolve();
    const twoThreads: ReportWriter = {
      threads: 2,
      write: async (report, outDir) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        started[inFlight - 1]?.();
        await hold;
        await IN_THREAD_WRITER.write(report, outDir);
        inFlight--;
      },
      close: async () => undefined,
    };
    const inFlightReached = (n: number) => new Promise<void>((resolve) => (started[n - 1] = resolve));

    // While the input is read: the first report is held, and no second one starts meanwhile.
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const first = inFlightReached(1);
    const live = await queue(twoThreads);
    await first;
    for (let i = 0; i < 3; i++) await requests();
    expect(maxInFlight).toBe(1);
    const stopping = live.stop();
    release();
    await stopping;

    // Draining: the reports are held until four are in flight (a deadline bounds a failure), and
    // a fifth never starts while they are. Each further lane reads its reports' data on a
    // connection of its own, closed with the queue.
    started = [];
    maxInFlight = 0;
    hold = Promise.race([inFlightReached(4), new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
    const opened: DuckDBConnection[] = [];
    const connect = async () => {
      const connection = await fx.instance.connect();
      opened.push(connection);
      return connection;
    };
    expect(await (await queue(twoThreads, false, connect)).drain()).toEqual({ rendered: 5, failed: 0 });
    expect(maxInFlight).toBe(4);
    expect(opened).toHaveLength(3);
    for (const connection of opened) await expect(connection.run('SELECT 1')).rejects.toThrow();
    expect((await requests()).map((r) => [r['alert_id'], r['status'], r['renders']])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [`a-${n}`, 'done', 1]));
  }, 60_000);
});
