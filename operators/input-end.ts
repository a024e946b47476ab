/**
 * What the end of a bounded input (a file replay) completes. Such an input ends at its last events,
 * seldom at a window's end: a day's export stops at 23:58, a replay cut on a Wednesday morning stops
 * inside Wednesday. A window (a KPI window, a scheduled report's day or week) counts as complete
 * when the events reached its last stretch: its last quarter, at most its last hour. Anything
 * earlier is a window the input ended in, to be completed by the next run over the same database.
 */
const COMPLETE_WITHIN_MS = 3_600_000;

/** How close to a window's end the events must reach for it to be complete: its last quarter, at most an hour. */
export function completeWithinMs(sizeMs: number): number {
  return Math.min(COMPLETE_WITHIN_MS, sizeMs / 4);
}

/** True when events up to `reached` (the newest event time) complete the window [start, end) at the end of an input. */
export function completeAtInputEnd(start: number, end: number, reached: number): boolean {
  return reached >= end - completeWithinMs(end - start);
}

/** A window of `sizeMs` starting at `start` that the input ended in. */
export interface OpenWindow {
  sizeMs: number;
  start: number;
}
