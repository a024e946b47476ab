import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { CLI } from './kafka-helpers.js';

/**
 * The edges of the command line: each mistake exits 2 with a message naming it (no stack trace),
 * creates no file, and suggests the close match when there is one.
 */
const JOB = join(process.cwd(), 'pipelines/customer-analytics.yaml');
let dir = '';
/** A database written by a real run over the first 5,000 sample events. */
let db = '';

function pulse(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PULSE_LOG_LEVEL: 'warn' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs the command and checks it exits 2 with `message`, no stack trace, and leaves the directory as it was. */
/** `pulse run` of the test job on events.ndjson into `db`. */
const runInto = (db: string): string[] => ['run', '--config', JOB, '--input', 'events.ndjson', '--db', db];

function refused(message: string | RegExp, ...args: string[]): string {
  const before = readdirSync(dir).sort();
  const result = pulse(...args);
  expect(result.status, `${args.join(' ')}\n${result.stderr}`).toBe(2);
  expect(result.stderr).toMatch(typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
  expect(result.stderr).not.toMatch(/\n\s+at |Error:|IO Error|Catalog Error/);
  expect(readdirSync(dir).sort()).toEqual(before);
  return result.stderr;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-cli-edges-'));
  mkdirSync(join(dir, 'data'));
  const sample = readFileSync(join(process.cwd(), 'samples/events.ndjson'), 'utf8').split('\n').slice(0, 5000).join('\n') + '\n';
  writeFileSync(join(dir, 'events.ndjson'), sample);
  db = join(dir, 'pulse.duckdb');
  const run = pulse('run', '--config', JOB, '--input', 'events.ndjson', '--db', db, '--reports', 'reports');
  expect(run.status, run.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pulse run: inputs, databases and options', () => {
  it('several inputs after one --input, as a shell glob gives them (the hint for a directory says so)', () => {
    mkdirSync(join(dir, 'day-files'));
    const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'day-files', 'a.ndjson'), lines.slice(0, 100).join('\n') + '\n');
    writeFileSync(join(dir, 'day-files', 'b.ndjson'), lines.slice(100, 250).join('\n') + '\n');
    const run = pulse('run', '--config', JOB, '--input', 'day-files/a.ndjson', 'day-files/b.ndjson', '--db', 'glob.duckdb', '--reports', 'glob-reports');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/processed 250 records/);
  });

  it("a mistake in a subcommand points to that subcommand's help", () => {
    expect(pulse('cases', 'update', '--db', db).stderr).toContain('(run pulse cases update --help for usage)');
    expect(pulse('run', '--config', JOB, '--metrics-port', 'abc').stderr).toContain('(run pulse run --help for usage)');
  });

  it('a missing --input file or a directory', () => {
    refused(
      `--input missing.ndjson: no such file (relative to the current directory, ${dir})`,
      'run',
      '--config',
      JOB,
      '--input',
      'missing.ndjson',
      '--db',
      'new.duckdb',
    );
    refused('--input data is a directory; give the files in it, e.g. --input data/*.ndjson', 'run', '--config', JOB, '--input', 'data', '--db', 'new.duckdb');
  });

  it('a named pipe (opened with no writer, the job waited for good; with one, a read at its offset failed)', () => {
    const fifo = join(dir, 'events.pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    try {
      refused(
        '--input events.pipe is not a regular file (a named pipe or a device): stream it through stdin instead: --input - < events.pipe',
        'run',
        '--config',
        JOB,
        '--input',
        'events.pipe',
        '--db',
        'new.duckdb',
      );
    } finally {
      rmSync(fifo);
    }
  });

  it('a spreadsheet export (every line would be refused as invalid JSON)', () => {
    writeFileSync(join(dir, 'events.csv'), 'type,event_id\ntransaction,t1\n');
    refused(
      "--input events.csv: CSV is not read; convert it to NDJSON or Parquet with the SPEC columns and types (ids as text, amounts as numbers), e.g. in DuckDB: COPY (FROM 'events.csv') TO 'events.parquet'",
      'run',
      '--config',
      JOB,
      '--input',
      'events.csv',
      '--db',
      'new.duckdb',
    );
  });

  it('--db pointing to a directory, into a directory that does not exist, or at a file that is not a database', () => {
    refused(`--db data is a directory; give the path of a database file, e.g. ${join(dir, 'data', 'pulse.duckdb')}`, ...runInto('data'));
    expect(readdirSync(join(dir, 'data'))).toEqual([]);
    refused(`the directory ${join(dir, 'nowhere')} does not exist`, ...runInto('nowhere/pulse.duckdb'));
    const stderr = refused('--db events.ndjson is not a DuckDB database file', ...runInto('events.ndjson'));
    expect(stderr).not.toContain('processed');
  });

  it('a job file whose paths name a variable not set runs on --input files (they replace those paths)', () => {
    const job = join(dir, 'export-job.yaml');
    writeFileSync(job, readFileSync(JOB, 'utf8').replace('${PULSE_INPUT:-samples/events.ndjson}', '${EXPORT_DIR}/events.ndjson'));
    const env = { ...process.env, EXPORT_DIR: undefined };
    const withInput = spawnSync(
      process.execPath,
      [CLI, 'run', '--config', job, '--input', 'events.ndjson', '--db', 'export.duckdb', '--reports', 'export-reports'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        env,
      },
    );
    expect(withInput.status, withInput.stderr).toBe(0);
    refused('sources.files.paths[0]: environment variable EXPORT_DIR is not set', 'run', '--config', job, '--db', 'export.duckdb');
  });

  it("--db at another program's DuckDB file: refused by the job and the commands, its tables left as they were", async () => {
    const foreign = join(dir, 'shop.duckdb');
    await query(
      foreign,
      'CREATE TABLE orders (id INTEGER, total DOUBLE)',
      'CREATE TABLE alerts (x INTEGER, y VARCHAR)',
      "INSERT INTO alerts VALUES (1, 'mine')",
    );
    refused('shop.duckdb is a DuckDB database of another program (its tables orders are none of customer-pulse)', ...runInto('shop.duckdb'));
    // The commands that work on the file directly add tables of their own (cases, leads, users).
    for (const command of [
      ['cases', 'list'],
      ['leads', 'list'],
      ['users', 'list'],
      ['outcomes', 'summary'],
      ['outbox', 'list'],
    ]) {
      refused('shop.duckdb is a DuckDB database of another program', ...command, '--db', 'shop.duckdb');
    }
    const [tables] = await query(foreign, `SELECT string_agg(table_name, ',' ORDER BY table_name) AS t FROM duckdb_tables()`);
    expect(tables).toEqual([{ t: 'alerts,orders' }]);
    const [columns, rows] = await query(
      foreign,
      `SELECT string_agg(column_name, ',' ORDER BY column_index) AS c FROM duckdb_columns() WHERE table_name = 'alerts'`,
      'SELECT count(*)::INTEGER AS n FROM alerts',
    );
    expect(columns).toEqual([{ c: 'x,y' }]);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('an unknown option is reported as unknown, with the close match, even when it hides a required one', () => {
    const stderr = refused("error: unknown option '--confg'", 'run', '--confg', JOB, '--input', 'events.ndjson');
    expect(stderr).toContain('(Did you mean --config?)');
    expect(stderr).not.toContain('required option');
    refused("error: required option '--config <file>' not specified", 'run', '--input', 'events.ndjson');
    refused("error: unknown option '--bd'", 'cases', 'list', '--bd', db);
  });
});

describe('commands on a database', () => {
  const missing = () => join(dir, 'missing.duckdb');
  it.each([
    ['cases list', ['cases', 'list']],
    ['cases show', ['cases', 'show', 'case-0123456789']],
    ['outbox list', ['outbox', 'list']],
    ['outbox retry', ['outbox', 'retry']],
    ['outbox send', ['outbox', 'send', '--config', JOB]],
    [
      'drift evaluate',
      ['drift', 'evaluate', '--reference-start', '2026-01-05', '--reference-end', '2026-01-12', '--current-start', '2026-01-12', '--current-end', '2026-01-19'],
    ],
    ['report kpi', ['report', 'kpi', '--out', 'reports']],
  ])('%s on a --db that does not exist creates nothing', (_name, args) => {
    refused(`the database ${missing()} does not exist (nothing was created)`, ...args, '--db', missing());
    refused(`--db ${join(dir, 'data')} is a directory`, ...args, '--db', join(dir, 'data'));
  });

  it('report customer with an unknown customer names it and suggests close ids', () => {
    const stderr = refused(
      "--customer C00001: no customer 'C00001' in customer_windows (did you mean C000001",
      'report',
      'customer',
      '--db',
      db,
      '--out',
      'reports',
      '--customer',
      'C00001',
    );
    expect(stderr).toMatch(/did you mean (C0000\d\d( or )?){1,3}\?\)/);
    refused(
      "--customer nobody-like-this: no customer 'nobody-like-this' in customer_windows\n",
      'report',
      'customer',
      '--db',
      db,
      '--out',
      'reports',
      '--customer',
      'nobody-like-this',
    );
  });

  it('report kpi --queue biling lists the queues that exist and suggests billing', async () => {
    const stderr = refused(
      "--queue biling: no queue 'biling' in contact_kpis (did you mean billing?); queues present: billing, ",
      'report',
      'kpi',
      '--db',
      db,
      '--out',
      'reports',
      '--queue',
      'biling',
    );
    // The queues present, from the database itself.
    const listed = stderr.split('queues present: ')[1]!.trim().split(', ');
    const [queues] = await query(db, 'SELECT DISTINCT queue FROM contact_kpis ORDER BY queue');
    expect(listed).toEqual(queues!.map((r) => r['queue']));
    refused("--channel vioce: no channel 'vioce' in contact_kpis (did you mean voice?)", 'report', 'kpi', '--db', db, '--out', 'reports', '--channel', 'vioce');
    expect(existsSync(join(dir, 'reports', 'kpi'))).toBe(false);
  });

  it("report kpi --queue BILLING reports billing: the queue's case is ignored, as KPI rules ignore it", () => {
    const run = pulse('report', 'kpi', '--db', db, '--out', 'upper', '--queue', 'BILLING');
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(join(dir, 'upper')).filter((name) => name.includes('-billing-'))).toHaveLength(2); // HTML and Markdown
  });
});
