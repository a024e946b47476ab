import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { claimedEventTime, plausibleTime } from '../operators/claimed-time.js';
import { ComponentRegistry, type ComponentSpec } from '../operators/config/component-registry.js';
import { Duration, Type, type Static, type TSchema } from '../operators/config/schema.js';
import { requireDuration } from '../operators/duration.js';
import { ConfigError, UsageError } from '../operators/errors.js';
import type { PipelineMetrics } from '../sinks/metrics/pipeline-metrics.js';
import { isRejectsFile, rejectsFilesWriter } from '../sinks/rejects-file.js';
import { FileSource } from '../sources/files.js';
import { KafkaDeadLetterProducer, KafkaSource, kafkaSourceOptions } from '../sources/kafka/index.js';
import type { Source } from '../sources/source.js';
import type { PartitionHandoffDir } from '../sinks/duckdb/partition-handoff.js';
import type { CheckpointSink, CommittedCheckpoint } from './checkpoint-sink.js';
import type { JobConfig } from './job-config.js';

/**
 * How long a partial batch read from stdin waits for more lines before it is processed: as long
 * as Flink's default network buffer timeout, short enough that a live producer's events show up
 * at once, long enough that a fast producer still fills whole batches.
 */
export const DEFAULT_LINGER = '100ms';

const batchSize = Type.Integer({ minimum: 1, maximum: 1_000_000, default: 4096, description: 'lines or messages per batch' });

export const FILE_SOURCE_SCHEMA = Type.Object(
  {
    type: Type.Literal('files', { description: 'NDJSON files, or stdin' }),
    paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'NDJSON files to read in order; - reads stdin' }),
    batch_size: batchSize,
    linger: Duration({
      default: DEFAULT_LINGER,
      description:
        "stdin only: how long a partial batch waits for more lines, counted from its first line; as Flink's default buffer timeout. Files are always read in whole batches",
    }),
  },
  { additionalProperties: false },
);

export const KAFKA_SOURCE_SCHEMA = Type.Object(
  {
    type: Type.Literal('kafka', { description: 'a Kafka consumer group (sources/kafka/README.md)' }),
    brokers: Type.String({ minLength: 1, description: 'bootstrap servers, comma-separated; e.g. ${PULSE_KAFKA_BROKERS}' }),
    topics: Type.String({ minLength: 1, description: 'comma-separated' }),
    group: Type.String({ minLength: 1, description: 'the consumer group id' }),
    batch_size: batchSize,
    dead_letter_topic: Type.Optional(
      Type.String({
        description:
          "rejected records are also produced to this topic under their messages' keys and headers, with `pulse-reason`, `pulse-detail`, `pulse-source-partition` and `pulse-offset` headers (sources/kafka/README.md)",
      }),
    ),
    options: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: 'librdkafka settings' })),
  },
  { additionalProperties: false },
);

export type FileSourceConfig = Static<typeof FILE_SOURCE_SCHEMA>;
export type KafkaSourceConfig = Static<typeof KAFKA_SOURCE_SCHEMA>;
export type SourceConfig = FileSourceConfig | KafkaSourceConfig;

/**
 * A source together with what must happen around its checkpoints: where its rejects go beyond the
 * `dead_letters` table (rejects files, a dead-letter topic), what it tells its system after a
 * commit (Kafka offsets, for lag monitoring only), and its lag metric.
 */
export interface SourceBinding extends CheckpointSink {
  source: Source;
  committed(checkpoint: CommittedCheckpoint): Promise<void>;
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
  if (config.paths.every(isRejectsFile)) {
    throw new UsageError(`${from} ${config.paths.join(' ')}: only rejects files, which pulse writes beside its inputs (refused records, never input)`);
  }
  for (const path of config.paths) {
    if (path === '-') continue;
    // A relative path is read from the current directory, not the job file's: say so when it is not there.
    const where = isAbsolute(path) ? '' : ` (relative to the current directory, ${process.cwd()})`;
    if (!existsSync(path)) throw new UsageError(`${from} ${path}: no such file${where}`);
    const stat = statSync(path);
    if (stat.isDirectory()) {
      throw new UsageError(`${from} ${path} is a directory; give the files in it, e.g. ${from} ${path.replace(/\/+$/, '')}/*.ndjson`);
    }
    // A file is read from where the last run stopped, by its position: a pipe has none (a read at an
    // offset fails, and opening one without a writer waited for good, deaf to SIGTERM).
    if (!stat.isFile()) {
      // /dev/stdin, /dev/fd/63 of a process substitution: the pipe is this process's stdin or gone by the next command.
      const how = /^\/(dev|proc)\//.test(path) ? "give --input - and let the producer write to pulse's stdin" : `--input - < ${path}`;
      throw new UsageError(`${from} ${path} is not a regular file (a named pipe or a device): stream it through stdin instead: ${how}`);
    }
    // Before anything is created: a file this process may not read is a mistake in the command, not a failure of the run.
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      throw new UsageError(`${from} ${path}: cannot be read by this user (${(error as NodeJS.ErrnoException).code ?? 'no access'}); check its permissions`);
    }
    // Read as NDJSON, every line of a spreadsheet export would be refused as invalid JSON.
    const table = /\.(csv|tsv|xlsx?)$/i.exec(path)?.[1];
    if (table !== undefined) {
      throw new UsageError(
        `${from} ${path}: ${table.toUpperCase()} is not read; convert it to NDJSON or Parquet with the SPEC columns and types ` +
          `(ids as text, amounts as numbers), e.g. in DuckDB: ` +
          `COPY (FROM '${path}') TO '${path.replace(/\.[^.]+$/, '')}.parquet'`,
      );
    }
  }
}

