import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../operators/errors.js';
import { query } from '../helpers/duckdb.js';
import { runJob, testJob } from '../helpers/run-job.js';

const WINDOWS = `SELECT customer_id, window_start, window_end, spend_total, spend_count, refund_total, usage_total,
                         CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`;

/** The same events as NDJSON, Parquet (typed TIMESTAMPTZ column) and Arrow IPC must give the same windows. */
describe('Arrow IPC and Parquet inputs', () => {
  it('produce the same customer_windows as the NDJSON of the same events, and reject bad rows with their row number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-columnar-'));
    const rows = Array.from({ length: 500 }, (_, i) => ({
      type: i % 3 === 0 ? 'usage' : 'transaction',
      event_id: `E${i}`,
      ts: Date.UTC(2026, 0, 5) + i * 97_000,
      customer_id: `C${i % 17}`,
      amount: i % 3 === 0 ? null : i % 11 === 0 ? -5 : (i % 50) + 0.25,
      channel: i % 3 === 0 ? null : 'web',
      metric: i % 3 === 0 ? 'data_mb' : null,
      quantity: i % 3 === 0 ? (i === 300 ? -1 : i / 10) : null,
    }));
    const ndjson = join(dir, 'events.ndjson');
    writeFileSync(ndjson, rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)))).join('\n') + '\n');
    const parquet = join(dir, 'events.parquet');
    await query(
      ':memory:',
      `COPY (SELECT type, event_id, make_timestamptz(ts * 1000) AS ts, customer_id, amount, channel, metric, quantity
                                   FROM read_json('${ndjson}', format = 'newline_delimited')) TO '${parquet}' (FORMAT parquet)`,
    );
    const arrow = join(dir, 'events.arrow');
    writeFileSync(arrow, tableToIPC(tableFromJSON(rows), 'file'));

    const results: unknown[] = [];
    for (const input of [ndjson, parquet, arrow]) {
      const db = join(dir, `${input.split('.').pop()}.duckdb`);
      const { summary } = await runJob(testJob({ paths: [input], db, batchSize: 64 }));
      expect(summary.records).toBe(500);
      expect(summary.rejected).toBe(1);
      const [windows, dead] = await query(db, WINDOWS, `SELECT position, reason FROM dead_letters`);
      expect(dead).toEqual([{ position: `${input}:301`, reason: 'impossible_value' }]);
      results.push(windows);
    }
    expect((results[0] as unknown[]).length).toBeGreaterThan(30);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('a damaged file stops the run with the file, what it is not and what to check, not a reader stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-columnar-bad-'));
    const damaged = [
      [
        'events.arrow',
        Buffer.concat([Buffer.from('ARROW1\0\0'), Buffer.alloc(64, 7)]),
        /events\.arrow: not a readable Arrow IPC file or stream \(.+\); check that it was written completely/,
      ],
      [
        'events.parquet',
        Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from('PAR1')]),
        /events\.parquet: not a readable Parquet file \(.+\); check that it was written completely/,
      ],
    ] as const;
    for (const [name, bytes, message] of damaged) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const failure = await runJob(testJob({ paths: [path], db: join(dir, `${name}.duckdb`) })).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SourceError);
      expect((failure as Error).message).toMatch(message);
      expect((failure as Error).message).not.toContain('LINE 1');
    }
  });
});
