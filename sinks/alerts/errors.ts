import { ConfigError, PulseError } from '../../operators/errors.js';

/**
 * Delivery errors. `reason` is a bounded set so it can label the
 * `pulse_alert_delivery_failures_total{receiver_type,reason}` counter.
 */
export const FAILURE_REASONS = [
  'timeout',
  'network',
  'http_4xx',
  'http_5xx',
  'http_408',
  'http_429',
  'smtp',
  'io',
  'config',
  'attempts_exhausted',
  'other',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export class DeliveryError extends PulseError {
  /** How long the receiver asked to be left alone before the next try (HTTP `Retry-After`), if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly reason: FailureReason,
    /** True when retrying cannot succeed (e.g. HTTP 400): the message goes to `dead`. */
    readonly permanent: boolean,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super('SINK_DELIVERY_FAILED', message, { cause: options?.cause, retryable: !permanent });
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export class AlertingConfigError extends ConfigError {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options?.cause, 'CONFIG_ALERTING_INVALID');
  }
}

/** Wraps anything thrown by a transport into a DeliveryError (unknown errors are retryable). */
export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new DeliveryError('timeout', false, `timed out: ${e.message ?? ''}`, { cause: error });
  }
  return new DeliveryError('other', false, e?.message ?? String(error), { cause: error });
}
