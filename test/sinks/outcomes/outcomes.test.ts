import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { describe, expect, test } from 'vitest';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import { ensureLeadTable, updateLead } from '../../../sinks/leads/store.js';
import { outcomeFigures } from '../../../sinks/outcomes/figures.js';
import { formatOutcomeFigures } from '../../../sinks/outcomes/format.js';
import { inferLeadOutcomes } from '../../../sinks/outcomes/infer.js';
import { listOutcomes, recordOutcome } from '../../../sinks/outcomes/store.js';

const T = Date.UTC(2026, 2, 2, 9, 0, 0);
const S = 1000;
const H = 3_600_000;
const D = 86_400_000;

async function withDb(work: (conn: DuckDBConnection) => Promise<void>): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    for (const ddl of OUTPUT_TABLES_DDL) await conn.run(ddl);
    await work(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const ts = (ms: number): string => `make_timestamptz(${ms} * 1000)`;

async function alert(conn: DuckDBConnection, id: string, rule: string, firedAt = T): Promise<void> {
  await conn.run(`INSERT INTO alerts VALUES ('${id}', 'service', '${rule}', 'info', 'c', ${ts(firedAt)}, ${ts(firedAt)}, '{}', '{}', 'firing')`);
}

async function lead(conn: DuckDBConnection, id: string, alertId: string, customer: string, intent: string, team: string, createdAt = T): Promise<void> {
  await conn.run(
    `INSERT INTO leads (lead_id, alert_id, customer_id, intent, confidence, team, created_at, status)
     VALUES ('${id}', '${alertId}', '${customer}', '${intent}', 0.9, '${team}', ${ts(createdAt)}, 'new')`,
  );
}

async function spend(conn: DuckDBConnection, customer: string, start: number, size: number, total: number, count = 1): Promise<void> {
  await conn.run(`INSERT INTO customer_windows VALUES ('${customer}', ${ts(start)}, ${ts(start + size)}, ${total}, ${count}, ${total}, 0, 0, '{}', 0)`);
}

describe('recording outcomes (one write function)', () => {
  test('an id is found in alerts, leads or cases; its alert is kept; bad input is a usage error', async () => {
    await withDb(async (conn) => {
      await alert(conn, 'a1', 'R1');
      await lead(conn, 'lead-1', 'a2', 'c', 'new_sale', 'sales');
      await conn.run(`INSERT INTO cases VALUES ('case-1', 'a3', 'c', 'complaint', 'warning', 'open', 'care', ${ts(T)}, ${ts(T + D)}, NULL)`);
      const who = { actor: 'ana', at: T + 60 * S };
      expect(await recordOutcome(conn, { subjectId: 'a1', outcome: 'useful' }, who)).toMatchObject({
        seq: 1,
        subject_kind: 'alert',
        alert_id: 'a1',
        source: 'person',
        at: '2026-03-02T09:01:00.000Z',
      });
      expect(await recordOutcome(conn, { subjectId: 'lead-1', outcome: 'won', value: 900 }, who)).toMatchObject({
        seq: 2,
        subject_kind: 'lead',
        alert_id: 'a2',
        value: 900,
      });
      expect(await recordOutcome(conn, { subjectId: 'case-1', outcome: 'acted_on', note: 'called back' }, who)).toMatchObject({
        seq: 3,
        subject_kind: 'case',
        alert_id: 'a3',
        note: 'called back',
      });
      await expect(recordOutcome(conn, { subjectId: 'nope', outcome: 'useful' }, who, 'x.duckdb')).rejects.toThrow(/no alert, lead or case 'nope' in x.duckdb/);
      await expect(recordOutcome(conn, { subjectId: 'a1', kind: 'lead', outcome: 'useful' }, who)).rejects.toThrow(/no lead 'a1'/);
      await expect(recordOutcome(conn, { subjectId: 'a1', outcome: 'won_candidate' }, who)).rejects.toThrow(
        /'won_candidate' is not an outcome people record; use one of acknowledged, acted_on, useful/,
      );
      await expect(recordOutcome(conn, { subjectId: 'a1', outcome: 'useful', value: -1 }, who)).rejects.toThrow(
        /--value must be an amount from 0 to 1000000000000/,
      );
      // A value beyond any purchase: refused, not a DuckDB error with a stack trace (1e308 did not fit its parameter binding).
      await expect(recordOutcome(conn, { subjectId: 'a1', outcome: 'won', value: 1e308 }, who)).rejects.toThrow(/not 1e\+308/);
      expect((await listOutcomes(conn)).map((o) => o.seq)).toEqual([3, 2, 1]);
    });
  });

  test('pulse leads update writes the outcome too: contacted is acted_on, won and lost are verdicts with the value', async () => {
    await withDb(async (conn) => {
      await ensureLeadTable(conn);
      await lead(conn, 'lead-1', 'a1', 'c', 'new_sale', 'sales');
      await updateLead(conn, 'lead-1', { status: 'contacted' }, { actor: 'ana', at: T + H });
      await updateLead(conn, 'lead-1', { status: 'won', value: 1200 }, { actor: 'ana', at: T + 2 * H });
      await updateLead(conn, 'lead-1', { value: 1500 }, { actor: 'bo', at: T + 3 * H }); // a corrected value: the verdict again
      const rows = await listOutcomes(conn, { subjectId: 'lead-1' });
      expect(rows.map((o) => [o.outcome, o.value, o.actor, o.alert_id])).toEqual([
        ['won', 1500, 'bo', 'a1'],
        ['won', 1200, 'ana', 'a1'],
        ['acted_on', null, 'ana', 'a1'],
      ]);
      // A failed update writes nothing (one transaction).
      await expect(updateLead(conn, 'lead-9', { status: 'won' }, { actor: 'ana', at: T })).rejects.toThrow(/no lead/);
      expect(await listOutcomes(conn)).toHaveLength(3);
    });
  });
});

describe('outcomes inferred from later transactions (hand-computed)', () => {
  test('wins within leads.win_window, losses once the watermark passes it, never twice', async () => {
    await withDb(async (conn) => {
      const win = 30 * D;
      await lead(conn, 'LA', 'aA', 'A', 'new_sale', 'sales'); // buys 2h later: won, value of that hour
      await lead(conn, 'LB', 'aB', 'B', 'upsell_cross_sell', 'sales'); // bought before, and after the period only
      await lead(conn, 'LC', 'aC', 'C', 'new_sale', 'sales'); // buys in the hour the lead starts: won
      await lead(conn, 'LD', 'aD', 'D', 'retention_risk', 'retention-desk'); // still buys on day 10: stayed, not lost
      await lead(conn, 'LE', 'aE', 'E', 'retention_risk', 'retention-desk'); // never buys: lost after 30 days
      await lead(conn, 'LF', 'aF', 'F', 'retention_risk', 'retention-desk', T + 30 * 60_000); // spend in an hour overlapping the lead: stayed, not lost
      await lead(conn, 'LG', 'aG', 'G', 'retention_risk', 'retention-desk'); // buys on day 31 only: lost (and that purchase credits no sales lead of another customer)
      await spend(conn, 'A', T + 2 * H, H, 120);
      await spend(conn, 'A', T + 5 * H, H, 40);
      await spend(conn, 'A', T, D, 160); // the day window: the smallest size (1h) is the one used
      await spend(conn, 'B', T - H, H, 99);
      await spend(conn, 'B', T + 31 * D, H, 10);
      await spend(conn, 'C', T, H, 70);
      await spend(conn, 'D', T + 10 * D, H, 15);
      await spend(conn, 'E', T + 3 * H, H, 0, 0); // a window without a transaction (contacts only)
      await spend(conn, 'F', T, H, 25);
      await spend(conn, 'G', T + 31 * D, H, 50);
      expect(await inferLeadOutcomes(conn, { winWindowMs: win, spendWindowMs: H, watermark: T + 29 * D })).toEqual({ won: 2, retained: 2, lost: 0 });
      expect(await inferLeadOutcomes(conn, { winWindowMs: win, spendWindowMs: H, watermark: T + 31 * D })).toEqual({ won: 0, retained: 0, lost: 2 });
      expect(await inferLeadOutcomes(conn, { winWindowMs: win, spendWindowMs: H, watermark: T + 60 * D })).toEqual({ won: 0, retained: 0, lost: 0 });
      const rows = await conn.runAndReadAll(
        `SELECT subject_id, alert_id, outcome, value, source, CAST(epoch_ms("at") AS DOUBLE) AS at FROM outcomes ORDER BY seq`,
      );
      expect(rows.getRowObjectsJS()).toEqual([
        { subject_id: 'LA', alert_id: 'aA', outcome: 'won_candidate', value: 120, source: 'inferred', at: T + 2 * H },
        { subject_id: 'LC', alert_id: 'aC', outcome: 'won_candidate', value: 70, source: 'inferred', at: T },
        // Stayed: when the first purchase of the period was seen, never before the lead; no revenue claimed.
        { subject_id: 'LD', alert_id: 'aD', outcome: 'won_candidate', value: null, source: 'inferred', at: T + 10 * D },
        { subject_id: 'LF', alert_id: 'aF', outcome: 'won_candidate', value: null, source: 'inferred', at: T + 30 * 60_000 },
        { subject_id: 'LE', alert_id: 'aE', outcome: 'lost_candidate', value: null, source: 'inferred', at: T + 30 * D },
        { subject_id: 'LG', alert_id: 'aG', outcome: 'lost_candidate', value: null, source: 'inferred', at: T + 30 * D },
      ]);
    });
  });
});

describe('a purchase credited to one lead only (last touch)', () => {
  test('several sales leads before one purchase: the latest gets it, and a lead that arrives late takes nothing credited', async () => {
    await withDb(async (conn) => {
      const win = 30 * D;
      const infer = (watermark: number) => inferLeadOutcomes(conn, { winWindowMs: win, spendWindowMs: H, watermark });
      await lead(conn, 'TWO-1', 'a1', 'TWO', 'new_sale', 'sales'); // a new-sale lead, then an up-sell lead the same day
      await lead(conn, 'TWO-2', 'a2', 'TWO', 'upsell_cross_sell', 'sales', T + 2 * H);
      await spend(conn, 'TWO', T + 4 * H, H, 500); // one purchase: the up-sell lead's
      await lead(conn, 'AGAIN-1', 'a3', 'AGAIN', 'new_sale', 'sales'); // two leads 8 days apart, one purchase after both
      await lead(conn, 'AGAIN-2', 'a4', 'AGAIN', 'new_sale', 'sales', T + 8 * D);
      await spend(conn, 'AGAIN', T + 9 * D, H, 400);
      await lead(conn, 'SEQ-1', 'a5', 'SEQ', 'new_sale', 'sales'); // a purchase after each of two leads: one each
      await spend(conn, 'SEQ', T + H, H, 30);
      await lead(conn, 'SEQ-2', 'a6', 'SEQ', 'upsell_cross_sell', 'sales', T + 2 * H);
      await spend(conn, 'SEQ', T + 3 * H, H, 70);
      await lead(conn, 'TIE-a', 'a7', 'TIE', 'new_sale', 'sales'); // two rules, one contact: two leads at one time
      await lead(conn, 'TIE-b', 'a8', 'TIE', 'new_sale', 'gold-desk');
      await spend(conn, 'TIE', T + H, H, 150);
      expect(await infer(T + 10 * D)).toEqual({ won: 5, retained: 0, lost: 0 });
      // A contact read late: a lead before a purchase already credited to another lead.
      await lead(conn, 'TWO-3', 'a9', 'TWO', 'new_sale', 'sales', T + 3 * H);
      expect(await infer(T + 11 * D)).toEqual({ won: 0, retained: 0, lost: 0 });
      const rows = await conn.runAndReadAll(`SELECT subject_id, value, CAST(epoch_ms("at") AS DOUBLE) AS at FROM outcomes ORDER BY subject_id`);
      expect(rows.getRowObjectsJS()).toEqual([
        { subject_id: 'AGAIN-2', value: 400, at: T + 9 * D },
        { subject_id: 'SEQ-1', value: 30, at: T + H },
        { subject_id: 'SEQ-2', value: 70, at: T + 3 * H },
        { subject_id: 'TIE-b', value: 150, at: T + H },
        { subject_id: 'TWO-2', value: 500, at: T + 4 * H },
      ]);
      // The inferred revenue is what the customers spent: 500 + 400 + 30 + 70 + 150.
      const total = await conn.runAndReadAll(`SELECT sum(value)::DOUBLE AS v FROM outcomes`);
      expect(total.getRowObjectsJS()).toEqual([{ v: 1150 }]);
    });
  });
});

describe('a customer who stayed after a retention lead', () => {
  test('takes no purchase from a sales lead: staying is not a credited sale', async () => {
    await withDb(async (conn) => {
      const infer = (watermark: number) => inferLeadOutcomes(conn, { winWindowMs: 30 * D, spendWindowMs: H, watermark });
      await lead(conn, 'KEEP', 'a1', 'K', 'retention_risk', 'retention-desk');
      await spend(conn, 'K', T + 2 * H, H, 300);
      expect(await infer(T + D)).toEqual({ won: 0, retained: 1, lost: 0 });
      // An up-sell lead read late, before the same purchase: the sale is its.
      await lead(conn, 'MORE', 'a2', 'K', 'upsell_cross_sell', 'sales', T + H);
      expect(await infer(T + 2 * D)).toEqual({ won: 1, retained: 0, lost: 0 });
      const rows = await conn.runAndReadAll(`SELECT subject_id, outcome, value FROM outcomes ORDER BY seq`);
      expect(rows.getRowObjectsJS()).toEqual([
        { subject_id: 'KEEP', outcome: 'won_candidate', value: null },
        { subject_id: 'MORE', outcome: 'won_candidate', value: 300 },
      ]);
    });
  });
});

describe('a verdict taken back', () => {
  test("a won lead moved back to contacted no longer counts as won: the job's inference counts until the next verdict", async () => {
    await withDb(async (conn) => {
      await ensureLeadTable(conn);
      await alert(conn, 'a1', 'SalesLead');
      await lead(conn, 'L1', 'a1', 'c1', 'new_sale', 'sales');
      const thresholds = { minPrecision: 0.5, minJudged: 1 };
      const figures = async () => {
        const f = await outcomeFigures(conn, thresholds);
        const { judged, won, won_inferred, lost, revenue } = f.intents[0]!;
        return { judged, won, won_inferred, lost, revenue, rule: f.rules[0]!.judged };
      };
      await updateLead(conn, 'L1', { status: 'won', value: 1200 }, { actor: 'ana', at: T + H });
      expect(await figures()).toEqual({ judged: 1, won: 1, won_inferred: 0, lost: 0, revenue: 1200, rule: 1 });
      await updateLead(conn, 'L1', { status: 'contacted' }, { actor: 'ana', at: T + 2 * H });
      expect((await listOutcomes(conn, { subjectId: 'L1' })).map((o) => o.outcome)).toEqual(['acted_on', 'reopened', 'won']);
      expect(await figures()).toEqual({ judged: 0, won: 0, won_inferred: 0, lost: 0, revenue: 0, rule: 0 });
      // Inferred before the reopening: it counts now that no person's verdict stands.
      await conn.run(`INSERT INTO outcomes VALUES (100, 'lead', 'L1', 'a1', 'won_candidate', 80, 'pulse', 'inferred', ${ts(T + 30 * 60 * S)}, NULL)`);
      expect(await figures()).toEqual({ judged: 1, won: 0, won_inferred: 1, lost: 0, revenue: 80, rule: 1 });
      await updateLead(conn, 'L1', { status: 'lost' }, { actor: 'bo', at: T + 3 * H });
      expect(await figures()).toEqual({ judged: 1, won: 0, won_inferred: 0, lost: 1, revenue: 0, rule: 1 });
    });
  });
});

describe('closed-loop figures (hand-computed)', () => {
  test('precision per rule and intent, conversion, revenue, median time to first action, the tuning flag', async () => {
    await withDb(async (conn) => {
      for (const [id, rule] of [
        ['a1', 'R1'],
        ['a2', 'R1'],
        ['a3', 'R1'],
        ['a4', 'R2'],
        ['a5', 'R2'],
        ['a6', 'R3'],
      ] as const)
        await alert(conn, id, rule);
      // A scheduled report's notification nobody judged is not a rule to tune.
      await conn.run(`INSERT INTO alerts VALUES ('rep1', 'report', 'WeeklyScorecard', 'info', NULL, ${ts(T)}, ${ts(T)}, '{}', '{}', 'firing')`);
      await lead(conn, 'L4', 'a4', 'c4', 'new_sale', 'sales');
      await lead(conn, 'L5', 'a5', 'c5', 'new_sale', 'sales');
      await lead(conn, 'L7', 'a7', 'c7', 'retention_risk', 'retention-desk'); // never judged
      await conn.run(`INSERT INTO cases VALUES ('c6', 'a6', 'c', 'complaint', 'warning', 'open', 'care', ${ts(T)}, ${ts(T + D)}, NULL)`);
      const by = (at: number) => ({ actor: 'ana', at: T + at });
      await recordOutcome(conn, { subjectId: 'a1', outcome: 'useful' }, by(60 * S));
      await recordOutcome(conn, { subjectId: 'a2', outcome: 'not_useful' }, by(120 * S));
      await recordOutcome(conn, { subjectId: 'a2', outcome: 'useful' }, by(600 * S)); // the latest verdict counts
      await recordOutcome(conn, { subjectId: 'a3', outcome: 'acknowledged' }, by(300 * S)); // an action, no verdict
      await recordOutcome(conn, { subjectId: 'L4', outcome: 'lost' }, by(H));
      await recordOutcome(conn, { subjectId: 'c6', outcome: 'not_useful' }, by(30 * S));
      // Inferred after the person's verdict on L4: the person's word still counts.
      await conn.run(`INSERT INTO outcomes VALUES (100, 'lead', 'L4', 'a4', 'won_candidate', 50, 'pulse', 'inferred', ${ts(T + 2 * H)}, NULL),
                                                  (101, 'lead', 'L5', 'a5', 'won_candidate', 80, 'pulse', 'inferred', ${ts(T + 2 * H)}, NULL)`);
      const thresholds = { minPrecision: 0.5, minJudged: 1 };
      const f = await outcomeFigures(conn, thresholds);
      // R1: 3 alerts, a1 and a2 judged useful -> 2/2; R2: L4 lost, L5 won -> 1/2 (not below 0.5); R3: 0/1, flagged.
      expect(f.rules).toEqual([
        { rule: 'R1', kind: 'service', alerts: 3, judged: 2, positive: 2, precision: 1, flagged: false },
        { rule: 'R2', kind: 'service', alerts: 2, judged: 2, positive: 1, precision: 0.5, flagged: false },
        { rule: 'R3', kind: 'service', alerts: 1, judged: 1, positive: 0, precision: 0, flagged: true },
      ]);
      expect(f.intents).toEqual([
        { intent: 'new_sale', team: 'sales', leads: 2, judged: 2, positive: 1, precision: 0.5, won: 0, won_inferred: 1, lost: 1, conversion: 0.5, revenue: 80 },
        {
          intent: 'retention_risk',
          team: 'retention-desk',
          leads: 1,
          judged: 0,
          positive: 0,
          precision: null,
          won: 0,
          won_inferred: 0,
          lost: 0,
          conversion: 0,
          revenue: 0,
        },
      ]);
      // First actions by people: alerts 60 s, 120 s, 300 s -> median 120 s; lead L4 1 h; case c6 30 s.
      expect(f.delays).toEqual([
        { subject_kind: 'alert', acted: 3, median_seconds: 120 },
        { subject_kind: 'case', acted: 1, median_seconds: 30 },
        { subject_kind: 'lead', acted: 1, median_seconds: 3600 },
      ]);
      // Two judged alerts needed: R3's single verdict is not enough to flag it.
      expect((await outcomeFigures(conn, { minPrecision: 0.5, minJudged: 2 })).rules.some((r) => r.flagged)).toBe(false);
      // Subjects created before `until` only.
      expect((await outcomeFigures(conn, thresholds, T)).rules).toEqual([]);
      const text = formatOutcomeFigures(f, thresholds);
      expect(text).toMatch(/^R3\s+service\s+1\s+1\s+0\s+0\.0%\s+FLAG$/m);
      expect(text).toMatch(/^new_sale\s+sales\s+2\s+2\s+50\.0%\s+0\s+1\s+1\s+50\.0%\s+80\.00$/m);
      expect(text).toMatch(/^alert\s+3\s+2\.0m$/m);
    });
  });
});
