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
 * needs (`SCREEN_SHARE` x glr.h) names the windows its change may have started at (its change
 * interval, `locateChange`), and a customer going quiet the windows it may have stopped at (local.ts
 * `screen`), per kind of move (`MoveKind`); a window at which far more series' changes may have
 * started than around it (`findOnsets`) is the onset of a move of that part of the population. A
 * candidate of that kind whose change could have started at the onset (`moveOf`) gets no
 * alert: its series restarts from its split, as after an alert, and its silence is not reported;
 * one analytic alert tells of the move (alerts.ts `togetherAlert`), and a `move_members` row of
 * each customer held back names it, so that the customers of a move can be listed.
 * The customers who did not move are judged as before. The drift operator reports the
 * population's distributions.
 */

import type { ShiftSettings } from './config.js';

/** Whether the operator looks for moves together: the GLR method, with the population factors and `population.together` on. */
export function watchesTogether(cfg: ShiftSettings): boolean {
  return cfg.method === 'glr' && cfg.population.enabled && cfg.population.together.enabled;
}

/** Share of glr.h from which a series names where its change may have started. */
export const SCREEN_SHARE = 0.5;

/**
 * Windows an onset may be off: the split of a customer who buys every few days lands on the first
 * window with a purchase after the move; a move is judged by the series located within a window
 * of its onset.
 */
export const ONSET_SLACK = 2;

/**
 * Series per located change of one population and kind of move: the key `first:last` names the
 * windows the change may start at (`locateChange`), the value how many series located it there.
 */
export type LocatedChanges = Record<string, number>;

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

/** Series that located their change, per population key and kind of move (`key|up-size`, ...). */
export type ScreenedChanges = Record<string, LocatedChanges>;

export const screenedKey = (populationKey: string, kind: MoveKind): string => `${populationKey}|${kind}`;

/** A window at which part of a population started to move, the series that show it and the background (see `findOnsets`). */
export interface Onset {
  start: number;
  series: number;
  background: number;
}

/**
 * Widest change interval (windows) a series names as where its change may start; a wider one names
 * its best split's window alone. Within a week a customer who buys on a few weekdays of their own
 * cannot tell which day a move started (nothing tells them apart between two purchases), and
 * their best splits spread over the week around it while their intervals all hold it; an interval
 * of weeks says little and would lift every window's count.
 */
export const NARROW_WINDOWS = 7;

/**
 * Where a series' change may start: its change interval (`starts`, glr-detector.ts `changeStarts`)
 * when at most NARROW_WINDOWS wide, else its best split's first window `start`.
 */
export function locateChange(starts: readonly [number, number] | null, start: number): [first: number, last: number] {
  return starts !== null && starts[1] - starts[0] < NARROW_WINDOWS ? [starts[0], starts[1]] : [start, start];
}

/** Counts one series whose change may start at windows `first`..`last`. */
export function countChange(screened: ScreenedChanges, populationKey: string, kind: MoveKind, first: number, last: number): void {
  const located = (screened[screenedKey(populationKey, kind)] ??= {});
  const key = `${first}:${last}`;
  located[key] = (located[key] ?? 0) + 1;
}

/**
 * Adds a shard's counts to the population's, for the located changes (ScreenedChanges) and the
 * split edges (SplitEdges) alike: integer sums, so any order of shards gives the same result.
 */
export function mergeCounts(into: Record<string, Record<string, number>>, from: Readonly<Record<string, Readonly<Record<string, number>>>>): void {
  for (const [key, counts] of Object.entries(from)) {
    const total = (into[key] ??= {});
    for (const [at, n] of Object.entries(counts)) total[at] = (total[at] ?? 0) + n;
  }
}

/**
 * Per population key, the assessed series by the first window their split can start at (key: the
 * window). Series that began together (every customer a job has seen since its first day, once
 * `minHistory` windows old) name changes at that edge far more often than anywhere else: before the
 * population's edge there is no background to judge a peak against.
 */
