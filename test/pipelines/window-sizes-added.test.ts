import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5); // a Monday; 7d windows are epoch aligned and start on Thursdays
/** Where the input is split into the three runs' files: off every window grid. */
const SPLITS = [T0 + DAY + 13 * HOUR + 17 * MINUTE, T0 + 3 * DAY + 5 * HOUR + 41 * MINUTE];
const FIRST_WINDOWS = '[{ size: 1h }]';
const ADDED_WINDOWS = '[{ size: 1h }, { size: 1d }, { size: 1d, slide: 6h }, { size: 7d }]';

interface Spec {
  sizeMs: number;
  slideMs: number;
}
const HOURLY: Spec = { sizeMs: HOUR, slideMs: HOUR };
const ADDED: Spec[] = [
  { sizeMs: DAY, slideMs: DAY },
  { sizeMs: DAY, slideMs: 6 * HOUR },
  { sizeMs: 7 * DAY, slideMs: 7 * DAY },
];

/** Six days of transactions and usage of eight customers, in time order (none late), every 7 minutes. */
function events(): Array<{ ts: number; line: string }> {
  return Array.from({ length: (6 * DAY) / (7 * MINUTE) }, (_, i) => {
    const ts = T0 + i * 7 * MINUTE;
    const base = { event_id: `e${i}`, ts, customer_id: `c${i % 8}` };
    const event =
      i % 3 === 2
        ? { ...base, type: 'usage', metric: 'data_mb', quantity: (i % 11) + 0.5 }
        : { ...base, type: 'transaction', amount: (i % 17) + 0.25, channel: 'web' };
    return { ts, line: JSON.stringify(event) };
  });
}

