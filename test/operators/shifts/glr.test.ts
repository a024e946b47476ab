import { describe, expect, test } from 'vitest';
import { resolveShiftConfig, type ShiftSettings } from '../../../operators/shifts/config.js';
import { newSeries } from '../../../operators/shifts/series.js';
import { type WindowStats, addEvent, advanceGlr, assessGlr, emptyWindow } from '../../../operators/shifts/glr-detector.js';
import { blockDispersion, glrScan, poissonSplitLlr, sizeSplitLlr } from '../../../operators/shifts/glr.js';
import { normal, poisson, rng } from './simulate.js';

// Oracle values from SciPy (/usr/bin/python3): full log-likelihoods with scipy.stats.poisson.logpmf /
// scipy.stats.norm.logpdf at the maximum-likelihood parameters (numeric MLE for the normal case):
//   n = [2,1,3,0,2,1,2, 5,6,4], split before the last 3 windows
//   exposures 1 everywhere                          -> LLR 4.2701074769717895
//   exposures [.5,1.5,1,1,.5,1.5,1, 1,1,2]          -> LLR 2.4329410651075243
//   log sizes baseline [3.1,2.9,3.4,3.0,2.7,3.3,3.2,2.8], recent [2.2,2.5,2.0], one common unknown
//   variance                                        -> LLR 7.138845479304913
describe('split likelihood ratios against SciPy', () => {
  test('Poisson split with equal and unequal exposures', () => {
    expect(poissonSplitLlr(15, 3, 11, 7)).toBeCloseTo(4.2701074769717895, 9);
    expect(poissonSplitLlr(15, 4, 11, 7)).toBeCloseTo(2.4329410651075243, 9);
    expect(poissonSplitLlr(0, 3, 0, 7)).toBe(0);
  });

  test('log-size split with unknown common variance', () => {
    const xb = [3.1, 2.9, 3.4, 3.0, 2.7, 3.3, 3.2, 2.8];
    const xr = [2.2, 2.5, 2.0];
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    const ss = (xs: number[]): number => sum(xs.map((x) => (x - sum(xs) / xs.length) ** 2));
    expect(sizeSplitLlr(xr.length, sum(xr) / xr.length, xb.length, sum(xb) / xb.length, ss(xr) + ss(xb))).toBeCloseTo(7.138845479304913, 6);
  });

  test('glrScan finds the split of a count step and its LLR (no size information: all sizes 1)', () => {
    const n = [2, 1, 3, 0, 2, 1, 2, 5, 6, 4];
    const ones = n.map(() => 1);
    const zeros = n.map(() => 0);
    // k = n and l = q = 0: every event has size 1, so the size part is 0.
    const r = glrScan({ n, e: ones, k: n, l: zeros, q: zeros }, { minBaseline: 5, maxRecent: 5, sizeClip: 2.5, sizeSdFloor: 0.05, dispersion: 1 });
    expect(r.recent).toBe(3);
    expect(r.llr).toBeCloseTo(4.2701074769717895, 9);
    expect(r.sizeLlr).toBe(0);
    expect(r.logChange).toBeGreaterThan(0);
    // Hand-computed: dispersion 2 halves the count evidence.
    const half = glrScan({ n, e: ones, k: n, l: zeros, q: zeros }, { minBaseline: 5, maxRecent: 5, sizeClip: 2.5, sizeSdFloor: 0.05, dispersion: 2 });
    expect(half.llr).toBeCloseTo(4.2701074769717895 / 2, 9);
  });

  test('blockDispersion: index of dispersion of block sums (hand-computed), shortened to 4 blocks, 1 for a flat stream', () => {
    // Blocks of 2 over 8 windows: sums 0, 12, 0, 12 over exposures 2 -> rate 3, expected 6 each;
    // Pearson chi-square 4 x 36 / 6 = 24 over 3 df = 8, minus 2 sqrt(2/3) = 6.36701.
    const n = [0, 0, 6, 6, 0, 0, 6, 6];
    const e = n.map(() => 1);
    expect(blockDispersion(n, e, 8, 2)).toBeCloseTo(8 - 2 * Math.sqrt(2 / 3), 9);
    // Blocks of 5 do not fit 4 times into 8 windows: shortened to 2, the same answer.
    expect(blockDispersion(n, e, 8, 5)).toBeCloseTo(8 - 2 * Math.sqrt(2 / 3), 9);
    // Only the windows before `end` count: [0, 0, 6, 6] in blocks of 1 -> chi-square 4 x 9 / 3 = 12 over 3 df.
    expect(blockDispersion(n, e, 4, 1)).toBeCloseTo(4 - 2 * Math.sqrt(2 / 3), 9);
    // The same counts day by day (blocks of 1 over 8 windows): 8 x 9 / 3 = 24 over 7 df.
    expect(blockDispersion(n, e, 8, 1)).toBeCloseTo(24 / 7 - 2 * Math.sqrt(2 / 7), 9);
    // A flat stream and too short a baseline: 1.
    expect(blockDispersion([3, 3, 3, 3, 3, 3, 3, 3], e, 8, 2)).toBe(1);
    expect(blockDispersion(n, e, 3, 1)).toBe(1);
    // The scan divides each split's count part by the dispersion at its own length: with the
    // clustered baseline above and a recent pair of 6s, the split of 2 gets no evidence at all.
    const m = [...n, 6, 6];
    const ones = m.map(() => 1);
    const z = m.map(() => 0);
    const plain = glrScan({ n: m, e: ones, k: z, l: z, q: z }, { minBaseline: 8, maxRecent: 2, sizeClip: 2.5, sizeSdFloor: 0.05, dispersion: 1 });
    const scaled = glrScan(
      { n: m, e: ones, k: z, l: z, q: z },
      { minBaseline: 8, maxRecent: 2, sizeClip: 2.5, sizeSdFloor: 0.05, dispersion: 1, scaleDispersion: true },
    );
    expect(scaled.llr).toBeLessThan(plain.llr / 3);
  });

  test('minBaseline and maxRecent bound the splits scanned', () => {
    const n = [1, 1, 1, 1, 1, 1, 1, 1, 9, 9];
    const z = n.map(() => 0);
    const e = n.map(() => 1);
    expect(glrScan({ n, e, k: z, l: z, q: z }, { minBaseline: 10, maxRecent: 5, sizeClip: 2.5, sizeSdFloor: 0.05, dispersion: 1 }).llr).toBe(0);
    expect(glrScan({ n, e, k: z, l: z, q: z }, { minBaseline: 2, maxRecent: 1, sizeClip: 2.5, sizeSdFloor: 0.05, dispersion: 1 }).recent).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The detector on hand-built daily series: events per day (Poisson) with lognormal sizes.

interface Fired {
  index: number;
  direction: string;
}

function cfg(extra: Record<string, unknown> = {}): ShiftSettings {
  return resolveShiftConfig({ instant: [], ...extra });
}

/** One day of `count` events with lognormal sizes (median `median`, log sd `sd`). */
function day(r: () => number, count: number, median: number, sd: number): WindowStats {
  const w = emptyWindow();
  for (let i = 0; i < count; i++) addEvent(w, Math.round(median * Math.exp(sd * normal(r)) * 100) / 100);
  return w;
}

function run(days: WindowStats[], settings: ShiftSettings = cfg()): Fired[] {
  const s = newSeries(0);
  const fired: Fired[] = [];
  days.forEach((w, index) => {
    const r = assessGlr(s, w, index, settings);
    const alert = !!r && r.v.fired && index >= s.quiet;
    if (alert && r) fired.push({ index, direction: r.v.direction });
    advanceGlr(s, w, index, r?.v ?? null, alert, settings, r?.a ?? null);
  });
  return fired;
}

/** `days` days at `rate` events a day (x `weekly[d % 7]`), the rate x `rateF` and sizes x `sizeF` from `from` on. */
function series(
  seed: number,
  o: { days: number; rate: number; from?: number; rateF?: number; sizeF?: number; weekly?: number[]; median?: number; sd?: number },
): WindowStats[] {
  const r = rng(seed);
  return Array.from({ length: o.days }, (_, d) => {
    const after = o.from !== undefined && d >= o.from;
    const lambda = o.rate * (o.weekly?.[d % 7] ?? 1) * (after ? (o.rateF ?? 1) : 1);
    return day(r, poisson(r, lambda), (o.median ?? 50) * (after ? (o.sizeF ?? 1) : 1), o.sd ?? 0.8);
  });
}

describe('GLR detector on hand-built series', () => {
  test('step up of the rate (x3 at 3 a day, from day 40): a jump within 3 windows, nothing before', () => {
    // Expected evidence ~ 3 x (3 ln 3 - 2) = 3.9 nats a day: h = 10 is crossed in ~3 days.
    for (const seed of [1, 2, 3]) {
      const f = run(series(seed, { days: 70, rate: 3, from: 40, rateF: 3 }));
      expect(f.length).toBeGreaterThanOrEqual(1);
      expect(f[0]!.index).toBeGreaterThanOrEqual(40);
      expect(f[0]!.index).toBeLessThanOrEqual(43);
      expect(f.every((x) => x.direction === 'up' && x.index >= 40)).toBe(true);
    }
  });

  test('step down of sizes only (amounts x0.2, counts unchanged) is found from the log sizes within 2 windows', () => {
    // ln 0.2 = -1.61 = 2 sd of the log sizes: ~3 events give (3/2) x 2^2 = 6 nats a day.
    const f = run(series(4, { days: 70, rate: 3, from: 40, sizeF: 0.2 }));
    expect(f[0]).toMatchObject({ direction: 'down' });
    expect(f[0]!.index).toBeGreaterThanOrEqual(40);
    expect(f[0]!.index).toBeLessThanOrEqual(42);
  });

  test('a customer who stops: fires once the empty days are ~10 nats of evidence (hand-computed)', () => {
    // Exactly one event a day for 40 days, then none. At the m-th silent day the split gives
    // LLR = 40 ln((40 + m) / 40): m = 11 -> 9.72, m = 12 -> 10.49 > h = 10, so day 40 + 11 = 51.
    const days = Array.from({ length: 60 }, (_, d) => {
      const w = emptyWindow();
      if (d < 40) addEvent(w, 100);
      return w;
    });
    const f = run(days, cfg({ glr: { h: 10 } }));
    expect(f[0]).toEqual({ index: 51, direction: 'down' });
  });

  // A slow drift is compared with a baseline that drifts too (the ring is 56 windows): found late.
  test('gradual drift (+3% a day from day 40) is found as a rise, after some weeks', () => {
    const r = rng(5);
    const days = Array.from({ length: 100 }, (_, d) => day(r, poisson(r, 3 * (d >= 40 ? 1 + 0.03 * (d - 40) : 1)), 50, 0.8));
    const f = run(days);
    expect(f.length).toBeGreaterThanOrEqual(1);
    expect(f[0]!.direction).toBe('up');
    expect(f[0]!.index).toBeGreaterThan(44);
    expect(f[0]!.index).toBeLessThan(100);
  });

  test('weekly seasonality (weekend x2.6, weekdays x0.7) without a shift: no alert in 120 days', () => {
    const weekly = [0.7, 0.7, 0.7, 0.7, 0.7, 1.75, 1.75];
    for (const seed of [6, 7, 8]) expect(run(series(seed, { days: 120, rate: 2, weekly }))).toEqual([]);
  });

  test('spikes: one x100 purchase, and one day with 3x the usual count, do not fire', () => {
    const days = series(9, { days: 80, rate: 2 });
    addEvent(days[50]!, 5000);
    const w = days[60]!;
    for (let i = 0; i < 4; i++) addEvent(w, 50);
    expect(run(days)).toEqual([]);
  });

  test('zero-spend customer (events of value 0 only) and an empty series never fire', () => {
    const zeros = Array.from({ length: 60 }, () => {
      const w = emptyWindow();
      addEvent(w, 0);
      return w;
    });
    expect(run(zeros)).toEqual([]);
    expect(run(Array.from({ length: 60 }, () => emptyWindow()))).toEqual([]);
  });

  test('stationary customers at 0.3-5 events a day: false alerts well under 1 per 1,000 series-days', () => {
    let alerts = 0;
    let seriesDays = 0;
    for (let seed = 100; seed < 160; seed++) {
      const rate = 0.3 + ((seed * 7) % 47) / 10;
      alerts += run(series(seed, { days: 120, rate })).length;
      seriesDays += 120;
    }
    // 7,200 series-days; the benchmark measured ~0.2 per 1,000 customer-days over 5 series each.
    expect(alerts).toBeLessThanOrEqual(2);
    expect(seriesDays).toBe(7200);
  });

  test('minHistory: no verdict before minHistory windows of history', () => {
    const settings = cfg({ minHistory: 21 });
    const s = newSeries(0);
    const days = series(10, { days: 22, rate: 2 });
    days.forEach((w, i) => {
      const r = assessGlr(s, w, i, settings);
      expect(r === null).toBe(i < 21);
      advanceGlr(s, w, i, r?.v ?? null, false, settings, r?.a ?? null);
    });
  });
});

describe('population rate factor (GLR)', () => {
  test('records ln(observed / expected) only for moves of 25% or more, and forgets old windows', async () => {
    const { newPopulation, recordPopulationRate } = await import('../../../operators/shifts/population.js');
    const pop = newPopulation();
    recordPopulationRate(pop, 10, 300, 100, 56); // x3: ln 3
    recordPopulationRate(pop, 11, 110, 100, 56); // +10%: noise-sized, not recorded
    recordPopulationRate(pop, 12, 70, 100, 56); // -30%: ln 0.7 = -0.357 (|.| >= 0.25)
    recordPopulationRate(pop, 13, 0, 0, 56); // no information
    expect(pop.rates).toEqual({ '10': Math.log(3), '12': Math.log(0.7) });
    recordPopulationRate(pop, 67, 100, 100, 56); // window 10 is 57 windows old: dropped
    expect(Object.keys(pop.rates ?? {})).toEqual(['12']);
  });

  test('a recorded factor scales the exposure: a week at 3x for a series is then no shift', () => {
    const settings = cfg();
    const days = series(11, { days: 70, rate: 3, from: 40, rateF: 3 }).map((w, d) => (d >= 47 ? series(12, { days: 70, rate: 3 })[d]! : w));
    // Days 40-46 at 3x: alone it fires; with the population factor 3 for those windows it does not.
    const s1 = newSeries(0);
    const s2 = newSeries(0);
    let plain = 0;
    let adjusted = 0;
    days.forEach((w, index) => {
      const a = assessGlr(s1, w, index, settings);
      if (a?.v.fired && index >= s1.quiet) plain++;
      advanceGlr(s1, w, index, a?.v ?? null, !!a?.v.fired && index >= s1.quiet, settings, a?.a ?? null);
      const factor = (i: number): number => (i >= 40 && i < 47 ? 3 : 1);
      const b = assessGlr(s2, w, index, settings, factor);
      if (b?.v.fired && index >= s2.quiet) adjusted++;
      advanceGlr(s2, w, index, b?.v ?? null, !!b?.v.fired && index >= s2.quiet, settings, b?.a ?? null);
    });
    expect(plain).toBeGreaterThanOrEqual(1);
    expect(adjusted).toBe(0);
  });
});

test('GLR state is bounded: values and statistics rings never exceed ringWindows (84 by default)', () => {
  const settings = cfg();
  const s = newSeries(0);
  series(13, { days: 200, rate: 2 }).forEach((w, i) => {
    const r = assessGlr(s, w, i, settings);
    advanceGlr(s, w, i, r?.v ?? null, false, settings, r?.a ?? null);
  });
  expect(s.v.length).toBe(84);
  // k is left out while it equals n (no zero amounts here), l and q are kept (sizes are not all 1).
  expect([s.g?.n.length, s.g?.k, s.g?.l?.length, s.g?.q?.length]).toEqual([84, undefined, 84, 84]);
  expect(s.ex).toHaveLength(7);
});

test('a series without statistics rings (checkpoint of the CUSUM method) restarts its history instead of reading zeros', () => {
  const settings = cfg();
  const s = newSeries(0);
  s.v = Array.from({ length: 30 }, () => 100);
  s.last = 29;
  const w = day(rng(14), 0, 50, 0.8);
  expect(assessGlr(s, w, 30, settings)).toBeNull();
  advanceGlr(s, w, 30, null, false, settings, null);
  expect(s.v).toEqual([0]);
  expect(s.g?.n).toEqual([0]);
});
