/** Feature summaries of the drift operator as they travel: partials from worker threads, state read back, merge-topic records. */
import type { CategoricalSummary, NumericSketch } from '../drift-statistics/index.js';
import { isNumericSketch, mergeCategorical, mergeNumericSketch, restoreCategoricalSummary, restoreNumericSketch } from '../drift-statistics/index.js';
import type { Summaries } from './local.js';

/**
 * Adds `from` into `into`, feature by feature. `from` may be a structured clone or parsed JSON: its
 * summaries are rebuilt by the validating restore functions first; `into` must hold rebuilt ones.
 */
export function mergeSummaries(into: Summaries, from: Summaries): void {
  for (const [name, raw] of Object.entries(from)) {
    const s = isNumericSketch(raw) ? restoreNumericSketch(raw) : restoreCategoricalSummary(raw);
    const target = into[name];
    if (target === undefined) into[name] = s;
    else if (isNumericSketch(target)) mergeNumericSketch(target, s as NumericSketch);
    else mergeCategorical(target, s as CategoricalSummary);
  }
}

/** Rebuilds every summary of `s` in place (state read back after a restart is raw JSON); returns `s`. */
export function restoreSummaries(s: Summaries): Summaries {
  for (const [name, v] of Object.entries(s)) s[name] = isNumericSketch(v) ? restoreNumericSketch(v) : restoreCategoricalSummary(v);
  return s;
}
