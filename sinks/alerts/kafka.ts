import { ERR, type ClientProperties, type MessageHeader } from '../../sources/kafka/client.js';
import { DeliveringProducer, ProduceError } from '../../sources/kafka/producer.js';
import type { DeliverySettings } from './config.js';
import { AlertingConfigError, DeliveryError } from './errors.js';
import type { KafkaAlertKey, ReceiverConfigOf } from './receiver-config.js';
import { webhookPayload } from './payloads.js';
import type { Notification, Receiver } from './types.js';

export interface KafkaReceiverOptions {
  name: string;
  brokers: string;
  topic: string;
  key: KafkaAlertKey;
  timeoutMs: number;
  clientProperties?: ClientProperties;
}

/** Headers on every alert message, so consumers can group or deduplicate without parsing. */
export const ALERT_HEADERS = {
  idempotencyKey: 'pulse-idempotency-key',
  groupKey: 'pulse-group-key',
  receiver: 'pulse-receiver',
} as const;

/**
 * Publishes each alert of a notification as one Kafka message: key = alert id, value = the alert
 * as in the webhook payload (status, labels, annotations, startsAt, endsAt, generatorURL,
 * fingerprint). The producer is idempotent (no duplicates from its own retries); re-sends by the
 * delivery worker (at-least-once) carry the same key and `pulse-idempotency-key` header, and a
 * compacted topic keeps only the latest status of each alert.
 */
export class KafkaAlertReceiver implements Receiver {
  readonly type = 'kafka' as const;
  readonly name: string;
  private readonly producer: DeliveringProducer;

  constructor(private readonly options: KafkaReceiverOptions) {
    this.name = options.name;
    this.producer = new DeliveringProducer({
      ...options.clientProperties,
      'bootstrap.servers': options.brokers,
      'enable.idempotence': true,
      acks: 'all',
      'linger.ms': 5,
      'message.timeout.ms': options.timeoutMs,
    });
  }

  async send(n: Notification): Promise<void> {
    const payload = webhookPayload(n);
    const messages = n.alerts.map((alert, i) => ({
      topic: this.options.topic,
      key: this.options.key === 'customer_id' && alert.customerId ? alert.customerId : alert.alertId,
      value: JSON.stringify(payload.alerts[i]),
      headers: [header(ALERT_HEADERS.idempotencyKey, n.idempotencyKey), header(ALERT_HEADERS.groupKey, n.groupKey), header(ALERT_HEADERS.receiver, n.receiver)],
    }));
    try {
      await this.producer.send(messages);
    } catch (error) {
      if (error instanceof ProduceError) {
        // Unknown topic or authorization failures do not heal by retrying; broker trouble does.
        const permanent = !error.retriable && PERMANENT_CODES.has(error.kafkaCode);
        const reason = permanent ? 'config' : TIMEOUT_CODES.has(error.kafkaCode) ? 'timeout' : 'network';
        throw new DeliveryError(reason, permanent, `Kafka receiver '${this.name}': ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

/** Broker error codes that no retry fixes: unknown topic, too large, topic/cluster authorization. */
const PERMANENT_CODES = new Set([3, 10, 29, 31]);
/** Brokers not reached in time (connecting, or a message not delivered within the timeout). */
const TIMEOUT_CODES = new Set<number>([ERR.TIMED_OUT, ERR.MSG_TIMED_OUT]);

function header(name: string, value: string): MessageHeader {
  return { [name]: value };
}

/** The receiver's `brokers`, else PULSE_KAFKA_BROKERS ('' counts as unset); refused when neither is given. */
export function kafkaBrokers(config: ReceiverConfigOf<'kafka'>, path: string, env: NodeJS.ProcessEnv): string {
  const brokers = config.brokers || env['PULSE_KAFKA_BROKERS'];
  if (!brokers) throw new AlertingConfigError(`${path}.brokers`, 'a Kafka receiver needs brokers (or the PULSE_KAFKA_BROKERS environment variable)');
  return brokers;
}

/** Builds a KafkaAlertReceiver from `alerting.receivers[i]`. */
export function kafkaReceiverFactory(config: ReceiverConfigOf<'kafka'>, delivery: DeliverySettings, path: string, env: NodeJS.ProcessEnv): Receiver {
  const brokers = kafkaBrokers(config, path, env);
  return new KafkaAlertReceiver({ name: config.name, brokers, topic: config.topic, key: config.key, timeoutMs: delivery.timeoutMs });
}
