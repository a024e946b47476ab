/**
 * The state of one customer's series (one measure), shared by both detectors: the CUSUM detector
 * (detector.ts) and the GLR detector (glr-detector.ts). Kept apart from both so neither imports the
 * other: plain JSON, persisted as is in the operator's keyed state.
 */

/**
 * Per-window statistics rings kept beside `SeriesState.v` (same length, oldest first). A ring that
 * says nothing is left out, in memory and in the checkpoint: `n` while every window's events equal
 * its value (always for a count), `k` while every window's positive events equal its events (always
 * for a count, for spend unless an amount was 0), `l` and `q` while every window's value is 0
 * (always for a count: ln 1 = 0). A state written with all four (before issue 13) reads the same;
 * `advanceGlr` drops the redundant ones when it next advances.
 */
export interface GlrRings {
  /** Absent: equal to `SeriesState.v`. */
  n?: number[];
  /** Absent: equal to `n`. */
  k?: number[];
  /** Absent: all 0. */
  l?: number[];
  /** Absent: all 0. */
  q?: number[];
}

export interface SeriesState {
  /** Window values since the last reset, oldest first; at most `ringWindows` long. */
  v: number[];
  /** Window index of the newest value of `v` (index of the window before the first when empty). */
  last: number;
  /** CUSUM sums and run lengths (see cusum.ts). */
  up: number;
  down: number;
  runUp: number;
  runDown: number;
  /** First window index at which this series may alert again (cooldown). */
  quiet: number;
  /** Per-window event statistics beside `v` (GLR method only; glr-detector.ts). */
  g?: GlrRings;
  /** GLR method: expected events per season phase, from the last assessment. */
  ex?: number[];
  /** GLR method: mean log size of the baseline, from the last assessment (population size departures). */
  mu?: number;
  /** Silence rule: window index of the last event before the gap already reported (one alert per gap). */
  qg?: number;
  /**
   * Silence rule: the windows of reported silences, as flat [first, end) window-index pairs, kept
   * while they overlap the ring. The last one stays open (grows) while the series has no event.
   * The GLR leaves these windows out: the customer went quiet and was reported as such, so the gap
   * is neither evidence of a drop nor, on the way back, the baseline of a jump (glr-detector.ts).
   */
  qm?: number[];
}

export function newSeries(firstIndex: number): SeriesState {
  return { v: [], last: firstIndex - 1, up: 0, down: 0, runUp: 0, runDown: 0, quiet: firstIndex };
}
