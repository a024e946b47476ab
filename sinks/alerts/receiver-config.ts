/**
 * The options of each receiver type of `alerting.receivers`, one TypeBox schema per type
 * (operators/config/schema.ts): the validator (through ALERTING_SCHEMA in config.ts), the config
 * type each receiver factory takes, the defaults it reads, and the option table of
 * sinks/alerts/README.md (`npm run docs:options`) come from these declarations.
 */
import { StringEnum, TaggedUnion, Type, type Static, type TObject, type TProperties } from '../../operators/config/schema.js';
import { DEFAULT_ATTACHMENT_LIMITS } from './email-reports.js';
import type { ReceiverType } from './types.js';

/** What keys the Kafka messages: the alert id (default) or the customer (falls back to the id). */
export const KAFKA_ALERT_KEYS = ['alert_id', 'customer_id'] as const;
export type KafkaAlertKey = (typeof KAFKA_ALERT_KEYS)[number];

const Name = Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'unique among the receivers, [A-Za-z0-9_.-]+; routes refer to it' });
const HttpUrl = (description: string) => Type.String({ pattern: '^https?://', description: `an http:// or https:// URL: ${description}` });
/** A secret key: `${ENV_VAR}` as the value, or the same key with `_env` / `_file` (secrets.ts). */
const Secret = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));
const Address = Type.String({ minLength: 3 });

function receiver<T extends ReceiverType, P extends TProperties>(type: T, description: string, properties: P, options: object = {}) {
  return Type.Object({ name: Name, type: Type.Literal(type, { description }), ...properties }, { additionalProperties: false, ...options });
}

const bearer = {
  bearer_token: Secret('sent as Authorization: Bearer; only as ${ENV_VAR}'),
  bearer_token_file: Secret('the bearer token is read from this file'),
  bearer_token_env: Secret('the bearer token is read from this environment variable'),
};

const WEBHOOK = receiver('webhook', 'Alertmanager webhook JSON (version "4") posted to url', { url: HttpUrl('where to post'), ...bearer });

const ALERTMANAGER = receiver('alertmanager', 'alerts posted to an Alertmanager ({url}/api/v2/alerts)', {
  url: HttpUrl("the Alertmanager's base URL"),
  ...bearer,
});

const EMAIL = receiver(
  'email',
  'one e-mail per notification (SMTP)',
  {
    to: Type.Optional(Type.Union([Address, Type.Array(Address, { minItems: 1 })], { description: 'addresses that get every notification' })),
    to_team_members: Type.Optional(
      Type.Boolean({ description: 'true: each alert also goes to the members of its team (label team) with an address in console_users' }),
    ),
    from: Type.String({ minLength: 3, description: 'the sender address' }),
    smarthost: Type.String({ pattern: '^[^:\\s]+:[0-9]{1,5}$', description: 'HOST:PORT, e.g. smtp.example.com:587' }),
    auth_username: Type.Optional(Type.String({ description: 'SMTP user' })),
    auth_password: Secret('SMTP password; only as ${ENV_VAR}'),
    auth_password_file: Secret('the SMTP password is read from this file'),
    auth_password_env: Secret('the SMTP password is read from this environment variable'),
    require_tls: Type.Boolean({ default: false, description: 'refuse to send without STARTTLS' }),
    tls: Type.Boolean({ default: false, description: 'implicit TLS (port 465)' }),
    reports_url: Type.Optional(HttpUrl('where the reports directory is served; reports are linked there (else by file path)')),
    max_attachments: Type.Integer({
      minimum: 0,
      default: DEFAULT_ATTACHMENT_LIMITS.maxFiles,
      description: "the notification's own reports attached, at most this many files",
    }),
    max_attachment_bytes: Type.Integer({
      minimum: 0,
      default: DEFAULT_ATTACHMENT_LIMITS.maxBytes,
      description: 'and at most this many bytes (before base64); 0: reports are only linked',
    }),
  },
  {
    // Somebody to send to: fixed addresses, team members, or both.
    description: "the key 'to' (addresses) or to_team_members: true (somebody to send to)",
    anyOf: [
      { required: ['to'], properties: { to: {} } },
      { required: ['to_team_members'], properties: { to_team_members: { const: true } } },
    ],
  },
);

const SLACK = receiver('slack', 'a Slack-compatible incoming webhook ({text, blocks})', {
  url: Secret('the webhook URL (it holds a token, so it is a secret); only as ${ENV_VAR}; one of url, url_env, url_file is needed'),
  url_file: Secret('the webhook URL is read from this file'),
  url_env: Secret('the webhook URL is read from this environment variable'),
});

const FILE = receiver('file', 'one NDJSON line per notification', { path: Type.String({ minLength: 1, description: 'the file appended to' }) });

const KAFKA = receiver('kafka', 'one Kafka message per alert (sources/kafka/README.md)', {
  topic: Type.String({ minLength: 1, description: 'the topic written to' }),
  brokers: Type.Optional(Type.String({ description: 'bootstrap servers, comma-separated; default the PULSE_KAFKA_BROKERS environment variable' })),
  key: StringEnum(KAFKA_ALERT_KEYS, { default: 'alert_id', description: 'the message key: the alert id, or the customer id (the alert id when none)' }),
});

/** The schema of each receiver type, in the order of RECEIVER_TYPES. */
export const RECEIVER_SCHEMAS = { webhook: WEBHOOK, alertmanager: ALERTMANAGER, email: EMAIL, slack: SLACK, file: FILE, kafka: KAFKA } satisfies Record<
  ReceiverType,
  TObject
>;

/** One entry of `alerting.receivers`: only the schema of its `type` reports errors. */
export const RECEIVER_SCHEMA = TaggedUnion('type', [WEBHOOK, ALERTMANAGER, EMAIL, SLACK, FILE, KAFKA]);

export type ReceiverConfigOf<T extends ReceiverType> = Static<(typeof RECEIVER_SCHEMAS)[T]>;
export type ReceiverConfig = Static<typeof RECEIVER_SCHEMA>;
