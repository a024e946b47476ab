/** Reference detectors of the shift benchmark on hand-built count series, figures computed by hand. */
import { describe, expect, it } from 'vitest';
import { baselineRate, calibrateThreshold, cusumAlarms, weeklyZAlarms } from '../../bench/reference-detectors.js';

const days = (n: number, value: number): number[] => Array.from({ length: n }, () => value);

describe('reference detectors', () => {
  it('baseline rate: mean of the first 21 days, floored at half a purchase', () => {
    expect(baselineRate([...days(20, 1), 22])).toBeCloseTo(42 / 21, 12);
    expect(baselineRate(days(30, 0))).toBeCloseTo(0.5 / 21, 12);
  });

  it('weekly z-test: a customer at 2 a day who stops buying', () => {
    // mu = 2, a silent week: z = (0 - 14) / sqrt(14) = -3.742 on days 27 and 34 (7 days apart).
    const counts = [...days(21, 2), ...days(14, 0)];
    expect(weeklyZAlarms(counts, 3)).toEqual([
      { day: 27, direction: 'down' },
      { day: 34, direction: 'down' },
    ]);
    expect(weeklyZAlarms(counts, 3.75)).toEqual([]);
  });

  it('weekly z-test: one busy day raises an upward alert once the week is full', () => {
    // mu = 1; days 21-26 at 1, day 27 at 6: week 12, z = 5 / sqrt(7) = 1.890.
    const counts = [...days(27, 1), 6, 1];
    expect(weeklyZAlarms(counts, 1.8)).toEqual([{ day: 27, direction: 'up' }]);
    // Day 28 still holds the busy day but is inside the 7 days after the alert.
    expect(weeklyZAlarms(counts, 1.9)).toEqual([]);
  });

  it('CUSUM: sums, threshold and restart', () => {
    // mu = 1, sd = 1; counts 3, 0, 1, 4 give z = 2, -1, 0, 3.
    // S+ = 1.5, 0, 0, 2.5 and S- = 0, 0.5, 0, 0 (k = 0.5).
    const counts = [...days(21, 1), 3, 0, 1, 4];
    expect(cusumAlarms(counts, 2.5)).toEqual([{ day: 24, direction: 'up' }]);
    // At 1.5 the first day alerts and both sums restart: then S+ = 0, 0, 2.5.
    expect(cusumAlarms(counts, 1.5)).toEqual([
      { day: 21, direction: 'up' },
      { day: 24, direction: 'up' },
    ]);
    // A silent stretch: z = -1 a day, S- grows by 0.5 a day and reaches 2 on the 4th day.
    expect(cusumAlarms([...days(21, 1), 0, 0, 0, 0], 2)).toEqual([{ day: 24, direction: 'down' }]);
  });

  it('calibration finds the threshold that allows the given number of alarms', () => {
    const silent = [...days(21, 2), ...days(14, 0)];
    // Both alarms have |z| = sqrt(14): at most one alarm needs a threshold just above it.
    expect(calibrateThreshold(weeklyZAlarms, [silent], 1)).toBeCloseTo(Math.sqrt(14), 4);
    expect(calibrateThreshold(weeklyZAlarms, [silent], 2)).toBe(0.5);
  });
});
