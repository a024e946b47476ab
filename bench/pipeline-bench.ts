/**
 * Pipeline benchmark (issues 2 and 13): generates a fixed dataset, runs `pulse run` on it as a user
 * does, and in the same run computes `customer_windows` with one DuckDB SQL query over the same file
 * (the baseline); prints events/s, ratios, peak RSS, CPU seconds per operator, and whether the
 * pipeline's windows equal the query's.
 *
 *   npm run build && node dist/bench/pipeline-bench.js [--job windows|default] [--data generator|contact-center]
 *     [--customers N] [--days D] [--seed S] [--workers N] [--checkpoint-events N] [--checkpoint-interval D]
 *
 * --job windows (default): `customer_windows` only, 1,000,000 customers x 1 day unless told.
 * --job default: the default job (pipelines/customer-analytics.yaml, every operator and its rules),
 *   30,000 customers x 28 days (about 5M events) unless told, then the same job without its KPI
 *   rules (so no analytic alerts and no reports), the same job with hair-trigger quarter-hour and hourly KPI rules
 *   (an alert storm: well over 1,000 firings, each with its report, for issue 13's "1,000 firings
 *   slow ingestion by less than 10%"), and `customer_windows` only, on the same file.
 * --data generator (default): `pulse generate`'s events, about one in a hundred a contact.
 * --data contact-center: bench/contact-center.py's events (written apart from the generator), half
 *   of them contacts with texts, 50,000 customers x 14 days (a million events) unless told: the
 *   KPI and service operators' load of a contact-center business.
 *
 * The dataset has no malformed or late records (those paths have their own tests), so the SQL
 * baseline is exact: deduplicate by event_id, aggregate per customer and 1 h / 1 d window.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse, stringify } from 'yaml';
import { cleanDataset } from './clean-dataset.js';
import { contactCenterDataset } from './contact-center-data.js';

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    job: { type: 'string', default: 'windows' },
    data: { type: 'string', default: 'generator' },
    customers: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string' },
    // Unless told, the job's own checkpoint settings: what users run.
    'checkpoint-events': { type: 'string' },
    'checkpoint-interval': { type: 'string' },
    dir: { type: 'string', default: 'bench/.data' },
  },
});
if (values.help) {
  const usage = readFileSync(new URL(import.meta.url), 'utf8').match(/\/\*\*\n([\s\S]*?)\*\//)?.[1] ?? '';
  process.stdout.write(usage.replace(/^ \* ?/gm, ''));
  process.exit(0);
}
const full = values.job === 'default';
if (!full && values.job !== 'windows') throw new Error(`--job must be windows or default, got ${values.job}`);
const contactCenter = values.data === 'contact-center';
if (!contactCenter && values.data !== 'generator') throw new Error(`--data must be generator or contact-center, got ${values.data}`);
const customers = Number(values.customers ?? (contactCenter ? 50_000 : full ? 30_000 : 1_000_000));
const days = Number(values.days ?? (contactCenter ? 14 : full ? 28 : 1));
const dir = resolve(values.dir!);
mkdirSync(dir, { recursive: true });
const events = contactCenter ? contactCenterDataset(dir, customers, days, Number(values.seed)) : await cleanDataset(dir, customers, days, Number(values.seed));
const bytes = statSync(events).size;

interface RunFigures {
  /** Start to exit, reports pending at the end of the input rendered. */
  seconds: number;
  /** Start to the end of the input (the job's summary line), before the pending reports are rendered. */
  ingestSeconds: number;
  /** Start to the last record read, before the last window closes and the final checkpoint. */
  inputReadSeconds: number;
  records: number;
  maxRssBytes: number;
  operatorSeconds: Record<string, number>;
  db: string;
}

