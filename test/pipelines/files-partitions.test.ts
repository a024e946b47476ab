import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';
import { rng } from '../helpers/seeded-random.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);

/**
 * Ten days of one stream split by event type, as exports often are: every transaction in one file
 * (dense), every usage event in another (sparse), each in time order. Returns the two files.
 */
function writeSplitStream(dir: string): { transactions: string; usage: string } {
  const random = rng(5);
  const transactions: string[] = [];
  const usage: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const ts = T0 + Math.floor((i / 3000) * 10 * DAY);
    transactions.push(
      JSON.stringify({ type: 'transaction', event_id: `t${i}`, ts, customer_id: `c${i % 7}`, amount: Math.round(random() * 10000) / 100, channel: 'web' }),
    );
  }
  for (let i = 0; i < 300; i++) {
    const ts = T0 + Math.floor((i / 300) * 10 * DAY);
    usage.push(JSON.stringify({ type: 'usage', event_id: `u${i}`, ts, customer_id: `c${i % 7}`, metric: 'minutes', quantity: 1 + (i % 5) }));
  }
  const paths = { transactions: join(dir, 'transactions.ndjson'), usage: join(dir, 'usage.ndjson') };
  writeFileSync(paths.transactions, transactions.join('\n') + '\n');
  writeFileSync(paths.usage, usage.join('\n') + '\n');
  return paths;
}

/** Writes a job reading `paths` in batches of 64 into `customer_windows` of `windows`; returns its path. */
function writeJob(dir: string, name: string, paths: string[], options: { windows: string; idle?: string; rejectsFiles?: boolean }): string {
  const path = join(dir, `${name}.yaml`);
  const idle = options.idle === undefined ? '' : `, idle_timeout: ${options.idle}`;
  writeFileSync(
    path,
    `name: ${name}
source: files
sources:
  files: { type: files, paths: ${JSON.stringify(paths)}, batch_size: 64 }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h${idle} }
operators:
  - type: customer_windows
    windows: ${options.windows}
dead_letters: { rejects_files: ${options.rejectsFiles === true} }
`,
  );
  return path;
}

