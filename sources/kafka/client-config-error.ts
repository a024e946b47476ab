import { ConfigError } from '../../operators/errors.js';
import type { ClientProperties } from './client.js';

/**
 * A Kafka client's properties refused by librdkafka, as a configuration error of the job file.
 * librdkafka checks them in two places, both before any broker is asked: as the client is created
 * (`Invalid value for configuration property "session.timeout.ms"`) and as it starts (an unknown
 * `partition.assignment.strategy`, values that do not go together). Names the source's `options`
 * settings that librdkafka's reason mentions (all of them when it mentions none), with the reason.
 */
export function clientConfigError(source: string, options: ClientProperties, error: unknown): ConfigError {
  const reason = librdkafkaReason(error);
  const named = Object.keys(options).filter((key) => mentions(reason, key));
  const settings = named.length > 0 ? named.map((key) => `sources.${source}.options.${key}`).join(', ') : `sources.${source}.options`;
  return new ConfigError(
    `${settings}: the Kafka client refuses it: ${reason}; correct it in the job file ` +
      "(librdkafka's CONFIGURATION.md lists every property and the values it takes)",
    error,
  );
}

/**
 * The message librdkafka gave. The binding splits a start-up failure's message at its first `: `
 * into `origin` and `message` ("Unsupported partition.assignment.strategy" and "bogus-strategy"):
 * put back together; its own origins (`local`, `kafka`, `unknown`) are not part of the message.
 */
function librdkafkaReason(error: unknown): string {
  const { message, origin } = error as { message?: unknown; origin?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof origin === 'string' && !['local', 'kafka', 'unknown'].includes(origin) ? `${origin}: ${text}` : text;
}

/** Whether `text` names the property `key` (a whole name: `session.timeout.ms` is not in `group.session.timeout.ms`). */
function mentions(text: string, key: string): boolean {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.])${escaped}(?![\\w-]|\\.\\w)`, 'i').test(text);
}
