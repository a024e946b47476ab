import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { writeFixture } from '../helpers/events-fixture.js';
import { runJob, testJob } from '../helpers/run-job.js';

const TABLES = [
  `SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, spend_total, spend_count, spend_max,
          refund_total, usage_total, CAST(usage AS VARCHAR) AS usage, contacts
   FROM customer_windows ORDER BY ALL`,
  `SELECT source, position, reason FROM dead_letters ORDER BY ALL`,
];

/**
 * Checkpoints commit on DuckDB's threads while the next events are processed. A commit that fails
 * there must stop the run with its error, leave the previous checkpoint as the stored one, and
 * let a re-run produce exactly the tables of a run that never failed.
 */
describe('a checkpoint whose commit fails', () => {
  it('stops the run, keeps the previous checkpoint, and a re-run equals an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-commit-'));
    const events = join(dir, 'events.ndjson');
    const fixture = writeFixture(events, 7, 3000);

    const cleanDb = join(dir, 'clean.duckdb');
    await runJob(testJob({ paths: [events], db: cleanDb, batchSize: 50 }));

    const failedDb = join(dir, 'failed.duckdb');
    let commits = 0;
    const failSecond = {
      sinks: [
        {
          write: async (): Promise<void> => {
            commits++;
            if (commits === 2) throw new Error('disk full (injected)');
          },
        },
      ],
    };
    await expect(runJob(testJob({ paths: [events], db: failedDb, batchSize: 50 }), failSecond)).rejects.toThrow(
      // The error names the step of the checkpoint that failed.
      /a checkpoint failed while running the sinks' writes .*: disk full \(injected\)/,
    );
    // max_events is 500 and batches hold 50 lines: the first checkpoint covers exactly 500 lines.
    const [positions] = await query(failedDb, `SELECT "offset" FROM pulse_checkpoints`);
    expect(positions).toEqual([{ offset: 500n }]);
    expect(fixture.valid.length + fixture.malformed.length).toBeGreaterThan(1000);

    await runJob(testJob({ paths: [events], db: failedDb, batchSize: 50 }));
    expect(await query(failedDb, ...TABLES)).toEqual(await query(cleanDb, ...TABLES));
  });
});
