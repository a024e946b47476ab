import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../operators/errors.js';
import { EventDecoder } from '../../operators/decode.js';
import { plainRecord } from '../../sources/columnar-rows.js';
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

  it('a contact row whose ts is null is read as one without ts (queued_at is its time), as in NDJSON', async () => {
    // A column cannot leave a field out of one row: a contact's optional ts is null there. It was
    // refused as wrong_type, and a tester's Parquet lost 39% of its contacts and their KPIs.
    const dir = mkdtempSync(join(tmpdir(), 'pulse-columnar-contacts-'));
    const at = (minutes: number): string => new Date(Date.UTC(2026, 0, 5) + minutes * 60_000).toISOString();
    const rows = Array.from({ length: 60 }, (_, i) => ({
      type: 'contact',
      event_id: `K${i}`,
      ts: i % 2 === 0 ? null : at(i * 7),
      customer_id: `C${i % 9}`,
      contact_id: `contact-${i}`,
      channel: i % 3 === 0 ? 'chat' : 'voice',
      queue: 'care',
      reason: 'billing',
      queued_at: at(i * 7),
      answered_at: i % 5 === 0 ? null : at(i * 7 + 1),
      ended_at: at(i * 7 + 4),
      disposition: i % 5 === 0 ? 'abandoned' : 'resolved',
    }));
    const ndjson = join(dir, 'contacts.ndjson');
    writeFileSync(
      ndjson,
      rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k, v]) => k !== 'ts' || v !== null)))).join('\n') + '\n',
    );
    const parquet = join(dir, 'contacts.parquet');
    await query(':memory:', `COPY (SELECT * FROM read_json('${ndjson}', format = 'newline_delimited')) TO '${parquet}' (FORMAT parquet)`);
    const arrow = join(dir, 'contacts.arrow');
    writeFileSync(arrow, tableToIPC(tableFromJSON(rows), 'file'));
    const results: unknown[] = [];
    for (const input of [ndjson, parquet, arrow]) {
      const db = join(dir, `${input.split('.').pop()}.duckdb`);
      const { summary } = await runJob(testJob({ paths: [input], db, batchSize: 16 }));
      expect([summary.records, summary.rejected]).toEqual([60, 0]);
      results.push(await query(db, WINDOWS, `SELECT sum(contacts)::INTEGER AS contacts FROM customer_windows`));
    }
    // Every contact counted, in each window size of the test job.
    expect(((results[0] as unknown[][])[1]![0] as { contacts: number }).contacts % 60).toBe(0);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it("a survey's answers as a STRUCT, a MAP or a JSON string are the same answers", async () => {
    // pandas and pyarrow write a column of dicts as a STRUCT with every question of the file (null
    // where a survey did not ask it); such surveys were refused as wrong_type ("answers.csat ... got null").
    // The rows as DuckDB's reader gives them (the Parquet source reads through it, JS values).
    const survey = (i: number, answers: string) =>
      `SELECT 'survey' AS type, 'S${i}' AS event_id, TIMESTAMPTZ '2026-01-05 10:00:00+00' AS ts, 'C${i}' AS customer_id, 'csat-q1' AS survey_id, ${answers} AS answers`;
    const [struct, map] = await query(
      ':memory:',
      `${survey(1, "{'csat': 4, 'nps': NULL, 'comment_ok': true}")} UNION ALL ${survey(2, "{'csat': NULL, 'nps': 9, 'comment_ok': NULL}")}`,
      `${survey(1, "MAP {'csat': '4', 'resolved': 'yes'}")}`,
    );
    const decoder = new EventDecoder();
    const answersOf = (row: unknown) => {
      const decoded = decoder.decode(plainRecord(row as Record<string, unknown>));
      expect(decoded.ok).toBe(true);
      return decoded.ok && decoded.event.type === 'survey' ? decoded.event.answers : undefined;
    };
    expect(struct!.map(answersOf)).toEqual([{ csat: 4, comment_ok: true }, { nps: 9 }]);
    expect(answersOf(map![0])).toEqual({ csat: '4', resolved: 'yes' });
    expect(answersOf({ ...map![0], answers: '{"csat": 4}' })).toEqual({ csat: 4 });
  });

  it("a profile row's null columns are attributes it does not carry; a transaction row keeps its nulls", async () => {
    // A file of profile changes has every column, null where a row does not change the attribute.
    const [rows] = await query(
      ':memory:',
      `SELECT 'Profile' AS type, 'P1' AS event_id, TIMESTAMPTZ '2026-01-05 10:00:00+00' AS ts, 'C1' AS customer_id,
              'Gold' AS tier, NULL::VARCHAR AS region, NULL::VARCHAR AS account_owner, NULL::VARCHAR AS segment
       UNION ALL
       SELECT 'transaction', 'T1', TIMESTAMPTZ '2026-01-05 10:00:00+00', 'C1', NULL, NULL, NULL, NULL`,
    );
    const [profileRow, transactionRow] = rows!.map((row) => plainRecord(row as Record<string, unknown>));
    expect(Object.keys(profileRow!).sort()).toEqual(['customer_id', 'event_id', 'tier', 'ts', 'type']);
    expect(transactionRow).toMatchObject({ tier: null, region: null, segment: null });
    const decoded = new EventDecoder().decode(profileRow!);
    expect(decoded.ok && decoded.event.type === 'profile' ? [decoded.event.tier, decoded.event.region, { ...decoded.event.attributes }] : decoded).toEqual([
      'Gold',
      undefined,
      {},
    ]);
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
