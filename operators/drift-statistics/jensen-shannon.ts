/**
 * Jensen-Shannon distance between two frequency vectors over the same categories, matching
 * `scipy.spatial.distance.jensenshannon(p, q, base=2)`: both vectors are normalised to sum 1,
 * m = (p + q) / 2, JS = sqrt((KL(p || m) + KL(q || m)) / 2 / ln 2). Zero entries contribute 0
 * (`rel_entr(0, m) = 0`), so no smoothing is needed. The distance lies in [0, 1] in base 2.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  const pTotal = total(p);
  const qTotal = total(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / pTotal;
    const qi = q[i]! / qTotal;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  const js = (left + right) / Math.log(base);
  // Rounding can leave a value a hair below 0 for identical inputs.
  return Math.sqrt(Math.max(js / 2, 0));
}

/** scipy.special.rel_entr: x ln(x / y), 0 for x = 0. */
function relEntr(x: number, y: number): number {
  if (x === 0) return 0;
  return x * Math.log(x / y);
}

function total(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}
