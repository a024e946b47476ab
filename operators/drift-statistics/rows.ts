/**
 * Turns a feature decision into a `drift_metrics` row (SPEC section 3). The extra statistics are not
 * columns of the SPEC table; a sink that keeps them can read `allStats` from the result itself.
 */
import type { OutputRow } from '../operator.js';
import type { FeatureDriftResult } from './decide.js';

export interface DriftPeriods {
  /** Epoch milliseconds, half-open [start, end). */
  referenceStart: number;
  referenceEnd: number;
  currentStart: number;
  currentEnd: number;
}

export function driftMetricRow(runId: string, feature: string, result: FeatureDriftResult, periods: DriftPeriods): OutputRow {
  return {
    run_id: runId,
    feature,
    method: result.method,
    score: result.score,
    p_value: result.p_value,
    threshold: result.threshold,
    drifted: result.drifted,
    reference_start: periods.referenceStart,
    reference_end: periods.referenceEnd,
    current_start: periods.currentStart,
    current_end: periods.currentEnd,
  };
}
