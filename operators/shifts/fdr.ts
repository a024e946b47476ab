/**
 * Benjamini-Hochberg step-up procedure: which of m hypotheses to reject at false discovery rate q.
 *
 * `pValues` may be only the candidates of a larger family of `m` tests (m >= pValues.length): the
 * untested rest is treated as having larger p-values than every candidate, which can only make
 * the procedure more conservative than running it on all m values (ranks can only shrink).
 */
export function benjaminiHochberg(pValues: readonly number[], q: number, m: number = pValues.length): boolean[] {
  const n = pValues.length;
  const rejected = new Array<boolean>(n).fill(false);
  if (n === 0) return rejected;
  if (m < n) throw new RangeError(`benjaminiHochberg: family size m=${m} is smaller than the ${n} p-values given`);
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cut = -1;
  for (let rank = n; rank >= 1; rank--) {
    const entry = order[rank - 1] as readonly [number, number];
    if (entry[0] <= (rank * q) / m) {
      cut = rank;
      break;
    }
  }
  for (let r = 0; r < cut; r++) rejected[(order[r] as readonly [number, number])[1]] = true;
  return rejected;
}

/** BH-adjusted p-values (as R's `p.adjust(p, "BH")` / statsmodels' `fdr_bh`), family size m. */
export function bhAdjusted(pValues: readonly number[], m: number = pValues.length): number[] {
  const n = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Array<number>(n).fill(1);
  let running = 1;
  for (let rank = n; rank >= 1; rank--) {
    const [p, i] = order[rank - 1] as readonly [number, number];
    running = Math.min(running, (p * m) / rank);
    out[i] = Math.min(1, running);
  }
  return out;
}
