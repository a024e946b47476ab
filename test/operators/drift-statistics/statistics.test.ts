/**
 * Exact statistics on raw samples against SciPy (fixtures.json, written by make_fixtures.py):
 * ks_2samp (asymp and exact), wasserstein_distance, numpy.std, jensenshannon(base=2),
 * chi2_contingency (correction=False, sparse categories pooled),
 * and PSI over numpy.quantile bins.
 */
import { describe, expect, it } from 'vitest';
import { categoricalFromCounts } from '../../../operators/drift-statistics/categorical.js';
import { chiSquareHomogeneity } from '../../../operators/drift-statistics/chi-square.js';
import { populationStd, prepareSample, quantile } from '../../../operators/drift-statistics/empirical.js';
import { jensenShannonDistance } from '../../../operators/drift-statistics/jensen-shannon.js';
import { ksPValue, ksStatistic, ksTwoSample } from '../../../operators/drift-statistics/ks.js';
import { numericPsi } from '../../../operators/drift-statistics/psi.js';
import { categoricalStats, numericStats } from '../../../operators/drift-statistics/stats.js';
import { normalisedWasserstein } from '../../../operators/drift-statistics/wasserstein.js';
import { expectP, expectStat, fixtures } from './fixtures.js';

describe.each(fixtures.numeric.map((f) => [f.name, f] as const))('numeric fixture %s', (_name, f) => {
  const ref = prepareSample(f.ref).distribution;
  const cur = prepareSample(f.cur).distribution;

  it('KS statistic and asymptotic p-value match ks_2samp(method="asymp")', () => {
    const r = ksTwoSample(ref, cur, 'asymp');
    expectStat(r.statistic, f.ks_statistic, 'D');
    if (f.ks_p_asymp === null) {
      // SciPy's NaN (both samples of size 1): we return the exact p-value instead.
      expect(r.method).toBe('exact');
      expectP(r.pValue, f.ks_p_exact!, 'p fallback');
    } else {
      expect(r.method).toBe('asymp');
      expectP(r.pValue, f.ks_p_asymp, 'p asymp');
    }
  });

  it.runIf(f.ks_p_exact !== null)('exact p-value matches ks_2samp(method="exact")', () => {
    const r = ksPValue(ksStatistic(ref, cur), ref.n, cur.n, 'exact');
    expect(r.method).toBe('exact');
    expectP(r.pValue, f.ks_p_exact!, 'p exact');
    // SciPy's default 'auto' is exact at these sizes.
    expect(ksTwoSample(ref, cur, 'auto').pValue).toBe(r.pValue);
  });

  it('Wasserstein-1 and its normalised form match wasserstein_distance / max(np.std(ref), 0.001)', () => {
    const w = normalisedWasserstein(ref, cur);
    expectStat(w.wasserstein, f.wasserstein, 'W1');
    expectStat(populationStd(ref), f.ref_std, 'std');
    expectStat(w.normalised, f.wasserstein_norm, 'W1 norm');
  });

  it('PSI bins are numpy.quantile edges and PSI matches the NumPy computation', () => {
    const psi = numericPsi(ref, cur);
    expect(Array.from(psi.edges)).toEqual(f.psi_edges);
    expect(Array.from(psi.refCounts)).toEqual(f.psi_ref_counts);
    expect(Array.from(psi.curCounts)).toEqual(f.psi_cur_counts);
    expectStat(psi.psi, f.psi, 'PSI');
  });

  it('binned Jensen-Shannon and chi-square match SciPy on the PSI bins', () => {
    const s = numericStats(ref, cur);
    expectStat(s.js!, f.binned_js, 'JS');
    if (f.binned_chi2 === null) {
      // One bin left: no degrees of freedom, no test (stats.ts, chiSquareFigures).
      expect(s.chi2).toBeNull();
      expect(s.chi2_p_value).toBeNull();
    } else {
      expectStat(s.chi2!, f.binned_chi2, 'chi2');
      expectP(s.chi2_p_value!, f.binned_chi2_p!, 'chi2 p');
    }
  });
});

