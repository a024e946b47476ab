import { CONSOLE_SCHEMA } from '../console/options.js';
import { Duration, StringEnum, Type, type Static } from '../operators/config/schema.js';
import { DEFAULT_RECORD_LIMITS } from '../operators/record-limits.js';
import { DEFAULT_MEMORY_LIMIT } from '../sinks/duckdb/store.js';
import { DEFAULT_LABEL_LIMITS } from '../sinks/metrics/label-limits.js';
import { REPORT_LINKS_SCHEMA, REPORT_SCHEDULE_SCHEMA } from './report-schedule.js';

/**
 * Schema of the job YAML (TypeBox, operators/config/schema.ts): the single source for validation
 * at start-up, the job's types and the README's option tables. Unknown keys are rejected so that a
 * typo fails loudly instead of being ignored. Each source and each operator is checked against its
 * own type's schema (job-config.ts, pipelines/registry.ts), which gives a clearer message than a
 * union of all of them.
 */

/**
 * How long a partial batch read from stdin waits for more lines before it is processed: as long
 * as Flink's default network buffer timeout, short enough that a live producer's events show up
 * at once, long enough that a fast producer still fills whole batches.
 */
export const DEFAULT_LINGER = '100ms';

/**
 * An accepted event may be this far ahead of the processing time. With the default out-of-orderness
 * (5m) and lateness (1h), an hour cannot push the watermark so far past the wall clock that an
 * on-time event becomes late (max_future <= allowed_lateness + max_out_of_orderness), and it covers
 * producers' clock skew.
 */
export const DEFAULT_MAX_FUTURE = '1h';
/**
 * A partition's event time may jump this far ahead of its own progress on one record's word; a
 * further jump moves its watermark only once a second record confirms it (operators/watermark.ts).
 * A day: a stream of events runs seconds to minutes apart, so only a broken timestamp (or the end of
 * a long silence, which the next record confirms) jumps further.
 */
export const DEFAULT_MAX_JUMP = '1d';
/** Older event times are refused: a zero or default date from a broken producer, not history. */
export const DEFAULT_MIN_TIME = '2000-01-01T00:00:00Z';

/** A finite positive bound (YAML `.inf` is refused: an unbounded sum can overflow to Infinity). */
const bound = (fallback: number) => Type.Number({ exclusiveMinimum: 0, maximum: Number.MAX_VALUE, default: fallback });

/** One label's limit: `keep` values always have their own series, then the first `max` others seen. */
function labelLimit(max: number) {
  return Type.Object(
    {
      max: Type.Integer({ minimum: 0, maximum: 10_000, default: max }),
      keep: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    },
    { additionalProperties: false, default: {} },
  );
}

/** A section whose keys all have defaults: absent, it is `{}` and the defaults fill it. */
const section = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, default: {}, ...(description ? { description } : {}) });

const batchSize = Type.Integer({ minimum: 1, maximum: 1_000_000, default: 4096 });

export const FILE_SOURCE_SCHEMA = Type.Object(
  {
    type: Type.Literal('files'),
    paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'NDJSON files to read in order; - reads stdin' }),
    batch_size: batchSize,
    linger: Duration({ default: DEFAULT_LINGER, description: 'stdin only: how long a partial batch waits for more lines' }),
  },
  { additionalProperties: false },
);

export const KAFKA_SOURCE_SCHEMA = Type.Object(
  {
    type: Type.Literal('kafka'),
    brokers: Type.String({ minLength: 1 }),
    topics: Type.String({ minLength: 1 }),
    group: Type.String({ minLength: 1 }),
    batch_size: batchSize,
    dead_letter_topic: Type.Optional(Type.String()),
    options: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: 'librdkafka properties' })),
  },
  { additionalProperties: false },
);

export type FileSourceConfig = Static<typeof FILE_SOURCE_SCHEMA>;
export type KafkaSourceConfig = Static<typeof KAFKA_SOURCE_SCHEMA>;
export type SourceConfig = FileSourceConfig | KafkaSourceConfig;

/** Every source type, by its YAML `type:`. */
export const SOURCE_SCHEMAS = { files: FILE_SOURCE_SCHEMA, kafka: KAFKA_SOURCE_SCHEMA } as const;

