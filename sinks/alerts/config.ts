import { compileConfig, Duration, Type, type Static } from '../../operators/config/schema.js';
import { parseDuration } from '../../operators/duration.js';
import { ROUTING_PROPERTIES, Router, RoutingConfigError } from './routing/index.js';
import { AlertingConfigError } from './errors.js';
import { credentialInUrl } from './redact.js';
import { RECEIVER_SCHEMA } from './receiver-config.js';

/**
 * The job YAML's `alerting:` section: receivers (receiver-config.ts), routing (Alertmanager's route
 * tree, inhibition rules, silences) and delivery settings. Validated by one schema compiled at load.
 */
const DELIVERY_SCHEMA = Type.Object(
  {
    timeout: Type.Optional(Duration({ description: 'per-send timeout (default 10s)' })),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'attempts before a message goes to `dead` (default 12)' })),
    backoff: Type.Optional(Type.Object({ base: Type.Optional(Duration()), max: Type.Optional(Duration()) }, { additionalProperties: false })),
    poll_interval: Type.Optional(Duration({ description: 'how often the worker looks for due messages (default 1s)' })),
    resolve_timeout: Type.Optional(
      Duration({
        description:
          "a firing alert without a resolution counts as resolved this long after it was enqueued: it no longer inhibits others and is no longer repeated (default 24h; Alertmanager's resolve_timeout)",
      }),
    ),
    drain_timeout: Type.Optional(
      Duration({
        description:
          'when a run ends (end of a bounded input, or a stop), how long it keeps sending pending deliveries before it exits and leaves the rest in the outbox (default 30s)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DeliveryConfig = Static<typeof DELIVERY_SCHEMA>;

export const ALERTING_SCHEMA = Type.Object(
  {
    external_url: Type.Optional(Type.String({ description: "base URL of the pulse UI/report server, sent as Alertmanager's `externalURL`" })),
    receivers: Type.Array(RECEIVER_SCHEMA, { minItems: 1 }),
    ...ROUTING_PROPERTIES,
    delivery: Type.Optional(DELIVERY_SCHEMA),
  },
  { additionalProperties: false },
);
export type AlertingConfig = Static<typeof ALERTING_SCHEMA>;

const checkAlerting = compileConfig(ALERTING_SCHEMA, ({ path, detail }) => new AlertingConfigError(path, detail));

/** Delivery settings in milliseconds. */
export interface DeliverySettings {
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  pollIntervalMs: number;
  resolveTimeoutMs: number;
  drainTimeoutMs: number;
}

export const DEFAULT_DELIVERY: DeliverySettings = {
  timeoutMs: 10_000,
  maxAttempts: 12,
  backoffBaseMs: 1_000,
  backoffMaxMs: 300_000,
  pollIntervalMs: 1_000,
  resolveTimeoutMs: 86_400_000,
  drainTimeoutMs: 30_000,
};

function ms(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
}

export function deliverySettings(config: DeliveryConfig | undefined): DeliverySettings {
  return {
    timeoutMs: ms(config?.timeout, DEFAULT_DELIVERY.timeoutMs),
    maxAttempts: config?.max_attempts ?? DEFAULT_DELIVERY.maxAttempts,
    backoffBaseMs: ms(config?.backoff?.base, DEFAULT_DELIVERY.backoffBaseMs),
    backoffMaxMs: ms(config?.backoff?.max, DEFAULT_DELIVERY.backoffMaxMs),
    pollIntervalMs: ms(config?.poll_interval, DEFAULT_DELIVERY.pollIntervalMs),
    resolveTimeoutMs: ms(config?.resolve_timeout, DEFAULT_DELIVERY.resolveTimeoutMs),
    drainTimeoutMs: ms(config?.drain_timeout, DEFAULT_DELIVERY.drainTimeoutMs),
  };
}

/**
 * Validates `alerting:` (shape, unique receiver names, matchers, durations, receiver references)
 * and resolves the router. Throws AlertingConfigError naming the YAML path; the CLI maps it to
 * exit code 2.
 */
export function parseAlertingConfig(raw: unknown, prefix = 'alerting'): { config: AlertingConfig; router: Router } {
  const config = checkAlerting(raw, prefix);
  const names = new Set<string>();
  config.receivers.forEach((r, i) => {
    if (names.has(r.name)) throw new AlertingConfigError(`${prefix}.receivers[${i}].name`, `duplicate receiver name '${r.name}'`);
    names.add(r.name);
    // A URL written in the YAML is not a secret: it is logged and quoted in delivery errors.
    const problem = r.type === 'webhook' || r.type === 'alertmanager' ? credentialInUrl(r.url) : undefined;
    if (problem) {
      throw new AlertingConfigError(
        `${prefix}.receivers[${i}].url`,
        `the URL is refused: ${problem}, and the URL is stored and shown with delivery errors. Remove the credential from the URL ` +
          'and give it as a secret: bearer_token_file: /run/secrets/TOKEN, bearer_token_env: ENV_VAR or bearer_token: ${ENV_VAR} ' +
          '(sent as Authorization: Bearer)',
      );
    }
  });
  const d = config.delivery;
  if (d?.backoff?.base && d.backoff.max && ms(d.backoff.base, 0) > ms(d.backoff.max, 0)) {
    throw new AlertingConfigError(`${prefix}.delivery.backoff`, 'base must not exceed max');
  }
  try {
    return { config, router: Router.fromConfig(config, names, prefix) };
  } catch (cause) {
    if (cause instanceof RoutingConfigError) {
      throw new AlertingConfigError(cause.path, cause.message.slice(cause.path.length + 2), { cause });
    }
    throw cause;
  }
}
