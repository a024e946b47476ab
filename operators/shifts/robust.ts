/**
 * Robust summary statistics on small numeric samples (the trailing windows of one customer).
 *
 * Pure functions on plain arrays; inputs are never mutated. Median, quantile, mean and sd are
 * simple-statistics' (quickselect on a copy: 0.6-1.0 us for 56 values against 7-10 us for the
 * sort this module used to do), wrapped so that an empty sample gives NaN instead of throwing.
 */
import { mean as ssMean, median as ssMedian, quantile as ssQuantile, sampleStandardDeviation } from 'simple-statistics';

/** Consistency constant: 1.4826 x MAD estimates the standard deviation of normal data. */
export const MAD_TO_SD = 1.482602218505602;

/** Median of `values` (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : ssMedian(values);
}

/** Median absolute deviation from the median (raw, not scaled to a standard deviation). */
export function mad(values: readonly number[], center: number = median(values)): number {
  if (values.length === 0) return Number.NaN;
  return median(values.map((v) => Math.abs(v - center)));
}

/** Linear-interpolation quantile (numpy's default, `method="linear"`), p in [0, 1]. */
export function quantile(values: readonly number[], p: number): number {
  return values.length === 0 ? Number.NaN : ssQuantile(values, Math.min(1, Math.max(0, p)));
}

/** Arithmetic mean (compensated summation); NaN when empty. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : ssMean(values);
}

/** Sample standard deviation (n - 1 denominator); 0 for fewer than two values. */
export function sd(values: readonly number[]): number {
  return values.length < 2 ? 0 : sampleStandardDeviation(values);
}

/** Means of every run of `width` consecutive values (overlapping); empty when too short. */
export function rollingMeans(values: readonly number[], width: number): number[] {
  const out: number[] = [];
  if (width < 1 || values.length < width) return out;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i] as number;
    if (i >= width) s -= values[i - width] as number;
    if (i >= width - 1) out.push(s / width);
  }
  return out;
}

/** Standard normal upper tail P(Z > z), accurate to ~1e-7 relative (Cody-style erfc). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' Chebyshev fit, |rel err| < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