export type SplitEdges = Record<string, Record<string, number>>;

export function countEdge(edges: SplitEdges, populationKey: string, window: number): void {
  const counts = (edges[populationKey] ??= {});
  counts[window] = (counts[window] ?? 0) + 1;
}

/** The first window at least half of a population's series can split at (-Infinity when none is known). */
export function populationEdge(counts: Readonly<Record<string, number>> | undefined): number {
  const windows = Object.entries(counts ?? {})
    .map(([w, n]) => [Number(w), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = windows.reduce((sum, [, n]) => sum + n, 0);
  let seen = 0;
  for (const [window, n] of windows) {
    seen += n;
    if (2 * seen >= total) return window;
  }
  return Number.NEGATIVE_INFINITY;
}

/** Windows on each side of a stretch, past ONSET_SLACK, whose located changes are its background. */
export const FLANK_WINDOWS = 9;

interface Located {
  first: number;
  last: number;
  series: number;
}

/** Whether a change located at `c` may have started within one window of `w` (the stretch `[w - 1, w + 1]`). */
const meets = (c: Located, w: number): boolean => c.first <= w + 1 && c.last >= w - 1;

/** Whether a change located at `c` may have started at window `w`. */
const holds = (c: Located, w: number): boolean => c.first <= w && c.last >= w;

/**
 * The new onsets among the changes the series located at one close (window `index`): windows `s`
 * where at least `minSeries` series' changes may have started within one window (`[s - 1, s + 1]`),
 * at least three times, plus six standard deviations (Poisson), what a three-window stretch of the
 * flanks around them holds of the other series (the FLANK_WINDOWS windows on each side beyond
 * ONSET_SLACK, those a split can start at: within the last `maxRecent` windows). A series located
 * at the onset is left out of its flanks: the intervals of those who buy once or twice a week
 * reach into them. A move together is a peak; customers changing on their own, however many,
 * spread over the weeks (a season of changes is a plateau, not a peak), and the starts of splits
 * that noise makes favour the newest windows. Series whose change may lie within ONSET_SLACK of
 * a `known` onset belong to its move and are left out. Returns the new onsets in ascending order,
 * each with its series and the background.
 */
export function findOnsets(
  changes: LocatedChanges,
  known: readonly number[],
  minSeries: number,
  index: number,
  maxRecent: number,
  edge = Number.NEGATIVE_INFINITY,
): Onset[] {
  const onsets: Onset[] = [];
  const ofMove = (c: Located, onset: number): boolean => c.first <= onset + ONSET_SLACK && c.last >= onset - ONSET_SLACK;
  let free: Located[] = Object.entries(changes)
    .map(([where, series]) => {
      const [first, last] = where.split(':').map(Number) as [number, number];
      return { first, last, series };
    })
    .filter((c) => !known.some((onset) => ofMove(c, onset)));
  if (free.length === 0) return [];
  const sum = (located: readonly Located[], counted: (c: Located) => boolean): number => {
    let series = 0;
    for (const c of located) if (counted(c)) series += c.series;
    return series;
  };
  const firstStart = Math.max(index - maxRecent + 1, edge);
  /** Series of a three-window stretch in the flanks of `s`, but for those located within one window of `s`. */
  const flanks = (s: number): number => {
    let series = 0;
    let windows = 0;
    for (let d = ONSET_SLACK + 1; d <= ONSET_SLACK + FLANK_WINDOWS; d++) {
      for (const w of [s - d, s + d]) {
        if (w < firstStart || w > index) continue;
        series += sum(free, (c) => meets(c, w) && !meets(c, s));
        windows++;
      }
    }
    return windows === 0 ? Number.POSITIVE_INFINITY : series / windows;
  };
  /** The series whose changes may have started within one window of `w`, and at `w` itself. */
  const clusterAt = (w: number): number => sum(free, (c) => meets(c, w));
  const heldAt = (w: number): number => sum(free, (c) => holds(c, w));
  const windows = new Set<number>();
  for (const c of free) for (let w = c.first - 1; w <= c.last + 1; w++) windows.add(w);
  const cluster = new Map<number, number>();
  const held = new Map<number, number>();
  for (const w of windows) {
    cluster.set(w, clusterAt(w));
    held.set(w, heldAt(w));
  }
  // Busiest first; among stretches as busy, the window most changes may start at (a cluster at one
  // window is the middle of its stretch, not the edge of the one before), then the earlier.
  const centres = [...windows].sort((a, b) => cluster.get(b)! - cluster.get(a)! || held.get(b)! - held.get(a)! || a - b);
  /**
   * Where a move whose busiest stretch is centred on `c` started: the window within ONSET_SLACK of
   * it that the most series' intervals hold (a mover's interval holds the onset, wherever its best
   * split fell), the nearest to `c` among those, then the earlier.
   */
  const startOf = (c: number): number => {
    let best = c;
    let most = -1;
    for (let d = 0; d <= ONSET_SLACK; d++) {
      for (const w of d === 0 ? [c] : [c - d, c + d]) {
        const series = heldAt(w);
        if (series > most) [best, most] = [w, series];
      }
    }
    return best;
  };
  // Each cluster is judged once, at its busiest centre: its neighbours hold the same series.
  const judged: number[] = [];
  for (const c of centres) {
    if (cluster.get(c)! < minSeries) break;
    if (c < edge) continue;
    if (onsets.some((o) => Math.abs(o.start - c) <= ONSET_SLACK) || judged.some((j) => Math.abs(j - c) <= ONSET_SLACK)) continue;
    judged.push(c);
    // A move found at this close takes its series, as a known one does.
    const series = clusterAt(c);
    if (series < minSeries) continue;
    const background = flanks(c);
    if (series >= 3 * background + 6 * Math.sqrt(background)) {
      const start = startOf(c);
      onsets.push({ start, series, background });
      free = free.filter((x) => !ofMove(x, start));
    }
  }
  return onsets.sort((a, b) => a.start - b.start);
}

/**
 * Windows within which onsets of one move's alert identity (`moveIdentity`) are the same move: a
 * purchase move is found in both purchase measures, a window or two apart, and the series a found
 * onset leaves out (ONSET_SLACK either side) may still make a second peak just past them.
 */
export const SAME_MOVE_WINDOWS = 2 * ONSET_SLACK + 1;

/**
 * What one analytic alert of a move stands for: the purchases (`spend_count`) and the spend
 * (`spend_total`) show the same move of the customers' purchases, a usage metric its own.
 */
export function moveIdentity(measure: string, segment: string | null, kind: MoveKind): string {
  return `${measure.startsWith('spend_') ? 'spend' : measure}|${segment ?? ''}|${kind}`;
}

/** A known onset of a move and the analytic alert that told of the move (alerts.ts `togetherAlert`). */
export interface MoveOnset {
  start: number;
  alertId: string;
}

/** The known onsets of moves of one population, by kind of move. */
export type KnownMoves = Partial<Record<MoveKind, MoveOnset[]>>;

/**
 * The move, among `moves`, that a customer's shift is part of: the move's onset lies where the
 * customer's own change could have started (`starts`, the first and last window of the change
 * point's likelihood interval, glr-detector.ts), give or take ONSET_SLACK windows. A customer who
 * buys every few days or weeks tells the window of a change only to within a few of their own
 * purchases. Undefined when it is part of none.
 */
export function moveOf(moves: readonly MoveOnset[] | undefined, starts: readonly [number, number]): MoveOnset | undefined {
  return moves?.find((m) => m.start >= starts[0] - ONSET_SLACK && m.start <= starts[1] + ONSET_SLACK);
}
