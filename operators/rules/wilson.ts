/**
 * Wilson score interval of a binomial proportion (Wilson 1927): the interval of rates p for which
 * the observed hits / trials is not surprising at the given two-sided confidence. Unlike the normal
 * ("Wald") interval it stays inside [0, 1] and does not collapse to a point at 0 or 1 hits, which is
 * what a guard against "1 abandon of 1 offered = 100%" needs.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

export interface Interval {
  lower: number;
  upper: number;
}

/** Two-sided interval at `confidence` (0 < confidence < 1); null when there are no trials. */
export function wilsonInterval(hits: number, trials: number, confidence: number): Interval | null {
  if (trials <= 0) return null;
  const z = normalQuantile(1 - (1 - confidence) / 2, 0, 1);
  const p = hits / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}
