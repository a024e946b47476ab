/** Lorden's bound helpers of the shift benchmark, hand-computed (formulas of kl-bound.py). */
import { describe, expect, it } from 'vitest';
import { arl0OfFalseAlertRate, klPerWindow, lordenDelay } from '../../bench/lorden.js';

describe('Lorden bound helpers', () => {
  it('KL per window of the generator model', () => {
    // Frequency x0.5 at 2 a day: 2 (0.5 ln 0.5 - 0.5 + 1) = 0.306853.
    expect(klPerWindow('spend_frequency', 0.5, 2)).toBeCloseTo(0.3068528194, 9);
    // Amount x3 at 1 a day, sigma 0.8: (ln 3)^2 / 1.28 = 0.942929.
    expect(klPerWindow('spend_amount', 3, 1)).toBeCloseTo(0.9429288756, 9);
    expect(klPerWindow('usage', 2, 1)).toBeNull();
    expect(klPerWindow('spend_frequency', 0.5, 0)).toBeNull();
  });

  it('ARL0 from a false-alert rate, and the delay bound', () => {
    // 0.05 per 1,000 customer-days over 5 series: one per 100,000 series-days.
    expect(arl0OfFalseAlertRate(0.05)).toBeCloseTo(100_000, 6);
    expect(arl0OfFalseAlertRate(0)).toBe(Number.POSITIVE_INFINITY);
    // ln(100,000) / 0.306853 = 37.519 windows.
    expect(lordenDelay(100_000, 0.3068528194)).toBeCloseTo(37.5194, 3);
  });
});
