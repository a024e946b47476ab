/**
 * Two-sample Kolmogorov-Smirnov test (two-sided), matching `scipy.stats.ks_2samp(ref, cur,
 * method=...)` of SciPy 1.10:
 *  - statistic D = max |F_ref(x) - F_cur(x)| over all observed x (ECDFs, ties handled as SciPy's
 *    `searchsorted(side='right')`),
 *  - 'asymp': p = kstwo.sf(D, round(n1 n2 / (n1 + n2))) with NumPy's round-half-even,
 *  - 'exact': lattice-path count (ks-exact.ts), falling back to 'asymp' when it would overflow,
 *  - 'auto': 'exact' when both samples have at most 10,000 values, else 'asymp' (SciPy's default).
 * One deliberate difference: when both samples have a single value, n1 n2 / (n1 + n2) = 0.5
 * rounds to 0 and SciPy's asymptotic p-value is NaN; here the exact p-value (1, since D = 1 is
 * then certain) is returned instead, so no NaN ever leaves this module.
 */
import { walkUnion, type EmpiricalDistribution } from './empirical.js';
import { exactKsFeasible, exactKsPValue, roundHalfEven } from './ks-exact.js';
import { kstwoSf } from './kolmogorov.js';
import { DriftInputError } from './errors.js';

export type KsMethod = 'asymp' | 'exact' | 'auto';
export const KS_METHODS: readonly KsMethod[] = ['asymp', 'exact', 'auto'];

/** SciPy's `MAX_AUTO_N`: 'auto' tries the exact method up to this sample size. */
export const KS_MAX_AUTO_N = 10000;

export interface KsResult {
  statistic: number;
  pValue: number;
  /** The method that produced the p-value after any fallback. */
  method: 'asymp' | 'exact';
}

/** D = sup |F_ref - F_cur|, evaluated at every distinct value of either sample. */
export function ksStatistic(ref: EmpiricalDistribution, cur: EmpiricalDistribution): number {
  let d = 0;
  walkUnion(ref, cur, (_v, _refBelow, refAt, _curBelow, curAt) => {
    d = Math.max(d, Math.abs(refAt - curAt));
  });
  return d;
}

/** p-value for an observed D with sample sizes n1, n2 (both >= 1). */
export function ksPValue(d: number, n1: number, n2: number, method: KsMethod = 'asymp'): KsResult {
  let mode = method;
  if (mode === 'auto') mode = Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp';
  if (mode === 'exact' && exactKsFeasible(n1, n2)) {
    const exact = exactKsPValue(n1, n2, d);
    if (exact.ok) return { statistic: exact.statistic, pValue: exact.pValue, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const nEff = roundHalfEven((m * n) / (m + n));
  if (nEff === 0) {
    const exact = exactKsPValue(n1, n2, d);
    return { statistic: exact.statistic, pValue: exact.pValue, method: 'exact' };
  }
  return { statistic: d, pValue: clip01(kstwoSf(d, nEff)), method: 'asymp' };
}

export function ksTwoSample(ref: EmpiricalDistribution, cur: EmpiricalDistribution, method: KsMethod = 'asymp'): KsResult {
  if (ref.n === 0 || cur.n === 0) {
    throw new DriftInputError('DRIFT_EMPTY_SAMPLE', 'ksTwoSample: both samples need at least one finite value');
  }
  return ksPValue(ksStatistic(ref, cur), ref.n, cur.n, method);
}

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}
