import { ConfigError } from '../../operators/errors.js';
import type { ClientProperties } from './client.js';

/** Resolved settings of a Kafka source (the runtime takes only these; see `kafkaSourceOptions`). */
export interface KafkaSourceOptions {
  /** Source name from the job; part of every position. */
  name: string;
  /** `host:port[,host:port...]`. */
  brokers: string;
  topics: string[];
  /** Consumer group id. */
  group: string;
  /** Most records per yielded batch (and per poll). */
  batchSize: number;
  /** Longest message value in bytes; a longer one is handed on as a `too_large` dead letter. */
  maxRecordBytes: number;
  /**
   * Records read but not yet taken by the runner above which every assigned partition is paused;
   * reading resumes below half of it. Bounds memory when the runner is slower than Kafka.
   */
  maxBufferedRecords: number;
  /** How long one poll waits for the first message; also how quickly a stop is noticed. */
  pollTimeoutMs: number;
  /** Extra librdkafka properties (override the defaults, except the ones the source relies on). */
  clientProperties: ClientProperties;
  /**
   * The last offset processed of a partition according to a state hand-over from its previous
   * owner (sinks/duckdb/partition-handoff.ts), if any: an assigned partition starts after the later
   * of this and the position this process checkpointed itself. Called in the rebalance callback.
   */
  handedOverOffset?: (partition: string) => number | undefined;
  /**
   * Assigned partitions are not read until the runner has restored their state (a state changelog,
   * read asynchronously): the `assign` message carries `started`, and the source assigns them to the
   * consumer, at the later of the given and its own offsets, only when that is called.
   */
  deferAssignment?: boolean;
  /**
   * Non-fatal client errors and warnings (broker down, commit failed); fatal ones end `read`. A
   * warning that repeats is passed on once, then as a summary every `warningSummaryIntervalMs`.
   */
  onWarning?: (message: string, cause?: unknown) => void;
  /** How often repeated warnings are summarized (default 60 s). */
  warningSummaryIntervalMs?: number;
  /** After this long without a partition assigned, say why the job may be waiting (default 15 s). */
  assignmentNoticeMs?: number;
  /** How long a subscribed topic may be missing from the cluster's metadata at the start before the job stops (default 10 s). */
  topicWaitMs?: number;
}

export const KAFKA_DEFAULTS = {
  batchSize: 4096,
  pollTimeoutMs: 100,
  /** Buffered batches before pausing: enough to keep the runner busy during one fetch round trip. */
  bufferedBatches: 4,
  assignmentNoticeMs: 15_000,
  /** A topic created just before the job starts is in every broker's metadata well within this. */
  topicWaitMs: 10_000,
} as const;

/** The `sources.<name>` entry of the job YAML (pipelines/job-schema.ts `kafkaSource`). */
export interface KafkaSourceConfigLike {
  brokers: string;
  topics: string;
  group: string;
  batch_size?: number;
  options?: Record<string, string | number | boolean>;
}

/**
 * Properties the source sets itself: offsets live in DuckDB, so Kafka must neither commit on its
 * own nor decide where a partition starts, and assignments go through our rebalance callback.
 */
const RESERVED = ['enable.auto.commit', 'enable.auto.offset.store', 'group.id', 'bootstrap.servers', 'rebalance_cb'];

/**
 * Builds runtime options from the job YAML entry (and the job's `limits.max_record_bytes`);
 * throws ConfigError naming the key.
 */
export function kafkaSourceOptions(name: string, config: KafkaSourceConfigLike, maxRecordBytes: number): KafkaSourceOptions {
  const topics = topicNames(config.topics);
  if (topics.length === 0) {
    throw new ConfigError(`sources.${name}.topics: no topic given; write one or more names separated by commas`);
  }
  const bad = topics.find((t) => !/^[A-Za-z0-9._-]{1,249}$/.test(t));
  if (bad !== undefined) {
    throw new ConfigError(`sources.${name}.topics: '${bad}' is not a valid Kafka topic name (letters, digits, '.', '_', '-')`);
  }
  const properties = config.options ?? {};
  const reserved = Object.keys(properties).find((k) => RESERVED.includes(k));
  if (reserved !== undefined) {
    throw new ConfigError(
      `sources.${name}.options.${reserved}: set by the source itself (offsets are stored in DuckDB); remove it` +
        (reserved === 'group.id' ? ' and use `group`' : reserved === 'bootstrap.servers' ? ' and use `brokers`' : ''),
    );
  }
  checkHeartbeat(name, properties);
  const batchSize = config.batch_size ?? KAFKA_DEFAULTS.batchSize;
  return {
    name,
    brokers: config.brokers,
    topics,
    group: config.group,
    batchSize,
    maxRecordBytes,
    maxBufferedRecords: batchSize * KAFKA_DEFAULTS.bufferedBatches,
    pollTimeoutMs: KAFKA_DEFAULTS.pollTimeoutMs,
    clientProperties: properties,
  };
}

/** librdkafka's defaults of the two settings `checkHeartbeat` compares. */
const SESSION_TIMEOUT_MS = 45_000;
const HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * A heartbeat interval at or above the session timeout: the group coordinator drops the member
 * between two of its heartbeats, over and over, and every drop rebalances the group. librdkafka
 * accepts it; Kafka's documentation asks for at most a third of the timeout.
 */
function checkHeartbeat(name: string, properties: Record<string, string | number | boolean>): void {
  const heartbeat = Number(properties['heartbeat.interval.ms'] ?? HEARTBEAT_INTERVAL_MS);
  const session = Number(properties['session.timeout.ms'] ?? SESSION_TIMEOUT_MS);
  if (!(heartbeat >= session)) return;
  const setting = properties['heartbeat.interval.ms'] === undefined ? 'session.timeout.ms' : 'heartbeat.interval.ms';
  const defaulted = (key: string): string => (properties[key] === undefined ? ", librdkafka's default" : '');
  throw new ConfigError(
    `sources.${name}.options.${setting}: heartbeat.interval.ms (${heartbeat} ms${defaulted('heartbeat.interval.ms')}) is not below ` +
      `session.timeout.ms (${session} ms${defaulted('session.timeout.ms')}): the group would drop this member between two heartbeats ` +
      'and rebalance again and again; keep heartbeat.interval.ms at most a third of session.timeout.ms',
  );
}

/** The topics of a source's `topics` option: comma-separated names, trimmed, empty ones dropped. */
export function topicNames(topics: string): string[] {
  return topics
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** librdkafka settings a job's other clients (changelog, merge topic) share with its source: how to reach and authenticate to the brokers. */
const SHARED_PREFIXES = ['security.', 'sasl.', 'ssl.', 'client.'];

/** Of a source's `options`, the settings its job's other Kafka clients need too. */
export function sharedClientProperties(options: ClientProperties | undefined): ClientProperties {
  const shared: ClientProperties = {};
  for (const [key, value] of Object.entries(options ?? {})) if (SHARED_PREFIXES.some((p) => key.startsWith(p))) shared[key] = value;
  return shared;
}

/**
 * The one topic a source reads, for a job option whose partitions follow the source's (`option`:
 * its name; `why`: what follows the partitions); a source of several topics is refused.
 */
export function singleTopic(source: string, topics: string, option: string, why: string): string {
  const names = topicNames(topics);
  if (names.length !== 1) {
    throw new ConfigError(`${option}: the source '${source}' reads ${names.length} topics (${topics}); ${why}: read one topic, or run one job per topic`);
  }
  return names[0]!;
}
