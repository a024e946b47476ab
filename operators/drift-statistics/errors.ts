/** Typed errors of the drift statistics. */
import { ConfigError, PulseError, type CodeOfKind } from '../errors.js';

/** A drift option that cannot be used; `path` names the option (e.g. `spend_total.ksPValueThreshold`). */
export class DriftConfigError extends ConfigError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export type DriftInputErrorCode = Extract<CodeOfKind<'failure'>, `DRIFT_${string}`>;

/**
 * Input the statistics cannot work with: an empty sample given to a low-level function that needs
 * data (the decision functions never throw this: they report `insufficient_data`), a persisted
 * summary that is not a valid summary, or two sketches of different accuracy merged. Never
 * retryable: the same input fails the same way.
 */
export class DriftInputError extends PulseError {
  declare readonly code: DriftInputErrorCode;

  constructor(code: DriftInputErrorCode, message: string) {
    super(code, message);
  }
}