describe.each(fixtures.categorical.filter((f) => f.js !== null).map((f) => [f.name, f] as const))('categorical fixture %s', (_name, f) => {
  it('JS, chi-square and PSI match SciPy / NumPy over the union of categories', () => {
    const s = categoricalStats(categoricalFromCounts(f.ref), categoricalFromCounts(f.cur));
    const ref = f.categories.map((k) => f.ref[k] ?? 0);
    const cur = f.categories.map((k) => f.cur[k] ?? 0);
    expect(chiSquareHomogeneity(ref, cur).pooled).toBe(f.chi2_pooled);
    expectStat(s.js!, f.js!, 'JS');
    expectStat(s.psi!, f.psi!, 'PSI');
    if (f.chi2 === null) {
      expect(s.chi2).toBeNull();
      expect(s.chi2_p_value).toBeNull();
    } else {
      expectStat(s.chi2!, f.chi2, 'chi2');
      expectP(s.chi2_p_value!, f.chi2_p!, 'chi2 p');
    }
    expect(s.ks_statistic).toBeNull();
    expect(s.wasserstein_norm).toBeNull();
  });
});

describe('hand-computed cases', () => {
  it('quantile follows numpy linear interpolation: [1,2,3,4] at 0.5 is 2.5, at 1/3 is 2', () => {
    const d = prepareSample([4, 1, 3, 2]).distribution;
    expect(quantile(d, 0.5)).toBe(2.5);
    expect(quantile(d, 1 / 3)).toBe(2);
    expect(quantile(d, 0)).toBe(1);
    expect(quantile(d, 1)).toBe(4);
  });

  it('PSI of shares (0.5, 0.5) vs (0.25, 0.75) is -0.25 ln 0.5 + 0.25 ln 1.5', () => {
    // (0.25 - 0.5) ln(0.25/0.5) + (0.75 - 0.5) ln(0.75/0.5)
    const expected = -0.25 * Math.log(0.5) + 0.25 * Math.log(1.5);
    const s = categoricalStats(categoricalFromCounts({ a: 2, b: 2 }), categoricalFromCounts({ a: 1, b: 3 }));
    expect(s.psi).toBeCloseTo(expected, 14);
  });

  it('chi-square of the 2 x 2 table (50, 50 | 10, 30) is N (ad - bc)^2 / (rows x columns) = 175/24', () => {
    // 140 (50 x 30 - 50 x 10)^2 / (100 x 40 x 60 x 80); goodness of fit against the reference's
    // proportions would give (10 - 20)^2 / 20 x 2 = 10 instead.
    const r = chiSquareHomogeneity([50, 50], [10, 30]);
    expect(r.statistic).toBeCloseTo(175 / 24, 12);
    expect(r.df).toBe(1);
    expect(r.pooled).toBe(0);
  });

  it('chi-square pools a category expected below 5 in the smaller row, and only then', () => {
    // Rows 100 and 100: column c (8 in all) expects 4 a side, so it is pooled, alone; the pool stays
    // a column of its own, sparse as it is (SPEC section 7): 3 columns, 2 degrees of freedom.
    expect(chiSquareHomogeneity([56, 40, 4], [56, 40, 4])).toMatchObject({ df: 2, pooled: 1, statistic: 0 });
    // c and d (3 and 1 a side) pooled into one column of 4 a side, still sparse, kept as it is.
    expect(chiSquareHomogeneity([60, 36, 3, 1], [60, 36, 3, 1])).toMatchObject({ df: 2, pooled: 2, statistic: 0 });
    // Column c with 10 in all expects exactly 5 a side: not sparse, kept.
    expect(chiSquareHomogeneity([55, 40, 5], [55, 40, 5])).toMatchObject({ df: 2, pooled: 0 });
  });

  it('JS distance of disjoint distributions is 1 in base 2, of equal ones 0', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 14);
    expect(jensenShannonDistance([3, 1], [6, 2])).toBe(0);
  });

  it('non-finite values are dropped and counted', () => {
    const p = prepareSample([1, Number.NaN, 2, Number.POSITIVE_INFINITY, 2]);
    expect(p.dropped).toBe(2);
    expect(p.distribution.n).toBe(3);
    expect(Array.from(p.distribution.values)).toEqual([1, 2]);
    expect(Array.from(p.distribution.counts)).toEqual([1, 2]);
  });
});
