import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';
import { rng } from '../helpers/seeded-random.js';

const T0 = Date.UTC(2026, 0, 5);

describe('contacts recorded without a reason', () => {
  it('count in every KPI (abandoned calls rarely have one): offered and abandoned equal DuckDB counts of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-no-reason-'));
    const random = rng(3);
    // A day of calls on two queues; about one in eight abandoned, those without a reason (null or blank).
    const lines = Array.from({ length: 400 }, (_, i) => {
      const queued = T0 + i * 200_000;
      const abandoned = random() < 0.125;
      const answered = abandoned ? null : queued + Math.floor(random() * 60_000);
      return JSON.stringify({
        type: 'contact',
        event_id: `k${i}`,
        customer_id: `c${i % 37}`,
        contact_id: `k${i}`,
        channel: 'voice',
        queue: i % 2 === 0 ? 'billing' : 'support',
        reason: abandoned ? (i % 3 === 0 ? '' : null) : 'BILL',
        agent_id: abandoned ? null : 'a1',
        queued_at: queued,
        answered_at: answered,
        ended_at: (answered ?? queued) + 90_000,
        hold_seconds: 0,
        acw_seconds: 0,
        disposition: abandoned ? 'abandoned' : 'resolved',
      });
    });
    const input = join(dir, 'calls.ndjson');
    writeFileSync(input, lines.join('\n') + '\n');
    const config = join(dir, 'job.yaml');
    writeFileSync(
      config,
      `name: no-reason
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(input)}], batch_size: 50 }
operators:
  - type: contact_kpis
    window_sizes: [1h]
dead_letters: { rejects_files: false }
`,
    );
    const db = join(dir, 'out.duckdb');
    expect((await runPulse(['--config', config, '--db', db])).code).toBe(0);
    const [dead, kpis, oracle, reasons] = await query(
      db,
      'SELECT count(*)::INTEGER AS n FROM dead_letters',
      'SELECT epoch_ms(window_start) AS ws, queue, offered::INTEGER AS offered, abandoned::INTEGER AS abandoned FROM contact_kpis ORDER BY ALL',
      `SELECT (queued_at // 3600000) * 3600000 AS ws, queue, count(*)::INTEGER AS offered, count(*) FILTER (WHERE answered_at IS NULL)::INTEGER AS abandoned
         FROM read_json('${input}', columns = {queue: 'VARCHAR', queued_at: 'BIGINT', answered_at: 'BIGINT'}) GROUP BY ALL ORDER BY ALL`,
      `SELECT reason, sum(contacts)::INTEGER AS n FROM contact_reason_volumes WHERE epoch_ms(window_end) - epoch_ms(window_start) = 3600000 GROUP BY ALL ORDER BY ALL`,
    );
    expect(dead).toEqual([{ n: 0 }]);
    expect(kpis!.map((r) => ({ ...r, ws: Number(r['ws']) }))).toEqual(oracle!.map((r) => ({ ...r, ws: Number(r['ws']) })));
    const abandoned = oracle!.reduce((sum, r) => sum + Number(r['abandoned']), 0);
    expect(abandoned).toBeGreaterThan(20);
    expect(reasons).toEqual([
      { reason: '(none)', n: abandoned },
      { reason: 'BILL', n: 400 - abandoned },
    ]);
  });
});
