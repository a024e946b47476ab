/**
 * Chi-square goodness-of-fit test of the current counts against the reference proportions,
 * matching `scipy.stats.chisquare(f_obs=cur, f_exp=ref_share * cur_total)`:
 * statistic = sum (obs - exp)^2 / exp, p = chi2.sf(statistic, k - 1), with k the number of
 * categories. The survival function is the regularised upper incomplete gamma function
 * Q(df/2, x/2) from @stdlib (computed directly, not as 1 - cdf, so tiny p-values keep their
 * relative precision).
 *
 * Conventions where SciPy is undefined (documented in README.md):
 *  - categories with zero count in both samples are left out;
 *  - a category with zero reference count (new in the current period) would make the expected
 *    count 0 and the statistic infinite; instead every reference share is floored at 1e-4 and the
 *    shares are renormalised to sum 1 (only when some share was 0, so SciPy's result is unchanged
 *    whenever SciPy is defined);
 *  - fewer than two categories leave no degrees of freedom: statistic 0, p-value 1.
 */
import gammainc from '@stdlib/math-base-special-gammainc';

export const CHI2_EPSILON = 1e-4;

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  /** Degrees of freedom, k - 1. */
  df: number;
}

/** Survival function of the chi-square distribution with `df` degrees of freedom. */
export function chi2Sf(x: number, df: number): number {
  if (!(df > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

/** Pearson's test of observed against expected counts (their totals should agree). */
export function chiSquareTest(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const d = observed[i]! - expected[i]!;
    statistic += (d * d) / expected[i]!;
  }
  const df = observed.length - 1;
  if (df < 1) return { statistic: 0, pValue: 1, df: 0 };
  return { statistic, pValue: chi2Sf(statistic, df), df };
}

/** The test on aligned category counts: expected = (smoothed) reference shares * current total. */
export function chiSquareFromCounts(
  refCounts: ArrayLike<number>,
  curCounts: ArrayLike<number>,
  epsilon: number = CHI2_EPSILON,
): ChiSquareResult {
  const ref: number[] = [];
  const cur: number[] = [];
  for (let i = 0; i < refCounts.length; i++) {
    if (refCounts[i]! > 0 || curCounts[i]! > 0) {
      ref.push(refCounts[i]!);
      cur.push(curCounts[i]!);
    }
  }
  if (ref.length < 2) return { statistic: 0, pValue: 1, df: 0 };
  const refTotal = ref.reduce((a, b) => a + b, 0);
  const curTotal = cur.reduce((a, b) => a + b, 0);
  let shares = ref.map((c) => c / refTotal);
  if (shares.some((s) => s === 0)) {
    shares = shares.map((s) => Math.max(s, epsilon));
    const total = shares.reduce((a, b) => a + b, 0);
    shares = shares.map((s) => s / total);
  }
  return chiSquareTest(
    cur,
    shares.map((s) => s * curTotal),
  );
}
