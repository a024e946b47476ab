/**
 * Turns a feature decision into a `drift_metrics` row (SPEC section 3): the deciding method's
 * score, and in `statistics` every other one computed (SPEC section 7: PSI, KS and the others are
 * always stored, whichever decides) with the two sample sizes; a statistic that does not apply to
 * the feature's kind is left out.
 */
import type { OutputRow } from '../operator.js';
import type { FeatureDriftResult } from './decide.js';

/** Run ids of `pulse drift evaluate` start with this, so reports tell them from the job's own runs. */
export const ADHOC_RUN_PREFIX = 'adhoc-';

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
    statistics: driftStatistics(result),
  };
}

function driftStatistics(result: FeatureDriftResult): Record<string, number> {
  const computed = Object.entries(result.allStats).filter((entry): entry is [string, number] => entry[1] !== null);
  return { ...Object.fromEntries(computed), reference_size: result.referenceSize, current_size: result.currentSize };
}
