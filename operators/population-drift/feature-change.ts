/**
 * What moved in a drifted feature, in a reader's terms (SPEC section 5: an alert's description
 * gives the baseline, the current value and the change): the mean of a numeric feature in the
 * reference and now, or the category whose share moved most.
 */
import type { CategoricalSummary, NumericSketch } from '../drift-statistics/index.js';
import { categoricalTotal, sketchMean } from '../drift-statistics/index.js';

export interface FeatureChange {
  baseline: number;
  current: number;
  /** `mean` of a numeric feature, else the category named. */
  of: string;
  text: string;
}

export function numericChange(feature: string, reference: NumericSketch, current: NumericSketch): FeatureChange | null {
  if (reference.count === 0 || current.count === 0) return null;
  const baseline = sketchMean(reference);
  const now = sketchMean(current);
  const change = baseline === 0 ? '' : ` (${signed((now / baseline - 1) * 100)}%)`;
  return { baseline, current: now, of: 'mean', text: `${feature}: mean ${round(baseline)} in the reference, ${round(now)} now${change}` };
}

export function categoricalChange(feature: string, reference: CategoricalSummary, current: CategoricalSummary): FeatureChange | null {
  const refTotal = categoricalTotal(reference);
  const curTotal = categoricalTotal(current);
  if (refTotal === 0 || curTotal === 0) return null;
  let best: FeatureChange | null = null;
  for (const category of new Set([...Object.keys(reference.counts), ...Object.keys(current.counts)])) {
    const baseline = (reference.counts[category] ?? 0) / refTotal;
    const now = (current.counts[category] ?? 0) / curTotal;
    if (best !== null && Math.abs(now - baseline) <= Math.abs(best.current - best.baseline)) continue;
    const text = `${feature}: ${category} ${percent(baseline)} of the reference, ${percent(now)} now (${signed((now - baseline) * 100)} points)`;
    best = { baseline, current: now, of: category, text };
  }
  return best;
}

const round = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));
const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