/** A files job on `input` with this one operator (a YAML list item); returns its path. */
function writeJob(dir: string, name: string, input: string, operator: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: windows-added
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(input)}], batch_size: 50 }
operators:
${operator}
dead_letters: { rejects_files: false }
`,
  );
  return path;
}

/** A job of one customer_windows operator of these windows. */
const writeWindowsJob = (dir: string, name: string, input: string, windows: string): string =>
  writeJob(dir, name, input, `  - type: customer_windows\n    windows: ${windows}`);

function firstStartAfter(spec: Spec, ts: number): number {
  return Math.floor(ts / spec.slideMs) * spec.slideMs + spec.slideMs;
}

/**
 * The oracle: every window of each spec from its first start (specs sharing a window count an event
 * once in it), summed over the events in DuckDB SQL.
 */
function oracleSql(eventsPath: string, specs: Array<Spec & { from: number }>): string {
  const windows = specs
    .map(
      (s) => `SELECT event_id, w AS window_start, w + ${s.sizeMs} AS window_end
              FROM ev, unnest(range((ts // ${s.slideMs}) * ${s.slideMs} - ${s.sizeMs} + ${s.slideMs}, (ts // ${s.slideMs}) * ${s.slideMs} + 1, ${s.slideMs})) AS t(w)
              WHERE w >= ${s.from}`,
    )
    .join(' UNION ');
  return `
    WITH ev AS (SELECT * FROM read_json('${eventsPath}', format = 'newline_delimited',
           columns = {event_id: 'VARCHAR', type: 'VARCHAR', customer_id: 'VARCHAR', ts: 'BIGINT', amount: 'DOUBLE', quantity: 'DOUBLE'})),
         windows AS (${windows})
    SELECT customer_id, window_start, window_end,
           round(coalesce(sum(amount), 0), 6) AS spend_total, count(amount) AS spend_count, round(coalesce(sum(quantity), 0), 6) AS usage_total
    FROM windows JOIN ev USING (event_id) GROUP BY ALL ORDER BY ALL`;
}

const PIPELINE_SQL = `
  SELECT customer_id, epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end,
         round(spend_total, 6) AS spend_total, spend_count, round(usage_total, 6) AS usage_total
  FROM customer_windows ORDER BY ALL`;

function plain(rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

describe('a window size added to customer_windows between runs on one database', () => {
  for (const workers of [0, 2]) {
    it(`starts with its first window after the events already read, in every later run too (${workers} workers)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pulse-windows-added-'));
      const all = events();
      const parts = [all.filter((e) => e.ts < SPLITS[0]!), all.filter((e) => e.ts >= SPLITS[0]! && e.ts < SPLITS[1]!), all.filter((e) => e.ts >= SPLITS[1]!)];
      const files = ['all', 'first', 'second', 'third'].map((name) => join(dir, `${name}.ndjson`));
      [all, ...parts].forEach((lines, i) => writeFileSync(files[i]!, lines.map((e) => e.line).join('\n') + '\n'));
      const db = join(dir, 'split.duckdb');
      const run = async (job: string) => expect((await runPulse(['--config', job, '--db', db, '--workers', String(workers)])).code).toBe(0);

      await run(writeWindowsJob(dir, 'first', files[1]!, FIRST_WINDOWS));
      // The run that adds the sizes says when each starts (info: runPulse logs warnings only).
      const added = spawnSync(
        process.execPath,
        [
          join(process.cwd(), 'dist/pipelines/cli.js'),
          'run',
          '--config',
          writeWindowsJob(dir, 'second', files[2]!, ADDED_WINDOWS),
          '--db',
          db,
          '--workers',
          String(workers),
        ],
        { encoding: 'utf8', env: { ...process.env, PULSE_LOG_LEVEL: 'info' } },
      );
      expect(added.status).toBe(0);
      const newest = parts[0]!.at(-1)!.ts;
      const starts = ADDED.map((spec) => firstStartAfter(spec, newest));
      expect(starts.map((t) => new Date(t).toISOString())).toEqual(['2026-01-07T00:00:00.000Z', '2026-01-06T18:00:00.000Z', '2026-01-08T00:00:00.000Z']);
      expect(added.stderr).toContain(
        'window sizes new in this job start with their first window after the events already read: customer_windows 1d from 2026-01-07T00:00:00.000Z, ' +
          'customer_windows 1d/6h from 2026-01-06T18:00:00.000Z, customer_windows 7d from 2026-01-08T00:00:00.000Z',
      );
      // A third run keeps the cut: the windows across the second and third runs are whole.
      await run(writeWindowsJob(dir, 'third', files[3]!, ADDED_WINDOWS));

      const [expected] = await query(':memory:', oracleSql(files[0]!, [{ ...HOURLY, from: 0 }, ...ADDED.map((spec, i) => ({ ...spec, from: starts[i]! }))]));
      const [actual, early] = await query(
        db,
        PIPELINE_SQL,
        `SELECT count(*)::INTEGER AS n FROM customer_windows WHERE epoch_ms(window_end) - epoch_ms(window_start) > ${HOUR}
           AND epoch_ms(window_start) < ${Math.min(...starts)}`,
      );
      expect(expected!.length).toBeGreaterThan(1000);
      expect(plain(actual!)).toEqual(plain(expected!));
      expect(early).toEqual([{ n: 0 }]);

      // Each row of an added size is the row a fresh run over all the events writes for its window.
      const fresh = join(dir, 'fresh.duckdb');
      expect((await runPulse(['--config', writeWindowsJob(dir, 'fresh', files[0]!, ADDED_WINDOWS), '--db', fresh])).code).toBe(0);
      const [whole] = await query(fresh, PIPELINE_SQL);
      const key = (row: Record<string, unknown>) => `${String(row['customer_id'])} ${String(row['window_start'])} ${String(row['window_end'])}`;
      const freshRows = new Map(plain(whole!).map((row) => [key(row), row]));
      const addedRows = plain(actual!).filter((row) => Number(row['window_end']) - Number(row['window_start']) > HOUR);
      expect(addedRows.length).toBeGreaterThan(100);
      for (const row of addedRows) expect(row).toEqual(freshRows.get(key(row)));
    });
  }
});

