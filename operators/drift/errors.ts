/** Typed errors of the drift statistics. */
import { ConfigError } from '../errors.js';

/** A drift option that cannot be used; `path` names the option (e.g. `spend_total.ksPValueThreshold`). */
export class DriftConfigError extends ConfigError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export const DRIFT_INPUT_ERROR_CODES = [
  'DRIFT_EMPTY_SAMPLE',
  'DRIFT_SUMMARY_INVALID',
  'DRIFT_SKETCH_MISMATCH',
] as const;
export type DriftInputErrorCode = (typeof DRIFT_INPUT_ERROR_CODES)[number];

/**
 * Input the statistics cannot work with: an empty sample given to a low-level function that needs
 * data (the decision functions never throw this: they report `insufficient_data`), a persisted
 * summary that is not a valid summary, or two sketches of different accuracy merged. Never
 * retryable: the same input fails the same way.
 */
export class DriftInputError extends Error {
  readonly retryable = false;

  constructor(
    readonly code: DriftInputErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DriftInputError';
  }
}
