/**
 * Population Stability Index.
 *
 * PSI = sum over bins of (cur_i - ref_i) * ln(cur_i / ref_i), with ref_i and cur_i the shares of
 * each sample in bin i. A share of exactly 0 is replaced by 1e-4 (Evidently's constant; the
 * shares are not renormalised afterwards), so an empty bin contributes a large but finite term.
 *
 * Numeric bins come from the reference's quantiles (SPEC section 7: 10 reference-quantile bins):
 * the interior edges are `numpy.quantile(ref, [1/k, ..., (k-1)/k])` (linear interpolation), with
 * duplicates removed (`numpy.unique`), and the outer edges are -inf and +inf, so values of the
 * current period outside the reference range still land in the first or last bin. A value v goes to
 * bin i = the number of interior edges <= v (`numpy.searchsorted(edges, v, side='right')`): bins
 * are closed on the left, [e_i, e_{i+1}). Ties in the reference can merge edges, leaving fewer
 * than k bins; a constant reference leaves two bins, (-inf, c) and [c, +inf).
 * Categorical bins are the union of the categories of both samples, one bin each.
 */
import type { EmpiricalDistribution } from './empirical.js';
import { quantile } from './empirical.js';

export const PSI_DEFAULT_BINS = 10;
/** Replacement for a zero share (Evidently's value). */
export const PSI_EPSILON = 1e-4;

/** Interior bin edges from the reference's quantiles, increasing and unique. */
export function quantileBinEdges(ref: EmpiricalDistribution, bins: number = PSI_DEFAULT_BINS): Float64Array {
  const edges: number[] = [];
  const step = 1 / bins; // numpy.linspace(0, 1, bins + 1) computes i * (1 / bins)
  for (let i = 1; i < bins; i++) edges.push(quantile(ref, i * step));
  edges.sort((a, b) => a - b);
  const unique: number[] = [];
  for (const e of edges) if (unique.length === 0 || unique[unique.length - 1] !== e) unique.push(e);
  return Float64Array.from(unique);
}

/** Counts per bin (edges.length + 1 bins); bin of v = number of edges <= v. */
export function binCounts(dist: EmpiricalDistribution, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let bin = 0;
  for (let i = 0; i < dist.values.length; i++) {
    const v = dist.values[i]!;
    while (bin < edges.length && edges[bin]! <= v) bin++;
    counts[bin]! += dist.counts[i]!;
  }
  return counts;
}

/** PSI from aligned bin counts of the reference and current samples (both totals > 0). */
export function psiFromCounts(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>, epsilon: number = PSI_EPSILON): number {
  const refTotal = sum(refCounts);
  const curTotal = sum(curCounts);
  let psi = 0;
  for (let i = 0; i < refCounts.length; i++) {
    let r = refCounts[i]! / refTotal;
    let c = curCounts[i]! / curTotal;
    if (r === 0) r = epsilon;
    if (c === 0) c = epsilon;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

export interface NumericPsi {
  psi: number;
  edges: Float64Array;
  refCounts: Float64Array;
  curCounts: Float64Array;
}

/** PSI of a numeric feature over reference-quantile bins; also returns the bins for reuse. */
export function numericPsi(ref: EmpiricalDistribution, cur: EmpiricalDistribution, bins: number = PSI_DEFAULT_BINS, epsilon: number = PSI_EPSILON): NumericPsi {
  const edges = quantileBinEdges(ref, bins);
  const refCounts = binCounts(ref, edges);
  const curCounts = binCounts(cur, edges);
  return { psi: psiFromCounts(refCounts, curCounts, epsilon), edges, refCounts, curCounts };
}

function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}
