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
import { populationStd, walkUnion, type EmpiricalDistribution } from './empirical.js';
import { DriftInputError } from './errors.js';

/** Floor on the reference standard deviation in the normalised distance (SPEC section 7). */
export const WASSERSTEIN_STD_FLOOR = 0.001;

export function wasserstein1(ref: EmpiricalDistribution, cur: EmpiricalDistribution): number {
  if (ref.n === 0 || cur.n === 0) {
    throw new DriftInputError('DRIFT_EMPTY_SAMPLE', 'wasserstein1: both samples need at least one finite value');
  }
  let previous = Number.NaN;
  let total = 0;
  walkUnion(ref, cur, (v, refBelow, _refAt, curBelow) => {
    // The CDFs are constant on [previous, v): the values just below v.
    if (!Number.isNaN(previous)) total += Math.abs(refBelow - curBelow) * (v - previous);
    previous = v;
  });
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
