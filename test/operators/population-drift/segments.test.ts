import { describe, expect, it } from 'vitest';
import { migrationMatrix, quintileScores, scoreCustomers, tierThresholds } from '../../../operators/population-drift/index.js';
import type { ScoredTier } from '../../../operators/population-drift/index.js';

describe('value tiers by trailing spend quantiles', () => {
  it('splits 10 customers spending 10..100 into Gold top 10%, Silver next 30% (hand-computed)', () => {
    const spend = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    // type-7 quantiles: q(0.9) = 10 + 0.9 * 90 = 91; q(0.6) = 10 + 0.6 * 90 = 64
    expect(tierThresholds(spend, 0.1, 0.3)).toEqual({ gold: 91, silver: 64 });
    const scored = scoreCustomers(
      spend.map((m, i) => ({ customer_id: `c${i}`, recencyDays: i, frequency: 1, monetary: m })),
      0.1,
      0.3,
    );
    expect(scored.map((s) => s.tier)).toEqual(['Bronze', 'Bronze', 'Bronze', 'Bronze', 'Bronze', 'Bronze', 'Silver', 'Silver', 'Silver', 'Gold']);
  });

  it('honours configured shares and keeps tied spenders together', () => {
    // 20 customers 1..20, gold 20%, silver 20%: q(0.8) = 1 + 0.8*19 = 16.2, q(0.6) = 12.4
    const spend = Array.from({ length: 20 }, (_, i) => i + 1);
    const tiers = scoreCustomers(
      spend.map((m) => ({ customer_id: String(m), recencyDays: 0, frequency: 1, monetary: m })),
      0.2,
      0.2,
    ).map((s) => s.tier);
    expect(tiers.filter((t) => t === 'Gold')).toHaveLength(4); // 17..20
    expect(tiers.filter((t) => t === 'Silver')).toHaveLength(4); // 13..16
    const flat = scoreCustomers(
      [1, 2, 3].map((i) => ({ customer_id: String(i), recencyDays: 0, frequency: 1, monetary: 5 })),
      0.1,
      0.3,
    );
    expect(flat.map((s) => s.tier)).toEqual(['Bronze', 'Bronze', 'Bronze']);
  });
});

describe('RFM quintiles', () => {
  it('scores distinct values 1..5 and ties alike; recency reversed', () => {
    expect(quintileScores([50, 10, 40, 20, 30], true)).toEqual([5, 1, 4, 2, 3]);
    // worse counts 0,0,2,3,4 of n = 5
    expect(quintileScores([1, 1, 2, 3, 4], true)).toEqual([1, 1, 3, 4, 5]);
    // recency: 1 day is best (5), 40 days worst (1)
    expect(quintileScores([1, 40, 10, 20, 30], false)).toEqual([5, 1, 4, 3, 2]);
    // n = 10 distinct: NTILE(5) pairs
    expect(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('writes the rfm code from the three scores', () => {
    const [a] = scoreCustomers(
      [
        { customer_id: 'a', recencyDays: 1, frequency: 9, monetary: 900 },
        { customer_id: 'b', recencyDays: 30, frequency: 1, monetary: 10 },
      ],
      0.1,
      0.3,
    );
    // n = 2: a is better on all three: 1 + floor(5 * 1 / 2) = 3
    expect(a!.rfm).toBe('333');
  });
});

describe('migration matrix', () => {
  it('counts retained, upgraded, downgraded, new and lost by hand', () => {
    const prev = new Map<string, ScoredTier>([
      ['a', { tier: 'Gold', spend: 100 }],
      ['b', { tier: 'Silver', spend: 50 }],
      ['c', { tier: 'Bronze', spend: 10 }],
      ['d', { tier: 'Bronze', spend: 5 }],
    ]);
    const now = new Map<string, ScoredTier>([
      ['a', { tier: 'Silver', spend: 80 }],
      ['b', { tier: 'Gold', spend: 120 }],
      ['c', { tier: 'Bronze', spend: 10 }],
      ['e', { tier: 'Bronze', spend: 30 }],
    ]);
    // current total 240, previous total 165 (lost customers are shared over the previous total)
    expect(migrationMatrix(prev, now)).toEqual([
      { from_tier: 'Bronze', to_tier: 'Bronze', movement: 'retained', customers: 1, revenue_share: 10 / 240 },
      { from_tier: 'Bronze', to_tier: 'none', movement: 'lost', customers: 1, revenue_share: 5 / 165 },
      { from_tier: 'Silver', to_tier: 'Gold', movement: 'upgraded', customers: 1, revenue_share: 120 / 240 },
      { from_tier: 'Gold', to_tier: 'Silver', movement: 'downgraded', customers: 1, revenue_share: 80 / 240 },
      { from_tier: 'none', to_tier: 'Bronze', movement: 'new', customers: 1, revenue_share: 30 / 240 },
    ]);
  });
});
