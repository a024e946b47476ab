/**
 * Mergeable summaries: merge equals one sketch over all data, JSON round trip through KeyedState,
 * quantile error, and statistics from sketches against SciPy's values on the raw data
 * (fixtures.json) within the documented bounds.
 */
import { describe, expect, it } from 'vitest';
import { KeyedState } from '../../../operators/state.js';
import {
  addCategory,
  categoricalFromCounts,
  createCategoricalSummary,
  mergeCategorical,
  restoreCategoricalSummary,
  summariseCategories,
} from '../../../operators/drift-statistics/categorical.js';
import { prepareSample, quantile } from '../../../operators/drift-statistics/empirical.js';
import { DriftInputError } from '../../../operators/drift-statistics/errors.js';
import type { NumericSketch } from '../../../operators/drift-statistics/numeric-sketch.js';
import {
  addValue,
  bucketKey,
  bucketValue,
  createNumericSketch,
  mergeNumericSketch,
  mergedNumericSketches,
  restoreNumericSketch,
  sketchOf,
  sketchQuantile,
  sketchMean,
  sketchMeanAbs,
  sketchStd,
} from '../../../operators/drift-statistics/numeric-sketch.js';
import { categoricalStats, numericStats, numericStatsFromSketches } from '../../../operators/drift-statistics/stats.js';
import { fixtures, numericFixture } from './fixtures.js';

const spend = numericFixture('spend_half_1_8x');

function buckets(s: NumericSketch): unknown {
  return { pos: { ...s.positive }, neg: { ...s.negative }, zero: s.zeroCount, n: s.count, min: s.min, max: s.max };
}

describe('numeric sketch: merge', () => {
  const data = numericFixture('negative_and_zero').ref.concat(spend.ref);

  it('merging partial sketches gives the same buckets as one sketch over all data', () => {
    const whole = sketchOf(data);
    const parts = [data.slice(0, 100), data.slice(100, 2000), data.slice(2000)].map((p) => sketchOf(p));
    const merged = mergedNumericSketches(parts[0]!, parts[1]!, parts[2]!);
    expect(buckets(merged)).toEqual(buckets(whole));
    // Exact moments: merged partials give the very same mean, mean |x| and std, in any grouping.
    expect(sketchMeanAbs(merged)).toBe(sketchMeanAbs(whole));
    expect(sketchMean(merged)).toBe(sketchMean(whole));
    expect(sketchStd(merged)).toBe(sketchStd(whole));
    expect(sketchStd(mergedNumericSketches(parts[2]!, parts[0]!, parts[1]!))).toBe(sketchStd(whole));
    // Against the two-pass std of the raw data.
    const exactStd = stdOf(data);
    expect(Math.abs(sketchStd(merged) - exactStd) / exactStd).toBeLessThan(1e-12);
    // Merging does not change the inputs.
    expect(parts[0]!.count).toBe(100);
  });

  it('statistics from merged sketches equal those from one sketch', () => {
    const ref = sketchOf(spend.ref);
    const halves = [sketchOf(spend.cur.slice(0, 1234)), sketchOf(spend.cur.slice(1234))];
    const merged = mergedNumericSketches(halves[0]!, halves[1]!);
    const a = numericStatsFromSketches(ref, merged).stats;
    const b = numericStatsFromSketches(ref, sketchOf(spend.cur)).stats;
    for (const k of Object.keys(a) as Array<keyof typeof a>) expect(a[k]).toBeCloseTo(b[k]!, 12);
  });

  it('refuses to merge sketches of different accuracy', () => {
    const a = createNumericSketch({ relativeAccuracy: 0.01 });
    const b = createNumericSketch({ relativeAccuracy: 0.02 });
    expect(() => mergeNumericSketch(a, b)).toThrow(DriftInputError);
  });
});

