/**
 * An empirical distribution as distinct sorted values with counts.
 *
 * Every numeric statistic (PSI, KS, Wasserstein) is written once against this form: raw samples
 * are sorted and run-length encoded, and a quantile sketch yields the same form with its bucket
 * representatives as values. A statistic from a sketch is therefore exactly the statistic of the
 * data rounded to the sketch's buckets, which is what makes its error easy to state.
 */
export interface EmpiricalDistribution {
  /** Distinct values, strictly increasing, all finite. */
  readonly values: Float64Array;
  /** How many observations each value stands for (> 0). */
  readonly counts: Float64Array;
  /** Running totals: cumulative[i] = counts[0] + ... + counts[i]. */
  readonly cumulative: Float64Array;
  /** Total count. */
  readonly n: number;
}

export interface PreparedSample {
  distribution: EmpiricalDistribution;
  /** Values that were not finite numbers (NaN, +-Infinity) and were left out. */
  dropped: number;
}

/** Sorts a raw sample into an empirical distribution; non-finite values are dropped and counted. */
export function prepareSample(values: ArrayLike<number>): PreparedSample {
  const finite = new Float64Array(values.length);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) finite[k++] = v === 0 ? 0 : v; // fold -0 into 0
  }
  const sorted = finite.subarray(0, k).sort();
  const outValues: number[] = [];
  const outCounts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    const last = outValues.length - 1;
    if (last >= 0 && outValues[last] === v) outCounts[last]! += 1;
    else {
      outValues.push(v);
      outCounts.push(1);
    }
  }
  return { distribution: fromSortedCounts(outValues, outCounts), dropped: values.length - k };
}

/**
 * Walks the distinct values of both distributions together, in increasing order, and calls `step`
 * at each value `v` with each ECDF just below `v` and at `v`. The KS statistic, its bound from
 * sketches and the Wasserstein-1 distance are each a fold over these steps.
 */
export function walkUnion(
  ref: EmpiricalDistribution,
  cur: EmpiricalDistribution,
  step: (value: number, refBelow: number, refAt: number, curBelow: number, curAt: number) => void,
): void {
  let i = 0;
  let j = 0;
  let r = 0;
  let c = 0;
  while (i < ref.values.length || j < cur.values.length) {
    const a = i < ref.values.length ? ref.values[i]! : Number.POSITIVE_INFINITY;
    const b = j < cur.values.length ? cur.values[j]! : Number.POSITIVE_INFINITY;
    const v = Math.min(a, b);
    const refBelow = r / ref.n;
    const curBelow = c / cur.n;
    if (a === v) r = ref.cumulative[i++]!;
    if (b === v) c = cur.cumulative[j++]!;
    step(v, refBelow, r / ref.n, curBelow, c / cur.n);
  }
}

/** Builds the distribution from distinct increasing values and positive counts (not re-checked). */
export function fromSortedCounts(values: ArrayLike<number>, counts: ArrayLike<number>): EmpiricalDistribution {
  const v = Float64Array.from(values);
  const c = Float64Array.from(counts);
  const cumulative = new Float64Array(c.length);
  let total = 0;
  for (let i = 0; i < c.length; i++) {
    total += c[i]!;
    cumulative[i] = total;
  }
  return { values: v, counts: c, cumulative, n: total };
}

/** The value at 0-based sorted position `index` (0 <= index < n). */
export function valueAtRank(dist: EmpiricalDistribution, index: number): number {
  // First i with cumulative[i] > index.
  let lo = 0;
  let hi = dist.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dist.cumulative[mid]! > index) hi = mid;
    else lo = mid + 1;
  }
  return dist.values[lo]!;
}

/**
 * The q-quantile as `numpy.quantile(x, q)` computes it (method 'linear', Hyndman & Fan type 7),
 * including NumPy's two-sided lerp, so that bin edges agree bit for bit with the fixtures.
 */
export function quantile(dist: EmpiricalDistribution, q: number): number {
  const n = dist.n;
  if (n === 0) return Number.NaN;
  const virtualIndex = (n - 1) * q;
  if (virtualIndex >= n - 1) return dist.values[dist.values.length - 1]!;
  if (virtualIndex < 0) return dist.values[0]!;
  const previous = Math.floor(virtualIndex);
  const gamma = virtualIndex - previous;
  const a = valueAtRank(dist, previous);
  const b = valueAtRank(dist, previous + 1);
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Mean of the distribution. */
export function mean(dist: EmpiricalDistribution): number {
  let s = 0;
  for (let i = 0; i < dist.values.length; i++) s += dist.values[i]! * dist.counts[i]!;
  return s / dist.n;
}

/** Population standard deviation (ddof = 0, like `numpy.std`), two-pass for accuracy. */
export function populationStd(dist: EmpiricalDistribution): number {
  if (dist.n === 0) return Number.NaN;
  const m = mean(dist);
  let s = 0;
  for (let i = 0; i < dist.values.length; i++) {
    const d = dist.values[i]! - m;
    s += d * d * dist.counts[i]!;
  }
  return Math.sqrt(s / dist.n);
}
