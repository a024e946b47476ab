/**
 * Typed errors: one base class, `PulseError`, and one list of codes. Every error a person may see
 * says what was wrong, where, and what to do; `code` is stable for scripts, its `kind` decides the
 * CLI's exit code (pipelines/exit-codes.ts), and `retryable` tells the runner whether trying again
 * can help.
 */

/** What an error is about: a bad job file or option (`config`), a bad command line (`usage`), or a run that failed (`failure`). */
export type ErrorKind = 'config' | 'usage' | 'failure';

/** Every code an error may carry, with its kind. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'config',
  CONFIG_ALERTING_INVALID: 'config',
  ROUTING_CONFIG_INVALID: 'config',
  ROUTING_MATCHER_INVALID: 'config',
  SHIFT_CONFIG: 'config',
  GENERATOR_CONFIG: 'config',
  EXPRESSION_INVALID: 'config',
  /** The job's settings changed since its stored state was kept (pipelines/state-settings.ts). */
  STATE_SETTINGS_CHANGED: 'config',
  /** An operator comes back into the job after runs without it moved on (pipelines/state-settings.ts). */
  OPERATOR_LEFT_OUT: 'config',
  USAGE: 'usage',
  SOURCE_FAILED: 'failure',
  SINK_FAILED: 'failure',
  SINK_DELIVERY_FAILED: 'failure',
  KAFKA_PRODUCE_FAILED: 'failure',
  CHECKPOINT_FAILED: 'failure',
  STORE_LOCKED: 'failure',
  /** A running job's command API answered a command with an error (pipelines/job-api.ts). */
  JOB_API_FAILED: 'failure',
  DRIFT_EMPTY_SAMPLE: 'failure',
  DRIFT_SUMMARY_INVALID: 'failure',
  DRIFT_SKETCH_MISMATCH: 'failure',
} as const satisfies Record<string, ErrorKind>;
export type ErrorCode = keyof typeof ERROR_CODES;
/** The codes of one kind, e.g. those a ConfigError may carry. */
export type CodeOfKind<K extends ErrorKind> = { [C in ErrorCode]: (typeof ERROR_CODES)[C] extends K ? C : never }[ErrorCode];

export interface PulseErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

export class PulseError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: PulseErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  get kind(): ErrorKind {
    return ERROR_CODES[this.code];
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/** A job configuration that cannot run; the CLI exits with code 2. */
export class ConfigError extends PulseError {
  constructor(message: string, cause?: unknown, code: CodeOfKind<'config'> = 'CONFIG_INVALID') {
    super(code, message, { cause });
  }
}

/** The command line itself is wrong; the CLI exits with code 2. */
export class UsageError extends PulseError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export class SourceError extends PulseError {
  constructor(message: string, options: PulseErrorOptions = {}) {
    super('SOURCE_FAILED', message, options);
  }
}

export class SinkError extends PulseError {
  constructor(message: string, options: PulseErrorOptions = {}) {
    super('SINK_FAILED', message, options);
  }
}

export class StoreLockedError extends PulseError {
  constructor(
    readonly path: string,
    cause?: unknown,
    /** The command line to send to the job holding the file, when it differs from the one typed (pulse users add). */
    readonly forwardArgs?: readonly string[],
  ) {
    super(
      'STORE_LOCKED',
      `the database ${path} is in use by another process (a running job or \`pulse console\` holds its DuckDB file). ` +
        `Stop it, or reach a job through its HTTP API on the metrics port.`,
      { cause },
    );
  }
}
