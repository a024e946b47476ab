/**
 * Typed errors. Every error a person may see says what was wrong, where, and what to do; `code`
 * is stable for scripts, and `retryable` tells the runner whether trying again can help.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'USAGE',
  'SOURCE_FAILED',
  'SINK_FAILED',
  'CHECKPOINT_FAILED',
  'STORE_LOCKED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class PulseError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/** A job configuration that cannot run; the CLI exits with code 2. */
export class ConfigError extends PulseError {
  constructor(message: string, cause?: unknown) {
    super('CONFIG_INVALID', message, { cause });
  }
}

/** The command line itself is wrong; the CLI exits with code 2. */
export class UsageError extends PulseError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export class SourceError extends PulseError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('SOURCE_FAILED', message, options);
  }
}

export class SinkError extends PulseError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
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
      `the database ${path} is in use by another process (a running job owns its DuckDB file). ` +
        `Stop that job, or reach it through its HTTP API on the metrics port.`,
      { cause },
    );
  }
}
