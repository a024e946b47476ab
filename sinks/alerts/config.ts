import { compileConfig, Duration, Type, type Static } from '../../operators/config/schema.js';
import { parseDuration } from '../../operators/duration.js';
import { ROUTING_PROPERTIES, Router, RoutingConfigError } from './routing/index.js';
import { AlertingConfigError } from './errors.js';
import { credentialInUrl } from './redact.js';
import { RECEIVER_TYPES, type ReceiverType } from './types.js';

/**
 * The job YAML's `alerting:` section: receivers, routing (Alertmanager's route tree, inhibition
 * rules, silences) and delivery settings. Validated by one JSON Schema compiled at load.
 */
export interface ReceiverConfig {
  name: string;
  type: ReceiverType;
  [key: string]: unknown;
}

const name = { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' } as const;
const secret = { type: 'string', minLength: 1 } as const;
const httpUrl = { type: 'string', pattern: '^https?://', description: 'an http:// or https:// URL' } as const;

function receiverSchema(type: ReceiverType, required: string[], properties: Record<string, unknown>): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'type', ...required],
    properties: { name, type: { const: type }, ...properties },
  };
}

const bearer = { bearer_token: secret, bearer_token_file: secret, bearer_token_env: secret };

/** JSON Schema per receiver type; the Kafka work adds its keys to `kafka`. */
export const RECEIVER_SCHEMAS: Record<ReceiverType, object> = {
  webhook: receiverSchema('webhook', ['url'], { url: httpUrl, ...bearer }),
  alertmanager: receiverSchema('alertmanager', ['url'], { url: httpUrl, ...bearer }),
  email: {
    ...receiverSchema('email', ['from', 'smarthost'], {
      to: {
        oneOf: [
          { type: 'string', minLength: 3 },
          { type: 'array', minItems: 1, items: { type: 'string', minLength: 3 } },
        ],
      },
      // Also (or only) the members of each alert's team (label `team`) with an address in console_users.
      to_team_members: { type: 'boolean' },
      from: { type: 'string', minLength: 3 },
      smarthost: { type: 'string', pattern: '^[^:\\s]+:[0-9]{1,5}$', description: 'HOST:PORT, e.g. smtp.example.com:587' },
      auth_username: { type: 'string' },
      auth_password: secret,
      auth_password_file: secret,
      auth_password_env: secret,
      require_tls: { type: 'boolean' },
      tls: { type: 'boolean' },
      reports_url: httpUrl,
      max_attachments: { type: 'integer', minimum: 0 },
      max_attachment_bytes: { type: 'integer', minimum: 0 },
    }),
    // Somebody to send to: fixed addresses, team members, or both.
    description: "the key 'to' (addresses) or to_team_members: true (somebody to send to)",
    anyOf: [
      { required: ['to'], properties: { to: {} } },
      { required: ['to_team_members'], properties: { to_team_members: { const: true } } },
    ],
  },
  slack: receiverSchema('slack', [], { url: secret, url_file: secret, url_env: secret }),
  file: receiverSchema('file', ['path'], { path: { type: 'string', minLength: 1 } }),
  kafka: receiverSchema('kafka', ['topic'], {
    topic: { type: 'string', minLength: 1 },
    brokers: { type: 'string' },
    key: { type: 'string' },
  }),
};

const RECEIVER_SCHEMA = Type.Unsafe<ReceiverConfig>({
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', enum: [...RECEIVER_TYPES] } },
  // Only the branch of the receiver's own type reports errors.
  discriminator: { propertyName: 'type' },
  oneOf: RECEIVER_TYPES.map((t) => RECEIVER_SCHEMAS[t]),
});

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
    const problem = typeof r['url'] === 'string' && (r.type === 'webhook' || r.type === 'alertmanager') ? credentialInUrl(r['url']) : undefined;
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
