import type { Registry } from 'prom-client';
import { ConfigError } from '../operators/errors.js';
import { promChangelogMetrics } from '../sinks/changelog/metrics.js';
import { ChangelogTopic } from '../sinks/changelog/topic.js';
import { StateChangelog } from '../sinks/changelog/state-changelog.js';
import { sharedClientProperties, singleTopic } from '../sources/kafka/options.js';
import { KafkaSource } from '../sources/kafka/source.js';
import type { Source } from '../sources/source.js';
import type { JobConfig } from './job-config.js';

/**
 * The job's state changelog (`checkpoint.changelog`) for a Kafka source of one topic; undefined
 * without the option, or when the run reads files (`--input`), which have no partitions to move.
 */
export function bindStateChangelog(job: JobConfig, source: Source, registry: Registry): StateChangelog | undefined {
  const options = job.checkpoint.changelog;
  const config = job.sources[job.source];
  if (!options || config?.type !== 'kafka' || !(source instanceof KafkaSource)) return undefined;
  const topic = singleTopic(
    job.source,
    config.topics,
    'checkpoint.changelog',
    'a changelog partition holds the state of the same-numbered partition of one topic',
  );
  if (options.topic === topic) throw new ConfigError(`checkpoint.changelog.topic: '${options.topic}' is the source topic; give the changelog its own topic`);
  const clientProperties = sharedClientProperties(config.options);
  return new StateChangelog({
    topic: new ChangelogTopic({ brokers: config.brokers, topic: options.topic, clientProperties }),
    sourceTopic: topic,
    allowedLatenessMs: job.eventTime.allowedLatenessMs,
    minCompactionLagMs: options.minCompactionLagMs,
    held: () => source.held(),
    metrics: promChangelogMetrics(registry),
  });
}
