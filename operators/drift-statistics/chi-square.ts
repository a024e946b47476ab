/**
 * Chi-square test of homogeneity of two count vectors (SPEC section 7): the 2 x k contingency
 * table of reference and current counts, as `scipy.stats.chi2_contingency(table, correction=False)`:
 * expected E_ij = row_i * column_j / N, statistic = sum (O - E)^2 / E, p = chi2.sf(statistic, k - 1).
 *
 * Why homogeneity and not goodness of fit: the reference period is a sample too. Testing the current
 * counts against the reference's proportions as if they were exact about doubles the statistic when
 * both periods are of similar size, and flags most stable weeks on a hundred contacts.
 *
 * Sparse categories (SPEC section 7): every category whose expected count is below `minExpected`
 * (5) in either row is pooled into one column, so that the chi-square approximation holds its
 * false-alarm rate; that column stays as it is, sparse or not (a lone sparse category is a column
 * of its own). The p-value is then SciPy's `chi2_contingency` of the pooled table.
 *
 * Conventions where SciPy is undefined (documented in README.md):
 *  - categories with zero count in both samples are left out (SciPy would divide by 0);
 *  - fewer than two columns left (one category, or everything pooled into one) leave no degrees of
 *    freedom: statistic 0, p-value 1; so does an empty row.
 *
 * The survival function is the regularised upper incomplete gamma function Q(df/2, x/2) from
 * @stdlib (computed directly, not as 1 - cdf, so tiny p-values keep their relative precision).
 */
import gammainc from '@stdlib/math-base-special-gammainc';

/** Cochran's rule of thumb: an expected count below this is too sparse for the chi-square tail. */
export const CHI2_MIN_EXPECTED = 5;

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  /** Degrees of freedom: columns of the pooled table - 1. */
  df: number;
  /** Categories merged into the pooled column (0 when none was sparse). */
  pooled: number;
}

const NO_DEGREES_OF_FREEDOM = (pooled: number): ChiSquareResult => ({ statistic: 0, pValue: 1, df: 0, pooled });

/** Survival function of the chi-square distribution with `df` degrees of freedom. */
export function chi2Sf(x: number, df: number): number {
  if (!(df > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

/** The test on aligned category counts (index i is the same category in both). */
export function chiSquareHomogeneity(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>, minExpected: number = CHI2_MIN_EXPECTED): ChiSquareResult {
  const columns: Array<{ ref: number; cur: number }> = [];
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const ref = refCounts[i]!;
    const cur = curCounts[i]!;
    if (ref > 0 || cur > 0) columns.push({ ref, cur });
    refTotal += ref;
    curTotal += cur;
  }
  if (refTotal === 0 || curTotal === 0) return NO_DEGREES_OF_FREEDOM(0);
  const total = refTotal + curTotal;
  // The smaller row has the smaller expected counts: a column is sparse when its expected count
  // there, min(row) * column / N, is below minExpected.
  const smallerRow = Math.min(refTotal, curTotal);
  const sparse = (c: { ref: number; cur: number }) => (smallerRow * (c.ref + c.cur)) / total < minExpected;

  const kept = columns.filter((c) => !sparse(c));
  const pool = { ref: 0, cur: 0 };
  let pooled = 0;
  for (const c of columns) {
    if (!sparse(c)) continue;
    pool.ref += c.ref;
    pool.cur += c.cur;
    pooled++;
  }
  const table = pooled > 0 ? [...kept, pool] : kept;
  if (table.length < 2) return NO_DEGREES_OF_FREEDOM(pooled);

  let statistic = 0;
  for (const c of table) {
    const column = c.ref + c.cur;
    const eRef = (refTotal * column) / total;
    const eCur = (curTotal * column) / total;
    statistic += (c.ref - eRef) ** 2 / eRef + (c.cur - eCur) ** 2 / eCur;
  }
  const df = table.length - 1;
  return { statistic, pValue: chi2Sf(statistic, df), df, pooled };
}