describe('files source with several files', () => {
  it.each(['30s', '1ms'])(
    'every file holds the watermark back from the start to its end: a stream split by event type loses nothing as late (idle_timeout %s)',
    async (idle) => {
      const dir = mkdtempSync(join(tmpdir(), 'pulse-files-partitions-'));
      const { transactions, usage } = writeSplitStream(dir);
      // A batch of the transactions file spans about 5 hours, more than the lateness: before each file
      // was registered at the start, its first batch moved the watermark past the usage file's start.
      const config = writeJob(dir, 'split', [transactions, usage], { windows: '[{ size: 1d }]', idle });
      // A file waiting for its turn is not idle, however short idle_timeout is: before, with 1ms, the
      // transactions file went idle while the usage file's batch was processed, and the watermark
      // jumped to the usage file's days ahead.
      for (const workers of [0, 2]) {
        const out = join(dir, `split-${workers}.duckdb`);
        expect((await runPulse(['--config', config, '--db', out, '--workers', String(workers)])).code).toBe(0);
        const [dead, windows, oracle] = await query(
          out,
          `SELECT reason, count(*)::INTEGER AS n FROM dead_letters GROUP BY ALL`,
          `SELECT customer_id, epoch_ms(window_start) AS ws, round(spend_total, 6) AS spend, spend_count::INTEGER AS n, round(usage_total, 6) AS usage
           FROM customer_windows ORDER BY ALL`,
          // The oracle: both files aggregated per customer and UTC day by DuckDB itself.
          `WITH ev AS (SELECT * FROM read_json(['${transactions}', '${usage}'], columns = {type: 'VARCHAR', ts: 'BIGINT', customer_id: 'VARCHAR', amount: 'DOUBLE', quantity: 'DOUBLE'}))
         SELECT customer_id, (ts // ${DAY}) * ${DAY} AS ws,
                round(coalesce(sum(amount) FILTER (WHERE type = 'transaction'), 0), 6) AS spend,
                count(*) FILTER (WHERE type = 'transaction')::INTEGER AS n,
                round(coalesce(sum(quantity) FILTER (WHERE type = 'usage'), 0), 6) AS usage
         FROM ev GROUP BY ALL ORDER BY ALL`,
        );
        expect(dead).toEqual([]);
        expect(windows!.length).toBe(70);
        expect(windows!.map((r) => ({ ...r, ws: Number(r['ws']) }))).toEqual(oracle!.map((r) => ({ ...r, ws: Number(r['ws']) })));
      }
    },
  );

  it('daily files, given in any order, give the results of the same days in one file (each day read after the one before)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-daily-'));
    const random = rng(11);
    // Four days of 256 records (4 batches of 64 each), every day ending with 3 stragglers dated 12
    // hours back: late against their own day, as they are in one file. Read together, one batch of
    // each file in turn, only the first day's were judged late, and every later day was held in
    // memory as early state until the first day's file ended.
    const days = [0, 1, 2, 3].map(
      (d) =>
        Array.from({ length: 256 }, (_, i) => {
          const ts = T0 + d * DAY + (i < 253 ? Math.floor((i / 253) * DAY) : DAY - 12 * 3_600_000 - i);
          return JSON.stringify({
            type: 'transaction',
            event_id: `d${d}-${i}`,
            ts,
            customer_id: `c${i % 9}`,
            amount: Math.round(random() * 10000) / 100,
            channel: 'web',
          });
        }).join('\n') + '\n',
    );
    const dayFiles = days.map((text, d) => join(dir, `day-${d}.ndjson`));
    days.forEach((text, d) => writeFileSync(dayFiles[d]!, text));
    const oneFile = join(dir, 'all.ndjson');
    writeFileSync(oneFile, days.join(''));
    const job = (paths: string[]): string => writeJob(dir, `daily-${paths.length}`, paths, { windows: '[{ size: 1h }, { size: 1d }]' });
    const tables = [
      `SELECT reason, regexp_extract(raw, '"event_id":"([^"]+)"', 1) AS id FROM dead_letters ORDER BY ALL`,
      `SELECT customer_id, window_start, window_end, spend_total, spend_count FROM customer_windows ORDER BY ALL`,
    ];
    const one = join(dir, 'one.duckdb');
    expect((await runPulse(['--config', job([oneFile]), '--db', one])).code).toBe(0);
    const [oneDead, oneWindows] = await query(one, ...tables);
    expect(oneDead!.map((r) => r['reason'])).toEqual(Array(12).fill('late'));
    for (const workers of [0, 2]) {
      const daily = join(dir, `daily-${workers}.duckdb`);
      expect((await runPulse(['--config', job([...dayFiles].reverse()), '--db', daily, '--workers', String(workers)])).code).toBe(0);
      const [dead, windows] = await query(daily, ...tables);
      expect(dead).toEqual(oneDead);
      expect(windows).toEqual(oneWindows);
    }
  });

  it('reads neither a rejects file an earlier run wrote beside the inputs (a glob of the day matches it) nor a file named twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-rejects-'));
    const input = join(dir, 'day.ndjson');
    const valid = (i: number): string =>
      JSON.stringify({ type: 'transaction', event_id: `t${i}`, ts: T0 + i * 60_000, customer_id: 'c1', amount: 1, channel: 'web' });
    writeFileSync(input, [valid(0), '{"type":"transaction"', valid(1)].join('\n') + '\n');
    const rejects = join(dir, 'day.rejects.ndjson');
    const config = writeJob(dir, 'rejects', [input], { windows: '[{ size: 1d }]', rejectsFiles: true });
    const db = join(dir, 'out.duckdb');
    expect((await runPulse(['--config', config, '--db', db])).code).toBe(0);
    expect(readFileSync(rejects, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    // The next run's `--input dir/*.ndjson`: before, each rejects line was refused again, into day.rejects.rejects.ndjson.
    const again = await runPulse(['--config', config, '--db', db, '--input', input, '--input', rejects]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('not reading a rejects file that pulse wrote beside an input');
    expect(existsSync(join(dir, 'day.rejects.rejects.ndjson'))).toBe(false);
    const [dead] = await query(db, 'SELECT count(*)::INTEGER AS n FROM dead_letters');
    expect(dead).toEqual([{ n: 1 }]);
    // A file named twice (`--input day.ndjson --input './*.ndjson'`) is read once: before, each record was a duplicate.
    const twice = await runPulse(['--config', config, '--db', join(dir, 'twice.duckdb'), '--input', input, '--input', `${dir}/./day.ndjson`]);
    expect(twice.code).toBe(0);
    expect(twice.stderr).toContain('an input given twice is read once');
    expect(await query(join(dir, 'twice.duckdb'), 'SELECT reason, count(*)::INTEGER AS n FROM dead_letters GROUP BY ALL')).toEqual([
      [{ reason: 'invalid_json', n: 1 }],
    ]);
    const only = await runPulse(['--config', config, '--db', db, '--input', rejects]);
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('only rejects files');
  });

  it('a file written over between runs is read from its start, one appended to goes on where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-files-rerun-'));
    // Two days of transactions, one export a day, each day longer than the one before.
    const day = (d: number, count: number): string =>
      Array.from({ length: count }, (_, i) =>
        JSON.stringify({
          type: 'transaction',
          event_id: `d${d}-${i}`,
          ts: T0 + d * DAY + i * 60_000,
          customer_id: `c${i % 5}`,
          amount: 1 + (i % 3),
          channel: 'web',
        }),
      ).join('\n') + '\n';
    const [first, second] = [day(0, 300), day(1, 500)];
    const input = join(dir, 'export.ndjson');
    const config = writeJob(dir, 'rerun', [input], { windows: '[{ size: 1d }]' });
    const daily = `SELECT epoch_ms(window_start) AS ws, sum(spend_count)::INTEGER AS n, sum(spend_total) AS spend FROM customer_windows GROUP BY ALL ORDER BY ALL`;
    const expected = [
      { ws: T0, n: 300, spend: 600 },
      { ws: T0 + DAY, n: 500, spend: 999 },
    ];
    /** Runs the job on yesterday's export, then `change` the file and runs it again; the second run's log. */
    const twoRuns = async (db: string, change: () => void): Promise<string> => {
      writeFileSync(input, first);
      expect((await runPulse(['--config', config, '--db', db])).code).toBe(0);
      change();
      const again = await runPulse(['--config', config, '--db', db]);
      expect(again.code).toBe(0);
      return again.stderr;
    };
    // Today's export written over yesterday's: all of it is read (before, its first 300 lines were skipped).
    const replaced = join(dir, 'replaced.duckdb');
    expect(await twoRuns(replaced, () => writeFileSync(input, second))).toContain('input file replaced since the last run');
    // Yesterday's export with today's appended: only the new lines are read.
    const appended = join(dir, 'appended.duckdb');
    expect(await twoRuns(appended, () => appendFileSync(input, second))).not.toContain('input file replaced');
    for (const db of [replaced, appended]) {
      const [windows, dead] = await query(db, daily, 'SELECT count(*)::INTEGER AS n FROM dead_letters');
      expect(windows!.map((r) => ({ ws: Number(r['ws']), n: r['n'], spend: r['spend'] }))).toEqual(expected);
      expect(dead).toEqual([{ n: 0 }]);
    }
  });
});
