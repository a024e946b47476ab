/**
 * Exact floating-point sums whose result does not depend on the order of the terms.
 *
 * Population results are built from partial results of several worker threads (and, in one thread,
 * from per-batch partials), merged in whatever grouping the work was split into. A plain `+=` over
 * doubles rounds at every step, so the same values summed in another grouping differ in the last
 * bits, and the tables of a run with 1 and with N workers would not be identical. Here a sum is
 * kept as a list of non-overlapping partials whose exact sum is the running total (Shewchuk,
 * "Adaptive precision floating-point arithmetic", 1997; the `msum` recipe behind Python's
 * `math.fsum`), and read out correctly rounded: the one double nearest the exact sum, whatever the
 * order. Written here because no kept npm package offers mergeable partials (stdlib's `gsumkbn`
 * and friends are compensated, not exact, sums).
 *
 * Partials are plain arrays of numbers, so they live in JSON state and cross worker threads as is.
 * Terms must be finite (inputs are validated finite and bounded before they reach operators).
 */

/** The exact running total as non-overlapping partials, smallest magnitude first. */
export type ExactSum = number[];

/** Adds `x` to `partials` exactly (in place). */
export function exactAdd(partials: ExactSum, x: number): void {
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  partials.push(x);
}

/** Adds every term of `from` into `into` exactly (in place). */
export function exactMerge(into: ExactSum, from: readonly number[]): void {
  for (const x of from) exactAdd(into, x);
}

/** The exact sum rounded to the nearest double (ties to even), as Python's `math.fsum`. */
export function exactValue(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half to even: when the rest of the partials push a halfway `lo` one way, follow them.
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

/** Veltkamp's splitter for doubles: 2^27 + 1. */
const SPLITTER = 134_217_729;

/**
 * Adds the product `a * b` exactly (as its rounded value plus the rounding error, Dekker's
 * two-product). Exact while |a|, |b| < 2^996 (no overflow in the split).
 */
export function exactAddProduct(partials: ExactSum, a: number, b: number): void {
  const p = a * b;
  const ca = SPLITTER * a;
  const aHi = ca - (ca - a);
  const aLo = a - aHi;
  const cb = SPLITTER * b;
  const bHi = cb - (cb - b);
  const bLo = b - bHi;
  const err = aLo * bLo - (p - aHi * bHi - aLo * bHi - aHi * bLo);
  exactAdd(partials, p);
  if (err !== 0) exactAdd(partials, err);
}

/**
 * Sum of squared deviations from the mean, n * variance, from the exact sums of the values and of
 * their squares: (n * sumSquares - sum^2) / n with one rounding before the division, so it is as
 * accurate as a two-pass computation and does not depend on the order of the values.
 */
export function exactSquaredDeviations(count: number, sum: readonly number[], sumSquares: readonly number[]): number {
  if (count === 0) return 0;
  const numerator: ExactSum = [];
  for (const s of sumSquares) exactAddProduct(numerator, s, count);
  for (const a of sum) for (const b of sum) exactAddProduct(numerator, -a, b);
  return Math.max(0, exactValue(numerator)) / count;
}
