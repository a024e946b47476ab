/**
 * Report rendering benchmark (issue 13): what one alert report costs, and where.
 *
 *   npm run build && node dist/bench/report-render-bench.js [--db pulse.duckdb] [--rounds 3]
 *
 * Without `--db` it first runs the default job on the bundled sample (48 alert reports: 47 KPI,
 * 1 drift) into a temporary directory. Then, for every alert that has a report, it measures:
 * reading the report's data (`prepareAlertReport`, DuckDB queries plus building the document);
 * rendering its charts the way reports did before (Vega-Lite compile, Vega parse, view, SVG, per
 * chart: the baseline, in the same run) and the way they do now (`renderChartSvg`, compile and
 * parse cached per chart shape), checking that both draw the same SVG; rendering and writing the
 * whole report (charts, HTML, Markdown, files) on this thread, and on the report worker thread (one
 * worker for all rounds: its first round includes loading Vega and a cold JIT). Figures are main-thread CPU
 * per report or chart (read from /proc/self/task/<pid>/stat: Linux, 10 ms ticks, so summed over
 * all of them), with wall time in parentheses; on a busy machine trust the CPU figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { runCommand } from '../pipelines/commands/run.js';
import { alertReportTarget, loadAlerts, prepareAlertReport, renderChartSvg } from '../sinks/reports/index.js';
import type { PreparedReport } from '../sinks/reports/index.js';
import { IN_THREAD_WRITER, WorkerReportWriter } from '../sinks/reports/render-thread.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const work = mkdtempSync(join(tmpdir(), 'pulse-report-bench-'));

let db = values.db;
if (db === undefined) {
  db = join(work, 'pulse.duckdb');
  process.env['PULSE_LOG_LEVEL'] = 'warn';
  await runCommand({ config: 'pipelines/customer-analytics.yaml', input: ['samples/events.ndjson'], db, reports: join(work, 'job-reports') });
}

const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
await connection.run(`SET TimeZone = 'UTC'`);
const alerts = (await loadAlerts(connection, 'TRUE', {})).filter((a) => alertReportTarget(a) !== null);
if (alerts.length === 0) throw new Error(`no alert with a report in ${db}`);

/** CPU seconds of this process's main thread so far. */
function mainThreadCpu(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
}

async function measure(what: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = mainThreadCpu();
  const start = performance.now();
  await what();
  return { wallMs: performance.now() - start, cpuMs: (mainThreadCpu() - cpu) * 1000 };
}

const LOADER = vega.loader();
LOADER.load = (uri: string) => Promise.reject(new Error(`refusing to load ${uri}`));

/** The baseline: how a chart was rendered before (compiled and parsed afresh every time). */
async function freshChartSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none', loader: LOADER });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const rows: Array<[string, string]> = [];
const per = (total: number, n: number) => `${(total / n).toFixed(1)} ms`;

let reports: PreparedReport[] = [];
const prepare = await measure(async () => {
  reports = [];
  for (const alert of alerts) reports.push(await prepareAlertReport(connection, alertReportTarget(alert)!, alert));
});
rows.push(['read data + build document, per report, main-thread CPU (wall)', `${per(prepare.cpuMs, reports.length)} (${per(prepare.wallMs, reports.length)})`]);

const charts = reports.flatMap((r) => r.doc.blocks.flatMap((b) => (b.type === 'chart' ? [b.spec] : [])));
const sameChart = (svg: string) => svg.replace(/gradient_\d+/g, 'gradient');
let differing = 0;
for (const spec of charts) if (sameChart(await freshChartSvg(structuredClone(spec))) !== sameChart(await renderChartSvg(structuredClone(spec)))) differing++;

for (let round = 1; round <= rounds; round++) {
  const fresh = await measure(async () => {
    for (const spec of charts) await freshChartSvg(structuredClone(spec));
  });
  const cached = await measure(async () => {
    for (const spec of charts) await renderChartSvg(structuredClone(spec));
  });
  rows.push([
    `round ${round}: one chart, fresh compile (before) vs cached shape (now), CPU (wall)`,
    `${per(fresh.cpuMs, charts.length)} (${per(fresh.wallMs, charts.length)}) vs ${per(cached.cpuMs, charts.length)} (${per(cached.wallMs, charts.length)}): x${(fresh.cpuMs / cached.cpuMs).toFixed(2)}`,
  ]);
}

const writer = new WorkerReportWriter(pathToFileURL(join(import.meta.dirname, '../sinks/reports/render-worker.js')));
for (let round = 1; round <= rounds; round++) {
  const here = await measure(async () => {
    for (const report of reports) await IN_THREAD_WRITER.write(report, join(work, 'here'));
  });
  const worker = await measure(async () => {
    for (const report of reports) await writer.write(report, join(work, 'worker'));
  });
  rows.push([
    `round ${round}: whole report (charts, HTML, Markdown, write), main-thread CPU (wall), this thread vs worker`,
    `${per(here.cpuMs, reports.length)} (${per(here.wallMs, reports.length)}) vs ${per(worker.cpuMs, reports.length)} (${per(worker.wallMs, reports.length)})`,
  ]);
}

await writer.close();
connection.closeSync();
instance.closeSync();
rmSync(work, { recursive: true, force: true });
console.log(`${reports.length} reports, ${charts.length} charts, from ${db}; cached charts differing from fresh ones: ${differing}`);
for (const [what, figure] of rows) console.log(`${what.padEnd(100)} ${figure}`);
