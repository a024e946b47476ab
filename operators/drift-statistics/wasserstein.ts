/**
 * Wasserstein-1 (earth mover's) distance between two samples, matching
 * `scipy.stats.wasserstein_distance(ref, cur)`: the integral of |F_ref(x) - F_cur(x)| over x,
 * summed exactly over the intervals between consecutive distinct values of both samples.
 *
 * The normalised form divides by the population standard deviation (ddof = 0) of the reference,
 * floored at 0.001, as Evidently's `wasserstein_distance_norm` does
 * (`wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)`; `np.std` on a pandas Series still
 * uses ddof = 0). SPEC section 7 decides numeric drift on this normalised value.
 */
import type { EmpiricalDistribution } from './empirical.js';
import { populationStd } from './empirical.js';
import { DriftInputError } from './errors.js';

/** Floor on the reference standard deviation in the normalised distance (SPEC section 7). */
export const WASSERSTEIN_STD_FLOOR = 0.001;

export function wasserstein1(ref: EmpiricalDistribution, cur: EmpiricalDistribution): number {
  if (ref.n === 0 || cur.n === 0) {
    throw new DriftInputError('DRIFT_EMPTY_SAMPLE', 'wasserstein1: both samples need at least one finite value');
  }
  let i = 0;
  let j = 0;
  let c1 = 0;
  let c2 = 0;
  let previous = Number.NaN;
  let total = 0;
  while (i < ref.values.length || j < cur.values.length) {
    const a = i < ref.values.length ? ref.values[i]! : Number.POSITIVE_INFINITY;
    const b = j < cur.values.length ? cur.values[j]! : Number.POSITIVE_INFINITY;
    const v = Math.min(a, b);
    // The CDFs are constant on [previous, v): add that rectangle before stepping past v.
    if (!Number.isNaN(previous)) total += Math.abs(c1 / ref.n - c2 / cur.n) * (v - previous);
    if (a === v) c1 = ref.cumulative[i++]!;
    if (b === v) c2 = cur.cumulative[j++]!;
    previous = v;
  }
  return total;
}

export interface NormalisedWasserstein {
  wasserstein: number;
  /** W1 / max(referenceStd, 0.001). */
  normalised: number;
  /** Population standard deviation of the reference (before the floor). */
  referenceStd: number;
}

/** W1 and its normalised form; `referenceStd` may be passed when known exactly (e.g. from a sketch). */
export function normalisedWasserstein(
  ref: EmpiricalDistribution,
  cur: EmpiricalDistribution,
  referenceStd: number = populationStd(ref),
): NormalisedWasserstein {
  const wasserstein = wasserstein1(ref, cur);
  return { wasserstein, normalised: wasserstein / Math.max(referenceStd, WASSERSTEIN_STD_FLOOR), referenceStd };
}
