import type { Registry } from 'prom-client';
import { ConfigError } from '../operators/errors.js';
import { promChangelogMetrics } from '../sinks/changelog/metrics.js';
import { ChangelogTopic } from '../sinks/changelog/topic.js';
import { StateChangelog } from '../sinks/changelog/state-changelog.js';
import type { ClientProperties } from '../sources/kafka/client.js';
import { topicNames } from '../sources/kafka/options.js';
import { KafkaSource } from '../sources/kafka/source.js';
import type { Source } from '../sources/source.js';
import type { JobConfig } from './job-config.js';

/** librdkafka settings the changelog's clients share with the source: how to reach and authenticate to the brokers. */
const SHARED_PREFIXES = ['security.', 'sasl.', 'ssl.', 'client.'];

/**
 * The job's state changelog (`checkpoint.changelog`) for a Kafka source of one topic; undefined
 * without the option, or when the run reads files (`--input`), which have no partitions to move.
 */
export function bindStateChangelog(job: JobConfig, source: Source, registry: Registry): StateChangelog | undefined {
  const options = job.checkpoint.changelog;
  const config = job.sources[job.source];
  if (!options || config?.type !== 'kafka' || !(source instanceof KafkaSource)) return undefined;
  const topics = topicNames(config.topics);
  if (topics.length !== 1) {
    throw new ConfigError(
      `checkpoint.changelog: the source '${job.source}' reads ${topics.length} topics (${config.topics}); a changelog partition holds the state of ` +
        'the same-numbered partition of one topic: read one topic, or run one job per topic',
    );
  }
  if (options.topic === topics[0])
    throw new ConfigError(`checkpoint.changelog.topic: '${options.topic}' is the source topic; give the changelog its own topic`);
  const clientProperties: ClientProperties = {};
  for (const [key, value] of Object.entries(config.options ?? {})) if (SHARED_PREFIXES.some((p) => key.startsWith(p))) clientProperties[key] = value;
  return new StateChangelog({
    topic: new ChangelogTopic({ brokers: config.brokers, topic: options.topic, clientProperties }),
    sourceTopic: topics[0]!,
    allowedLatenessMs: job.eventTime.allowedLatenessMs,
    minCompactionLagMs: options.minCompactionLagMs,
    held: () => source.held(),
    metrics: promChangelogMetrics(registry),
  });
}
