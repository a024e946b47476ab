import { describe, expect, test } from 'vitest';
import { resolveShiftConfig } from '../../../operators/shifts/config.js';
import { type WindowStats, addEvent, advanceGlr, assessGlr, emptyWindow } from '../../../operators/shifts/glr-detector.js';
import { newSeries } from '../../../operators/shifts/series.js';
import {
  type LocatedChanges,
  FLANK_WINDOWS,
  NARROW_WINDOWS,
  ONSET_SLACK,
  findOnsets,
  moveOf,
  locateChange,
  populationEdge,
} from '../../../operators/shifts/together.js';
import { normal, poisson, rng } from './simulate.js';

/** Changes located at one window: `perWindow` series at every window of [from, to], plus `extra` at chosen windows. */
function starts(from: number, to: number, perWindow: number, extra: Record<number, number> = {}): LocatedChanges {
  const counts: LocatedChanges = {};
  const add = (w: number, n: number): void => void (counts[`${w}:${w}`] = (counts[`${w}:${w}`] ?? 0) + n);
  for (let w = from; w <= to; w++) if (perWindow > 0) add(w, perWindow);
  for (const [w, n] of Object.entries(extra)) add(Number(w), n);
  return counts;
}

describe('onsets of moves together (findOnsets)', () => {
  test('a peak of 12 starts at one window over 1 a window elsewhere is an onset; the background is hand-computed', () => {
    // Close at window 100, splits may start at 38..100. Window 60 holds 12 + 1; the flanks (57..49
    // and 63..71, ONSET_SLACK 2 and FLANK_WINDOWS 9) hold 1 each: 3 a stretch of three windows.
    // Cluster [59, 61] = 1 + 13 + 1 = 15 >= 3 x 3 + 6 x sqrt(3) = 19.4? No: 15 < 19.4, not yet.
    expect(findOnsets(starts(38, 100, 1, { 60: 12 }), [], 10, 100, 63)).toEqual([]);
    // With 20 at window 60: 23 >= 19.4, an onset.
    expect(findOnsets(starts(38, 100, 1, { 60: 20 }), [], 10, 100, 63)).toEqual([{ start: 60, series: 23, background: 3 }]);
  });

  test('fewer series than minSeries, a known onset nearby, or a plateau of changes is no new onset', () => {
    const peak = { 60: 8 };
    expect(findOnsets(starts(38, 100, 0, peak), [], 10, 100, 63)).toEqual([]);
    expect(findOnsets(starts(38, 100, 0, peak), [], 8, 100, 63)).toEqual([{ start: 60, series: 8, background: 0 }]);
    expect(findOnsets(starts(38, 100, 0, peak), [60 + ONSET_SLACK], 8, 100, 63)).toEqual([]);
    // Customers changing on their own, 8 a window for weeks: no window stands out from its flanks.
    expect(findOnsets(starts(40, 95, 8), [], 10, 100, 63)).toEqual([]);
  });

  test('the middle of a cluster wins over the edge of the stretch before it', () => {
    // Stretches [59, 61] and [60, 62] hold the same 20; window 61 holds them all.
    expect(findOnsets(starts(38, 100, 0, { 61: 20 }), [], 10, 100, 63).map((o) => o.start)).toEqual([61]);
  });

  test('flanks count only windows a split can start at: the newest one is the close', () => {
    // A cluster two windows before the close has its right flank in the future, so its left flank
    // alone is its background: its windows 95..87 (2 changes at each of 87..95) hold 4, 6 x 7 and
    // 4 in their three-window stretches, 50 / 9 = 5.6 a stretch, and 30 < 3 x 5.6 + 6 x sqrt(5.6) = 30.8.
    // Counting the 9 future windows as empty would halve it (21.8) and make this an onset.
    const counts = starts(98 - ONSET_SLACK - FLANK_WINDOWS, 98 - ONSET_SLACK - 1, 2, { 98: 30 });
    expect(findOnsets(counts, [], 10, 100, 63)).toEqual([]);
    expect(findOnsets(counts, [], 10, 120, 63)).toEqual([{ start: 98, series: 30, background: 50 / 18 }]);
  });
});

describe('changes located by their intervals (findOnsets, locateChange)', () => {
  /**
   * 40 customers who buy on a few weekdays of their own move at window 60: each one's interval is
   * the week between its last purchase before and its first after, [54 + k, 60 + k] for k = 0..6 (so
   * every one holds 60), and its best split one of those windows; 1 change a window elsewhere.
   */
  const movers = (at: (k: number) => [number, number]): LocatedChanges => {
    const changes = starts(38, 100, 1);
    for (let i = 0; i < 40; i++) {
      const [first, last] = at(i % 7);
      changes[`${first}:${last}`] = (changes[`${first}:${last}`] ?? 0) + 1;
    }
    return changes;
  };

  test('intervals that all hold the onset make a peak where their best splits spread over the week: hand-computed', () => {
    // Located by their intervals: the 40 all meet [59, 61], with the 3 of the background 43. Left
    // out of the flanks (they are the cluster's), the flanks hold the background's 3 a stretch.
    // 43 >= 3 x 3 + 6 x sqrt(3) = 19.4: an onset, at window 60, which the most intervals hold.
    expect(
      findOnsets(
        movers((k) => [54 + k, 60 + k]),
        [],
        10,
        100,
        63,
      ),
    ).toEqual([{ start: 60, series: 43, background: 3 }]);
    // The same customers located at their best splits (57..63, 5-6 a window): no window stands out
    // from flanks that hold them too.
    expect(
      findOnsets(
        movers((k) => [57 + k, 57 + k]),
        [],
        10,
        100,
        63,
      ),
    ).toEqual([]);
  });

  test('a known onset takes the series located within ONSET_SLACK of it', () => {
    expect(
      findOnsets(
        movers((k) => [54 + k, 60 + k]),
        [60],
        10,
        100,
        63,
      ),
    ).toEqual([]);
    expect(
      findOnsets(
        movers((k) => [54 + k, 60 + k]),
        [50],
        10,
        100,
        63,
      ).map((o) => o.start),
    ).toEqual([60]);
  });

  test('an interval up to NARROW_WINDOWS wide locates a change; a wider one, or none, its best split', () => {
    expect(locateChange([40, 40 + NARROW_WINDOWS - 1], 43)).toEqual([40, 40 + NARROW_WINDOWS - 1]);
    expect(locateChange([40, 40 + NARROW_WINDOWS], 43)).toEqual([43, 43]);
    expect(locateChange(null, 43)).toEqual([43, 43]);
  });
});

