import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkLargeTransaction, tailProbability } from '../../../operators/shifts/instant.js';
import { normal, rng } from './simulate.js';

/** The rule as README states it, with the median taken the plain way (sort a copy). */
function firesByDefinition(amount: number, recent: number[], factor: number, minSamples: number, minAmount: number): boolean {
  if (amount < 0 || recent.length < minSamples || amount < minAmount) return false;
  const sorted = [...recent].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return median > 0 && amount > factor * median;
}

describe('large_transaction', () => {
  test('with tailProbability 1, fires exactly when the amount exceeds factor x the median of recent amounts (the counting shortcut changes nothing)', () => {
    const amount = fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 2000 }));
    fc.assert(
      fc.property(
        fc.array(amount, { minLength: 0, maxLength: 60 }),
        amount,
        fc.double({ min: 1.01, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 10 }),
        (recent, value, factor, minSamples) => {
          const rule = { rule: 'large_transaction', factor, minSamples, history: 60, minAmount: 0, tailProbability: 1 } as const;
          const hit = checkLargeTransaction(rule, value, recent);
          expect(hit !== null).toBe(firesByDefinition(value, recent, factor, minSamples, 0));
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('an even count takes the mean of the two middle amounts', () => {
    const rule = { rule: 'large_transaction', factor: 2, minSamples: 4, history: 50, minAmount: 0, tailProbability: 1 } as const;
    // Median of [10, 10, 30, 30] is 20: 41 fires, 40 does not, though 40 > 2 x the lower middle 10.
    expect(checkLargeTransaction(rule, 41, [30, 10, 30, 10])).toMatchObject({ typical: 20, threshold: 40 });
    expect(checkLargeTransaction(rule, 40, [30, 10, 30, 10])).toBeNull();
  });

  test("tailProbability: Hill's estimate over the largest fifth of the recent amounts (hand-computed)", () => {
    // 45 amounts of 10, then 20, 40, 80, 160, 320: n = 50, k = 10, the 11th largest is 10. Mean log
    // excess of the 10 largest over it: (5 + 4 + 3 + 2 + 1) ln 2 / 10, so a = 10 / (15 ln 2) = 0.9618;
    // P(X > 1,000) = 0.2 x 100^-0.9618 = 0.002385.
    const recent = [...Array<number>(45).fill(10), 20, 40, 80, 160, 320];
    const a = 10 / (15 * Math.LN2);
    expect(tailProbability(1000, recent)).toBeCloseTo(0.2 * 100 ** -a, 12);
    const rule = { rule: 'large_transaction', factor: 10, minSamples: 20, history: 50, minAmount: 0, tailProbability: 0.001 } as const;
    // 1,000 is 100x the median, but one in 420 of this customer's amounts is as large: no alert.
    expect(checkLargeTransaction(rule, 1000, recent)).toBeNull();
    // At 5,000 it is 0.2 x 500^-0.9618 = 0.00051: an alert, which says how rare.
    expect(checkLargeTransaction(rule, 5000, recent)).toMatchObject({ tail: 0.2 * 500 ** -a });
    // A customer who always pays the same: any amount above it is beyond the tail (0).
    expect(tailProbability(101, Array<number>(50).fill(10))).toBe(0);
    // Too few amounts, or a tail of zeros: no estimate (0), the factor alone decides.
    expect(tailProbability(1000, Array<number>(5).fill(10))).toBe(0);
    expect(tailProbability(1000, [...Array<number>(45).fill(0), 1, 2, 3, 4, 5])).toBe(0);
  });

  test('heavy-tailed customers (a few amounts far above the rest) get few alerts, lognormal ones keep theirs', () => {
    // 40,000 transactions each, a rolling history of 50. Without the tail estimate, 10x the median
    // is a one-in-50 amount for Pareto(1.4) amounts (measured: ~2% of transactions alert).
    const rate = (draw: () => number, tail: number): number => {
      const rule = { rule: 'large_transaction', factor: 10, minSamples: 20, history: 50, minAmount: 0, tailProbability: tail } as const;
      const recent = Array.from({ length: 50 }, draw);
      let hits = 0;
      for (let i = 0; i < 40_000; i++) {
        const x = draw();
        if (checkLargeTransaction(rule, x, recent)) hits++;
        recent.shift();
        recent.push(x);
      }
      return hits / 40_000;
    };
    const r = rng(5);
    const pareto = (): number => 8 / Math.max(r(), 1e-12) ** (1 / 1.4);
    const lognormal = (): number => 30 * Math.exp(0.8 * normal(r));
    expect(rate(pareto, 1)).toBeGreaterThan(0.015);
    expect(rate(pareto, 0.001)).toBeLessThan(0.005);
    // 10x the median of lognormal amounts (sigma 0.8) is a one-in-500 amount: some alert.
    expect(rate(lognormal, 0.001)).toBeGreaterThan(0.0001);
  });
});
