import { CONSOLE_SCHEMA } from '../console/options.js';
import { DURATION_PATTERN } from '../operators/duration.js';
import { DEFAULT_THRESHOLDS } from '../sinks/outcomes/figures.js';
import { DEFAULT_RECORD_LIMITS } from '../operators/record-limits.js';
import { DEFAULT_MEMORY_LIMIT } from '../sinks/duckdb/store.js';
import { DEFAULT_LABEL_LIMITS } from '../sinks/metrics/label-limits.js';
import { REPORT_LINKS_SCHEMA, REPORT_SCHEDULE_SCHEMA } from './report-schedule.js';

/**
 * JSON Schema of the job YAML: the single source for validation at start-up and for the reference
 * in the README. Unknown keys are rejected so that a typo fails loudly instead of being ignored.
 * Operator-specific settings are validated by each operator's own schema (pipelines/registry.ts).
 */
export const duration = { type: 'string', pattern: DURATION_PATTERN } as const;

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
const bound = (fallback: number) => ({ type: 'number', exclusiveMinimum: 0, maximum: Number.MAX_VALUE, default: fallback }) as const;

/** One label's limit: `keep` values always have their own series, then the first `max` others seen. */
function labelLimit(max: number) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      max: { type: 'integer', minimum: 0, maximum: 10_000, default: max },
      keep: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    },
  } as const;
}

export const fileSource = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'paths'],
  properties: {
    type: { const: 'files' },
    paths: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    batch_size: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 4096 },
    linger: { ...duration, default: DEFAULT_LINGER, description: 'stdin only: how long a partial batch waits for more lines' },
  },
} as const;

export const kafkaSource = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'brokers', 'topics', 'group'],
  properties: {
    type: { const: 'kafka' },
    brokers: { type: 'string', minLength: 1 },
    topics: { type: 'string', minLength: 1 },
    group: { type: 'string', minLength: 1 },
    batch_size: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 4096 },
    dead_letter_topic: { type: 'string' },
    options: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  },
} as const;

export const JOB_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'sources', 'source', 'operators'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    source: { type: 'string', minLength: 1, description: 'name of the source to read (pulse run --source overrides)' },
    sources: {
      type: 'object',
      minProperties: 1,
      // Each source is checked against the schema of its own type (job-config.ts), which gives a
      // clearer message than a oneOf over all source types.
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: { type: { enum: ['files', 'kafka'] } },
      },
    },
    event_time: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max_out_of_orderness: { ...duration, default: '5m' },
        allowed_lateness: { ...duration, default: '1h' },
        idle_timeout: { ...duration, default: '30s' },
        max_future: { ...duration, default: DEFAULT_MAX_FUTURE },
        max_jump: { ...duration, default: DEFAULT_MAX_JUMP },
        min_time: { type: 'string', minLength: 1, default: DEFAULT_MIN_TIME },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max_record_bytes: { type: 'integer', minimum: 256, maximum: 1_073_741_824, default: DEFAULT_RECORD_LIMITS.maxRecordBytes },
        max_nesting_depth: { type: 'integer', minimum: 2, maximum: 1000, default: DEFAULT_RECORD_LIMITS.maxNestingDepth },
        max_id_length: { type: 'integer', minimum: 1, maximum: 65_536, default: DEFAULT_RECORD_LIMITS.maxIdLength },
        max_amount: bound(DEFAULT_RECORD_LIMITS.maxAmount),
        max_quantity: bound(DEFAULT_RECORD_LIMITS.maxQuantity),
        max_contact_seconds: bound(DEFAULT_RECORD_LIMITS.maxContactSeconds),
        max_survey_answer: bound(DEFAULT_RECORD_LIMITS.maxSurveyAnswer),
      },
    },
    operators: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string' }, name: { type: 'string', minLength: 1 } },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        path: { type: 'string', minLength: 1, default: 'pulse.duckdb' },
        memory_limit: {
          type: 'string',
          pattern: '^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$',
          default: DEFAULT_MEMORY_LIMIT,
          description: "DuckDB's buffer pool limit, e.g. 256MB or 2GB (it spills to disk beyond it)",
        },
      },
    },
    checkpoint: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        interval: { ...duration, default: '5s' },
        max_events: { type: 'integer', minimum: 1, default: 1_000_000 },
        handoff_dir: {
          type: 'string',
          minLength: 1,
          description: 'shared directory where Kafka partition state is handed to the next owner on a rebalance or stop',
        },
      },
    },
    workers: {
      anyOf: [{ type: 'integer', minimum: 0, maximum: 64 }, { const: 'auto' }],
      default: 'auto',
      description:
        'worker threads that decode, gate and run the per-customer operators, each on a hash share of the customers; ' +
        'auto: one per CPU core; 0: everything on the main thread. Results are identical for any number',
    },
    dead_letters: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rejects_files: { type: 'boolean', default: true, description: 'write FILE.rejects.ndjson beside each input file' },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
        label_limits: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'bounds on label values that come from events (contact-center gauges): beyond them values are published as other',
          properties: {
            queue: labelLimit(DEFAULT_LABEL_LIMITS.queue.max),
            channel: labelLimit(DEFAULT_LABEL_LIMITS.channel.max),
          },
        },
      },
    },
    reports: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        dir: { type: 'string', default: 'reports' },
        render: {
          enum: ['auto', 'at_end', 'after_checkpoint'],
          default: 'auto',
          description:
            'when reports of alerts are rendered: after_checkpoint (as soon as the alert is committed), at_end (when a bounded input ' +
            'has been read; ingestion gets the CPU), auto: at_end for files, after_checkpoint for stdin and Kafka',
        },
        schedule: REPORT_SCHEDULE_SCHEMA,
        links: REPORT_LINKS_SCHEMA,
      },
    },
    console: CONSOLE_SCHEMA,
    leads: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        win_window: {
          ...duration,
          default: '30d',
          description:
            'a transaction by the customer within this period after a new_sale or upsell_cross_sell lead marks it won_candidate; ' +
            'none within it after a retention_risk lead marks it lost_candidate (needs a customer_windows operator)',
        },
      },
    },
    outcomes: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        min_precision: { type: 'number', minimum: 0, maximum: 1, default: DEFAULT_THRESHOLDS.minPrecision, description: 'a rule judged less precise than this is flagged for tuning' },
        min_judged: { type: 'integer', minimum: 1, default: DEFAULT_THRESHOLDS.minJudged, description: 'judged alerts a rule needs before it can be flagged' },
      },
    },
    alerting: { type: 'object' },
  },
} as const;
