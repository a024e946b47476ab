import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateCommand } from './generate.js';
import { runCommand } from './run.js';

/** The package root, from dist/pipelines/commands (compiled) or pipelines/commands (tests). */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));
export const DEFAULT_JOB = join(ROOT, 'pipelines/customer-analytics.yaml');
export const SAMPLE_EVENTS = join(ROOT, 'samples/events.ndjson');

const SUMMARY_QUERIES: Array<[string, string]> = [
  ['customer windows', 'SELECT count(*) FROM customer_windows'],
  ['customers', 'SELECT count(DISTINCT customer_id) FROM customer_windows'],
  ['contact KPI rows', 'SELECT count(*) FROM contact_kpis'],
  ['alerts', 'SELECT count(*) FROM alerts'],
  ['dead letters', 'SELECT count(*) FROM dead_letters'],
];

/**
 * `pulse demo`: runs the default job end to end on the bundled sample (generated first if it is
 * missing) into a fresh database, then prints what landed where.
 */
export async function demoCommand(options: { dir: string }): Promise<void> {
  if (!existsSync(SAMPLE_EVENTS)) {
    await generateCommand({ out: SAMPLE_EVENTS, customers: 300, days: 56, seed: 42 });
  }
  mkdirSync(options.dir, { recursive: true });
  const db = join(options.dir, 'pulse.duckdb');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const reports = join(options.dir, 'reports');
  const summary = await runCommand({ config: DEFAULT_JOB, input: [SAMPLE_EVENTS], db, reports });
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  try {
    const lines = [`demo: ${summary.records} records read from ${SAMPLE_EVENTS}`, `demo: database ${db}`];
    for (const [label, sql] of SUMMARY_QUERIES) {
      const value = (await connection.runAndReadAll(sql)).getRowsJS()[0]?.[0];
      lines.push(`  ${label.padEnd(18)} ${String(value)}`);
    }
    const alerts = await connection.runAndReadAll(
      `SELECT rule, severity, count(*) AS n FROM alerts GROUP BY ALL ORDER BY n DESC LIMIT 5`,
    );
    for (const row of alerts.getRowObjectsJS()) lines.push(`  alert ${String(row['rule'])} (${String(row['severity'])}): ${String(row['n'])}`);
    lines.push(`demo: explore with: duckdb ${db}  (or any DuckDB client), reports in ${reports}`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
