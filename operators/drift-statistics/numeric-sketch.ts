/**
 * A mergeable quantile sketch for numeric features, kept as plain JSON data so that it can live in
 * KeyedState and be checkpointed as is, and so that sketches built by several workers (or for
 * several days) can be added together.
 *
 * It is a DDSketch (Masson, Rim & Lee, "DDSketch: a fast and fully-mergeable quantile sketch with
 * relative-error guarantees", VLDB 2019) with the logarithmic mapping and unbounded sparse stores:
 * with gamma = (1 + a) / (1 - a), a value x > 0 goes to bucket k = ceil(ln x / ln gamma), which
 * holds (gamma^(k-1), gamma^k]; negative values go to a mirrored store and exact zeros to a zero
 * count. Every bucket is represented by r_k = 2 gamma^k / (1 + gamma), which is within relative
 * error a of every value in the bucket: |r_k - x| <= a |x|. Merging adds counts bucket by bucket, and
 * the moments beside the buckets are exact sums (exact-sum.ts), so merge(sketch(A), sketch(B))
 * equals sketch(A u B) exactly, whatever the order of the values and the grouping of the partials
 * (several worker threads build partial sketches of one population).
 *
 * Why not @datadog/sketches-js (the reference DDSketch in TypeScript): its sketches are class
 * instances serialised only to protobuf (and `fromProto` drops min and max), while state here must
 * be plain JSON mutated in place, and the drift statistics need the per-bucket counts (the CDF),
 * which its public API does not expose. The algorithm is a few lines; the bucket layout is pinned
 * in the JSON (`relativeAccuracy`, `version`) so a restored sketch always decodes the same way.
 *
 * Bucket count: about ln(max/min) / (2a) per sign, e.g. 1,150 buckets for values spanning 1e-3 to
 * 1e7 at a = 0.01; values are not collapsed.
 *
 * Beside the buckets, a sketch keeps the values themselves (`exact`: each distinct value and its
 * count) while it has seen at most `exactLimit` distinct values, and drops them for good at the
 * first one more. While both sketches of a comparison keep them, every statistic is the exact one
 * on the values (decide.ts), as SciPy computes it: the samples a test of drift decides on with KS
 * (up to 1,000 values) and the few thousand of a small population are never rounded to buckets,
 * nor is an integer feature (survey answers, transactions per customer: a few distinct values) at
 * any size. Past the limit the buckets, kept all along, are exactly the sketch of all the values,
 * so nothing is converted and merging stays exact and associative: the merge keeps the values iff
 * every part kept them and their union has at most the limit distinct values, whatever the grouping.
 */
import type { EmpiricalDistribution } from './empirical.js';
import { fromSortedCounts, quantile } from './empirical.js';
import { DriftInputError } from './errors.js';
import { exactAdd, exactAddProduct, exactMerge, exactSquaredDeviations, exactValue, type ExactSum } from '../exact-sum.js';

/** Default relative accuracy a: bucket representatives are within 1% of the values. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;

/**
 * Default `exactLimit`. 10,000 distinct values cover every sample the SPEC's KS test decides and
 * populations of several thousand customers exactly, while the values of one summary stay under
 * about 1 MB of heap and 250 KB of JSON (bench: see the README). A population of a million
 * customers has one such summary per numeric feature and period, past the limit: the buckets alone.
 */
export const DEFAULT_EXACT_LIMIT = 10_000;

/** The values added to a sketch, as counts of each distinct value. */
export interface ExactValues {
  /** Number of keys of `counts`. */
  distinct: number;
  /** Distinct value (String(x), which reads back as the same number) -> how many times it was added. */
  counts: Record<string, number>;
}

export interface NumericSketch {
  kind: 'numeric-sketch';
  version: 3;
  /** a in (0, 1): every value is represented within relative error a. */
  relativeAccuracy: number;
  /** Finite values added. */
  count: number;
  /** Values that were not finite numbers (null, NaN, +-Infinity); not in any bucket. */
  missing: number;
  /** Exact sums of x and x^2 (mean and variance, order-free; version 1 kept a Welford mean and m2). */
  sum: ExactSum;
  sumSquares: ExactSum;
  /** Exact sum of |x|, for the Wasserstein error bound. */
  sumAbs: ExactSum;
  /** Exact extremes; null while empty (JSON has no Infinity). */
  min: number | null;
  max: number | null;
  zeroCount: number;
  /** Bucket key (decimal integer string) -> count, for x > 0 and for |x| of x < 0. */
  positive: Record<string, number>;
  negative: Record<string, number>;
  /** The values themselves while at most `exactLimit` distinct ones were added; null past it and in state before version 3. */
  exact: ExactValues | null;
  exactLimit: number;
}

