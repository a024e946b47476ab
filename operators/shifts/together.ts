/**
 * Part of a population moving together (issue 17, item 3): a price rise for the customers of one
 * product line, a campaign to some of them, a change that no profile label names. Each of those
 * customers' series shows a shift, so each would get a sales alert, and the half of the population
 * that did not move must not be judged against a mean move either (`population.sizes` would turn
 * them into drops). What tells such a move from many customers' own shifts is its onset: customers
 * shift on their own at scattered windows, but a shared move starts at the same window for all of
 * them.
 *
 * So at each window close every series whose best split has at least half the evidence an alert
 * needs (`SCREEN_SHARE` x glr.h) names the window its recent segment starts at, and a customer
 * going quiet the first window of the gap (local.ts `screen`), per kind of move (`MoveKind`); a
 * window at which far more series start than around it (`findOnsets`) is the onset of a move of
 * that part of the population. A candidate of that kind whose change could have started at the
 * onset (`isTogether`) gets no alert: its series restarts from its split, as after an alert, and
 * its silence is not reported; one analytic alert tells of the move (alerts.ts `togetherAlert`).
 * The customers who did not move are judged as before. The drift operator reports the
 * population's distributions.
 */

import type { ShiftSettings } from './config.js';

/** Whether the operator looks for moves together: the GLR method, with the population factors and `population.together` on. */
export function watchesTogether(cfg: ShiftSettings): boolean {
  return cfg.method === 'glr' && cfg.population.enabled && cfg.population.together.enabled;
}

/** Share of glr.h from which a series names the start of its best split. */
export const SCREEN_SHARE = 0.5;

/**
 * Windows an onset may be off: the split of a customer who buys every few days lands on the first
 * window with a purchase after the move; the declared onset is the middle of the busiest three.
 */
export const ONSET_SLACK = 2;

/** Series per split-start window (window index as the key), of one population and direction. */
export type StartCounts = Record<string, number>;

/**
 * What moved and which way: the purchases (a split led by its count part) or the amounts (led by
 * its size part), up or down. A price rise for some customers is no reason to take a customer who
 * buys twice as often from the same day for one of them.
 */
export type MoveKind = 'down-count' | 'down-size' | 'up-count' | 'up-size';
export const MOVE_KINDS: readonly MoveKind[] = ['down-count', 'down-size', 'up-count', 'up-size'];

/** Literals, not a template: this runs for every series at every close, and a template makes a new string each time. */
export function moveKind(direction: 'up' | 'down', sizeLed: boolean): MoveKind {
  if (direction === 'up') return sizeLed ? 'up-size' : 'up-count';
  return sizeLed ? 'down-size' : 'down-count';
}

/** Series that named split starts, per population key and kind of move (`key|up-size`, ...). */
export type ScreenedStarts = Record<string, StartCounts>;

export const screenedKey = (populationKey: string, kind: MoveKind): string => `${populationKey}|${kind}`;

/** A window at which part of a population started to move, the series that show it and the background (see `findOnsets`). */
export interface Onset {
  start: number;
  series: number;
  background: number;
}

/** Counts one series whose best split starts at window `start`. */
export function countStart(screened: ScreenedStarts, populationKey: string, kind: MoveKind, start: number): void {
  const counts = (screened[screenedKey(populationKey, kind)] ??= {});
  counts[start] = (counts[start] ?? 0) + 1;
}

/** Adds a shard's counts to the population's (integer sums: any order gives the same result). */
export function mergeScreened(into: ScreenedStarts, from: ScreenedStarts): void {
  for (const [key, counts] of Object.entries(from)) {
    const total = (into[key] ??= {});
    for (const [start, n] of Object.entries(counts)) total[start] = (total[start] ?? 0) + n;
  }
}

/** Windows on each side of a stretch, past ONSET_SLACK, whose split starts are its background. */
export const FLANK_WINDOWS = 9;

/**
 * The new onsets among the split starts of one close (window `index`): windows `s` whose three
 * windows `[s - 1, s + 1]` hold at least `minSeries` series and at least three times, plus six
 * standard deviations (Poisson), what a three-window stretch holds in the flanks around them (the
 * FLANK_WINDOWS windows on each side beyond ONSET_SLACK, those a split can start at: within the
 * last `maxRecent` windows). A move together is a peak; customers changing on their own, however
 * many, spread over the weeks (a season of changes is a plateau, not a peak), and the starts of
 * splits that noise makes favour the newest windows. `known` onsets, and windows within
 * ONSET_SLACK of them, are left out. Returns them in ascending order, each with its series and
 * the background.
 */
export function findOnsets(counts: StartCounts, known: readonly number[], minSeries: number, index: number, maxRecent: number): Onset[] {
  const starts = Object.keys(counts).map(Number);
  if (starts.length === 0) return [];
  const onsets: Onset[] = [];
  const taken = (s: number): boolean => [...known, ...onsets.map((o) => o.start)].some((o) => Math.abs(o - s) <= ONSET_SLACK);
  // The series of a move already found are no new one.
  const free = (w: number): number => (taken(w) ? 0 : (counts[w] ?? 0));
  const around = (s: number): number => free(s - 1) + free(s) + free(s + 1);
  const firstStart = index - maxRecent + 1;
  /** Series per three windows in the flanks of `s`. */
  const flanks = (s: number): number => {
    let series = 0;
    let windows = 0;
    for (let d = ONSET_SLACK + 1; d <= ONSET_SLACK + FLANK_WINDOWS; d++) {
      for (const w of [s - d, s + d]) {
        if (w < firstStart || w > index) continue;
        series += counts[w] ?? 0;
        windows++;
      }
    }
    return windows === 0 ? Number.POSITIVE_INFINITY : (3 * series) / windows;
  };
  // Busiest first; among stretches as busy, the one whose middle window holds the most (a cluster
  // at one window is the middle of its stretch, not the edge of the one before), then the earlier.
  const centres = [...new Set(starts.flatMap((s) => [s - 1, s, s + 1]))].sort((a, b) => around(b) - around(a) || (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
  // Each cluster is judged once, at its busiest centre: its neighbours hold the same series.
  const judged: number[] = [];
  for (const s of centres) {
    const cluster = around(s);
    if (cluster < minSeries) break;
    if (taken(s) || judged.some((j) => Math.abs(j - s) <= ONSET_SLACK)) continue;
    judged.push(s);
    const background = flanks(s);
    if (cluster >= 3 * background + 6 * Math.sqrt(background)) onsets.push({ start: s, series: cluster, background });
  }
  return onsets.sort((a, b) => a.start - b.start);
}

/**
 * Whether a customer's shift is part of a move that started at one of `onsets`: the move's onset
 * lies where the customer's own change could have started (`starts`, the first and last window of
 * the change point's likelihood interval, glr-detector.ts), give or take ONSET_SLACK windows. A
 * customer who buys every few days or weeks tells the window of a change only to within a few of
 * their own purchases.
 */
export function isTogether(onsets: readonly number[] | undefined, starts: readonly [number, number]): boolean {
  return onsets !== undefined && onsets.some((o) => o >= starts[0] - ONSET_SLACK && o <= starts[1] + ONSET_SLACK);
}
