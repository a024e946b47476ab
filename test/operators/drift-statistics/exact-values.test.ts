/**
 * A numeric sketch keeps its values while they have at most `exactLimit` distinct values: its
 * statistics are then those of raw arrays, its merges keep them exactly when one summary of all
 * the data would, and sketches written before (version 2, no values) still restore and decide.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFeatureDrift } from '../../../operators/drift-statistics/decide.js';
import type { NumericSketch } from '../../../operators/drift-statistics/numeric-sketch.js';
import {
  addValue,
  DEFAULT_EXACT_LIMIT,
  mergeNumericSketch,
  mergedNumericSketches,
  restoreNumericSketch,
  sketchMean,
  sketchOf,
  sketchStd,
} from '../../../operators/drift-statistics/numeric-sketch.js';
import { expectP, expectStat, fixtures } from './fixtures.js';

/** Everything a sketch says about its data, in a form `toEqual` compares (moments as their values). */
function contents(s: NumericSketch): unknown {
  return {
    count: s.count,
    missing: s.missing,
    mean: sketchMean(s),
    std: sketchStd(s),
    min: s.min,
    max: s.max,
    zeroCount: s.zeroCount,
    positive: { ...s.positive },
    negative: { ...s.negative },
    exact: s.exact === null ? null : { distinct: s.exact.distinct, counts: { ...s.exact.counts } },
    exactLimit: s.exactLimit,
  };
}

/** The JSON of a sketch as written before version 3: no values kept. */
function versionTwoJson(s: NumericSketch): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
  delete json['exact'];
  delete json['exactLimit'];
  return { ...json, version: 2 };
}

describe('numeric sketch under its limit: exact statistics', () => {
  it('decides every fixture exactly as the raw arrays, and as SciPy', () => {
    for (const f of fixtures.numeric) {
      const fromSketches = decideFeatureDrift({ kind: 'numeric', ref: sketchOf(f.ref), cur: sketchOf(f.cur) });
      expect(fromSketches, f.name).toEqual(decideFeatureDrift({ kind: 'numeric', ref: f.ref, cur: f.cur }));
      expect(fromSketches.approximate).toBe(false);
      expect(fromSketches.bounds).toBeNull();
      expectStat(fromSketches.allStats.ks_statistic!, f.ks_statistic);
      if (f.ks_p_asymp !== null) expectP(fromSketches.allStats.ks_p_value!, f.ks_p_asymp);
      expectStat(fromSketches.allStats.wasserstein!, f.wasserstein);
      expectStat(fromSketches.allStats.wasserstein_norm!, f.wasserstein_norm);
      expectStat(fromSketches.allStats.psi!, f.psi);
      if (f.binned_chi2 !== null) expectStat(fromSketches.allStats.chi2!, f.binned_chi2);
    }
  });

  it('keeps an integer feature exact however many values it has (few distinct ones)', () => {
    const ref = Array.from({ length: 30_000 }, (_, i) => (i * 7919) % 11);
    const cur = Array.from({ length: 20_000 }, (_, i) => (i * 104_729) % 12);
    expect(cur.length).toBeGreaterThan(DEFAULT_EXACT_LIMIT);
    const fromSketches = decideFeatureDrift({ kind: 'numeric', ref: sketchOf(ref), cur: sketchOf(cur) });
    expect(fromSketches).toEqual(decideFeatureDrift({ kind: 'numeric', ref, cur }));
    expect(fromSketches.method).toBe('wasserstein_norm');
  });

  it('past the limit decides from the buckets, approximate with bounds', () => {
    const ref = Array.from({ length: 60 }, (_, i) => 1 + i / 7);
    const cur = ref.map((x) => x * 1.1);
    const r = decideFeatureDrift({ kind: 'numeric', ref: sketchOf(ref, { exactLimit: 59 }), cur: sketchOf(cur) });
    expect(r.approximate).toBe(true);
    expect(r.bounds).not.toBeNull();
    expect(r).toEqual(decideFeatureDrift({ kind: 'numeric', ref: sketchOf(ref, { exactLimit: 0 }), cur: sketchOf(cur, { exactLimit: 0 }) }));
  });
});

/** Values with repeats (integers, zeros, negatives), so that distinct values and counts both matter; NaN counts as missing. */
const value = fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(Number.NaN));

/** Cut points splitting `values` into consecutive parts. */
function parts(values: number[], cuts: number[]): number[][] {
  const at = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((start, i) => values.slice(start, at[i] ?? values.length));
}

