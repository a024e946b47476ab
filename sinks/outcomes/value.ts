import { UsageError } from '../../operators/errors.js';
import { DEFAULT_RECORD_LIMITS } from '../../operators/record-limits.js';

/**
 * The largest value a person may give a lead or an outcome: the largest transaction amount the job
 * accepts by default (`limits.max_amount`). A value beyond what any purchase can be is a typing
 * slip, and a very large one (1e308) failed inside DuckDB's parameter binding with a stack trace.
 */
export const MAX_VALUE = DEFAULT_RECORD_LIMITS.maxAmount;

/** Refuses a `--value` that is not an amount from 0 to MAX_VALUE (a UsageError: exit code 2). */
export function checkValue(value: number | undefined): void {
  if (value === undefined || (Number.isFinite(value) && value >= 0 && value <= MAX_VALUE)) return;
  throw new UsageError(`--value must be an amount from 0 to ${MAX_VALUE} (limits.max_amount, the largest transaction amount), not ${value}`);
}
