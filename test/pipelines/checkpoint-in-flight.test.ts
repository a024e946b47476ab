import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../../pipelines/run-context.js';
import { query } from '../helpers/duckdb.js';
import { writeFixture } from '../helpers/events-fixture.js';
import { runJob, testJob } from '../helpers/run-job.js';

const TABLES = [
  `SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, spend_total, spend_count, spend_max,
          refund_total, usage_total, CAST(usage AS VARCHAR) AS usage, contacts
   FROM customer_windows ORDER BY ALL`,
  `SELECT source, position, reason FROM dead_letters ORDER BY ALL`,
  `SELECT operator, state, key, CAST(value AS VARCHAR) AS value FROM pulse_state ORDER BY ALL`,
  `SELECT event_id, customer_id, ts FROM pulse_dedup ORDER BY ALL`,
];

/** Batches the runner processes while a checkpoint stages (after its cut) before the staging goes on. */
const BATCHES_IN_FLIGHT = 4;
const BATCH = 50;

/**
 * With worker threads, a checkpoint lets the shards go on with the next batches once its cut is
 * taken (pipelines/runner.ts), while the main thread stages the cut in DuckDB. What it stores must
 * still be the cut: positions, state, dedup ids and outputs of the records before it, none after.
 */
describe('a checkpoint staged while the next batches are processed', () => {
  it('stores exactly its cut: after a later failure, the stored positions are the cut and a re-run equals an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-in-flight-'));
    const events = join(dir, 'events.ndjson');
    writeFixture(events, 11, 3000);
    const job = (db: string) => testJob({ paths: [events], db, batchSize: BATCH, extra: 'workers: 2' });

    const cleanDb = join(dir, 'clean.duckdb');
    await runJob(job(cleanDb));

    // The first checkpoint (its cut after 500 records, max_events 500) waits inside its transaction,
    // before its rows are staged, until the loop has processed BATCHES_IN_FLIGHT more batches; a
    // loop that waited for the staging would never get there (the test would time out). The next
    // checkpoint fails, so the first is what a re-run resumes from.
    const db = join(dir, 'in-flight.duckdb');
    let records = 0;
    let waiting: { until: number; resume: () => void } | undefined;
    let checkpoints = 0;
    let recordsWhenStaged = 0;
    const onProgress = (progress: RunProgress): void => {
      records = progress.records;
      if (waiting && records >= waiting.until) waiting.resume();
    };
    const sinks = [
      {
        beforeWrites: async (): Promise<void> => {
          checkpoints++;
          if (checkpoints !== 1) return;
          await new Promise<void>((resume) => (waiting = { until: records + BATCHES_IN_FLIGHT * BATCH, resume }));
          waiting = undefined;
          recordsWhenStaged = records;
        },
        write: async (): Promise<void> => {
          if (checkpoints === 2) throw new Error('disk full (injected)');
        },
      },
    ];
    await expect(runJob(job(db), { sinks, onProgress })).rejects.toThrow('disk full (injected)');
    // The stored position is the cut's, before every batch processed while it was staged.
    const [positions] = await query(db, `SELECT "offset" FROM pulse_checkpoints`);
    expect(positions).toEqual([{ offset: 500n }]);
    expect(recordsWhenStaged).toBeGreaterThanOrEqual(500 + BATCHES_IN_FLIGHT * BATCH);

    await runJob(job(db));
    const [actual, expected] = [await query(db, ...TABLES), await query(cleanDb, ...TABLES)];
    actual.forEach((rows, i) => expect(rows, TABLES[i]).toEqual(expected[i]));
    expect(expected[0]!.length).toBeGreaterThan(100);
  }, 120_000);
});
