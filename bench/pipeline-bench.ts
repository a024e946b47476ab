/**
 * Pipeline benchmark (issue 2): generates a fixed dataset, runs `pulse run` on it, and in the same
 * run computes the same `customer_windows` with one DuckDB SQL query over the same file (the
 * baseline), then prints events/s of each, their ratio, the pipeline's peak RSS, and whether the two
 * results are equal.
 *
 *   npm run build && node dist/bench/pipeline-bench.js [--customers 1000000] [--days 1] [--seed 1]
 *     [--checkpoint-events 1000000]
 *
 * `--checkpoint-events` is the job's checkpoint.max_events: every checkpoint rewrites each window
 * changed since the one before, so at a million customers the cadence decides how often a day's
 * window is written (once per checkpoint it is open through).
 *
 * The dataset has no malformed or late records (those paths have their own tests), so the SQL
 * baseline is exact: deduplicate by event_id, aggregate per customer and 1 h / 1 d window.
 */
import { spawn } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { cleanDataset } from './clean-dataset.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    'checkpoint-events': { type: 'string', default: '1000000' },
    dir: { type: 'string', default: 'bench/.data' },
  },
});
const customers = Number(values.customers);
const days = Number(values.days);
const dir = values.dir!;
const events = await cleanDataset(dir, customers, days, Number(values.seed));
const bytes = statSync(events).size;

const job = join(dir, 'bench-job.yaml');
writeFileSync(job, `name: bench
source: files
sources:
  files: { type: files, paths: ["${events}"], batch_size: 8192 }
event_time: { max_out_of_orderness: 15m, allowed_lateness: 1h }
operators:
  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }]
checkpoint: { interval: 30s, max_events: ${Number(values['checkpoint-events'])} }
dead_letters: { rejects_files: false }
`);

// 1. The pipeline, as a user runs it.
const db = join(dir, 'bench.duckdb');
rmSync(db, { force: true });
rmSync(`${db}.wal`, { force: true });
const pipelineStart = performance.now();
const summary = await new Promise<Record<string, number>>((resolve, reject) => {
  const child = spawn(process.execPath, ['dist/pipelines/cli.js', 'run', '--config', job, '--db', db], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PULSE_LOG_LEVEL: 'info' },
  });
  let last: Record<string, number> | null = null;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const line of stderr.split('\n')) {
      if (line.includes('"maxRssBytes"')) last = JSON.parse(line) as Record<string, number>;
    }
    stderr = stderr.slice(stderr.lastIndexOf('\n') + 1);
  });
  child.on('exit', (code) => (code === 0 && last ? resolve(last) : reject(new Error(`pulse run exited ${code}`))));
});
const pipelineSeconds = (performance.now() - pipelineStart) / 1000;

// 2. The baseline: one DuckDB query over the same file.
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run(`SET TimeZone = 'UTC'`);
const sqlStart = performance.now();
await connection.run(`
  CREATE TABLE expected AS
  WITH raw AS (
    SELECT * FROM read_json('${events}', format = 'newline_delimited', columns = {
      type: 'VARCHAR', event_id: 'VARCHAR', customer_id: 'VARCHAR', ts: 'JSON', queued_at: 'JSON',
      amount: 'DOUBLE', metric: 'VARCHAR', quantity: 'DOUBLE'})
    WHERE type IN ('transaction', 'usage', 'contact') AND customer_id IS NOT NULL),
  ev AS (
    SELECT *, CASE WHEN json_type(coalesce(ts, queued_at)) = 'VARCHAR'
                   THEN epoch_ms(CAST(coalesce(ts, queued_at) ->> '$' AS TIMESTAMPTZ))
                   ELSE CAST(coalesce(ts, queued_at) AS BIGINT) END AS ts_ms
    FROM raw QUALIFY row_number() OVER (PARTITION BY event_id) = 1),
  sized AS (SELECT *, unnest([3600000, 86400000]) AS size FROM ev)
  SELECT customer_id, (ts_ms // size) * size AS window_start, size,
         coalesce(sum(amount) FILTER (WHERE type = 'transaction' AND amount >= 0), 0) AS spend_total,
         count(*) FILTER (WHERE type = 'transaction' AND amount >= 0) AS spend_count,
         coalesce(sum(-amount) FILTER (WHERE type = 'transaction' AND amount < 0), 0) AS refund_total,
         coalesce(sum(quantity) FILTER (WHERE type = 'usage'), 0) AS usage_total,
         count(*) FILTER (WHERE type = 'contact') AS contacts
  FROM sized GROUP BY ALL`);
const sqlSeconds = (performance.now() - sqlStart) / 1000;

// 3. Equality: rows of one side missing from the other (sums compared to 1e-6).
await connection.run(`ATTACH '${db}' AS pipeline (READ_ONLY)`);
const diff = await connection.runAndReadAll(`
  WITH actual AS (
    SELECT customer_id, epoch_ms(window_start) AS window_start, epoch_ms(window_end) - epoch_ms(window_start) AS size,
           spend_total, spend_count, refund_total, usage_total, contacts FROM pipeline.customer_windows),
  joined AS (SELECT e.*, a.customer_id IS NULL AS missing,
                    abs(e.spend_total - a.spend_total) > 1e-6 OR e.spend_count <> a.spend_count
                    OR abs(e.refund_total - a.refund_total) > 1e-6 OR abs(e.usage_total - a.usage_total) > 1e-6
                    OR e.contacts <> a.contacts AS differs
             FROM expected e LEFT JOIN actual a USING (customer_id, window_start, size))
  SELECT (SELECT count(*) FROM expected) AS expected_rows, (SELECT count(*) FROM actual) AS actual_rows,
         count(*) FILTER (WHERE missing) AS missing, count(*) FILTER (WHERE differs) AS differing FROM joined`);
const [expectedRows, actualRows, missing, differing] = diff.getRowsJS()[0]!.map(Number) as [number, number, number, number];
connection.closeSync();
instance.closeSync();

const records = summary['records']!;
const pipelineRate = records / pipelineSeconds;
const sqlRate = records / sqlSeconds;
const figures = {
  dataset: `${events} (${(bytes / 1e6).toFixed(0)} MB, ${records} records, ${customers} customers, ${days} days)`,
  checkpoint_max_events: Number(values['checkpoint-events']),
  pipeline_seconds: pipelineSeconds.toFixed(1),
  pipeline_events_per_second: Math.round(pipelineRate),
  duckdb_sql_seconds: sqlSeconds.toFixed(1),
  duckdb_sql_events_per_second: Math.round(sqlRate),
  ratio_pipeline_to_sql: (pipelineRate / sqlRate).toFixed(3),
  pipeline_peak_rss_mib: Math.round(summary['maxRssBytes']! / 2 ** 20),
  windows_expected: expectedRows,
  windows_pipeline: actualRows,
  equal: missing === 0 && differing === 0 && expectedRows === actualRows,
  target_500k_events_per_second: pipelineRate >= 500_000 ? 'met' : 'NOT met',
  target_one_tenth_of_sql: pipelineRate >= sqlRate / 10 ? 'met' : 'NOT met',
  target_peak_rss_under_2gib: summary['maxRssBytes']! < 2 * 2 ** 30 ? 'met' : 'NOT met',
};
for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(32)} ${value}\n`);
