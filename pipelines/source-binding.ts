import { existsSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { requireDuration } from '../operators/duration.js';
import { ConfigError, UsageError } from '../operators/errors.js';
import type { Rejection } from '../operators/events.js';
import type { PipelineMetrics } from '../sinks/metrics/pipeline-metrics.js';
import { appendRejectsFiles } from '../sinks/rejects-file.js';
import { FileSource } from '../sources/files.js';
import { KafkaDeadLetterProducer, KafkaSource, kafkaSourceOptions } from '../sources/kafka/index.js';
import type { PartitionPosition, Source } from '../sources/source.js';
import type { PartitionHandoffDir } from '../sinks/duckdb/partition-handoff.js';
import type { JobConfig } from './job-config.js';

/**
 * A source together with what must happen around its checkpoints: where its rejects go beyond the
 * `dead_letters` table (rejects files, a dead-letter topic), what it tells its system after a
 * commit (Kafka offsets, for lag monitoring only), and its lag metric.
 */
export interface SourceBinding {
  source: Source;
  afterCheckpoint(positions: ReadonlyMap<string, PartitionPosition>, rejections: readonly Rejection[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The input files of a files source exist and are files (`-` is stdin). Checked before the job
 * opens its database, so a mistyped path stops it with a message and leaves nothing behind.
 * `from` names where the paths were given (`--input`, or the job's source).
 */
export function checkInputFiles(job: JobConfig, from: string): void {
  const config = job.sources[job.source];
  if (config?.type !== 'files') return;
  for (const path of config.paths) {
    if (path === '-') continue;
    if (!existsSync(path)) throw new UsageError(`${from} ${path}: no such file`);
    if (statSync(path).isDirectory()) {
      throw new UsageError(`${from} ${path} is a directory; give the files in it, e.g. ${from} ${path.replace(/\/+$/, '')}/*.ndjson`);
    }
  }
}

/** `handoff`: where partition state is handed over; a Kafka partition starts after its newest snapshot. */
export function bindSource(job: JobConfig, metrics: PipelineMetrics, logger: Logger, handoff?: PartitionHandoffDir): SourceBinding {
  const config = job.sources[job.source]!;
  if (config.type === 'files') {
    const source = new FileSource({
      name: job.source,
      paths: config.paths,
      batchSize: config.batch_size,
      maxRecordBytes: job.limits.maxRecordBytes,
      lingerMs: requireDuration(config.linger),
    });
    return {
      source,
      afterCheckpoint: async (_positions, rejections) => {
        if (job.rejectsFiles) await appendRejectsFiles(rejections);
      },
      close: async () => undefined,
    };
  }
  if (config.type === 'kafka') return bindKafka(job.source, config, job.limits.maxRecordBytes, metrics, logger, handoff);
  throw new ConfigError(`source '${job.source}' has an unknown type`);
}

function bindKafka(
  name: string,
  config: Extract<JobConfig['sources'][string], { type: 'kafka' }>,
  maxRecordBytes: number,
  metrics: PipelineMetrics,
  logger: Logger,
  handoff: PartitionHandoffDir | undefined,
): SourceBinding {
  const source = new KafkaSource({
    ...kafkaSourceOptions(name, config, maxRecordBytes),
    onWarning: (message, cause) => logger.warn({ err: cause }, message),
    ...(handoff ? { handedOverOffset: (partition: string) => handoff.newest(name, partition)?.manifest.position.offset } : {}),
  });
  const deadLetters = config.dead_letter_topic ? new KafkaDeadLetterProducer({ brokers: config.brokers, topic: config.dead_letter_topic }) : undefined;
  return {
    source,
    async afterCheckpoint(positions, rejections) {
      source.commitCheckpointed(positions);
      for (const [partition, lag] of source.lag(positions)) {
        const cut = partition.lastIndexOf('/');
        metrics.sourceLag.set({ topic: partition.slice(0, cut), partition: partition.slice(cut + 1) }, lag);
      }
      if (deadLetters && rejections.length > 0) {
        // The dead_letters table is the authoritative copy; the topic is a convenience for
        // producers, so a failure here is logged rather than stopping the job.
        await deadLetters
          .sendRejections(rejections, name)
          .catch((error: unknown) => logger.warn({ err: error, count: rejections.length }, 'could not send rejects to the dead-letter topic'));
      }
    },
    async close() {
      await deadLetters?.close();
    },
  };
}
