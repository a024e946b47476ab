import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, test } from 'vitest';
import { ensureLeadTable, formatLeadSummary, leadSummary, listLeads, updateLead } from '../../../sinks/leads/store.js';

async function withLeads(
  rows: Array<[string, string, string, string, number | null]>,
  work: (conn: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<void>,
): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await ensureLeadTable(conn);
    for (const [id, intent, team, status, value] of rows) {
      await conn.run(
        `INSERT INTO leads (lead_id, alert_id, customer_id, intent, confidence, team, created_at, status, value)
         VALUES ($id, 'a', 'c', $intent, 0.9, $team, TIMESTAMPTZ '2026-03-02 09:00:00+00', $status, $value)`,
        { id, intent, team, status, ...(value === null ? { value: null } : { value }) },
      );
    }
    await work(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('lead summary (hand-computed)', () => {
  test('reach, win rate and revenue per intent and team', async () => {
    await withLeads(
      [
        ['l1', 'new_sale', 'sales', 'won', 1200],
        ['l2', 'new_sale', 'sales', 'won', 300],
        ['l3', 'new_sale', 'sales', 'lost', null],
        ['l4', 'new_sale', 'sales', 'new', null],
        ['l5', 'new_sale', 'sales', 'contacted', 500], // a value on a lead not won does not count
        ['l6', 'retention_risk', 'retention-desk', 'new', null],
      ],
      async (conn) => {
        const rows = await leadSummary(conn);
        // new_sale: 5 leads, reached 4 (won 2, lost 1, contacted 1) -> reach 0.8, win 2/4, revenue 1500.
        expect(rows).toEqual([
          { intent: 'new_sale', team: 'sales', leads: 5, reached: 4, won: 2, lost: 1, reach_rate: 0.8, win_rate: 0.5, revenue: 1500 },
          { intent: 'retention_risk', team: 'retention-desk', leads: 1, reached: 0, won: 0, lost: 0, reach_rate: 0, win_rate: null, revenue: 0 },
        ]);
        expect(formatLeadSummary(rows)).toMatch(/^new_sale\s+sales\s+5\s+4\s+2\s+1\s+80\.0%\s+50\.0%\s+1500\.00$/m);
        expect(formatLeadSummary(rows)).toMatch(/^retention_risk\s+retention-desk\s+1\s+0\s+0\s+0\s+0\.0%\s+-\s+0\.00$/m);
      },
    );
  });

  test('updates stamp who and when; bad statuses and ids are usage errors', async () => {
    await withLeads([['l1', 'new_sale', 'sales', 'new', null]], async (conn) => {
      const at = Date.UTC(2026, 2, 3, 10, 0, 0);
      const updated = await updateLead(conn, 'l1', { status: 'contacted' }, { actor: 'ana', at });
      expect(updated).toMatchObject({ status: 'contacted', value: null, updated_by: 'ana', updated_at: '2026-03-03T10:00:00.000Z' });
      await expect(updateLead(conn, 'l1', { status: 'maybe' }, { actor: 'ana', at })).rejects.toThrow(
        /'maybe' is not a lead status; use one of new, contacted, won, lost/,
      );
      await expect(updateLead(conn, 'l9', { status: 'won' }, { actor: 'ana', at })).rejects.toThrow(/no lead 'l9'/);
      await expect(updateLead(conn, 'l1', { value: -5 }, { actor: 'ana', at })).rejects.toThrow(
        /--value must be an amount from 0 to 1000000000000 \(limits.max_amount, the largest transaction amount\), not -5/,
      );
      await expect(updateLead(conn, 'l1', { value: 1e17 }, { actor: 'ana', at })).rejects.toThrow(/not 100000000000000000/);
      expect((await listLeads(conn, { status: ['contacted'] })).map((l) => l.lead_id)).toEqual(['l1']);
    });
  });
});
