/** Typed errors of the alert routing configuration. */
import { ConfigError } from '../../../operators/errors.js';

export type RoutingErrorCode = 'ROUTING_CONFIG_INVALID' | 'ROUTING_MATCHER_INVALID';

/** A configuration problem; `path` names the YAML location (e.g. `alerting.route.routes[1].matchers[0]`). */
export class RoutingConfigError extends ConfigError {
  declare readonly code: RoutingErrorCode;

  constructor(
    code: RoutingErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options?.cause, code);
  }
}
