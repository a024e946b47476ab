import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactAvgSql, exactSumSql } from '../../../sinks/duckdb/exact-sum.js';

describe('exactSumSql / exactAvgSql', () => {
  let connection: DuckDBConnection;
  const rows = 1_000_000;

  beforeAll(async () => {
    connection = await (await DuckDBInstance.create(':memory:', { threads: '4' })).connect();
    // Amounts in cents stored as doubles, as spend is (up to 10,000.02, scattered), over several row
    // groups so that DuckDB sums them on several threads.
    await connection.run(`CREATE TABLE t AS SELECT i, (i * 7919 % 1000003) / 100 AS v FROM range(1, ${rows + 1}) r(i)`);
  });

  afterAll(() => connection.closeSync());

  const one = async (sql: string): Promise<unknown> => (await connection.runAndReadAll(sql)).getRows()[0]![0];

  it('gives the exact sum and mean of decimal amounts, where a sum of doubles does not', async () => {
    // The oracle: the same cents summed as integers.
    let cents = 0n;
    for (let i = 1n; i <= BigInt(rows); i++) cents += (i * 7919n) % 1000003n;
    const exact = Number(cents) / 100;
    expect(await one(`SELECT ${exactSumSql('v')} FROM t`)).toBe(exact);
    expect(await one(`SELECT ${exactAvgSql('v')} FROM t`)).toBe(exact / rows);
  });

  // A plain sum(v) of this table gave 7 different results in 30 runs, none of them exact.
  it('gives the same sum in every run, however the threads add', async () => {
    const sums = new Set<unknown>();
    for (let run = 0; run < 10; run++) sums.add(await one(`SELECT ${exactSumSql('v * 1.1')} FROM t`));
    expect(sums.size).toBe(1);
  });

  it('keeps sum semantics: NULL over no rows, a FILTER clause on the sum itself', async () => {
    expect(await one(`SELECT ${exactSumSql('v')} FROM t WHERE i < 0`)).toBeNull();
    expect(await one(`SELECT ${exactSumSql('v', 'i <= 3')} FROM t`)).toBe(475.14);
  });
});
