/**
 * The instant triggers' defaults on the bundled sample (samples/events.ndjson: 300 customers x 56
 * days, lognormal amounts): the alerts are exactly the ones a DuckDB query over the same
 * transactions selects, and there are few of them (issue 4: the old factor 5 after 5 amounts gave
 * 1,274 large-transaction alerts there, 2.3 per customer-month).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, test } from 'vitest';
import { stableAlertId } from '../../../operators/alert.js';
import type { TransactionEvent } from '../../../operators/events.js';
import { resolveShiftConfig } from '../../../operators/shifts/config.js';
import { CustomerShiftOperator } from '../../../operators/shifts/operator.js';
import { sampleEvents } from '../../helpers/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'shift-instant-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('instant triggers on samples/events.ndjson with the default settings', () => {
  test('fire exactly where SQL says, at most a few per customer-month', async () => {
    const events = sampleEvents();
    const op = new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'] }));
    for (const e of events) op.process(e);
    const alerts = op.drainOutputs().flatMap((o) => o.rows);
    const got = (rule: string): string[] =>
      alerts
        .filter((a) => a['rule'] === rule)
        .map((a) => a['alert_id'] as string)
        .sort();

    // Oracle: the rules written as SQL window functions over the transactions in arrival order.
    const txs = events.filter((e): e is TransactionEvent => e.type === 'transaction');
    const csv = join(dir, 'tx.csv');
    writeFileSync(csv, 'seq,customer_id,event_id,ts,amount\n' + txs.map((t, i) => `${i},${t.customer_id},${t.event_id},${t.ts},${t.amount}`).join('\n'));
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = async (sql: string): Promise<Array<{ event_id: string; ts: bigint | number }>> =>
      (await conn.runAndReadAll(sql)).getRowObjectsJS() as Array<{ event_id: string; ts: bigint | number }>;
    const from = `read_csv('${csv}', header = true, columns = {'seq': 'BIGINT', 'customer_id': 'VARCHAR', 'event_id': 'VARCHAR', 'ts': 'BIGINT', 'amount': 'DOUBLE'})`;
    // The tail estimate (Hill's, over the largest fifth of the recent amounts, at least 5): P(X >
    // amount) = (k / n) (amount / base)^-(k / excess), base the (k+1)-th largest, excess the sum of
    // ln(x / base) over the k largest; 0 when base is 0 or when every one of them equals base.
    const large = await rows(`
      WITH pos AS (
        SELECT event_id, ts, amount,
               count(*) OVER w AS n, median(amount) OVER w AS med, list(amount) OVER w AS recent
        FROM ${from} WHERE amount >= 0
        WINDOW w AS (PARTITION BY customer_id ORDER BY seq ROWS BETWEEN 50 PRECEDING AND 1 PRECEDING)),
      over AS (
        SELECT *, greatest(5, floor(n / 5))::INTEGER AS k, list_sort(recent, 'DESC') AS largest
        FROM pos WHERE n >= 20 AND med > 0 AND amount > 10 * med),
      tail AS (SELECT *, largest[k + 1] AS base FROM over),
      hill AS (SELECT *, list_sum(list_transform(largest[1:k], x -> ln(x / base))) AS excess FROM tail WHERE base > 0)
      SELECT event_id, ts FROM tail WHERE base <= 0
      UNION ALL
      SELECT event_id, ts FROM hill
      WHERE CASE WHEN excess > 0 THEN least(1, k / n * power(amount / base, -k / excess)) ELSE (CASE WHEN amount > base THEN 0 ELSE k / n END) END <= 0.001`);
    const refunds = await rows(`SELECT event_id, ts FROM ${from} WHERE amount <= -250`);
    const ids = (rule: string, rs: Array<{ event_id: string; ts: bigint | number }>): string[] =>
      rs.map((r) => stableAlertId(rule, Number(r.ts), r.event_id)).sort();

    expect(got('CustomerLargeTransaction')).toEqual(ids('CustomerLargeTransaction', large));
    expect(got('CustomerLargeRefund')).toEqual(ids('CustomerLargeRefund', refunds));

    // 300 customers x 56 days = 560 customer-months; measured 29 + 50 + 6 = 85 (0.15 each; 129 large
    // transactions before the tail estimate, 2026-12-05).
    const customerMonths = (300 * 56) / 30;
    expect(alerts.length / customerMonths).toBeLessThan(0.5);
    expect(got('CustomerLargeTransaction').length).toBeGreaterThan(0); // the rule is alive, not just silent
  });
});