describe("the population's edge (populationEdge, findOnsets)", () => {
  test('the first window at least half of the series can split at', () => {
    expect(populationEdge({ 14: 30, 15: 20, 16: 50 })).toBe(15);
    expect(populationEdge({ 14: 30, 15: 19, 16: 51 })).toBe(16);
    expect(populationEdge(undefined)).toBe(Number.NEGATIVE_INFINITY);
  });

  test('windows before the edge are no flanks: a pile-up of changes at the edge is judged against what comes after it', () => {
    // Series that began together can split from window 14 on. 20 of them name window 15 at the
    // close of window 17: counting windows 4..12 as empty flanks would make that an onset
    // (background 0); with the edge, no flank window is known yet (background Infinity).
    const pileUp = starts(15, 15, 20);
    expect(findOnsets(pileUp, [], 10, 17, 63)).toEqual([{ start: 15, series: 20, background: 0 }]);
    expect(findOnsets(pileUp, [], 10, 17, 63, 14)).toEqual([]);
    // Ten windows on, the right flank (18..26) holds 1 change a window: 3 a stretch, 20 + 2 >=
    // 3 x 3 + 6 x sqrt(3) = 19.4 is an onset; 12 + 2 = 14 is not.
    expect(findOnsets(starts(14, 27, 1, { 15: 20 }), [], 10, 27, 63, 14)).toEqual([{ start: 15, series: 23, background: 3 }]);
    expect(findOnsets(starts(14, 27, 1, { 15: 12 }), [], 10, 27, 63, 14)).toEqual([]);
    // A peak before the edge is no onset.
    expect(findOnsets(starts(10, 27, 1, { 12: 40 }), [], 10, 27, 63, 14)).toEqual([]);
  });
});

describe('the move a customer is part of (moveOf)', () => {
  test('the onset inside the change interval, give or take ONSET_SLACK windows', () => {
    const at50 = { start: 50, alertId: 'a50' };
    expect(moveOf([at50], [48, 55])).toBe(at50);
    expect(moveOf([at50], [51, 53])).toBe(at50);
    expect(moveOf([at50], [50 + ONSET_SLACK + 1, 60])).toBeUndefined();
    expect(moveOf([at50], [30, 50 - ONSET_SLACK - 1])).toBeUndefined();
    expect(moveOf(undefined, [48, 55])).toBeUndefined();
    // Of two moves, the one whose onset the interval reaches: its alert lists the customer.
    expect(moveOf([{ start: 20, alertId: 'a20' }, at50], [52, 57])).toBe(at50);
  });
});

describe("the change interval of a candidate (assessGlr's starts)", () => {
  /** `days` days of a customer at `rate` purchases a day, amounts median 50 x `factor` from `from` on (log sd 0.7). */
  function candidateStarts(seed: number, rate: number, from: number, factor: number, days: number): Array<{ index: number; starts: [number, number] }> {
    const settings = resolveShiftConfig({ instant: [] });
    const r = rng(seed);
    const s = newSeries(0);
    const out: Array<{ index: number; starts: [number, number] }> = [];
    for (let index = 0; index < days; index++) {
      const w: WindowStats = emptyWindow();
      const count = poisson(r, rate);
      for (let i = 0; i < count; i++) addEvent(w, 50 * (index >= from ? factor : 1) * Math.exp(0.7 * normal(r)));
      const a = assessGlr(s, w, index, settings);
      if (a?.v.fired && a.starts) out.push({ index, starts: a.starts });
      advanceGlr(s, w, index, a?.v ?? null, false, settings, a?.a ?? null);
    }
    return out;
  }

  test('holds the change window, and is narrower for a customer who buys more (amounts x2.5 at 6 and at 1.5 a day)', () => {
    for (const seed of [1, 2, 3]) {
      const busy = candidateStarts(seed, 6, 40, 2.5, 60);
      const rare = candidateStarts(seed, 1.5, 40, 2.5, 80);
      expect(busy.length, `seed ${seed}`).toBeGreaterThan(0);
      expect(rare.length, `seed ${seed}`).toBeGreaterThan(0);
      for (const { starts } of [busy[0]!, rare[0]!]) {
        expect(starts[0]).toBeLessThanOrEqual(40 + ONSET_SLACK);
        expect(starts[1]).toBeGreaterThanOrEqual(40 - ONSET_SLACK);
      }
      // Measured at the first alert: [39, 40] or [40, 40] at 6 a day; [39, 56], [37, 50], [38, 45] at 1.5.
      const width = ({ starts }: { starts: [number, number] }): number => starts[1] - starts[0];
      expect(width(busy[0]!), `seed ${seed}`).toBeLessThanOrEqual(2);
      expect(width(busy[0]!), `seed ${seed}`).toBeLessThan(width(rare[0]!));
    }
  });
});
