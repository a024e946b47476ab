import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { writeFixture } from '../helpers/events-fixture.js';
import { runJob, testJob } from '../helpers/run-job.js';

const OUT_OF_ORDER_MS = 5 * 60_000;
const LATENESS_MS = 3_600_000;

/**
 * The oracle: the same events through one DuckDB SQL query, with lateness and duplicates decided by
 * SPEC's rules written directly in SQL (batch size 1, so the watermark before each record is the
 * largest earlier event time minus the out-of-orderness).
 */
/** `slideMs` below `sizeMs` makes hopping windows: each event counts in sizeMs / slideMs windows. */
function oracleSql(eventsPath: string, sizeMs: number, slideMs = sizeMs): string {
  return `
    WITH ev AS (SELECT * FROM read_json('${eventsPath}', format = 'newline_delimited', columns = {
           line: 'BIGINT', event_id: 'VARCHAR', type: 'VARCHAR', customer_id: 'VARCHAR', ts_ms: 'BIGINT',
           amount: 'DOUBLE', metric: 'VARCHAR', quantity: 'DOUBLE'})),
         judged AS (SELECT *, max(ts_ms) OVER (ORDER BY line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max FROM ev),
         on_time AS (SELECT * FROM judged WHERE prev_max IS NULL OR ts_ms >= prev_max - ${OUT_OF_ORDER_MS} - ${LATENESS_MS}),
         firsts AS (SELECT * FROM on_time QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY line) = 1),
         windowed AS (SELECT *, unnest(range((ts_ms // ${slideMs}) * ${slideMs} - ${sizeMs} + ${slideMs},
                                             (ts_ms // ${slideMs}) * ${slideMs} + 1, ${slideMs})) AS window_start FROM firsts)
    SELECT customer_id, window_start,
           coalesce(sum(amount) FILTER (WHERE type = 'transaction' AND amount >= 0), 0) AS spend_total,
           count(*) FILTER (WHERE type = 'transaction' AND amount >= 0) AS spend_count,
           max(amount) FILTER (WHERE type = 'transaction' AND amount >= 0) AS spend_max,
           coalesce(sum(-amount) FILTER (WHERE type = 'transaction' AND amount < 0), 0) AS refund_total,
           coalesce(sum(quantity) FILTER (WHERE type = 'usage'), 0) AS usage_total,
           coalesce(sum(quantity) FILTER (WHERE metric = 'data_mb'), 0) AS data_mb,
           count(*) FILTER (WHERE type = 'contact') AS contacts
    FROM windowed ${slideMs < sizeMs ? 'WHERE window_start % 86400000 <> 0' : ''}
    GROUP BY ALL ORDER BY customer_id, window_start`;
}

/**
 * Daily tumbling and daily hopping windows share a size; the hopping windows that start at midnight
 * are the tumbling ones (one row each), the others start off midnight.
 */
function pipelineSql(sizeMs: number, hopping: boolean): string {
  return `
    SELECT customer_id, epoch_ms(window_start) AS window_start, spend_total, spend_count, spend_max, refund_total,
           usage_total, coalesce(CAST(usage->>'data_mb' AS DOUBLE), 0) AS data_mb, contacts
    FROM customer_windows WHERE epoch_ms(window_end) - epoch_ms(window_start) = ${sizeMs}
      ${sizeMs === 86_400_000 ? `AND (epoch_ms(window_start) % 86400000 <> 0) = ${hopping}` : ''}
    ORDER BY customer_id, window_start`;
}

function normalise(rows: Array<Record<string, unknown>>): Array<Record<string, number | string | null>> {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : (v as string | null)]),
    ),
  );
}

describe('customer_windows against a DuckDB SQL oracle', () => {
  for (const seed of [1, 2]) {
    it(`matches for out-of-order, late, duplicate and malformed events (seed ${seed})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pulse-oracle-'));
      const fixture = writeFixture(join(dir, 'events.ndjson'), seed);
      const truthPath = join(dir, 'truth.ndjson');
      writeFileSync(truthPath, fixture.valid.map((e) => JSON.stringify(e)).join('\n') + '\n');
      const db = join(dir, 'pulse.duckdb');
      const operators = '  - type: customer_windows\n    windows: [{ size: 1h }, { size: 1d }, { size: 1d, slide: 6h }]';
      const { summary } = await runJob(testJob({ paths: [fixture.path], db, operators }));
      expect(summary.completed).toBe(true);

      for (const [sizeMs, slideMs, sql] of [
        [3_600_000, 3_600_000, pipelineSql(3_600_000, false)],
        [86_400_000, 86_400_000, pipelineSql(86_400_000, false)],
        [86_400_000, 21_600_000, pipelineSql(86_400_000, true)],
      ] as const) {
        const [expected] = await query(':memory:', oracleSql(truthPath, sizeMs, slideMs));
        const [actual] = await query(db, sql);
        expect(expected!.length).toBeGreaterThan(50);
        expect(normalise(actual!)).toEqual(normalise(expected!));
      }

      // Every malformed line is in dead_letters with its line and reason; late and duplicate
      // records are there too, and nothing else.
      const [dead] = await query(db, `SELECT position, reason FROM dead_letters ORDER BY position`);
      const byPosition = new Map(dead!.map((r) => [String(r['position']), String(r['reason'])]));
      for (const bad of fixture.malformed) {
        expect(byPosition.get(`${fixture.path}:${bad.line}`)).toBe(bad.reason);
      }
      const reasons = dead!.map((r) => String(r['reason']));
      expect(reasons.filter((r) => r === 'late').length).toBeGreaterThan(0);
      expect(reasons.filter((r) => r === 'duplicate').length).toBeGreaterThan(0);
      const [counts] = await query(
        ':memory:',
        `
        WITH ev AS (SELECT * FROM read_json('${truthPath}', format = 'newline_delimited')),
             judged AS (SELECT *, max(ts_ms) OVER (ORDER BY line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max FROM ev)
        SELECT count(*) FILTER (WHERE ts_ms < prev_max - ${OUT_OF_ORDER_MS + LATENESS_MS}) AS late FROM judged`,
      );
      expect(reasons.filter((r) => r === 'late').length).toBe(Number(counts![0]!['late']));
      expect(summary.rejected).toBe(dead!.length);
      expect(summary.accepted + summary.rejected).toBe(summary.records);
    });
  }
});
