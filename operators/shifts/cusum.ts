/**
 * Two-sided tabular CUSUM on standardised values (Page 1954; Montgomery's "tabular" form).
 *
 * Each side accumulates evidence of a shift of about 2k standard deviations and signals when its
 * sum exceeds h. `runUp`/`runDown` count the windows since the side last left zero: the
 * classic change-point estimate, used to keep the shifted windows out of the baseline.
 */
export interface CusumSums {
  up: number;
  down: number;
  runUp: number;
  runDown: number;
}

export function cusumStep(sums: CusumSums, u: number, k: number): CusumSums {
  const up = Math.max(0, sums.up + u - k);
  const down = Math.max(0, sums.down - u - k);
  return { up, down, runUp: up > 0 ? sums.runUp + 1 : 0, runDown: down > 0 ? sums.runDown + 1 : 0 };
}

/**
 * In-control average run length of one CUSUM side at threshold `h` (Siegmund's approximation for
 * unit-variance normal increments with reference value k > 0).
 */
export function cusumArl0(h: number, k: number): number {
  const b = h + 1.166;
  const a = 2 * k * b;
  return (Math.exp(a) - a - 1) / (2 * k * k);
}

/**
 * A per-window p-value for a CUSUM sum `s`: the chance that an in-control side reaches `s` in a
 * given window is about 1 / ARL0(s); two sides double it. Used only to rank customers for the
 * Benjamini-Hochberg step, not as an exact test (the increments are clipped and not normal).
 */
export function cusumPValue(s: number, k: number): number {
  if (s <= 0) return 1;
  return Math.min(1, 2 / cusumArl0(s, k));
}
