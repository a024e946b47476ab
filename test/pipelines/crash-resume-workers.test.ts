import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../sources/generator/index.js';
import { Rng } from '../../sources/generator/rng.js';
import { DEFAULT_JOB_TABLES as TABLES } from '../helpers/default-job-tables.js';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';

describe('crash and resume with worker threads', () => {
  it('SIGKILL of the default job on 2 workers at random moments, then re-running, gives the tables of one uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-crash-workers-'));
    const input = join(dir, 'events.ndjson');
    await generate({ out: input, customers: 200, days: 22, seed: 9 });
    // The default job with frequent checkpoints, so that kills land between them.
    const job = join(dir, 'job.yaml');
    writeFileSync(
      job,
      readFileSync('pipelines/customer-analytics.yaml', 'utf8').replace('interval: 5s', 'interval: 200ms').replace('max_events: 1000000', 'max_events: 3000'),
    );
    const common = ['--config', job, '--input', input, '--workers', '2', '--reports', join(dir, 'reports')];
    const reference = join(dir, 'reference.duckdb');
    const clean = await runPulse([...common, '--db', reference], null);
    expect(clean.code, clean.stderr).toBe(0);
    const expected = await query(reference, ...TABLES);
    expect(expected[0]!.length).toBeGreaterThan(1000);

    const rng = new Rng(21);
    const db = join(dir, 'crashed.duckdb');
    let kills = 0;
    let finished = false;
    // A machine fast enough to finish the whole input before the first kill lands starts over on a
    // new database with kills that land sooner: the test is about runs that were killed.
    let scale = 1;
    for (let attempt = 0; attempt < 30 && !finished; attempt++) {
      // Kill windows grow with each attempt so that the run finishes eventually.
      const result = await runPulse([...common, '--db', db], kills < 4 ? scale * (1500 + rng.int(0, 2500) + attempt * 500) : null);
      if (result.killed) {
        kills++;
        continue;
      }
      expect(result.code, result.stderr).toBe(0);
      if (kills === 0) {
        for (const file of [db, `${db}.wal`]) rmSync(file, { force: true });
        scale /= 2;
        continue;
      }
      finished = true;
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThan(0);
    const actual = await query(db, ...TABLES);
    actual.forEach((rows, i) => expect(rows, TABLES[i]).toEqual(expected[i]));
  }, 900_000);
});