/** Writes a job file from the default job, with the bench's input and settings, and runs it. */
async function runJob(name: string, change: (job: Record<string, any>) => void): Promise<RunFigures> {
  const job = parse(readFileSync('pipelines/customer-analytics.yaml', 'utf8')) as Record<string, any>;
  job['sources'] = { files: { ...job['sources']['files'], paths: [events] } };
  job['source'] = 'files';
  if (values['checkpoint-events'] !== undefined) job['checkpoint']['max_events'] = Number(values['checkpoint-events']);
  if (values['checkpoint-interval'] !== undefined) job['checkpoint']['interval'] = values['checkpoint-interval'];
  job['dead_letters'] = { rejects_files: false };
  job['metrics'] = { port: 0 };
  job['reports'] = { dir: join(dir, `reports-${name}`) };
  if (values.workers !== undefined) job['workers'] = Number(values.workers);
  change(job);
  const path = join(dir, `bench-${name}.yaml`);
  writeFileSync(path, stringify(job));
  const db = join(dir, `bench-${name}.duckdb`);
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  rmSync(join(dir, `reports-${name}`), { recursive: true, force: true });
  const started = performance.now();
  const last = await new Promise<Record<string, any>>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['dist/pipelines/cli.js', 'run', '--config', path, '--db', db], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PULSE_LOG_LEVEL: 'info' },
    });
    let summary: Record<string, any> | null = null;
    let inputRead = Number.NaN;
    let ingested = Number.NaN;
    let pending = '';
    child.stderr.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.includes('input read to its end')) inputRead = (performance.now() - started) / 1000;
        if (!line.includes('"maxRssBytes"')) continue;
        summary = JSON.parse(line) as Record<string, any>;
        ingested = (performance.now() - started) / 1000;
      }
    });
    child.on('exit', (code) =>
      code === 0 && summary ? resolvePromise({ ...summary, ingested, inputRead }) : reject(new Error(`pulse run (${name}) exited ${code}`)),
    );
  });
  return {
    seconds: (performance.now() - started) / 1000,
    ingestSeconds: Number(last['ingested']),
    inputReadSeconds: Number(last['inputRead']),
    records: Number(last['records']),
    maxRssBytes: Number(last['maxRssBytes']),
    operatorSeconds: last['operatorSeconds'] as Record<string, number>,
    db,
  };
}

const windowsOnly = (job: Record<string, any>): void => {
  job['operators'] = (job['operators'] as Array<Record<string, unknown>>).filter((op) => op['type'] === 'customer_windows');
};
const withoutRules = (job: Record<string, any>): void => {
  for (const op of job['operators'] as Array<Record<string, unknown>>) if (op['type'] === 'contact_kpis') delete op['rules'];
};

/** KPI rules that fire on many quarter-hour and hourly windows and resolve on the next: an alert storm. */
const alertStorm = (job: Record<string, any>): void => {
  for (const op of job['operators'] as Array<Record<string, unknown>>) {
    if (op['type'] !== 'contact_kpis') continue;
    op['rules'] = [
      { name: 'StormAbandonRate', when: 'abandon_rate > 0.05', window: '15m', min_offered: 1, severity: 'warning' },
      { name: 'StormServiceLevel', when: 'service_level < 0.9', window: '1h', min_offered: 1, severity: 'info' },
    ];
  }
};