/** What a source's build step gets besides its own settings. */
export interface SourceContext {
  /** The source's name in the job (`sources.<name>`): its positions and metrics are keyed by it. */
  name: string;
  job: JobConfig;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Where partition state is handed over; a Kafka partition starts after its newest snapshot. */
  handoff: PartitionHandoffDir | undefined;
}

/** A source type: its settings' schema and the build step that turns them into a bound source. */
export interface SourceSpec extends ComponentSpec {
  readonly schema: TSchema;
  build(config: Record<string, unknown>, context: SourceContext): SourceBinding;
}

const filesSource: SourceSpec = {
  type: 'files',
  description: 'NDJSON files, or stdin',
  schema: FILE_SOURCE_SCHEMA,
  build(config: FileSourceConfig, { name, job, logger }) {
    // `--input exports/*.ndjson` on the second day also matches the rejects files the first run wrote;
    // `--input day1.ndjson --input 'day*.ndjson'` names a file twice (each record would be a duplicate).
    const seen = new Set<string>();
    const paths = config.paths.filter((path) => {
      if (isRejectsFile(path)) {
        logger.warn({ path }, 'not reading a rejects file that pulse wrote beside an input (its lines are refused records): leave it out of the inputs');
        return false;
      }
      const file = path === '-' ? path : resolve(path);
      if (seen.has(file)) {
        logger.warn({ path }, 'an input given twice is read once');
        return false;
      }
      seen.add(file);
      return true;
    });
    const source = new FileSource({
      name,
      paths,
      batchSize: config.batch_size,
      maxRecordBytes: job.limits.maxRecordBytes,
      lingerMs: requireDuration(config.linger),
      // A time the gate would refuse (one record dated 9999) claims nothing: it neither sends its
      // file to the back nor holds the watermark there.
      timeOf: (value) => plausibleTime(claimedEventTime(value), Date.now(), job.eventTime),
      onReplaced: (path) =>
        logger.warn({ path }, 'input file replaced since the last run (it no longer starts with the bytes it started with then): reading it from its start'),
      // A file shorter than where it stopped, or an unfinished last line left for the next run.
      onWarning: (message) => logger.warn(message),
    });
    const appendRejects = rejectsFilesWriter((path, error, first) =>
      logger.warn(
        { path, error: error.message },
        `cannot write the rejects file ${path} beside this input (${error.message}): it lacks this run's refused records from the one of ` +
          `line ${first.position.offset} on, all of which are in the dead_letters table. In a read-only place set ` +
          'dead_letters.rejects_files: false to stop trying; on a full disk free space (the next run appends its own)',
      ),
    );
    return {
      source,
      committed: async ({ rejections }) => {
        if (job.rejectsFiles) await appendRejects(rejections);
      },
      close: async () => undefined,
    };
  },
};

const kafkaSource: SourceSpec = {
  type: 'kafka',
  description: 'a Kafka consumer group (sources/kafka/README.md)',
  schema: KAFKA_SOURCE_SCHEMA,
  build: bindKafka,
};

/** Every source a job can read, by its YAML `type`. */
export const SOURCE_TYPES = new ComponentRegistry<SourceSpec>('source', [filesSource, kafkaSource]);

/** `handoff`: where partition state is handed over; a Kafka partition starts after its newest snapshot. */
export function bindSource(job: JobConfig, metrics: PipelineMetrics, logger: Logger, handoff?: PartitionHandoffDir): SourceBinding {
  const config = job.sources[job.source]!;
  const spec = SOURCE_TYPES.get(config.type);
  if (!spec) throw new ConfigError(`source '${job.source}' has an unknown type`);
  return spec.build(config, { name: job.source, job, metrics, logger, handoff });
}

function bindKafka(config: KafkaSourceConfig, { name, job, metrics, logger, handoff }: SourceContext): SourceBinding {
  const source = new KafkaSource({
    ...kafkaSourceOptions(name, config, job.limits.maxRecordBytes),
    onWarning: (message, cause) => logger.warn({ err: cause }, message),
    ...(handoff ? { handedOverOffset: (partition: string) => handoff.newest(name, partition)?.manifest.position.offset } : {}),
    // A partition's state comes from the changelog before any of its records is read (pipelines/partition-handover.ts).
    ...(job.checkpoint.changelog ? { deferAssignment: true } : {}),
  });
  // Read when scraped: partitions come and go with rebalances between checkpoints.
  metrics.trackSourceLag(() => source.checkpointedLag());
  metrics.trackAssignment(name, () => source.assignment().length);
  const deadLetters = config.dead_letter_topic ? new KafkaDeadLetterProducer({ brokers: config.brokers, topic: config.dead_letter_topic }) : undefined;
  return {
    source,
    async committed({ positions, rejections }) {
      source.commitCheckpointed(positions);
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
