import type { RecordEnvelope, Rejection } from '../../operators/events.js';
import type { ClientProperties, MessageHeader } from './client.js';
import { DeliveringProducer, type OutgoingMessage } from './producer.js';

/** Header names on dead-letter messages (values are UTF-8 text). */
export const DLQ_HEADERS = {
  reason: 'pulse-reason',
  detail: 'pulse-detail',
  sourcePartition: 'pulse-source-partition',
  offset: 'pulse-offset',
} as const;

/** A rejected raw record and why it was rejected. */
export interface DeadLetter {
  /** The record exactly as received (the message value). */
  raw: string;
  /** Bounded reason (RejectReason), e.g. `invalid_json`. */
  reason: string;
  /** Human-readable detail: which field, what was wrong. */
  detail: string;
  /** `topic/partition` the record came from. */
  partition: string;
  offset: number;
  /** The key and headers of the message it came in (none: a message without either). */
  envelope?: RecordEnvelope | undefined;
}

export interface DeadLetterOptions {
  brokers: string;
  topic: string;
  /** Extra librdkafka producer properties. */
  clientProperties?: ClientProperties;
  /** Per-message delivery timeout (default 30 s). */
  timeoutMs?: number;
}

function header(name: string, value: string): MessageHeader {
  return { [name]: value };
}

export function deadLetterOf(rejection: Rejection): DeadLetter {
  return {
    raw: rejection.raw,
    reason: rejection.reason,
    detail: rejection.detail,
    partition: rejection.position.partition,
    offset: rejection.position.offset,
    envelope: rejection.envelope,
  };
}

/**
 * Sends rejected records to a dead-letter topic as the messages they came in: value = the raw
 * record, the message's own key and headers, then the reason and the source position in headers of
 * our own (Kafka Connect's dead-letter queue does the same), so that a fixed record can be produced
 * to its topic again as it was and lands in its partition. Letters of one key stay in order.
 *
 * Call it after the checkpoint that wrote the same rejections to `dead_letters` has committed: a
 * crash in between re-sends them after the restart (at-least-once; consumers can deduplicate on
 * `pulse-source-partition` + `pulse-offset`). The idempotent producer avoids duplicates from
 * its own retries.
 */
export class KafkaDeadLetterProducer {
  readonly topic: string;
  private readonly producer: DeliveringProducer;

  constructor(options: DeadLetterOptions) {
    this.topic = options.topic;
    this.producer = new DeliveringProducer({
      'enable.idempotence': true,
      'linger.ms': 20,
      ...options.clientProperties,
      'bootstrap.servers': options.brokers,
      'message.timeout.ms': options.timeoutMs ?? 30_000,
    });
  }

  /** Resolves once Kafka has acknowledged every letter; rejects with the first ProduceError. */
  async send(letters: readonly DeadLetter[]): Promise<void> {
    const messages: OutgoingMessage[] = letters.map((letter) => ({
      topic: this.topic,
      key: letter.envelope?.key ?? null,
      value: letter.raw,
      headers: [
        ...(letter.envelope?.headers ?? []),
        header(DLQ_HEADERS.reason, letter.reason),
        header(DLQ_HEADERS.detail, letter.detail),
        header(DLQ_HEADERS.sourcePartition, letter.partition),
        header(DLQ_HEADERS.offset, String(letter.offset)),
      ],
    }));
    await this.producer.send(messages);
  }

  /** Sends the rejections of one checkpoint (those that came from Kafka partitions of `source`). */
  async sendRejections(rejections: readonly Rejection[], source: string): Promise<void> {
    await this.send(rejections.filter((r) => r.position.source === source).map(deadLetterOf));
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