export interface NumericSketchOptions {
  relativeAccuracy?: number;
  /** Most distinct values kept exactly (default DEFAULT_EXACT_LIMIT; 0: a plain sketch). */
  exactLimit?: number;
}

export function createNumericSketch(options: NumericSketchOptions = {}): NumericSketch {
  const relativeAccuracy = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new DriftInputError('DRIFT_SUMMARY_INVALID', `numeric sketch: relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
  }
  const exactLimit = options.exactLimit ?? DEFAULT_EXACT_LIMIT;
  if (!(Number.isSafeInteger(exactLimit) && exactLimit >= 0)) {
    throw new DriftInputError('DRIFT_SUMMARY_INVALID', `numeric sketch: exactLimit must be an integer >= 0, got ${exactLimit}`);
  }
  return {
    kind: 'numeric-sketch',
    version: 3,
    relativeAccuracy,
    count: 0,
    missing: 0,
    sum: [],
    sumSquares: [],
    sumAbs: [],
    min: null,
    max: null,
    zeroCount: 0,
    positive: Object.create(null) as Record<string, number>,
    negative: Object.create(null) as Record<string, number>,
    exact: { distinct: 0, counts: Object.create(null) as Record<string, number> },
    exactLimit,
  };
}

function logGamma(relativeAccuracy: number): number {
  return Math.log1p(relativeAccuracy) - Math.log1p(-relativeAccuracy);
}

/** The bucket key of |x| > 0. */
export function bucketKey(absValue: number, relativeAccuracy: number): number {
  return Math.ceil(Math.log(absValue) / logGamma(relativeAccuracy));
}

/** The representative value of bucket k (> 0): 2 gamma^k / (1 + gamma) = gamma^k (1 - a). */
export function bucketValue(key: number, relativeAccuracy: number): number {
  return Math.exp(key * logGamma(relativeAccuracy)) * (1 - relativeAccuracy);
}

/** Adds one observation; non-finite values (and null/undefined) are counted as missing. */
export function addValue(sketch: NumericSketch, value: number | null | undefined): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    sketch.missing += 1;
    return;
  }
  const x = value === 0 ? 0 : value;
  sketch.count += 1;
  exactAdd(sketch.sum, x);
  exactAddProduct(sketch.sumSquares, x, x);
  exactAdd(sketch.sumAbs, Math.abs(x));
  sketch.min = sketch.min === null ? x : Math.min(sketch.min, x);
  sketch.max = sketch.max === null ? x : Math.max(sketch.max, x);
  countExact(sketch, String(x), 1);
  if (x === 0) {
    sketch.zeroCount += 1;
    return;
  }
  const store = x > 0 ? sketch.positive : sketch.negative;
  const key = String(bucketKey(Math.abs(x), sketch.relativeAccuracy));
  store[key] = (store[key] ?? 0) + 1;
}

/**
 * Counts `count` more of the value `key` among the exact values; a new value beyond `exactLimit`
 * drops them all: from then on the sketch is only its buckets. The one place that switches.
 */
function countExact(sketch: NumericSketch, key: string, count: number): void {
  const exact = sketch.exact;
  if (exact === null) return;
  const had = exact.counts[key];
  if (had === undefined) {
    if (exact.distinct >= sketch.exactLimit) {
      sketch.exact = null;
      return;
    }
    exact.distinct += 1;
  }
  exact.counts[key] = (had ?? 0) + count;
}

/** A sketch of all values (convenience for tests and batch use). */
export function sketchOf(values: ArrayLike<number | null | undefined>, options: NumericSketchOptions = {}): NumericSketch {
  const sketch = createNumericSketch(options);
  for (let i = 0; i < values.length; i++) addValue(sketch, values[i]);
  return sketch;
}

/** Adds `from` into `into` (in place). Both must have the same relative accuracy. */
export function mergeNumericSketch(into: NumericSketch, from: NumericSketch): void {
  if (into.relativeAccuracy !== from.relativeAccuracy) {
    throw new DriftInputError(
      'DRIFT_SKETCH_MISMATCH',
      `numeric sketch: cannot merge relativeAccuracy ${from.relativeAccuracy} into ${into.relativeAccuracy}; ` +
        'build every partial sketch of a feature with the same accuracy',
    );
  }
  into.count += from.count;
  into.missing += from.missing;
  exactMerge(into.sum, from.sum);
  exactMerge(into.sumSquares, from.sumSquares);
  exactMerge(into.sumAbs, from.sumAbs);
  into.zeroCount += from.zeroCount;
  if (from.min !== null) into.min = into.min === null ? from.min : Math.min(into.min, from.min);
  if (from.max !== null) into.max = into.max === null ? from.max : Math.max(into.max, from.max);
  for (const [k, c] of Object.entries(from.positive)) into.positive[k] = (into.positive[k] ?? 0) + c;
  for (const [k, c] of Object.entries(from.negative)) into.negative[k] = (into.negative[k] ?? 0) + c;
  mergeExact(into, from);
}

/**
 * The exact values of both, or none: under the lower of the two limits, so that the values survive
 * a merge iff every part kept them and their union is small enough, in any grouping.
 */
function mergeExact(into: NumericSketch, from: NumericSketch): void {
  into.exactLimit = Math.min(into.exactLimit, from.exactLimit);
  if (from.exact === null || (into.exact !== null && into.exact.distinct > into.exactLimit)) into.exact = null;
  if (into.exact === null || from.exact === null) return;
  for (const [k, c] of Object.entries(from.exact.counts)) countExact(into, k, c);
}

/** A new sketch holding all the given sketches (none of them is changed). */
export function mergedNumericSketches(first: NumericSketch, ...rest: NumericSketch[]): NumericSketch {
  const out = createNumericSketch({ relativeAccuracy: first.relativeAccuracy, exactLimit: first.exactLimit });
  mergeNumericSketch(out, first);
  for (const s of rest) mergeNumericSketch(out, s);
  return out;
}

/** Mean of the values added (exact up to one rounding); NaN when empty. */
export function sketchMean(sketch: NumericSketch): number {
  return sketch.count === 0 ? Number.NaN : exactValue(sketch.sum) / sketch.count;
}

/** Population standard deviation (ddof = 0) of the values added, exact up to rounding. */
export function sketchStd(sketch: NumericSketch): number {
  if (sketch.count === 0) return Number.NaN;
  return Math.sqrt(exactSquaredDeviations(sketch.count, sketch.sum, sketch.sumSquares) / sketch.count);
}

/** Mean of |x| over the values added (exact). */
export function sketchMeanAbs(sketch: NumericSketch): number {
  return sketch.count === 0 ? 0 : exactValue(sketch.sumAbs) / sketch.count;
}

/**
 * The sketch as an empirical distribution of bucket representatives: each value replaced by its
 * bucket's representative. The min and max buckets keep their representatives (not the exact
 * extremes), so that every statistic sees one consistent rounding.
 */
export function sketchDistribution(sketch: NumericSketch): EmpiricalDistribution {
  const values: number[] = [];
  const counts: number[] = [];
  const a = sketch.relativeAccuracy;
  const negKeys = sortedKeys(sketch.negative).reverse();
  for (const k of negKeys) {
    values.push(-bucketValue(k, a));
    counts.push(sketch.negative[String(k)]!);
  }
  if (sketch.zeroCount > 0) {
    values.push(0);
    counts.push(sketch.zeroCount);
  }
  for (const k of sortedKeys(sketch.positive)) {
    values.push(bucketValue(k, a));
    counts.push(sketch.positive[String(k)]!);
  }
  return fromSortedCounts(values, counts);
}

/** The values added as an empirical distribution, while the sketch keeps them (else null). */
export function exactDistribution(sketch: NumericSketch): EmpiricalDistribution | null {
  if (sketch.exact === null) return null;
  const counts = sketch.exact.counts;
  const values = Object.keys(counts)
    .map(Number)
    .sort((x, y) => x - y);
  return fromSortedCounts(
    values,
    values.map((v) => counts[String(v)]!),
  );
}

/** The q-quantile (NumPy's linear method over the bucket representatives); within a of the true one. */
export function sketchQuantile(sketch: NumericSketch, q: number): number {
  return quantile(sketchDistribution(sketch), q);
}

function sortedKeys(store: Record<string, number>): number[] {
  const keys: number[] = [];
  for (const [k, c] of Object.entries(store)) if (c > 0) keys.push(Number(k));
  return keys.sort((x, y) => x - y);
}

/**
 * Checks persisted JSON and returns it as a sketch with null-prototype stores (so a key such as
 * "__proto__" can never reach Object.prototype). Call after loading state from a store.
 */
export function restoreNumericSketch(json: unknown): NumericSketch {
  const fail = (why: string): never => {
    throw new DriftInputError('DRIFT_SUMMARY_INVALID', `numeric sketch: ${why}; the persisted drift state is corrupt or from another version`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const o = json as Record<string, unknown>;
  if (o['kind'] !== 'numeric-sketch') return fail(`kind must be "numeric-sketch", got ${String(o['kind'])}`);
  if (o['version'] !== 1 && o['version'] !== 2 && o['version'] !== 3) return fail(`unsupported version ${String(o['version'])}`);
  const num = (name: string, min = 0): number => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) return fail(`${name} must be a finite number >= ${min}`);
    return v;
  };
  const nullableNum = (name: string): number | null => {
    const v = o[name];
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`${name} must be a finite number or null`);
    return v;
  };
  const store = (name: string): Record<string, number> => {
    const v = o[name];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(`${name} must be an object`);
    const out = Object.create(null) as Record<string, number>;
    for (const [k, c] of Object.entries(v as Record<string, unknown>)) {
      if (!/^-?\d+$/.test(k)) fail(`${name} has a non-integer bucket key ${JSON.stringify(k)}`);
      if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) fail(`${name}[${k}] must be a count >= 0`);
      out[k] = c as number;
    }
    return out;
  };
  const partials = (name: string): ExactSum => {
    const v = o[name];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) return fail(`${name} must be a list of finite numbers`);
    return [...(v as number[])];
  };
  const relativeAccuracy = num('relativeAccuracy');
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) fail('relativeAccuracy must be in (0, 1)');
  const count = num('count');
  let moments: Pick<NumericSketch, 'sum' | 'sumSquares' | 'sumAbs'>;
  if (o['version'] === 1) {
    // Version 1 kept the Welford mean and m2: sum = n mean, sum of squares = m2 + n mean^2.
    const mean = num('mean', Number.NEGATIVE_INFINITY);
    const m2 = num('m2', Number.NEGATIVE_INFINITY);
    const sumSquares: ExactSum = [];
    exactAdd(sumSquares, m2);
    exactAddProduct(sumSquares, count * mean, mean);
    moments = { sum: count === 0 ? [] : [count * mean], sumSquares, sumAbs: [num('sumAbs')] };
  } else {
    moments = { sum: partials('sum'), sumSquares: partials('sumSquares'), sumAbs: partials('sumAbs') };
  }
  // Before version 3 the values were not kept: such a sketch stays approximate, as it was.
  const exactLimit = o['version'] === 3 ? num('exactLimit') : DEFAULT_EXACT_LIMIT;
  if (!Number.isSafeInteger(exactLimit)) fail('exactLimit must be an integer');
  const exact = o['version'] === 3 ? restoreExactValues(o['exact'], count, exactLimit, fail) : null;
  return {
    kind: 'numeric-sketch',
    version: 3,
    relativeAccuracy,
    count,
    missing: num('missing'),
    ...moments,
    min: nullableNum('min'),
    max: nullableNum('max'),
    zeroCount: num('zeroCount'),
    positive: store('positive'),
    negative: store('negative'),
    exact,
    exactLimit,
  };
}

/** Checks persisted exact values: canonical number keys, positive integer counts summing to `count`, at most `limit` of them. */
function restoreExactValues(json: unknown, count: number, limit: number, fail: (why: string) => never): ExactValues | null {
  if (json === null) return null;
  if (typeof json !== 'object' || Array.isArray(json)) return fail('exact must be an object or null');
  const { distinct, counts } = json as Record<string, unknown>;
  if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) return fail('exact.counts must be an object');
  const out = Object.create(null) as Record<string, number>;
  let total = 0;
  for (const [k, c] of Object.entries(counts as Record<string, unknown>)) {
    if (!Number.isFinite(Number(k)) || String(Number(k)) !== k) fail(`exact.counts has a key ${JSON.stringify(k)} that is not a number as String(x) writes it`);
    if (!Number.isSafeInteger(c) || (c as number) < 1) fail(`exact.counts[${k}] must be a count >= 1`);
    out[k] = c as number;
    total += c as number;
  }
  const keys = Object.keys(out).length;
  if (distinct !== keys) fail(`exact.distinct must be the number of values (${keys})`);
  if (keys > limit) fail(`exact holds ${keys} values, more than exactLimit ${limit}`);
  if (total !== count) fail(`exact.counts add up to ${total}, not count ${count}`);
  return { distinct: keys, counts: out };
}

/** True for a value that looks like a numeric sketch (used to tell sketches from raw arrays). */
export function isNumericSketch(x: unknown): x is NumericSketch {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'numeric-sketch';
}
