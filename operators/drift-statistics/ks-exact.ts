/**
 * Exact two-sided p-value of the two-sample Kolmogorov-Smirnov statistic, as
 * `scipy.stats.ks_2samp(method='exact')` computes it (SciPy 1.10 `_attempt_exact_2kssamp`).
 *
 * The p-value is the share of monotone lattice paths from (0,0) to (n1,n2) that leave the band
 * |x/n1 - y/n2| < D. Equal sizes use the closed alternating-binomial form of
 * `_compute_prob_outside_square`; unequal sizes use Hodges' (1958) "inside" recursion rewritten
 * for 1 - p by Viehmann (2021, arXiv:2102.08037), SciPy's `_compute_outer_prob_inside_method`.
 * Cost is O(n1 * n2 / gcd) time and O(n) memory.
 */

export interface ExactKsResult {
  /** False when the computation overflowed; the caller falls back to the asymptotic p-value. */
  ok: boolean;
  /** D rounded to the lattice (a multiple of 1/lcm(n1, n2)). */
  statistic: number;
  pValue: number;
}

/** SciPy switches to the asymptotic method when lcm(n1, n2) would overflow an int32. */
export function exactKsFeasible(n1: number, n2: number): boolean {
  const g = gcd(n1, n2);
  return n1 / g < 2147483647 / (n2 / g);
}

export function exactKsPValue(n1: number, n2: number, d: number): ExactKsResult {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { ok: true, statistic, pValue: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  if (!Number.isFinite(p) || p < 0 || p > 1) return { ok: false, statistic, pValue: Number.NaN };
  return { ok: true, statistic, pValue: p };
}

/** P(D_{n,n} >= h/n) = 2 (A0 (1 - A1 (1 - A2 (...)))) evaluated Horner-like against cancellation. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/** Share of lattice paths that do not stay strictly inside |n x / g - m y / g| < h. */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x;
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}
