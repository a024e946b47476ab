import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
      const rng = new Rng(seed);
      const db = join(dir, `crashed-${seed}.duckdb`);
      let kills = 0;
      let finished = false;
      // Up to KILLS runs killed at random moments (one may finish first), then one run to the end:
      // on a slow machine the kills land earlier in the input, never in a run that cannot finish.
      for (let attempt = 0; attempt <= KILLS && !finished; attempt++) {
        const killAfter = attempt < KILLS ? 600 + rng.int(0, 1500) + attempt * 300 : null;
        const result = await runPulse(['--config', config, '--input', input, '--db', db], killAfter);
        if (result.killed) {
          kills++;
          continue;
        }
        // What the run said, to tell a failed resume from its cause (the file, the schema, the input).
        expect(result.code, `run ${attempt + 1} of seed ${seed}, after ${kills} kills: ${result.stderr}`).toBe(0);
        finished = true;
      }
      expect(finished).toBe(true);
      expect(kills).toBeGreaterThan(0);
      expect(await query(db, ...TABLES)).toEqual(expected);
    }
  }, 900_000);
});
