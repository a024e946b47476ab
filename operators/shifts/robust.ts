/**
 * Robust summary statistics on small numeric samples (the trailing windows of one customer).
 *
 * Pure functions on plain arrays; inputs are never mutated. Samples are small (at most the ring
 * size, 56 by default), so sorting a copy (see `sortedView`) is cheaper than anything clever.
 */

/** Consistency constant: 1.4826 x MAD estimates the standard deviation of normal data. */
export const MAD_TO_SD = 1.482602218505602;

/**
 * `values` sorted ascending in a reused buffer (valid until the next call). Why not
 * `[...values].sort((a, b) => a - b)`: medians and quantiles are taken per series on every window
 * close, and the copy plus comparator calls showed up high in the default-job profile; samples are
 * at most a ring (56 values), where an insertion sort in place allocates nothing and beats both the
 * comparator sort and a typed-array sort (which allocates a view per call).
 */
let scratch = new Float64Array(64);
function sortedView(values: readonly number[]): Float64Array {
  const n = values.length;
  if (scratch.length < n) scratch = new Float64Array(n * 2);
  const buf = scratch;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    let j = i - 1;
    while (j >= 0 && (buf[j] as number) > v) {
      buf[j + 1] = buf[j] as number;
      j--;
    }
    buf[j + 1] = v;
  }
  return buf;
}

/** Median of `values` (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = sortedView(values);
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median absolute deviation from the median (raw, not scaled to a standard deviation). */
export function mad(values: readonly number[], center: number = median(values)): number {
  if (values.length === 0) return Number.NaN;
  return median(values.map((v) => Math.abs(v - center)));
}

/** Linear-interpolation quantile (numpy's default, `method="linear"`), p in [0, 1]. */
export function quantile(values: readonly number[], p: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = sortedView(values);
  const pos = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample standard deviation (n - 1 denominator); 0 for fewer than two values. */
export function sd(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (n - 1));
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
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
