import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../sources/generator/index.js';
import { DEFAULT_JOB_TABLES } from '../helpers/default-job-tables.js';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';

const JOB = join(process.cwd(), 'pipelines/customer-analytics.yaml');

/** The default job's output tables, the checkpoint and the per-customer state. */
const OUTPUT_TABLES = [
  ...DEFAULT_JOB_TABLES,
  `SELECT source, partition, "offset", resume FROM pulse_checkpoints ORDER BY ALL`,
  // Per-customer state; population-level state is compared through what it produces (its exact sums
  // are the same numbers, held as differently split partials).
  `SELECT operator, state, key, CAST(value AS VARCHAR) AS value, customer_id FROM pulse_state WHERE customer_id IS NOT NULL ORDER BY ALL`,
  `SELECT event_id, customer_id, ts FROM pulse_dedup ORDER BY ALL`,
];

describe('worker threads', () => {
  it('the default job writes identical tables with 0, 1, 2 and 3 workers (late, duplicate and malformed records included)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-workers-'));
    const input = join(dir, 'events.ndjson');
    // Contacts, surveys and profiles for every operator; the generator's malformed, duplicate and
    // late records at three times their usual rates.
    const generated = await generate({
      out: input,
      customers: 250,
      days: 22,
      seed: 5,
      malformedRate: 0.003,
      duplicateRate: 0.006,
      lateRate: 0.003,
    });
    expect(generated.events).toBeGreaterThan(20_000);

    const tables: Array<Array<Array<Record<string, unknown>>>> = [];
    for (const workers of [0, 1, 2, 3]) {
      const db = join(dir, `w${workers}.duckdb`);
      const { code, stderr } = await runPulse(['--config', JOB, '--input', input, '--db', db, '--reports', join(dir, 'reports'), '--workers', String(workers)]);
      expect(code, stderr).toBe(0);
      tables.push(await query(db, ...OUTPUT_TABLES));
    }
    const [inline, ...others] = tables;
    // Every kind of output is there, so the comparison means something.
    inline!.slice(0, 9).forEach((rows, i) => expect(rows.length, OUTPUT_TABLES[i]).toBeGreaterThan(0));
    for (const result of others) {
      result.forEach((rows, i) => expect(rows, OUTPUT_TABLES[i]).toEqual(inline![i]));
    }
  }, 600_000);
});
