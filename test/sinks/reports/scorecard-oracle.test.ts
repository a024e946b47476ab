import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../../sources/generator/index.js';
import { scorecardBlocks, scorecardData, type ScorecardData } from '../../../sinks/reports/scorecard-report.js';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import { query } from '../../helpers/duckdb.js';
import { runJob, testJob } from '../../helpers/run-job.js';

const DAY = 86_400_000;
const W1 = Date.UTC(2026, 2, 2); // Monday
const W2 = W1 + 7 * DAY;
const W3 = W2 + 7 * DAY;

/**
 * SPEC section 4 straight from the raw contact events, in DuckDB SQL: the oracle for the weekly
 * scorecard, which the job computes from its daily `contact_kpis` rows instead. Per queue and
 * channel, or per channel over every queue (`queue` then reads '(all)').
 */
function oracleSql(path: string, from: number, to: number, perQueue = true): string {
  const queue = perQueue ? 'queue' : `'(all)'`;
  return `
  WITH raw AS (
    -- the generator writes times as epoch milliseconds or as RFC 3339 strings
    SELECT queue, channel, disposition, acw_seconds::DOUBLE AS acw,
           coalesce(TRY_CAST(queued_at AS BIGINT), epoch_ms(TRY_CAST(queued_at AS TIMESTAMPTZ))) AS q,
           coalesce(TRY_CAST(answered_at AS BIGINT), epoch_ms(TRY_CAST(answered_at AS TIMESTAMPTZ))) AS a,
           coalesce(TRY_CAST(ended_at AS BIGINT), epoch_ms(TRY_CAST(ended_at AS TIMESTAMPTZ))) AS e
      FROM read_json('${path}', format = 'newline_delimited', union_by_name = true)
     WHERE type = 'contact'),
  c AS (SELECT * FROM raw WHERE q >= ${from} AND q < ${to}),
  w AS (
    SELECT *, disposition = 'self_service' AS ss,
           a IS NOT NULL AND disposition <> 'self_service' AS handled,
           a IS NULL AND disposition NOT IN ('callback', 'self_service') AS abandoned,
           CASE WHEN a IS NOT NULL THEN (a - q) / 1000.0
                WHEN disposition NOT IN ('callback', 'self_service') THEN (e - q) / 1000.0 END AS wait
      FROM c),
  k AS (
    SELECT ${queue} AS queue, channel,
           count(*) FILTER (NOT ss) AS offered, count(*) FILTER (handled) AS handled, count(*) FILTER (abandoned) AS abandoned,
           count(*) FILTER (abandoned AND wait < 5) AS short_abandoned, count(*) FILTER (ss) AS self_service,
           avg((e - a) / 1000.0 + acw) FILTER (handled) AS aht_seconds, avg((a - q) / 1000.0) FILTER (handled) AS asa_seconds,
           avg(wait) FILTER (NOT ss AND wait IS NOT NULL) AS avg_queue_seconds,
           count(*) FILTER (handled AND wait <= 20) AS in_sl, count(*) FILTER (handled AND disposition = 'transferred') AS transferred
      FROM w GROUP BY ALL)
  SELECT queue, channel, offered, handled, abandoned, short_abandoned, self_service, aht_seconds, asa_seconds, avg_queue_seconds,
         (abandoned - short_abandoned) / nullif(offered - short_abandoned, 0) AS abandon_rate,
         in_sl / nullif(offered - short_abandoned, 0) AS service_level,
         transferred / nullif(handled, 0) AS transfer_rate,
         self_service / nullif(self_service + offered, 0) AS self_service_rate
    FROM k ORDER BY queue, channel`;
}

const KPIS = [
  'offered',
  'handled',
  'abandoned',
  'short_abandoned',
  'self_service',
  'abandon_rate',
  'service_level',
  'asa_seconds',
  'aht_seconds',
  'avg_queue_seconds',
  'transfer_rate',
  'self_service_rate',
] as const;