/** Merges the sketches pairwise, as a tree (another grouping than a left fold). */
function mergedAsTree(sketches: NumericSketch[]): NumericSketch {
  if (sketches.length === 1) return mergedNumericSketches(sketches[0]!);
  const half = Math.ceil(sketches.length / 2);
  return mergedNumericSketches(mergedAsTree(sketches.slice(0, half)), mergedAsTree(sketches.slice(half)));
}

describe('numeric sketch: merging keeps the values exactly when one summary of all the data would', () => {
  it('in any split and grouping, under and across the limit (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 80 }), fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 0, max: 40 }), (values, cuts, exactLimit) => {
        const whole = sketchOf(values, { exactLimit });
        const sketches = parts(values, cuts).map((p) => sketchOf(p, { exactLimit }));
        const folded = mergedNumericSketches(sketches[0]!, ...sketches.slice(1));
        expect(contents(folded)).toEqual(contents(whole));
        expect(contents(mergedAsTree([...sketches].reverse()))).toEqual(contents(whole));
        expect(whole.exact !== null).toBe(new Set(values.filter(Number.isFinite)).size <= exactLimit);
      }),
      { numRuns: 300 },
    );
  });

  it('a sketch with its values merged into one past the limit adds them value by value', () => {
    const past = sketchOf([1, 2, 3, 4, 5, 6], { exactLimit: 5 });
    const small = sketchOf([2, 2, 7.5, 0, -3]);
    const byValue = sketchOf([1, 2, 3, 4, 5, 6], { exactLimit: 5 });
    for (const v of [2, 2, 7.5, 0, -3]) addValue(byValue, v);
    mergeNumericSketch(past, small);
    expect(past.exact).toBeNull();
    expect(contents(past)).toEqual(contents(byValue));
  });

  it('survives a JSON round trip with its values, and keeps counting them', () => {
    const s = restoreNumericSketch(JSON.parse(JSON.stringify(sketchOf([3, 1.25, 3, 0]))));
    addValue(s, 1.25);
    expect(contents(s)).toEqual(contents(sketchOf([3, 1.25, 3, 0, 1.25])));
  });
});

describe('numeric sketch: state written before version 3', () => {
  const values = [12.5, 0, 0, 40.1, 7, 7, 19.99, 3.2];
  const old = restoreNumericSketch(versionTwoJson(sketchOf(values)));

  it('restores with the same buckets and moments, and no values: approximate as before', () => {
    expect(contents(old)).toEqual({ ...(contents(sketchOf(values, { exactLimit: 0 })) as object), exactLimit: DEFAULT_EXACT_LIMIT });
    const r = decideFeatureDrift({ kind: 'numeric', ref: old, cur: sketchOf([1, 2, 3]) });
    expect(r.approximate).toBe(true);
    expect(r.bounds).not.toBeNull();
  });

  it('merged with a new sketch, in either order, gives a sketch without values', () => {
    const into = sketchOf([1, 2]);
    mergeNumericSketch(into, old);
    expect(into.exact).toBeNull();
    const oldInto = restoreNumericSketch(versionTwoJson(sketchOf(values)));
    mergeNumericSketch(oldInto, sketchOf([1, 2]));
    expect(contents(oldInto)).toEqual(contents(into));
  });

  it('rejects persisted values that do not add up', () => {
    const good = JSON.parse(JSON.stringify(sketchOf([1, 2, 2]))) as Record<string, unknown>;
    const exact = good['exact'] as { distinct: number; counts: Record<string, number> };
    expect(() => restoreNumericSketch({ ...good, exact: { ...exact, counts: { '1': 1, '02': 2 } } })).toThrow(/not a number as String\(x\) writes it/);
    expect(() => restoreNumericSketch({ ...good, exact: { ...exact, counts: { '1': 1, '2': 1 } } })).toThrow(/add up to 2, not count 3/);
    expect(() => restoreNumericSketch({ ...good, exact: { ...exact, distinct: 3 } })).toThrow(/exact.distinct/);
    expect(() => restoreNumericSketch({ ...good, exactLimit: 1 })).toThrow(/more than exactLimit 1/);
    expect(() => restoreNumericSketch({ ...good, exact: { ...exact, counts: { '1': 1, '2': 1.5 } } })).toThrow(/count >= 1/);
  });
});
