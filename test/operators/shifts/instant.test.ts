import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkLargeTransaction } from '../../../operators/shifts/instant.js';

/** The rule as README states it, with the median taken the plain way (sort a copy). */
function firesByDefinition(amount: number, recent: number[], factor: number, minSamples: number, minAmount: number): boolean {
  if (amount < 0 || recent.length < minSamples || amount < minAmount) return false;
  const sorted = [...recent].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return median > 0 && amount > factor * median;
}

describe('large_transaction', () => {
  test('fires exactly when the amount exceeds factor x the median of recent amounts (the counting shortcut changes nothing)', () => {
    const amount = fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 2000 }));
    fc.assert(
      fc.property(
        fc.array(amount, { minLength: 0, maxLength: 60 }),
        amount,
        fc.double({ min: 1.01, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 10 }),
        (recent, value, factor, minSamples) => {
          const rule = { rule: 'large_transaction', factor, minSamples, history: 60, minAmount: 0 } as const;
          const hit = checkLargeTransaction(rule, value, recent);
          expect(hit !== null).toBe(firesByDefinition(value, recent, factor, minSamples, 0));
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('an even count takes the mean of the two middle amounts', () => {
    const rule = { rule: 'large_transaction', factor: 2, minSamples: 4, history: 50, minAmount: 0 } as const;
    // Median of [10, 10, 30, 30] is 20: 41 fires, 40 does not, though 40 > 2 x the lower middle 10.
    expect(checkLargeTransaction(rule, 41, [30, 10, 30, 10])).toMatchObject({ typical: 20, threshold: 40 });
    expect(checkLargeTransaction(rule, 40, [30, 10, 30, 10])).toBeNull();
  });
});