// 1. The pipeline, as users run it.
const runs: Record<string, RunFigures> = {};
if (full) {
  runs['default'] = await runJob('default', () => undefined);
  runs['default_without_rules'] = await runJob('default-without-rules', withoutRules);
  runs['default_alert_storm'] = await runJob('default-alert-storm', alertStorm);
}
runs['windows_only'] = await runJob('windows', windowsOnly);

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
    FROM raw QUALIFY row_number() OVER (PARTITION BY customer_id, event_id) = 1),
  sized AS (SELECT *, unnest([3600000, 86400000]) AS size FROM ev)
  SELECT customer_id, (ts_ms // size) * size AS window_start, size,
         coalesce(sum(amount) FILTER (WHERE type = 'transaction' AND amount >= 0), 0) AS spend_total,
         count(*) FILTER (WHERE type = 'transaction' AND amount >= 0) AS spend_count,
         coalesce(sum(-amount) FILTER (WHERE type = 'transaction' AND amount < 0), 0) AS refund_total,
         coalesce(sum(quantity) FILTER (WHERE type = 'usage'), 0) AS usage_total,
         count(*) FILTER (WHERE type = 'contact') AS contacts
  FROM sized GROUP BY ALL`);
const sqlSeconds = (performance.now() - sqlStart) / 1000;

// 3. Equality of each run's windows with the query's (sums compared to 1e-6).
const equal: Record<string, boolean> = {};
let stormFirings = 0;
for (const [name, run] of Object.entries(runs)) {
  await connection.run(`ATTACH '${run.db}' AS run (READ_ONLY)`);
  const diff = await connection.runAndReadAll(`
    WITH actual AS (
      SELECT customer_id, epoch_ms(window_start) AS window_start, epoch_ms(window_end) - epoch_ms(window_start) AS size,
             spend_total, spend_count, refund_total, usage_total, contacts FROM run.customer_windows),
    joined AS (SELECT e.*, a.customer_id IS NULL AS missing,
                      abs(e.spend_total - a.spend_total) > 1e-6 OR e.spend_count <> a.spend_count
                      OR abs(e.refund_total - a.refund_total) > 1e-6 OR abs(e.usage_total - a.usage_total) > 1e-6
                      OR e.contacts <> a.contacts AS differs
               FROM expected e LEFT JOIN actual a USING (customer_id, window_start, size))
    SELECT (SELECT count(*) FROM expected) = (SELECT count(*) FROM actual) AND count(*) FILTER (WHERE missing OR differs) = 0
    FROM joined`);
  equal[name] = diff.getRowsJS()[0]![0] === true;
  if (name === 'default') {
    // Issue 14's yardstick: alerts per rule per day of data.
    const rules = await connection.runAndReadAll(
      `SELECT kind, rule, count(*) AS alerts FROM run.alerts WHERE status = 'firing' OR status = 'resolved' GROUP BY ALL ORDER BY alerts DESC`,
    );
    for (const row of rules.getRowObjectsJS()) {
      process.stdout.write(`alerts_per_day ${String(row['kind']).padEnd(9)} ${String(row['rule']).padEnd(28)} ${(Number(row['alerts']) / days).toFixed(2)}\n`);
    }
    const cases = await connection.runAndReadAll(`SELECT count(*) FROM run.cases`);
    process.stdout.write(`cases_opened ${String(cases.getRowsJS()[0]![0])}\n`);
  }
  if (name === 'default_alert_storm') {
    const storm = await connection.runAndReadAll(`SELECT count(*) FROM run.alerts WHERE rule LIKE 'Storm%'`);
    stormFirings = Number(storm.getRowsJS()[0]![0]);
  }
  await connection.run(`DETACH run`);
}
connection.closeSync();
instance.closeSync();

const records = runs['windows_only']!.records;
const rate = (run: RunFigures): number => run.records / run.seconds;
const sqlRate = records / sqlSeconds;
const figures: Record<string, string | number | boolean> = {
  dataset: `${events} (${(bytes / 1e6).toFixed(0)} MB, ${records} records, ${customers} customers, ${days} days)`,
  workers: values.workers ?? 'auto',
  checkpoint: `every ${values['checkpoint-interval'] ?? 'job default'} or ${values['checkpoint-events'] ?? 'job default'} events`,
  duckdb_sql_seconds: sqlSeconds.toFixed(1),
  duckdb_sql_events_per_second: Math.round(sqlRate),
};
for (const [name, run] of Object.entries(runs)) {
  figures[`${name}_seconds`] =
    `${run.seconds.toFixed(1)} (input read in ${run.inputReadSeconds.toFixed(1)}, last closes and final checkpoint ` +
    `${(run.ingestSeconds - run.inputReadSeconds).toFixed(1)}, reports pending then ${(run.seconds - run.ingestSeconds).toFixed(1)})`;
  figures[`${name}_events_per_second`] = Math.round(rate(run));
  figures[`${name}_ratio_to_sql`] = (rate(run) / sqlRate).toFixed(3);
  figures[`${name}_peak_rss_mib`] = Math.round(run.maxRssBytes / 2 ** 20);
  figures[`${name}_windows_equal_sql`] = equal[name]!;
  figures[`${name}_operator_cpu_seconds`] = JSON.stringify(run.operatorSeconds);
}
const windows = runs['windows_only']!;
figures['target_windows_only_150k_events_per_second'] = rate(windows) >= 150_000 ? 'met' : 'NOT met';
figures['target_windows_only_0.15_of_sql'] = rate(windows) >= 0.15 * sqlRate ? 'met' : 'NOT met';
if (full) {
  const all = runs['default']!;
  const noRules = runs['default_without_rules']!;
  figures['default_to_windows_only'] = (rate(all) / rate(windows)).toFixed(3);
  figures['rules_slowdown'] = `${((1 - rate(all) / rate(noRules)) * 100).toFixed(1)}%`;
  figures['target_default_100k_events_per_second'] = rate(all) >= 100_000 ? 'met' : 'NOT met';
  figures['target_default_0.5_of_windows_only'] = rate(all) >= 0.5 * rate(windows) ? 'met' : 'NOT met';
  const storm = runs['default_alert_storm']!;
  figures['alert_storm_firings'] = stormFirings;
  // Ingestion: to the end of the input; the reports still pending then are rendered before exit.
  const ingestRate = (run: RunFigures): number => run.records / run.ingestSeconds;
  figures['alert_storm_ingestion_slowdown'] = `${((1 - ingestRate(storm) / ingestRate(noRules)) * 100).toFixed(1)}%`;
  figures['alert_storm_end_to_end_slowdown'] = `${((1 - rate(storm) / rate(noRules)) * 100).toFixed(1)}%`;
  figures['target_1000_firings_slow_ingestion_under_10%'] =
    stormFirings < 1000 ? 'not measured (fewer than 1,000 firings)' : ingestRate(storm) >= 0.9 * ingestRate(noRules) ? 'met' : 'NOT met';
}
figures['target_peak_rss_under_2gib'] = Object.values(runs).every((run) => run.maxRssBytes < 2 * 2 ** 30) ? 'met' : 'NOT met';
for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(44)} ${value}\n`);
