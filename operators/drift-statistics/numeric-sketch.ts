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
 */
import type { EmpiricalDistribution } from './empirical.js';
import { fromSortedCounts, quantile } from './empirical.js';
import { DriftInputError } from './errors.js';
import { exactAdd, exactAddProduct, exactMerge, exactSquaredDeviations, exactValue, type ExactSum } from '../exact-sum.js';

/** Default relative accuracy a: bucket representatives are within 1% of the values. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;

export interface NumericSketch {
  kind: 'numeric-sketch';
  version: 2;
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
}

export interface NumericSketchOptions {
  relativeAccuracy?: number;
}

export function createNumericSketch(options: NumericSketchOptions = {}): NumericSketch {
  const relativeAccuracy = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new DriftInputError('DRIFT_SUMMARY_INVALID', `numeric sketch: relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
  }
  return {
    kind: 'numeric-sketch',
    version: 2,
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
  if (x === 0) {
    sketch.zeroCount += 1;
    return;
  }
  const store = x > 0 ? sketch.positive : sketch.negative;
  const key = String(bucketKey(Math.abs(x), sketch.relativeAccuracy));
  store[key] = (store[key] ?? 0) + 1;
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
}

/** A new sketch holding all the given sketches (none of them is changed). */
export function mergedNumericSketches(first: NumericSketch, ...rest: NumericSketch[]): NumericSketch {
  const out = createNumericSketch({ relativeAccuracy: first.relativeAccuracy });
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
  if (o['version'] !== 1 && o['version'] !== 2) return fail(`unsupported version ${String(o['version'])}`);
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
  return {
    kind: 'numeric-sketch',
    version: 2,
    relativeAccuracy,
    count,
    missing: num('missing'),
    ...moments,
    min: nullableNum('min'),
    max: nullableNum('max'),
    zeroCount: num('zeroCount'),
    positive: store('positive'),
    negative: store('negative'),
  };
}

/** True for a value that looks like a numeric sketch (used to tell sketches from raw arrays). */
export function isNumericSketch(x: unknown): x is NumericSketch {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'numeric-sketch';
}
