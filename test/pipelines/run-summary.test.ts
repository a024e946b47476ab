import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPulse } from '../helpers/pulse-run.js';

describe("pulse run's summary", () => {
  it('says so when not one record was accepted (a pretty-printed JSON file passed for a success)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-run-summary-'));
    const input = join(dir, 'export.json');
    writeFileSync(input, JSON.stringify([{ type: 'transaction', customer_id: 'c1' }], null, 2) + '\n');
    const result = await runPulse([
      '--config',
      'pipelines/customer-analytics.yaml',
      '--input',
      input,
      '--db',
      join(dir, 'x.duckdb'),
      '--reports',
      join(dir, 'r'),
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/processed \d+ records: 0 accepted, \d+ rejected/);
    expect(result.stderr).toContain('not one record was accepted: is the input NDJSON, one event of SPEC section 1 per line (or Parquet');
  });
});
