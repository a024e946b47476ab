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
    const r = glrScan({ n, e: ones, k: n, l: zeros, q: zeros }, { minBaseline: 5, maxRecent: 5, sizeClip: 2.5, sizeSdFloor: 0.05 });
    expect(r.recent).toBe(3);
    expect(r.llr).toBeCloseTo(4.2701074769717895, 9);
    expect(r.sizeLlr).toBe(0);
    expect(r.logChange).toBeGreaterThan(0);
    // Counts no more dispersed than a Poisson stream's: dispersion 1.
    expect(r.dispersion).toBe(1);
  });

  test("each split's count part is divided by the counts' dispersion around the split's rates, over all windows (hand-computed)", () => {
    const flat = (n: number[]): number[] => n.map(() => 0);
    const ones = (n: number[]): number[] => n.map(() => 1);
    const scan = (n: number[], minBaseline: number) =>
      glrScan({ n, e: ones(n), k: flat(n), l: flat(n), q: flat(n) }, { minBaseline, maxRecent: n.length - minBaseline, sizeClip: 2.5, sizeSdFloor: 0.05 });
    // A bursty baseline, one split: [0, 4] x 4 at rate 2, Pearson chi-square 8 x 4 / 2 = 16 over
    // 8 - 1 df: 16 / 7 (the recent window alone is at its own rate: the two-rate model's 16 / 7 too).
    const bursty = [0, 4, 0, 4, 0, 4, 0, 4, 9];
    const one = scan(bursty, 8);
    expect(one.dispersion).toBeCloseTo(16 / 7, 12);
    expect(one.llr).toBeCloseTo(poissonSplitLlr(9, 1, 16, 8) / (16 / 7), 12);
    // A steady baseline and a bursty recent segment [12, 0]: for the split of 2 the baseline alone
    // says 1, the two-rate model (recent at rate 6: 72 / 6 = 12) 12 / (10 - 2) = 1.5. The split of 1
    // ([0] after [2 x 8, 12]: rate 28 / 9, chi-square 28.57 over 8 df) is weaker: 2.95 / 3.57 nats.
    const late = [2, 2, 2, 2, 2, 2, 2, 2, 12, 0];
    const two = scan(late, 8);
    expect(two.recent).toBe(2);
    expect(two.dispersion).toBeCloseTo(1.5, 12);
    expect(two.llr).toBeCloseTo(poissonSplitLlr(12, 2, 16, 8) / 1.5, 12);
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
    // The scan divides each split's count part by the dispersion at its own length too: with the
    // clustered baseline above and a recent pair of 6s, less than the daily dispersion leaves.
    const m = [...n, 6, 6];
    const ones = m.map(() => 1);
    const z = m.map(() => 0);
    const plain = glrScan({ n: m, e: ones, k: z, l: z, q: z }, { minBaseline: 8, maxRecent: 2, sizeClip: 2.5, sizeSdFloor: 0.05 });
    const scaled = glrScan({ n: m, e: ones, k: z, l: z, q: z }, { minBaseline: 8, maxRecent: 2, sizeClip: 2.5, sizeSdFloor: 0.05, scaleDispersion: true });
    expect(plain.dispersion).toBeGreaterThan(1);
    expect(scaled.llr).toBeLessThan(plain.llr / 1.5);
  });

  test('persistence: an upward split counts only if it holds with its worst burst left out (hand-computed boundary)', () => {
    const z = (n: number[]): number[] => n.map(() => 0);
    const ones = (n: number[]): number[] => n.map(() => 1);
    const base = { minBaseline: 20, maxRecent: 20, sizeClip: 2.5, sizeSdFloor: 0.05 };
    // A step: 20 windows of 2 events, then 8 of 10. Any 4 windows left out, 4 windows of 10 remain:
    // LLR = poissonSplitLlr(40, 4, 40, 20) = 40 ln 10 + 40 ln 2 - 80 ln(80 / 24) = 23.51 nats.
    const step = [...Array<number>(20).fill(2), ...Array<number>(8).fill(10)];
    const rest = poissonSplitLlr(40, 4, 40, 20);
    expect(rest).toBeCloseTo(40 * Math.log(10) + 40 * Math.log(2) - 80 * Math.log(80 / 24), 9);
    const s = { n: step, e: ones(step), k: step, l: z(step), q: z(step) };
    const plain = glrScan(s, base);
    expect(plain.recent).toBe(8);
    expect(glrScan(s, { ...base, persistence: { windows: 4, h: rest - 1e-6, sizeH: 13 } })).toEqual(plain);
    // Just above: the split of 8 no longer counts; the best left is a shorter one... which cannot
    // persist either (m <= 4 has nothing left, m = 5..7 keep fewer than 4 windows of 10).
    expect(glrScan(s, { ...base, persistence: { windows: 4, h: rest + 1e-6, sizeH: 13 } }).recent).not.toBe(8);
    // A burst: 20 windows of 2, 4 windows of 10, back to 2 for 4 windows. Without persistence the
    // burst is a jump; left out, the rest is at the baseline: no upward split survives.
    const burst = [...Array<number>(20).fill(2), ...Array<number>(4).fill(10), ...Array<number>(4).fill(2)];
    const b = { n: burst, e: ones(burst), k: burst, l: z(burst), q: z(burst) };
    expect(glrScan(b, base)).toMatchObject({ recent: 8 });
    expect(glrScan(b, base).logChange).toBeGreaterThan(0);
    const kept = glrScan(b, { ...base, persistence: { windows: 4, h: 1, sizeH: 13 } });
    expect(kept.logChange <= 0 || kept.llr === 0).toBe(true);
  });

  test("pauses: a drop must hold with its recent segment's worst empty run left out, a jump with its baseline's (hand-computed boundary)", () => {
    const z = (n: number[]): number[] => n.map(() => 0);
    const ones = (n: number[]): number[] => n.map(() => 1);
    const scan = (n: number[], pause?: { h: number; ongoingH: number; minEvents: number }) =>
      glrScan(
        { n, e: ones(n), k: n, l: z(n), q: z(n) },
        { minBaseline: 20, maxRecent: 20, sizeClip: 2.5, sizeSdFloor: 0.05, ...(pause ? { pause: { ...pause, sizeH: 13 } } : {}) },
      );
    const noDrop = (r: { logChange: number; llr: number }): boolean => !(r.logChange < 0 && r.llr > 0);
    // Drop into a pause: 20 windows of 4, then 4 of 1 and 3 empty. Best split: the last 7 windows,
    // 4 ln(4/7) + 80 ln(80/20) - 84 ln(84/27) = 13.33 nats. With the pause (3 empty windows, the
    // worst and the one going on) left out, the 4 windows of 1: 80 ln 4 - 84 ln(84/24) = 5.67 nats.
    const drop = [...Array<number>(20).fill(4), 1, 1, 1, 1, 0, 0, 0];
    const plain = scan(drop);
    expect(plain.recent).toBe(7);
    expect(plain.llr).toBeCloseTo(4 * Math.log(4 / 7) + 80 * Math.log(4) - 84 * Math.log(84 / 27), 9);
    const rest = poissonSplitLlr(4, 4, 80, 20);
    expect(rest).toBeCloseTo(80 * Math.log(4) - 84 * Math.log(84 / 24), 9);
    expect(scan(drop, { h: 4, ongoingH: rest - 1e-6, minEvents: 20 })).toEqual(plain);
    // Just above either threshold no downward split holds (the last 3 windows alone are a stop: the silence rule's).
    expect(noDrop(scan(drop, { h: 4, ongoingH: rest + 1e-6, minEvents: 20 }))).toBe(true);
    expect(noDrop(scan(drop, { h: rest + 1e-6, ongoingH: 1, minEvents: 20 }))).toBe(true);
    // Fewer events than the silence rule's minEvents (84 < 100): drops are not checked.
    expect(scan(drop, { h: rest + 1e-6, ongoingH: rest + 1e-6, minEvents: 100 })).toEqual(plain);
    // The same pause over (a purchase on each side of it): only the worst pause counts, at h. Just
    // above, the best split left is one without the pause (the last 2 windows: 2.07 nats).
    const over = [...Array<number>(20).fill(4), 1, 1, 0, 0, 0, 1, 1];
    expect(scan(over).recent).toBe(7);
    expect(scan(over, { h: rest - 1e-6, ongoingH: 1e9, minEvents: 20 })).toEqual(scan(over));
    const after = scan(over, { h: rest + 1e-6, ongoingH: 1e9, minEvents: 20 });
    expect(after.recent).toBe(2);
    expect(after.llr).toBeCloseTo(poissonSplitLlr(2, 2, 82, 25), 9);
    // Back from a pause at the old level: 10 windows of 10, 10 empty, then 6 of 10. Against the
    // baseline with the pause it is a jump; with the pause left out the level is the same: none.
    const back = [...Array<number>(10).fill(10), ...Array<number>(10).fill(0), ...Array<number>(6).fill(10)];
    // The pause makes the baseline's counts far more dispersed than a Poisson stream's: around its
    // rate 5, chi-square 20 x 25 / 5 = 100 over 19 df (the two-rate model: 100 over 24).
    const jump = scan(back);
    expect(jump).toMatchObject({ recent: 6 });
    expect(jump.dispersion).toBeCloseTo(100 / 19, 12);
    expect(jump.llr).toBeCloseTo(poissonSplitLlr(60, 6, 100, 20) / (100 / 19), 9);
    expect(jump.logChange).toBeGreaterThan(0);
    const noJump = scan(back, { h: 4, ongoingH: 13, minEvents: 20 });
    expect(noJump.logChange > 0 && noJump.llr > 0).toBe(false);
    // Back at twice the level: with the pause left out, 120 in 6 windows against 100 in 10 is still
    // poissonSplitLlr(120, 6, 100, 10) = 19.4 nats > 4: the jump stays.
    const higher = [...back.slice(0, 20), ...Array<number>(6).fill(20)];
    expect(poissonSplitLlr(120, 6, 100, 10)).toBeGreaterThan(4);
    expect(scan(higher, { h: 4, ongoingH: 13, minEvents: 20 })).toEqual(scan(higher));
  });

  test('a size part needs 3 purchases after the split: one huge amount is no new level of amounts', () => {
    // 12 windows of one purchase at log sizes 3 +- 0.2, then purchases at log size 8 (x150).
    const base = [3, 3.2, 2.8, 3.1, 2.9, 3, 3.2, 2.8, 3.1, 2.9, 3, 3];
    const scan = (recent: number[]) => {
      const l = [...base, ...recent];
      const n = l.map(() => 1);
      return glrScan({ n, e: n, k: n, l, q: l.map((x) => x * x) }, { minBaseline: 12, maxRecent: recent.length, sizeClip: 2.5, sizeSdFloor: 0.05 });
    };
    expect(scan([8]).sizeLlr).toBe(0);
    expect(scan([8, 8]).sizeLlr).toBe(0);
    expect(scan([8, 8, 8]).sizeLlr).toBeGreaterThan(13);
  });

  test('minBaseline and maxRecent bound the splits scanned', () => {
    const n = [1, 1, 1, 1, 1, 1, 1, 1, 9, 9];
    const z = n.map(() => 0);
    const e = n.map(() => 1);
    expect(glrScan({ n, e, k: z, l: z, q: z }, { minBaseline: 10, maxRecent: 5, sizeClip: 2.5, sizeSdFloor: 0.05 }).llr).toBe(0);
    expect(glrScan({ n, e, k: z, l: z, q: z }, { minBaseline: 2, maxRecent: 1, sizeClip: 2.5, sizeSdFloor: 0.05 }).recent).toBe(1);
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
  test('step up of the rate (x3 at 3 a day, from day 40): a jump within 5 windows without persistence, within 11 with it, nothing before', () => {
    // Expected evidence ~ 3 x (3 ln 3 - 2) = 3.9 nats a day: h = 13 is crossed in ~3-4 days, a day
    // later where the counts' estimated dispersion is over 1 by chance (seed 3: 1.2). With
    // glr.persistWindows 7 the level must also hold beyond any 7 windows of the segment: ~7 more.
    for (const seed of [1, 2, 3]) {
      const days = series(seed, { days: 70, rate: 3, from: 40, rateF: 3 });
      for (const [settings, last] of [
        [cfg({ glr: { persistWindows: 0 } }), 45],
        [cfg(), 51],
      ] as const) {
        const f = run(days, settings);
        expect(f.length).toBeGreaterThanOrEqual(1);
        expect(f[0]!.index).toBeGreaterThanOrEqual(40);
        expect(f[0]!.index).toBeLessThanOrEqual(last);
        expect(f.every((x) => x.direction === 'up' && x.index >= 40)).toBe(true);
      }
    }
  });

  test('step up of sizes only (amounts x3, counts unchanged) needs no persistence: found at most 2 windows after without it', () => {
    // A burst of purchases changes how many, not what each costs: a split whose size part alone is
    // over h is exempt. ln 3 = 1.37 sd of the log sizes, ~2.8 nats a day at 3 a day. Without
    // persistence the count part's noise may add the last nats (measured, seeds 15-17: 43 / 50 / 45 against 42 / 50 / 44).
    for (const seed of [15, 16, 17]) {
      const days = series(seed, { days: 70, rate: 3, from: 40, sizeF: 3 });
      const f = run(days);
      expect(f[0]).toMatchObject({ direction: 'up' });
      expect(f[0]!.index).toBeGreaterThanOrEqual(40);
      const without = run(days, cfg({ glr: { persistWindows: 0 } }))[0]!;
      expect(f[0]!.index - without.index).toBeGreaterThanOrEqual(0);
      expect(f[0]!.index - without.index).toBeLessThanOrEqual(2);
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

  // Pay-day shopper (issue 17, item 2): x1.8 for 5 days from day 24 of every 30, x0.85 otherwise.
  const paydayDays = (seed: number, o: { days: number; rate: number; from?: number; rateF?: number }): WindowStats[] => {
    const r = rng(seed);
    return Array.from({ length: o.days }, (_, d) => {
      const spree = (d - 24 + 30) % 30 < 5 ? 1.8 : 0.85;
      const lambda = o.rate * spree * (o.from !== undefined && d >= o.from ? (o.rateF ?? 1) : 1);
      return day(r, poisson(r, lambda), 50, 0.8);
    });
  };

  test('pay-day customer, first spree inside the window (days 24-28 at 8 a day): no alert; without persistence, jumps', () => {
    // The spree is 2.1x the rest for 5 days, ~19 nats of count evidence at 8 a day: over h = 13
    // as a split, but gone with its 5 windows left out (glr.persistWindows: 7).
    let without = 0;
    for (const seed of [21, 22, 23, 24, 25, 26]) {
      const days = paydayDays(seed, { days: 45, rate: 8 });
      expect(run(days)).toEqual([]);
      without += run(days, cfg({ glr: { persistWindows: 0 } })).filter((f) => f.direction === 'up').length;
    }
    expect(without).toBeGreaterThanOrEqual(3);
  });

  test('pay-day customer with a real upward shift (x2 from day 40, sprees go on): a jump within 20 windows', () => {
    // x2 at 8 a day is 8 (2 ln 2 - 1) = 3.1 nats a day, divided by the counts' dispersion (the
    // sprees make it about 1.5). A split may start before the change, so the 7 windows left out can
    // be partly old level: found after 8-20 windows (20 seeds; 3-14 with the dispersion of the
    // first 14 windows less two standard errors, before 2026-12-05, which took the sprees for noise).
    let found = 0;
    let early = 0;
    for (let seed = 31; seed <= 50; seed++) {
      const f = run(paydayDays(seed, { days: 80, rate: 8, from: 40, rateF: 2 }));
      if (f.some((x) => x.index < 40)) early++;
      const first = f.find((x) => x.index >= 40);
      if (first?.direction === 'up' && first.index <= 40 + 20) found++;
    }
    // One of the 20 (seed 31) has a spree followed by five busy days by chance: a jump at day 33,
    // after which its baseline restarts inside the spree and the later step is not found by day 80.
    expect(found).toBeGreaterThanOrEqual(19);
    expect(early).toBeLessThanOrEqual(1);
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
    // Without glr.persistWindows: a week-long burst is what persistence alone already discounts.
    const settings = cfg({ glr: { persistWindows: 0 } });
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
  // k is left out while it equals n (no zero amounts here), n, l and q are kept (spend is not the count, sizes are not all 1).
  expect([s.g?.n?.length, s.g?.k, s.g?.l?.length, s.g?.q?.length]).toEqual([84, undefined, 84, 84]);
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
  // Its rings start afresh: no events, so every ring says nothing (n as the values, k as n, l and q all 0).
  expect(s.g).toEqual({});
});