function stdOf(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

describe('numeric sketch: plain JSON state', () => {
  it('survives JSON through KeyedState and keeps accepting values', () => {
    const state = new KeyedState<NumericSketch>();
    const s = createNumericSketch();
    for (const v of spend.ref.slice(0, 500)) addValue(s, v);
    state.set('spend_total', s);
    const persisted = JSON.stringify(state.drainChanges().upserts);
    const restoredState = new KeyedState<NumericSketch>();
    restoredState.restore((JSON.parse(persisted) as Array<[string, unknown]>).map(([k, v]) => [k, restoreNumericSketch(v)] as [string, NumericSketch]));
    const restored = restoredState.get('spend_total')!;
    for (const v of spend.ref.slice(500)) addValue(restored, v);
    const direct = sketchOf(spend.ref);
    expect(buckets(restored)).toEqual(buckets(direct));
  });

  it('counts non-finite values as missing, outside every statistic', () => {
    const s = sketchOf([1, Number.NaN, null, undefined, Number.POSITIVE_INFINITY, 2]);
    expect(s.count).toBe(2);
    expect(s.missing).toBe(4);
    expect(s.min).toBe(1);
    expect(s.max).toBe(2);
  });

  it('rejects corrupt JSON with a typed error naming the problem', () => {
    const good = JSON.parse(JSON.stringify(sketchOf([1, 2, 3]))) as Record<string, unknown>;
    expect(() => restoreNumericSketch({ ...good, kind: 'x' })).toThrow(/kind must be "numeric-sketch"/);
    expect(() => restoreNumericSketch({ ...good, positive: { abc: 1 } })).toThrow(/non-integer bucket key/);
    expect(() => restoreNumericSketch({ ...good, positive: { '3': -1 } })).toThrow(/count >= 0/);
    expect(() => restoreNumericSketch({ ...good, version: 4 })).toThrow(DriftInputError);
    expect(() => restoreNumericSketch({ ...good, sum: [1, 'x'] })).toThrow(/sum must be a list of finite numbers/);
    expect(() => restoreNumericSketch(null)).toThrow(DriftInputError);
  });

  it('restores a version 1 sketch (Welford mean and m2) with the same moments', () => {
    const values = [1.5, 2.25, 3, 10];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const m2 = values.reduce((a, v) => a + (v - mean) ** 2, 0);
    const current = sketchOf(values);
    const v1 = { ...JSON.parse(JSON.stringify(current)), version: 1, mean, m2, sumAbs: 16.75 } as Record<string, unknown>;
    delete v1['sum'];
    delete v1['sumSquares'];
    const restored = restoreNumericSketch(v1);
    expect(restored.version).toBe(3);
    expect(restored.exact).toBeNull(); // the values were not kept then: approximate, as before
    expect(sketchMean(restored)).toBeCloseTo(mean, 12);
    expect(sketchStd(restored)).toBeCloseTo(Math.sqrt(m2 / values.length), 12);
    expect(sketchMeanAbs(restored)).toBe(16.75 / 4);
  });
});

describe('numeric sketch: accuracy', () => {
  it('every bucket representative is within relative error a of the values in the bucket', () => {
    for (const a of [0.01, 0.002]) {
      for (const x of [1e-9, 0.37, 1, 2, 1000.5, 123456.789, 7e12]) {
        const rep = bucketValue(bucketKey(x, a), a);
        expect(Math.abs(rep - x)).toBeLessThanOrEqual(a * x * (1 + 1e-12));
      }
    }
  });

  it('quantiles are within relative error a of NumPy-style quantiles of the raw data', () => {
    const raw = prepareSample(spend.cur).distribution;
    const s = sketchOf(spend.cur);
    for (let q = 0; q <= 1.0000001; q += 0.01) {
      const exact = quantile(raw, Math.min(q, 1));
      const approx = sketchQuantile(s, Math.min(q, 1));
      expect(Math.abs(approx - exact)).toBeLessThanOrEqual(0.01 * Math.abs(exact) * (1 + 1e-12));
    }
  });

  it('statistics from a sketch are the exact statistics of the data rounded to bucket representatives', () => {
    const f = numericFixture('negative_and_zero');
    const round = (x: number): number => (x === 0 ? 0 : Math.sign(x) * bucketValue(bucketKey(Math.abs(x), 0.01), 0.01));
    const fromSketch = numericStatsFromSketches(sketchOf(f.ref), sketchOf(f.cur)).stats;
    const refRounded = prepareSample(f.ref.map(round)).distribution;
    const exactRounded = numericStats(refRounded, prepareSample(f.cur.map(round)).distribution, {}, stdOf(f.ref));
    for (const k of Object.keys(fromSketch) as Array<keyof typeof fromSketch>) {
      expect(fromSketch[k]!).toBeCloseTo(exactRounded[k]!, 12);
    }
  });
});

describe.each(fixtures.numeric.filter((f) => f.ref.length >= 1000 && f.cur.length >= 1000).map((f) => [f.name, f] as const))(
  'statistics from sketches vs SciPy on raw data: %s',
  (_name, f) => {
    const { stats, bounds } = numericStatsFromSketches(sketchOf(f.ref), sketchOf(f.cur));

    it('KS statistic lies in the guaranteed interval [D_sketch, ks_statistic_max]', () => {
      expect(stats.ks_statistic!).toBeLessThanOrEqual(f.ks_statistic + 1e-12);
      expect(bounds.ks_statistic_max).toBeGreaterThanOrEqual(f.ks_statistic - 1e-12);
      // and the interval is narrow for continuous data
      expect(bounds.ks_statistic_max - stats.ks_statistic!).toBeLessThan(0.01);
    });

    it('W1 and normalised W1 are within the guaranteed bound a (mean|ref| + mean|cur|)', () => {
      expect(Math.abs(stats.wasserstein! - f.wasserstein)).toBeLessThanOrEqual(bounds.wasserstein_abs_error);
      expect(Math.abs(stats.wasserstein_norm! - f.wasserstein_norm)).toBeLessThanOrEqual(bounds.wasserstein_norm_abs_error);
      // the bound for these samples is < 0.025 in normalised units, the observed error far smaller
      expect(bounds.wasserstein_norm_abs_error).toBeLessThan(0.025);
      expect(Math.abs(stats.wasserstein_norm! - f.wasserstein_norm)).toBeLessThan(0.002);
    });

    it('PSI and binned JS are within the documented empirical error (0.005) for samples of 1,000+', () => {
      expect(Math.abs(stats.psi! - f.psi)).toBeLessThan(0.005);
      expect(Math.abs(stats.js! - f.binned_js)).toBeLessThan(0.005);
    });

    it('KS p-value is conservative (>= SciPy on the raw data, as D_sketch <= D) and within a factor 1.5', () => {
      if (f.ks_p_asymp === null || f.ks_p_asymp === 0) return;
      expect(stats.ks_p_value!).toBeGreaterThanOrEqual(f.ks_p_asymp * (1 - 1e-9));
      expect(stats.ks_p_value! / f.ks_p_asymp).toBeLessThan(1.5);
    });
  },
);

describe('categorical summaries', () => {
  it('merged count maps give the statistics of the combined data exactly', () => {
    const f = fixtures.categorical.find((c) => c.name === 'shifted_mix')!;
    const a = categoricalFromCounts({ a: 100, b: 100 });
    const b = categoricalFromCounts({ a: 100, b: 100, c: 100 });
    mergeCategorical(a, b);
    const s = categoricalStats(categoricalFromCounts(f.ref), a);
    expect(s.js).toBe(categoricalStats(categoricalFromCounts(f.ref), categoricalFromCounts(f.cur)).js);
  });

  it('raw values, null as missing, numbers and booleans as strings', () => {
    const s = summariseCategories(['web', 'app', null, 'web', undefined, 3, true]);
    expect({ ...s.counts }).toEqual({ web: 2, app: 1, '3': 1, true: 1 });
    expect(s.missing).toBe(2);
  });

  it('a "__proto__" category is an ordinary category after a JSON round trip', () => {
    const s = createCategoricalSummary();
    addCategory(s, '__proto__', 3);
    addCategory(s, 'x');
    const restored = restoreCategoricalSummary(JSON.parse(JSON.stringify(s)));
    addCategory(restored, '__proto__');
    expect(restored.counts['__proto__']).toBe(4);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(Object.keys(restored.counts).sort()).toEqual(['__proto__', 'x']);
  });
});