/** Three days of calls on two queues and two channels, one every 13 minutes, some customers calling again. */
function calls(): Array<{ ts: number; line: string }> {
  return Array.from({ length: (3 * DAY) / (13 * MINUTE) }, (_, i) => {
    const queued = T0 + i * 13 * MINUTE;
    const abandoned = i % 9 === 4;
    const answered = abandoned ? null : queued + (i % 7) * 6_000;
    const line = JSON.stringify({
      type: 'contact',
      event_id: `k${i}`,
      customer_id: `c${i % 23}`,
      contact_id: `k${i}`,
      channel: i % 3 === 0 ? 'chat' : 'voice',
      queue: i % 2 === 0 ? 'billing' : 'support',
      reason: i % 5 === 0 ? 'TECH' : 'BILL',
      agent_id: abandoned ? null : 'a1',
      queued_at: queued,
      answered_at: answered,
      ended_at: (answered ?? queued) + 60_000 + (i % 11) * 20_000,
      hold_seconds: 0,
      acw_seconds: 10,
      disposition: abandoned ? 'abandoned' : 'resolved',
    });
    return { ts: queued, line };
  });
}

/** A job of one contact_kpis operator of these window sizes. */
const writeKpiJob = (dir: string, name: string, input: string, windowSizes: string): string =>
  writeJob(dir, name, input, `  - type: contact_kpis\n    window_sizes: ${windowSizes}`);

describe('a window size added to contact_kpis between runs on one database', () => {
  it('starts with its first window after the contacts already read; its rows are those of a fresh run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-kpi-windows-added-'));
    const all = calls();
    const parts = [all.filter((e) => e.ts < SPLITS[0]!), all.filter((e) => e.ts >= SPLITS[0]!)];
    const files = ['all', 'first', 'second'].map((name) => join(dir, `${name}.ndjson`));
    [all, ...parts].forEach((lines, i) => writeFileSync(files[i]!, lines.map((e) => e.line).join('\n') + '\n'));
    const db = join(dir, 'split.duckdb');
    const fresh = join(dir, 'fresh.duckdb');
    expect((await runPulse(['--config', writeKpiJob(dir, 'first', files[1]!, '[1h]'), '--db', db])).code).toBe(0);
    expect((await runPulse(['--config', writeKpiJob(dir, 'second', files[2]!, '[1h, 1d]'), '--db', db])).code).toBe(0);
    expect((await runPulse(['--config', writeKpiJob(dir, 'fresh', files[0]!, '[1h, 1d]'), '--db', fresh])).code).toBe(0);

    const cut = firstStartAfter({ sizeMs: DAY, slideMs: DAY }, parts[0]!.at(-1)!.ts);
    expect(new Date(cut).toISOString()).toBe('2026-01-07T00:00:00.000Z');
    const daily = (table: string) => `SELECT * EXCLUDE (window_start, window_end), epoch_ms(window_start) AS start FROM ${table}
      WHERE epoch_ms(window_end) - epoch_ms(window_start) = ${DAY} ORDER BY ALL`;
    const [kpis, volumes] = await query(db, daily('contact_kpis'), daily('contact_reason_volumes'));
    const [freshKpis, freshVolumes] = await query(fresh, daily('contact_kpis'), daily('contact_reason_volumes'));
    expect(kpis!.map((row) => Number(row['start']))).toEqual(Array(4).fill(cut));
    expect(kpis).toEqual(freshKpis!.filter((row) => Number(row['start']) >= cut));
    expect(volumes).toEqual(freshVolumes!.filter((row) => Number(row['start']) >= cut));
    // The oracle: each queue and channel's contacts queued on the day.
    const [offered] = await query(
      ':memory:',
      `SELECT count(*) AS offered FROM read_json('${files[0]}', format = 'newline_delimited', columns = {queue: 'VARCHAR', channel: 'VARCHAR', queued_at: 'BIGINT'})
       WHERE queued_at >= ${cut} GROUP BY queue, channel ORDER BY queue, channel`,
    );
    expect(kpis!.map((row) => row['offered'])).toEqual(offered!.map((row) => row['offered']));
  });
});
