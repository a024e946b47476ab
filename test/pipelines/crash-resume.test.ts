import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimedEventTime } from '../../operators/claimed-time.js';
import { Rng } from '../../sources/generator/rng.js';
import { query } from '../helpers/duckdb.js';
import { writeFixture } from '../helpers/events-fixture.js';
import { runPulse } from '../helpers/pulse-run.js';

function jobYaml(dir: string): string {
  const path = join(dir, 'job.yaml');
  writeFileSync(
    path,
    `name: crash-test
source: files
sources:
  files: { type: files, paths: ["unused"], batch_size: 97 }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h }
operators:
  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }, { size: 1d, slide: 6h }]
checkpoint: { interval: 50ms, max_events: 1500 }
dead_letters: { rejects_files: false }
`,
  );
  return path;
}

const KILLS = 8;

const TABLES = [
  `SELECT customer_id, window_start, window_end, spend_total, spend_count, spend_max, refund_total, usage_total,
          CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`,
  `SELECT source, position, reason, detail, raw FROM dead_letters ORDER BY ALL`,
  `SELECT source, partition, "offset", resume FROM pulse_checkpoints ORDER BY ALL`,
];

/**
 * Runs the job with `args` on `db`, killed at random moments up to KILLS times (one run may finish
 * first), then once to its end: on a slow machine the kills land earlier in the input, never in a
 * run that cannot finish. Returns how many runs were killed.
 */
async function runWithKills(args: string[], db: string, seed: number): Promise<number> {
  const rng = new Rng(seed);
  let kills = 0;
  // A machine fast enough to finish the whole input before the first kill lands starts over on a
  // new database with kills that land sooner: the tests are about runs that were killed.
  let scale = 1;
  for (let attempt = 0; attempt <= KILLS + 10; attempt++) {
    const killAfter = kills < KILLS ? scale * (600 + rng.int(0, 1500) + kills * 300) : null;
    const result = await runPulse([...args, '--db', db], killAfter);
    if (result.killed) {
      kills++;
      continue;
    }
    // What the run said, to tell a failed resume from its cause (the file, the schema, the input).
    expect(result.code, `run ${attempt + 1} of seed ${seed}, after ${kills} kills: ${result.stderr}`).toBe(0);
    if (kills > 0) return kills;
    for (const file of [db, `${db}.wal`]) rmSync(file, { force: true });
    scale /= 2;
  }
  throw new Error(`seed ${seed}: no run finished`);
}

describe('crash and resume', () => {
  it('SIGKILL at random moments, then re-running, gives exactly the tables of one uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-crash-'));
    const input = writeFixture(join(dir, 'events.ndjson'), 7, 25_000).path;
    const config = jobYaml(dir);
    const reference = join(dir, 'reference.duckdb');
    expect((await runPulse(['--config', config, '--input', input, '--db', reference], null)).code).toBe(0);
    const expected = await query(reference, ...TABLES);
    expect(expected[0]!.length).toBeGreaterThan(1000);

    for (const seed of [11, 12, 13]) {
      const db = join(dir, `crashed-${seed}.duckdb`);
      expect(await runWithKills(['--config', config, '--input', input], db, seed)).toBeGreaterThan(0);
      expect(await query(db, ...TABLES)).toEqual(expected);
    }
  }, 900_000);

  it('the same with the input split into daily files, given in reverse order (read in event-time order)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-crash-daily-'));
    const lines = readFileSync(writeFixture(join(dir, 'events.ndjson'), 7, 25_000).path, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    // Split where the arrival order crosses midnight, as a daily export is cut: each file ends with
    // what arrived before its cut, stragglers included.
    const byDay = new Map<number, string[]>();
    let day = 0;
    for (const line of lines) {
      const ts = claimedEventTime(line); // NaN for a contact (it has no ts) or a malformed line
      if (Number.isFinite(ts)) day = Math.max(day, Math.floor(ts / 86_400_000));
      (byDay.get(day) ?? byDay.set(day, []).get(day)!).push(line);
    }
    const inputs = [...byDay.entries()].map(([d, dayLines]) => {
      const path = join(dir, `day-${d}.ndjson`);
      writeFileSync(path, dayLines.join('\n') + '\n');
      return path;
    });
    expect(inputs.length).toBeGreaterThan(5);
    const args = ['--config', jobYaml(dir), ...inputs.reverse().flatMap((path) => ['--input', path])];
    const reference = join(dir, 'reference.duckdb');
    expect((await runPulse([...args, '--db', reference], null)).code).toBe(0);
    const expected = await query(reference, ...TABLES);
    const db = join(dir, 'crashed.duckdb');
    expect(await runWithKills(args, db, 21)).toBeGreaterThan(0);
    expect(await query(db, ...TABLES)).toEqual(expected);
  }, 900_000);
});
