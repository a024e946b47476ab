import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../../operators/rules/wilson.js';

describe('wilsonInterval', () => {
  // Published oracle: Newcombe (1998), "Two-sided confidence intervals for the single proportion",
  // Statistics in Medicine 17:857-872, Table I, method 3 (score interval without continuity
  // correction), 95%, given to four decimals.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i at 95%% matches Newcombe (1998)', (hits, trials, lower, upper) => {
    const interval = wilsonInterval(hits, trials, 0.95)!;
    expect(interval.lower).toBeCloseTo(lower, 4);
    expect(interval.upper).toBeCloseTo(upper, 4);
  });

  // Oracle: the textbook formula with z = scipy.stats.norm.ppf(1 - (1 - c) / 2) in /usr/bin/python3:
  //   cen = (p + z*z/(2n)) / (1 + z*z/n); half = z/(1 + z*z/n) * sqrt(p(1-p)/n + z*z/(4n^2))
  it.each([
    [12, 100, 0.95, 0.0699940643701949, 0.19812099426711421],
    [12, 100, 0.9, 0.0763260081195623, 0.18369445967565012],
    [90, 100, 0.95, 0.8256343384950865, 0.9447708629393249],
  ])('%i of %i at %f matches the SciPy-quantile formula', (hits, trials, confidence, lower, upper) => {
    const interval = wilsonInterval(hits, trials, confidence)!;
    expect(interval.lower).toBeCloseTo(lower, 10);
    expect(interval.upper).toBeCloseTo(upper, 10);
  });

  it('has no interval without trials', () => {
    expect(wilsonInterval(0, 0, 0.95)).toBeNull();
  });
});
