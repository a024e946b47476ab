import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentRegistry, type ComponentSpec } from '../../operators/config/component-registry.js';
import { AlertmanagerReceiver } from './alertmanager.js';
import type { DeliverySettings } from './config.js';
import { EmailReceiver, type TeamMemberLookup } from './email.js';
import { AlertingConfigError } from './errors.js';
import { FileReceiver } from './file.js';
import { kafkaBrokers, kafkaReceiverFactory } from './kafka.js';
import { RECEIVER_SCHEMAS, type ReceiverConfig, type ReceiverConfigOf } from './receiver-config.js';
import { resolveSecret, SECRET_KEYS } from './secrets.js';
import { SlackReceiver } from './slack.js';
import type { Receiver, ReceiverType } from './types.js';
import { WebhookReceiver } from './webhook.js';

/** What receivers may need from the job besides their config. */
export interface ReceiverContext {
  /** The e-mail addresses of a team's members (console_users), for `to_team_members`. */
  teamMembers?: TeamMemberLookup;
}

/** Builds a receiver of type T from its validated config (defaults filled in); `path` names it in errors. */
export type ReceiverFactory<T extends ReceiverType = ReceiverType> = (
  config: ReceiverConfigOf<T>,
  delivery: DeliverySettings,
  path: string,
  env: NodeJS.ProcessEnv,
  context: ReceiverContext,
) => Receiver;

/**
 * What building a receiver of type T would refuse in its config and the environment, found without
 * building it (nothing is opened or connected): `checkReceivers` runs it when the job file is
 * loaded, so that the problem stops a job before it creates its database and names the line.
 */
export type ReceiverCheck<T extends ReceiverType = ReceiverType> = (config: ReceiverConfigOf<T>, path: string, env: NodeJS.ProcessEnv) => void;

/** A receiver type (`alerting.receivers[].type`): its schema (receiver-config.ts), its load-time check and its build step. */
export interface ReceiverSpec extends ComponentSpec {
  readonly type: ReceiverType;
  readonly check?: ReceiverCheck;
  readonly build: ReceiverFactory;
}

/** A secret's keys by name (SECRET_KEYS): `key`, `key_env`, `key_file`. */
function str(config: ReceiverConfig, key: string): string | undefined {
  const v = (config as Readonly<Record<string, unknown>>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** `key` may be `${ENV}`, or given as `key_env: NAME` or `key_file: PATH`. */
function secretOf(config: ReceiverConfig, key: string, path: string, env: NodeJS.ProcessEnv): string | undefined {
  const envName = str(config, `${key}_env`);
  const value = envName !== undefined ? `\${${envName}}` : str(config, key);
  return resolveSecret({ value, file: str(config, `${key}_file`) }, `${path}.${key}`, env);
}

/** The Slack webhook URL (a secret: never quoted), refused when it is missing or not http(s). */
function slackUrl(c: ReceiverConfigOf<'slack'>, p: string, env: NodeJS.ProcessEnv): string {
  const url = secretOf(c, 'url', p, env);
  if (!url) throw new AlertingConfigError(`${p}.url`, 'a Slack receiver needs url (as ${ENV}), url_env or url_file');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new AlertingConfigError(`${p}.url`, 'the Slack webhook URL it names is not an http(s) URL');
  return url;
}

/** A file receiver's path that is a directory: it was retried (EISDIR) on every run. */
function refuseDirectory(c: ReceiverConfigOf<'file'>, p: string): void {
  if (existsSync(c.path) && statSync(c.path).isDirectory())
    throw new AlertingConfigError(
      `${p}.path`,
      `${c.path} is a directory; name the file the notifications are appended to, e.g. ${join(c.path, 'alerts.ndjson')}`,
    );
}

/** A factory (and check) of one type, stored beside the others: they are only called with configs of that type. */
function receiver<T extends ReceiverType>(type: T, factory: ReceiverFactory<T>, check?: ReceiverCheck<T>): ReceiverSpec {
  const schema = RECEIVER_SCHEMAS[type];
  return {
    type,
    description: schema.properties.type.description ?? type,
    schema,
    build: factory as ReceiverFactory,
    ...(check === undefined ? {} : { check: check as ReceiverCheck }),
  };
}

/** Every receiver type a job can name in `alerting.receivers`, filled from this explicit list. */
export const RECEIVERS = new ComponentRegistry<ReceiverSpec>('receiver', [
  receiver(
    'webhook',
    (c, d, p, env) => new WebhookReceiver({ name: c.name, url: c.url, bearerToken: secretOf(c, 'bearer_token', p, env), timeoutMs: d.timeoutMs }),
  ),
  receiver(
    'alertmanager',
    (c, d, p, env) => new AlertmanagerReceiver({ name: c.name, url: c.url, bearerToken: secretOf(c, 'bearer_token', p, env), timeoutMs: d.timeoutMs }),
  ),
  receiver('slack', (c, d, p, env) => new SlackReceiver({ name: c.name, url: slackUrl(c, p, env), timeoutMs: d.timeoutMs }), slackUrl),
  receiver('file', (c) => new FileReceiver({ name: c.name, path: c.path }), refuseDirectory),
  receiver('email', (c, d, p, env, context) => {
    const [host, port] = c.smarthost.split(':');
    if (c.to_team_members === true && context.teamMembers === undefined) {
      throw new AlertingConfigError(`${p}.to_team_members`, 'team members can only be reached from a job or command that has the job database');
    }
    return new EmailReceiver({
      name: c.name,
      to: c.to === undefined ? [] : Array.isArray(c.to) ? c.to : [c.to],
      ...(c.to_team_members === true ? { teamMembers: context.teamMembers } : {}),
      from: c.from,
      host: host as string,
      port: Number(port),
      secure: c.tls,
      requireTls: c.require_tls,
      username: c.auth_username,
      password: secretOf(c, 'auth_password', p, env),
      timeoutMs: d.timeoutMs,
      reportsUrl: c.reports_url,
      attachments: { maxFiles: c.max_attachments, maxBytes: c.max_attachment_bytes },
    });
  }),
  receiver('kafka', kafkaReceiverFactory, kafkaBrokers),
]);

/**
 * Checks what building the receivers would refuse, without building anything: every secret can be
 * read (its environment variable is set, its file is readable) and each type's own check passes
 * (Kafka brokers given, a Slack URL, a file path that is not a directory). The job loader calls it,
 * so that such a problem stops a job before it opens its database.
 */
export function checkReceivers(configs: readonly ReceiverConfig[], env: NodeJS.ProcessEnv = process.env, prefix = 'alerting.receivers'): void {
  configs.forEach((c, i) => {
    const path = `${prefix}[${i}]`;
    for (const key of SECRET_KEYS[c.type] ?? []) secretOf(c, key, path, env);
    RECEIVERS.get(c.type)?.check?.(c, path, env);
  });
}

/** Builds every configured receiver, by name. */
export function buildReceivers(
  configs: readonly ReceiverConfig[],
  delivery: DeliverySettings,
  env: NodeJS.ProcessEnv = process.env,
  prefix = 'alerting.receivers',
  context: ReceiverContext = {},
): Map<string, Receiver> {
  const out = new Map<string, Receiver>();
  configs.forEach((c, i) => {
    const path = `${prefix}[${i}]`;
    const spec = RECEIVERS.get(c.type);
    if (!spec) throw new AlertingConfigError(`${path}.type`, `receiver type '${c.type}' is not available in this build`);
    spec.check?.(c, path, env);
    out.set(c.name, spec.build(c, delivery, path, env, context));
  });
  return out;
}
