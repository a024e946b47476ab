import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import { lastCompleteWindowStart } from '../../../sinks/reports/kpi-data.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const D1 = Date.UTC(2026, 2, 2);

describe('the newest complete KPI window (what `pulse report kpi` reports without --window)', () => {
  it('ends where the data ends, by the sizes the job still computes: 15m rows that stopped on day 1 do not hold it there', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (const ddl of OUTPUT_TABLES_DDL) await conn.run(ddl);
      const row = (start: number, size: number) =>
        conn.run(
          `INSERT INTO contact_kpis (window_start, window_end, queue, channel, offered, handled, abandoned, short_abandoned, self_service, fcr_final)
           VALUES (make_timestamptz(${start} * 1000), make_timestamptz(${start + size} * 1000), 'billing', 'voice', 1, 1, 0, 0, 0, true)`,
        );
      // Day 1 in 15m windows; then window_sizes became [30m, 1d]: days 1 to 3, the data stopping at noon of day 3.
      for (let t = D1; t < D1 + DAY; t += 15 * MINUTE) await row(t, 15 * MINUTE);
      for (let t = D1; t < D1 + 2 * DAY + 720 * MINUTE; t += 30 * MINUTE) await row(t, 30 * MINUTE);
      for (const day of [0, 1, 2]) await row(D1 + day * DAY, DAY);
      // Day 3's 1d row is part-filled (the data ends at noon): day 2 is the newest complete day.
      expect(await lastCompleteWindowStart(conn, { sizeMs: DAY })).toBe(D1 + DAY);
      expect(await lastCompleteWindowStart(conn, { sizeMs: 30 * MINUTE })).toBe(D1 + 2 * DAY + 690 * MINUTE);
      expect(await lastCompleteWindowStart(conn, { sizeMs: 15 * MINUTE })).toBe(D1 + DAY - 15 * MINUTE);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
