import { createRequire } from 'node:module';

export type {
  Assignment,
  DeliveryReport,
  KafkaConsumer,
  LibrdKafkaError,
  Message,
  MessageHeader,
  Producer,
  TopicPartition,
  TopicPartitionOffset,
} from '@confluentinc/kafka-javascript';

/** The package's `module.exports` (it is CommonJS), which holds the RdKafka classes. */
type Binding = typeof import('@confluentinc/kafka-javascript');

let binding: Binding | undefined;

/**
 * The librdkafka binding, loaded at its first use: every `pulse` command imports the Kafka modules
 * and few connect (loading the native binding took about 90 ms of each start).
 */
export function rdkafka(): Binding {
  binding ??= createRequire(import.meta.url)('@confluentinc/kafka-javascript') as Binding;
  return binding;
}

/** librdkafka error codes used here (rdkafka.h). */
export const ERR = {
  REVOKE_PARTITIONS: -174,
  ASSIGN_PARTITIONS: -175,
  QUEUE_FULL: -184,
  TIMED_OUT: -185,
  /** A message not delivered within `message.timeout.ms`. */
  MSG_TIMED_OUT: -192,
  /** A subscribed topic the cluster does not have (librdkafka's own, and the broker's). */
  UNKNOWN_TOPIC: -188,
  UNKNOWN_TOPIC_OR_PART: 3,
} as const;

/** Special offsets accepted by assign/seek. */
export const OFFSET_BEGINNING = -2;

/** Client properties: librdkafka's own names (`fetch.max.bytes`, `security.protocol`, ...). */
export type ClientProperties = Record<string, string | number | boolean>;

/** `topic/partition`: the partition name used in positions, metrics and dead letters. */
export function partitionName(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** Inverse of `partitionName`; topic names may contain `.`, `_`, `-` but never `/`. */
export function parsePartitionName(name: string): { topic: string; partition: number } | undefined {
  const slash = name.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const partition = Number(name.slice(slash + 1));
  if (!Number.isInteger(partition) || partition < 0) return undefined;
  return { topic: name.slice(0, slash), partition };
}
