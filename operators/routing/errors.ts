/** Typed errors of the alert routing configuration. */
export const ROUTING_ERROR_CODES = ['ROUTING_CONFIG_INVALID', 'ROUTING_MATCHER_INVALID'] as const;
export type RoutingErrorCode = (typeof ROUTING_ERROR_CODES)[number];

/** A configuration problem; `path` names the YAML location (e.g. `alerting.route.routes[1].matchers[0]`). */
export class RoutingConfigError extends Error {
  readonly code: RoutingErrorCode;
  readonly path: string;
  readonly retryable = false;

  constructor(code: RoutingErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = 'RoutingConfigError';
    this.code = code;
    this.path = path;
  }
}