export const JOB_SCHEMA = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    source: Type.String({ minLength: 1, description: 'name of the source to read (pulse run --source overrides)' }),
    sources: Type.Record(
      Type.String(),
      Type.Object({ type: StringEnum(['files', 'kafka'] as const) }),
      { minProperties: 1, description: 'the inputs by name; each is checked against the schema of its type' },
    ),
    event_time: section({
      max_out_of_orderness: Duration({ default: '5m' }),
      allowed_lateness: Duration({ default: '1h' }),
      idle_timeout: Duration({ default: '30s' }),
      max_future: Duration({ default: DEFAULT_MAX_FUTURE }),
      max_jump: Duration({ default: DEFAULT_MAX_JUMP }),
      min_time: Type.String({ minLength: 1, default: DEFAULT_MIN_TIME }),
    }),
    limits: section({
      max_record_bytes: Type.Integer({ minimum: 256, maximum: 1_073_741_824, default: DEFAULT_RECORD_LIMITS.maxRecordBytes }),
      max_nesting_depth: Type.Integer({ minimum: 2, maximum: 1000, default: DEFAULT_RECORD_LIMITS.maxNestingDepth }),
      max_id_length: Type.Integer({ minimum: 1, maximum: 65_536, default: DEFAULT_RECORD_LIMITS.maxIdLength }),
      max_amount: bound(DEFAULT_RECORD_LIMITS.maxAmount),
      max_quantity: bound(DEFAULT_RECORD_LIMITS.maxQuantity),
      max_contact_seconds: bound(DEFAULT_RECORD_LIMITS.maxContactSeconds),
      max_survey_answer: bound(DEFAULT_RECORD_LIMITS.maxSurveyAnswer),
    }),
    operators: Type.Array(
      Type.Object({ type: Type.String(), name: Type.Optional(Type.String({ minLength: 1 })) }),
      { minItems: 1, description: 'the operators in order; each is checked against the schema of its type' },
    ),
    store: section({
      path: Type.String({ minLength: 1, default: 'pulse.duckdb' }),
      memory_limit: Type.String({
        pattern: '^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$',
        default: DEFAULT_MEMORY_LIMIT,
        description: "DuckDB's buffer pool limit, e.g. 256MB or 2GB (it spills to disk beyond it)",
      }),
    }),
    checkpoint: section({
      interval: Duration({ default: '5s' }),
      max_events: Type.Integer({ minimum: 1, default: 1_000_000 }),
      handoff_dir: Type.Optional(
        Type.String({
          minLength: 1,
          description: 'shared directory where Kafka partition state is handed to the next owner on a rebalance or stop',
        }),
      ),
    }),
    workers: Type.Union([Type.Integer({ minimum: 0, maximum: 64 }), Type.Literal('auto')], {
      default: 'auto',
      description:
        'a number of worker threads from 0 to 64, or auto (one per CPU core): they decode, gate and run the per-customer operators, ' +
        'each on a hash share of the customers; 0 runs everything on the main thread. Results are identical for any number',
    }),
    dead_letters: section({
      rejects_files: Type.Boolean({ default: true, description: 'write FILE.rejects.ndjson beside each input file' }),
    }),
    metrics: section({
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
      label_limits: section(
        {
          queue: labelLimit(DEFAULT_LABEL_LIMITS.queue.max),
          channel: labelLimit(DEFAULT_LABEL_LIMITS.channel.max),
        },
        'bounds on label values that come from events (contact-center gauges): beyond them values are published as other',
      ),
    }),
    reports: section({
      dir: Type.String({ default: 'reports' }),
      render: StringEnum(['auto', 'at_end', 'after_checkpoint'] as const, {
        default: 'auto',
        description:
          'when reports of alerts are rendered: after_checkpoint (as soon as the alert is committed), at_end (when a bounded input ' +
          'has been read; ingestion gets the CPU), auto: at_end for files, after_checkpoint for stdin and Kafka',
      }),
      schedule: REPORT_SCHEDULE_SCHEMA,
      links: REPORT_LINKS_SCHEMA,
    }),
    console: CONSOLE_SCHEMA,
    alerting: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'alert routing and receivers (sinks/alerts/README.md)' })),
  },
  { additionalProperties: false },
);

/** The job YAML after validation, defaults filled in. */
export type JobDocument = Static<typeof JOB_SCHEMA>;
