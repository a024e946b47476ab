/** Lorden's bound helpers of the shift benchmark, hand-computed (formulas of kl-bound.py). */
import { describe, expect, it } from 'vitest';
import { arl0OfFalseAlertRate, klPerWindow, learntBaselineDelay, learntBaselineLlr, lordenDelay } from '../../bench/lorden.js';

describe('Lorden bound helpers', () => {
  it('KL per window of the generator model', () => {
    // Frequency x0.5 at 2 a day: 2 (0.5 ln 0.5 - 0.5 + 1) = 0.306853.
    expect(klPerWindow('spend_frequency', 0.5, 2)).toBeCloseTo(0.3068528194, 9);
    // Amount x3 at 1 a day, sigma 0.8: (ln 3)^2 / 1.28 = 0.942929.
    expect(klPerWindow('spend_amount', 3, 1)).toBeCloseTo(0.9429288756, 9);
    expect(klPerWindow('usage', 2, 1)).toBeNull();
    expect(klPerWindow('spend_frequency', 0.5, 0)).toBeNull();
  });

  it('learnt level: the two-sample LLR at the expected counts, bounded by the baseline, and its delay (hand-computed)', () => {
    // Frequency x2 at 1 a day, 20 baseline windows, 10 shifted: 20 ln 2 + 0 - 40 ln(40 / 30) = 2.355661.
    expect(learntBaselineLlr('spend_frequency', 2, 1, 20, 10)).toBeCloseTo(20 * Math.log(2) - 40 * Math.log(40 / 30), 9);
    expect(learntBaselineLlr('spend_frequency', 2, 1, 20, 10)).toBeCloseTo(2.355660713, 8);
    // It tends to the baseline's information, 20 (2 - 1 - ln 2) = 6.137, however long the shift.
    expect(learntBaselineLlr('spend_frequency', 2, 1, 20, 1000)).toBeCloseTo(6.038695204, 8);
    expect(learntBaselineLlr('spend_frequency', 2, 1, 20, 1e7)!).toBeLessThan(20 * (1 - Math.log(2)));
    // Amount x3 at 1 a day, 20 and 10 windows, sigma 0.8: (20 x 10 / 30) (ln 3)^2 / 1.28 = 6.286193.
    expect(learntBaselineLlr('spend_amount', 3, 1, 20, 10)).toBeCloseTo(6.286192504, 8);
    expect(learntBaselineLlr('usage', 2, 1, 20, 10)).toBeNull();
    // ln ARL0 = 5: first reached after 72 shifted windows (python, same formula); not within 50.
    expect(learntBaselineDelay('spend_frequency', 2, 1, 20, 100, Math.exp(5))).toBe(72);
    expect(learntBaselineDelay('spend_frequency', 2, 1, 20, 50, Math.exp(5))).toBeNull();
    // ln ARL0 = 7 is beyond the baseline's 6.137 nats: never, whatever the horizon.
    expect(learntBaselineDelay('spend_frequency', 2, 1, 20, 10_000, Math.exp(7))).toBeNull();
  });

  it('ARL0 from a false-alert rate, and the delay bound', () => {
    // 0.05 per 1,000 customer-days over 5 series: one per 100,000 series-days.
    expect(arl0OfFalseAlertRate(0.05)).toBeCloseTo(100_000, 6);
    expect(arl0OfFalseAlertRate(0)).toBe(Number.POSITIVE_INFINITY);
    // ln(100,000) / 0.306853 = 37.519 windows.
    expect(lordenDelay(100_000, 0.3068528194)).toBeCloseTo(37.5194, 3);
  });
});
