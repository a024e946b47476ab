import { DURATION_PATTERN } from '../operators/duration.js';
import { DEFAULT_MEMORY_LIMIT } from '../sinks/duckdb/store.js';
import { DEFAULT_LABEL_LIMITS } from '../sinks/metrics/label-limits.js';

/**
 * JSON Schema of the job YAML: the single source for validation at start-up and for the reference
 * in the README. Unknown keys are rejected so that a typo fails loudly instead of being ignored.
 * Operator-specific settings are validated by each operator's own schema (pipelines/registry.ts).
 */
export const duration = { type: 'string', pattern: DURATION_PATTERN } as const;

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
    decode: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        workers: {
          type: 'integer',
          minimum: 0,
          maximum: 16,
          default: 1,
          description: 'worker threads that parse and validate JSON records ahead of the pipeline; 0 decodes on the main thread',
        },
      },
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
      properties: { dir: { type: 'string', default: 'reports' } },
    },
    alerting: { type: 'object' },
  },
} as const;
