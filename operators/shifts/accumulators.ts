/**
 * A customer's open-window accumulators: per open window, measure -> the sums of that window's
 * events, `[value, events, positive events, ln value, ln value squared]` (the GLR's sufficient
 * statistics, glr-detector.ts; the CUSUM method uses the value only). One short array per measure
 * rather than five named properties: a number slot per event instead of a keyed property store, and
 * a checkpoint row that does not spell out `spend_total#n` and the like for every active customer.
 * The windows are a short list (one or two are open at a time) rather than an object keyed by window
 * index: such a key is an array index far beyond any length, which V8 keeps in a dictionary that
 * stays allocated after the window closes. Each sum is added in the same order as before, so the
 * window's statistics are bit for bit the same.
 */
import { type WindowStats, emptyWindow } from './glr-detector.js';
import { appendExact } from '../state-list.js';

export interface OpenWindow {
  index: number;
  /** Measure -> sums (see the module comment). */
  sums: Record<string, number[]>;
}

export type Accumulators = OpenWindow[];

/** The accumulators as written before issue 13: window -> `<measure>` and `<measure>#n|k|l|q` -> sum. */
export type LegacyAccumulators = Record<string, Record<string, number>>;

const VALUE = 0;
const EVENTS = 1;
const POSITIVE = 2;
const LOG = 3;
const LOG_SQUARED = 4;

/**
 * Adds one event of `value` to window `index` of `measure`, the statistics only `withStats` (GLR),
 * and returns the list: a new one when the window opens (state-list.ts: a push reserves 16 spare
 * slots, kept by every customer with an open window).
 */
export function accumulate(acc: Accumulators, index: number, measure: string, value: number, withStats: boolean): Accumulators {
  let window = sumsOf(acc, index);
  if (window === undefined) {
    const opened: OpenWindow = { index, sums: (window = {}) };
    acc = appendExact(acc, opened);
  }
  const sums = (window[measure] ??= [0, 0, 0, 0, 0]);
  sums[VALUE] = (sums[VALUE] as number) + value;
  if (!withStats) return acc;
  sums[EVENTS] = (sums[EVENTS] as number) + 1;
  if (value > 0) {
    const lv = Math.log(value);
    sums[POSITIVE] = (sums[POSITIVE] as number) + 1;
    sums[LOG] = (sums[LOG] as number) + lv;
    sums[LOG_SQUARED] = (sums[LOG_SQUARED] as number) + lv * lv;
  }
  return acc;
}

/** The sums of window `index` by measure; undefined when the customer had no event in it. */
export function sumsOf(acc: Accumulators, index: number): Record<string, number[]> | undefined {
  for (const window of acc) if (window.index === index) return window.sums;
  return undefined;
}

/** Removes the windows up to `index` (closed); whether there were any. */
export function dropClosed(acc: Accumulators, index: number): boolean {
  let kept = 0;
  for (const window of acc) if (window.index > index) acc[kept++] = window;
  const dropped = kept < acc.length;
  acc.length = kept;
  return dropped;
}

/** The measure's value in a window (0 without events). */
export function windowValue(sums: readonly number[] | undefined): number {
  return sums ? (sums[VALUE] as number) : 0;
}

/** The measure's statistics in a window (all 0 without events). */
export function windowStats(sums: readonly number[] | undefined): WindowStats {
  const w = emptyWindow();
  if (!sums) return w;
  w.x = sums[VALUE] as number;
  w.n = sums[EVENTS] as number;
  w.k = sums[POSITIVE] as number;
  w.l = sums[LOG] as number;
  w.q = sums[LOG_SQUARED] as number;
  return w;
}

/** Accumulators of a state written before issue 13, in today's form (a missing sum is 0, as it was read then). */
export function fromLegacy(legacy: LegacyAccumulators): Accumulators {
  const acc: Accumulators = [];
  for (const index in legacy) {
    const old = legacy[index] as Record<string, number>;
    const sums: Record<string, number[]> = {};
    for (const measure in old) {
      if (measure.includes('#')) continue;
      const stat = (suffix: string): number => old[measure + suffix] ?? 0;
      sums[measure] = [old[measure] ?? 0, stat('#n'), stat('#k'), stat('#l'), stat('#q')];
    }
    acc.push({ index: Number(index), sums });
  }
  return acc;
}
