/**
 * Opt-in behaviour patterns of the generator (issue 17, item 2): the pure pieces by hand, the
 * generated data checked with DuckDB (the independent oracle of these tests).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratorConfigError, generate } from '../../../sources/generator/index.js';
import { BehaviourPatterns, WEEKEND_HEAVY_FACTORS, paydayFactor } from '../../../sources/generator/patterns.js';
import { Oracle } from './oracle.js';

describe('behaviour patterns, by hand', () => {
  it('weekend-heavy profile: mean 1, Saturday 3.2 / (8 / 7) = 2.8', () => {
    expect(WEEKEND_HEAVY_FACTORS.reduce((a, b) => a + b, 0)).toBeCloseTo(7, 12);
    expect(WEEKEND_HEAVY_FACTORS[5]).toBeCloseTo(2.8, 12);
    expect(WEEKEND_HEAVY_FACTORS[0]).toBeCloseTo(0.4375, 12);
  });

  it('pay day on the 25th: five spree days, wrapping into the next month', () => {
    expect([24, 25, 29, 30, 1].map((d) => paydayFactor(d, 31))).toEqual([0.85, 1.8, 1.8, 0.85, 0.85]);
    // February (28 days): 25, 26, 27, 28 and the 1st.
    expect([25, 28, 1, 2].map((d) => paydayFactor(d, 28))).toEqual([1.8, 1.8, 1.8, 0.85]);
  });

  it('holiday peaks fall on their calendar days; gaps silence a customer', () => {
    // From Tuesday 2026-02-10: Feb 12-14 (valentine, x2.5) are day indexes 2, 3 and 4.
    const p = new BehaviourPatterns(new Set(['holiday', 'gaps']), 7, 400, 10, Date.parse('2026-02-10T00:00:00Z'));
    expect([...p.holidayFactor]).toEqual([1, 1, 2.5, 2.5, 2.5, 1, 1, 1, 1, 1]);
    const withGap = p.gaps.findIndex((g) => g.length > 0 && (g[0] as [number, number])[0] < 10);
    expect(withGap).toBeGreaterThanOrEqual(0);
    const [from] = p.gaps[withGap]![0]!;
    expect(p.dayFactor(withGap, from, 0, 1.3)).toBe(0);
    // Customers without a gap keep their weekly factor, times the holiday factor.
    const plain = p.gaps.findIndex((g) => g.length === 0);
    expect(p.dayFactor(plain, 3, 0, 1.3)).toBeCloseTo(3.25, 12);
  });

  it('very large purchases: about 0.3% of purchases, 15 to 40 times the amount', () => {
    const p = new BehaviourPatterns(new Set(['bigticket']), 1, 1, 1, 0);
    const draws = Array.from({ length: 200_000 }, () => p.purchaseFactor());
    const big = draws.filter((f) => f !== 1);
    // Binomial(200,000, 0.003): mean 600, sd 24.5; +-5 sd.
    expect(big.length).toBeGreaterThan(477);
    expect(big.length).toBeLessThan(723);
    expect(Math.min(...big)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...big)).toBeLessThanOrEqual(40);
  });

  it('unknown pattern names are rejected with the field named', async () => {
    const bad = generate({ out: join(tmpdir(), 'never.ndjson'), customers: 1, days: 1, seed: 1, patterns: ['weekends' as 'weekend'] });
    await expect(bad).rejects.toBeInstanceOf(GeneratorConfigError);
    await expect(bad).rejects.toThrow(/--patterns must be a list of weekend, payday, holiday, bigticket, gaps/);
  });
});

describe('behaviour patterns in generated data (DuckDB)', () => {
  let dir: string;
  let oracle: Oracle;
  let truth: {
    behaviour_patterns: {
      enabled: string[];
      weekend_heavy_customers: string[];
      holiday_days: number[];
      gap_days_by_customer: Record<string, Array<[number, number]>>;
    };
  };
  const start = Date.parse('2026-01-05T00:00:00Z');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-patterns-'));
    const out = join(dir, 'events.ndjson');
    const r = await generate({
      out,
      customers: 400,
      days: 56,
      seed: 5,
      patterns: ['weekend', 'holiday', 'gaps'],
      malformedRate: 0,
      duplicateRate: 0,
      lateRate: 0,
    });
    truth = JSON.parse(await readFile(r.groundTruthPath, 'utf8'));
    oracle = await Oracle.open(out);
    await oracle.db.run(`CREATE TABLE tx AS SELECT customer_id, CAST(floor((ms - ${start}) / 86400000) AS INTEGER) AS day FROM ev WHERE type = 'transaction'`);
  }, 120_000);
  afterAll(async () => {
    oracle?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the patterns and their customers in the ground truth', () => {
    expect(truth.behaviour_patterns.enabled).toEqual(['weekend', 'holiday', 'gaps']);
    // 30% of 400 weekend-heavy: binomial sd 9.2.
    expect(truth.behaviour_patterns.weekend_heavy_customers.length).toBeGreaterThan(80);
    expect(truth.behaviour_patterns.weekend_heavy_customers.length).toBeLessThan(160);
    // Feb 12-14 2026 are days 38, 39 and 40 from Monday 2026-01-05.
    expect(truth.behaviour_patterns.holiday_days).toEqual([38, 39, 40]);
  });

  it('weekend-heavy customers buy about 65% on Saturday and Sunday (2.8 + 1.75 of 7)', async () => {
    const ids = truth.behaviour_patterns.weekend_heavy_customers.map((id) => `'${id}'`).join(',');
    // Days 5, 6 (mod 7) are Saturday and Sunday; the holiday days are left out.
    const r = await oracle.one(
      `SELECT avg(CASE WHEN day % 7 IN (5, 6) THEN 1 ELSE 0 END) AS heavy FROM tx WHERE customer_id IN (${ids}) AND day NOT IN (38, 39, 40)`,
    );
    expect(r['heavy'] as number).toBeGreaterThan(0.6);
    expect(r['heavy'] as number).toBeLessThan(0.7);
  });

  it('holiday days carry about 2.5 times the transactions of the same weekdays around them', async () => {
    // Feb 12-14 (Thu-Sat) against the same weekdays one and two weeks before and after.
    const r = await oracle.one(`SELECT
        count(*) FILTER (WHERE day IN (38, 39, 40)) AS peak,
        count(*) FILTER (WHERE day IN (24, 25, 26, 31, 32, 33, 45, 46, 47, 52, 53, 54)) / 4.0 AS usual
      FROM tx`);
    const ratio = (r['peak'] as number) / (r['usual'] as number);
    expect(ratio).toBeGreaterThan(2.2);
    expect(ratio).toBeLessThan(2.8);
  });

  it('customers with gaps buy nothing inside them', async () => {
    const gaps = Object.entries(truth.behaviour_patterns.gap_days_by_customer);
    expect(gaps.length).toBeGreaterThan(30);
    const cond = gaps.flatMap(([id, g]) => g.map(([from, to]) => `(customer_id = '${id}' AND day >= ${from} AND day < ${to})`)).join(' OR ');
    expect((await oracle.one(`SELECT count(*) AS n FROM tx WHERE ${cond}`))['n']).toBe(0);
  });
});