let dir: string;
let events: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-scorecard-oracle-'));
  events = join(dir, 'events.ndjson');
  db = join(dir, 'pulse.duckdb');
  await generate({ out: events, customers: 3000, days: 15, seed: 11, start: '2026-03-02T00:00:00Z', malformedRate: 0, duplicateRate: 0, lateRate: 0 });
  await runJob(testJob({ paths: [events], db, batchSize: 2048, operators: '  - type: contact_kpis\n    window_sizes: [1d]' }));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('weekly scorecard against SPEC section 4 computed from the raw events', () => {
  it('every KPI per queue and channel, this week and the week before, equals the oracle', async () => {
    const [rejected] = await query(db, `SELECT count(*) AS n FROM dead_letters`);
    expect(Number(rejected![0]!['n'])).toBe(0); // the job saw exactly the events the oracle reads
    const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    let data: ScorecardData;
    let thisWeek: Array<Record<string, unknown>>;
    let weekBefore: Array<Record<string, unknown>>;
    try {
      data = await scorecardData(conn, { previousStart: W1, start: W2, end: W3 });
      const oracle = async (from: number, to: number) => [
        ...(await conn.runAndReadAll(oracleSql(events, from, to))).getRowObjectsJS(),
        ...(await conn.runAndReadAll(oracleSql(events, from, to, false))).getRowObjectsJS(),
      ];
      thisWeek = await oracle(W2, W3);
      weekBefore = await oracle(W1, W2);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    // Per queue and channel, then all queues per channel: no total across channels, which would
    // mix e-mail's response times and its service level of 0 into the live channels'.
    const rows = data.rows;
    expect(rows.filter((r) => r.queue !== '(all)').length).toBeGreaterThan(5);
    const channels = [...new Set(rows.filter((r) => r.queue !== '(all)').map((r) => r.channel))].sort();
    expect(channels).toContain('email');
    expect(rows.slice(-channels.length).map((r) => [r.queue, r.channel])).toEqual(channels.map((c) => ['(all)', c]));
    expect(data.daysWithData).toBe(7);
    const check = (oracle: Array<Record<string, unknown>>, pick: 'current' | 'previous') => {
      expect(rows.map((r) => `${r.queue}/${r.channel}`).sort()).toEqual(oracle.map((o) => `${String(o['queue'])}/${String(o['channel'])}`).sort());
      for (const o of oracle) {
        const row = rows.find((r) => r.queue === o['queue'] && r.channel === o['channel'])!;
        for (const kpi of KPIS) {
          const want = o[kpi] === null ? null : Number(o[kpi]);
          const got = row[pick][kpi] ?? null;
          if (want === null) expect([kpi, got]).toEqual([kpi, null]);
          else expect([kpi, got], `${row.queue}/${row.channel} ${pick}`).toEqual([kpi, expect.closeTo(want, 9)]);
        }
      }
    };
    check(thisWeek, 'current');
    check(weekBefore, 'previous');
  }, 120_000);
});

describe('a queue x channel with contacts in one period only', () => {
  it('has counts of 0, not unknown, in the other: a drop to zero is -100%', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (const ddl of OUTPUT_TABLES_DDL) await conn.run(ddl);
      const day = (start: number, queue: string, channel: string, offered: number) =>
        conn.run(
          `INSERT INTO contact_kpis (window_start, window_end, queue, channel, offered, handled, abandoned, short_abandoned, self_service,
                                     abandon_rate, aht_seconds, asa_seconds, avg_queue_seconds, service_level, transfer_rate, fcr_final)
           VALUES (make_timestamptz(${start} * 1000), make_timestamptz(${start + DAY} * 1000), '${queue}', '${channel}', ${offered}, ${offered}, 0, 0, 0,
                   0, 60, 5, 5, 1, 0, true)`,
        );
      await day(W1, 'billing', 'chat', 4);
      await day(W1, 'billing', 'voice', 2);
      await day(W1 + DAY, 'billing', 'voice', 3);
      const data = await scorecardData(conn, { previousStart: W1, start: W1 + DAY, end: W1 + 2 * DAY });
      const chat = data.rows.find((r) => r.channel === 'chat')!;
      expect(chat.current).toMatchObject({ offered: 0, handled: 0, abandoned: 0 });
      expect([chat.current['abandon_rate'] ?? null, chat.current['aht_seconds'] ?? null]).toEqual([null, null]);
      expect(chat.previous).toMatchObject({ offered: 4, handled: 4 });
      const blocks = scorecardBlocks(data, {
        report: 'contact_center_scorecard',
        schedule: 'Daily',
        period: 'day',
        previousStart: W1,
        start: W1 + DAY,
        end: W1 + 2 * DAY,
        highlight: [],
      });
      const table = blocks.find((b) => b.type === 'table') as { rows: string[][] };
      const chatCells = table.rows.find((r) => r[1] === 'chat')!;
      expect(chatCells[2]).toBe('0 (-100.0%)');
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});

describe('contacts of the period refused as late', () => {
  it('are counted by queue and channel from their raw queued_at (text or epoch ms) and told above the figures', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (const ddl of OUTPUT_TABLES_DDL) await conn.run(ddl);
      const contact = (queuedAt: string | number, queue: string, channel: string): string =>
        JSON.stringify({ type: 'contact', event_id: 'x', queued_at: queuedAt, queue, channel, ended_at: queuedAt });
      const letter = (reason: string, type: string, raw: string) =>
        conn.run(`INSERT INTO dead_letters VALUES ('files', 'a.ndjson:1', $reason, 'why', $type, $raw)`, { reason, type, raw });
      const start = W1 + DAY;
      await letter('late', 'contact', contact('2026-03-03T23:30:00-01:00', 'billing', 'email')); // 2026-03-04 00:30Z: the next day
      await letter('late', 'contact', contact('2026-03-03T10:00:00+02:00', 'billing', 'email')); // 08:00Z
      await letter('late', 'contact', contact(start + 3_600_000, 'billing', ' Email ')); // the decoder's reading: email
      await letter('late', 'contact', contact(start + DAY - 1, 'sales', 'web'));
      await letter('late', 'contact', contact(start - 1, 'sales', 'web')); // the day before
      // What the decoder accepts and DuckDB's JSON reader would not: a lone surrogate escape (DuckDB
      // refused the whole query), a lower-case t and z, a repeated key (its last value counts).
      await letter('late', 'contact', contact('2026-03-03t12:00:00z', 'sales', 'web').replace('"event_id":"x"', '"event_id":"x","text":"\\ud83d"'));
      await letter('late', 'contact', contact(start + 60_000, 'sales', 'web').replace('"queued_at":', `"queued_at":${start - DAY},"queued_at":`));
      await letter('duplicate', 'contact', contact(start + 60_000, 'sales', 'web'));
      await letter('late', 'transaction', JSON.stringify({ type: 'transaction', ts: start + 60_000 }));
      const data = await scorecardData(conn, { previousStart: W1, start, end: start + DAY });
      expect(data.late).toEqual({
        total: 5,
        byQueue: [
          { queue: 'sales', channel: 'web', contacts: 3 },
          { queue: 'billing', channel: 'email', contacts: 2 },
        ],
      });
      const blocks = scorecardBlocks(data, {
        report: 'contact_center_scorecard',
        schedule: 'Daily',
        period: 'day',
        previousStart: W1,
        start,
        end: start + DAY,
        highlight: [],
      });
      expect(blocks[0]).toMatchObject({ type: 'notice', level: 'warning', title: 'Contacts missing from these figures' });
      expect((blocks[0] as { text: string }).text).toMatch(
        /^5 contacts queued in this period .* are in none of the figures below \(sales\/web 3, billing\/email 2\)/,
      );
      // A duplicate is not missing (its first copy counts); nothing else was refused that day.
      expect(data.invalid).toEqual({ total: 0, byReason: [] });
      // None refused: no notice. A day without contacts (W2 and after) says so.
      const none = await scorecardData(conn, { previousStart: W2 - DAY, start: W2, end: W2 + DAY });
      expect(
        scorecardBlocks(none, {
          report: 'contact_center_scorecard',
          schedule: 'Daily',
          period: 'day',
          previousStart: W2 - DAY,
          start: W2,
          end: W2 + DAY,
          highlight: [],
        }).slice(0, 2),
      ).toMatchObject([{ type: 'notice', level: 'info', title: 'No contact data this day' }, { type: 'facts' }]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
  it('a day whose contact records were all refused for what they said reads as that, not as a day without contacts', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (const ddl of OUTPUT_TABLES_DDL) await conn.run(ddl);
      const start = W2;
      const contact = (queuedAt: number, answeredAt: number): string =>
        JSON.stringify({ type: 'contact', event_id: 'x', queued_at: queuedAt, answered_at: answeredAt, queue: 'billing', channel: 'voice' });
      const letter = (reason: string, type: string, raw: string) =>
        conn.run(`INSERT INTO dead_letters VALUES ('files', 'a.ndjson:1', $reason, 'why', $type, $raw)`, { reason, type, raw });
      // An upstream change: answered before queued, all day; one with a field of the wrong type; one cut off.
      for (let i = 0; i < 5; i++) await letter('impossible_value', 'contact', contact(start + i * 3_600_000, start + i * 3_600_000 - 60_000));
      await letter('wrong_type', 'contact', JSON.stringify({ type: 'contact', queued_at: start + 60_000, queue: 7 }));
      await letter('malformed_json', 'unknown', '{"type":"contact","queued_at":');
      await letter('impossible_value', 'contact', contact(start - 60_000, start - 120_000)); // the day before
      const data = await scorecardData(conn, { previousStart: start - DAY, start, end: start + DAY });
      expect(data.daysWithData).toBe(0);
      expect(data.invalid).toEqual({
        total: 6,
        byReason: [
          { reason: 'impossible_value', contacts: 5 },
          { reason: 'wrong_type', contacts: 1 },
        ],
      });
      const blocks = scorecardBlocks(data, {
        report: 'contact_center_scorecard',
        schedule: 'Daily',
        period: 'day',
        previousStart: start - DAY,
        start,
        end: start + DAY,
        highlight: [],
      });
      expect(blocks[0]).toMatchObject({ type: 'notice', level: 'warning', title: 'Contact records refused' });
      expect((blocks[0] as { text: string }).text).toMatch(
        /^6 contact records of this period were refused \(impossible_value 5, wrong_type 1\) and are in none of the figures below/,
      );
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
