import { compileConfig, Duration, Type, type Static } from '../../operators/config/schema.js';
import { parseDuration } from '../../operators/duration.js';
import { ROUTING_PROPERTIES, Router, RoutingConfigError } from './routing/index.js';
import { AlertingConfigError } from './errors.js';
import { emailAddressProblem } from './email-address.js';
import { credentialInUrl } from './redact.js';
import { RECEIVER_SCHEMA } from './receiver-config.js';

/**
 * The job YAML's `alerting:` section: receivers (receiver-config.ts), routing (Alertmanager's route
 * tree, inhibition rules, silences) and delivery settings. Validated by one schema compiled at load.
 */
const DELIVERY_SCHEMA = Type.Object(
  {
    timeout: Duration({ default: '10s', description: 'per-send timeout' }),
    max_attempts: Type.Integer({ minimum: 1, maximum: 1000, default: 12, description: 'attempts before a message goes to `dead`' }),
    backoff: Type.Object(
      {
        base: Duration({ default: '1s', description: 'the delay after attempt n is uniform in [0, min(max, base * 2^(n-1)))' }),
        max: Duration({ default: '5m', description: 'the longest delay; not shorter than base' }),
      },
      { additionalProperties: false, default: {} },
    ),
    poll_interval: Duration({ default: '1s', description: 'how often the worker looks for due messages' }),
    resolve_timeout: Duration({
      default: '24h',
      description:
        "a firing alert without a resolution counts as resolved this long after it was enqueued: it no longer inhibits others and is no longer repeated (Alertmanager's resolve_timeout)",
    }),
    drain_timeout: Duration({
      default: '30s',
      description:
        'when a run ends (end of a bounded input, or a stop), how long it keeps sending pending deliveries before it exits and leaves the rest in the outbox',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type DeliveryConfig = Static<typeof DELIVERY_SCHEMA>;

export const ALERTING_SCHEMA = Type.Object(
  {
    external_url: Type.Optional(Type.String({ description: "base URL of the pulse UI/report server, sent as Alertmanager's `externalURL`" })),
    receivers: Type.Array(RECEIVER_SCHEMA, { minItems: 1 }),
    ...ROUTING_PROPERTIES,
    delivery: DELIVERY_SCHEMA,
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

/** Milliseconds of a duration the schema has checked. */
function ms(text: string): number {
  return parseDuration(text) ?? 0;
}

export function deliverySettings(config: DeliveryConfig): DeliverySettings {
  return {
    timeoutMs: ms(config.timeout),
    maxAttempts: config.max_attempts,
    backoffBaseMs: ms(config.backoff.base),
    backoffMaxMs: ms(config.backoff.max),
    pollIntervalMs: ms(config.poll_interval),
    resolveTimeoutMs: ms(config.resolve_timeout),
    drainTimeoutMs: ms(config.drain_timeout),
  };
}

/** The settings of an empty `delivery:` section: the schema's defaults. */
export const DEFAULT_DELIVERY: DeliverySettings = deliverySettings(compileConfig(DELIVERY_SCHEMA)({}));

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
    // Named as the schema's errors name a receiver's keys (smarthost without a port, say).
    if (r.type === 'email') checkEmailAddresses(r, `${prefix}.receivers[${i}] (${r.name})`);
  });
  const { backoff } = config.delivery;
  if (ms(backoff.base) > ms(backoff.max)) {
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

/**
 * Refuses an e-mail receiver's `to` or `from` that is not an address: nodemailer would drop it,
 * and every mail of the receiver would then fail, retried until it went dead.
 */
function checkEmailAddresses(r: Extract<AlertingConfig['receivers'][number], { type: 'email' }>, path: string): void {
  const to =
    r.to === undefined
      ? []
      : Array.isArray(r.to)
        ? r.to.map((text, j) => ({ key: `to[${j}]`, text, sender: false }))
        : [{ key: 'to', text: r.to, sender: false }];
  for (const { key, text, sender } of [...to, { key: 'from', text: r.from, sender: true }]) {
    const problem = emailAddressProblem(text, sender);
    if (problem) {
      throw new AlertingConfigError(`${path}.${key}`, `${problem}. Write an address as user@example.com, or with a name as "Ops Desk <user@example.com>"`);
    }
  }
}
