import { CONSOLE_SCHEMA } from '../console/options.js';
import { Duration, StringEnum, Type, type Static } from '../operators/config/schema.js';
import { DEFAULT_THRESHOLDS } from '../sinks/outcomes/figures.js';
import { DEFAULT_RECORD_LIMITS } from '../operators/record-limits.js';
import { DEFAULT_MEMORY_LIMIT } from '../sinks/duckdb/store.js';
import { DEFAULT_LABEL_LIMITS } from '../sinks/metrics/label-limits.js';
import { REPORT_LINKS_SCHEMA, REPORT_SCHEDULE_SCHEMA } from './report-schedule.js';
import { SOURCE_TYPES } from './source-binding.js';

/**
 * Schema of the job YAML (TypeBox, operators/config/schema.ts): the single source for validation
 * at start-up, the job's types and the README's option tables. Unknown keys are rejected so that a
 * typo fails loudly instead of being ignored. Each source and each operator is checked against its
 * own type's schema (job-config.ts, pipelines/registry.ts), which gives a clearer message than a
 * union of all of them.
 */

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
const bound = (fallback: number, description: string) => Type.Number({ exclusiveMinimum: 0, maximum: Number.MAX_VALUE, default: fallback, description });

/** One label's limit: `keep` values always have their own series, then the first `max` others seen. */
function labelLimit(max: number) {
  return Type.Object(
    {
      max: Type.Integer({ minimum: 0, maximum: 10_000, default: max, description: 'values seen first that get their own series, besides keep' }),
      keep: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'values that always get their own series' }),
    },
    { additionalProperties: false, default: {} },
  );
}

/** A section whose keys all have defaults: absent, it is `{}` and the defaults fill it. */
const section = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, default: {}, ...(description ? { description } : {}) });

export const JOB_SCHEMA = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'the job name (logs, metrics)' }),
    description: Type.Optional(Type.String({ description: 'free text' })),
    source: Type.String({ minLength: 1, description: 'which entry of sources to read; --source overrides, --input replaces it with files' }),
    sources: Type.Record(Type.String(), Type.Object({ type: StringEnum(SOURCE_TYPES.types) }), {
      minProperties: 1,
      description: 'the inputs by name; each is checked against the schema of its type',
    }),
    event_time: section({
      max_out_of_orderness: Duration({ default: '5m', description: 'the watermark trails the newest event time by this much' }),
      allowed_lateness: Duration({
        default: '1h',
        description:
          "events up to this far behind the watermark still revise their windows. A contact's record arrives when the contact ends, so " +
          'set it above your longest contacts (email answered the next day: `1d`); a longer one is `late` by itself. The watermark moves ' +
          'between batches, so a record is judged against the watermark before its batch: how late a straggler may be without being ' +
          '`late` grows with `batch_size` (a batch spanning days takes a straggler of days; `batch_size: 1` judges record by record)',
      }),
      idle_timeout: Duration({ default: '30s', description: 'a partition silent this long stops holding the watermark back' }),
      max_future: Duration({
        default: DEFAULT_MAX_FUTURE,
        description:
          'an event time later than the processing time (the wall clock) plus this is refused as `future` and moves nothing; for a contact its ' +
          "`ended_at` counts (a finished interaction cannot end in the future). Why 1 h: it covers producers' clock skew, and as long as " +
          '`max_future <= allowed_lateness + max_out_of_orderness` an accepted event cannot push the watermark so far past the wall clock ' +
          'that on-time events become late. Replaying data dated after today needs a larger value',
      }),
      max_jump: Duration({
        default: DEFAULT_MAX_JUMP,
        description:
          "a partition's progress moves through each batch's event times in order of time, each within this of the progress so far; a time " +
          'further ahead (a broken timestamp, say next June in a January replay, which `max_future` cannot catch) is processed as an early ' +
          'event but counts only once another time within this of it confirms it, and a lone outlier never does. So one record cannot make ' +
          'the on-time events after it late. In a stream whose events are less than this apart (any ordinary one) the progress is exactly the ' +
          'newest event time; after a silence longer than this, the first record waits for the next',
      }),
      min_time: Type.String({
        minLength: 1,
        default: DEFAULT_MIN_TIME,
        description:
          'an event time before this (RFC 3339) is refused as `impossible_value` and moves nothing: `0001-01-01`, epoch 0 and other default ' +
          'dates of broken producers. Set it earlier to replay older history. Negative epoch milliseconds are never valid (`wrong_type`)',
      }),
    }),
    limits: section({
      max_record_bytes: Type.Integer({
        minimum: 256,
        maximum: 1_073_741_824,
        default: DEFAULT_RECORD_LIMITS.maxRecordBytes,
        description:
          'longest record in bytes (1 MiB by default: an NDJSON line without its newline, a Kafka message value); longer: `too_large`. ' +
          "Events are a few hundred bytes, and Kafka's default `message.max.bytes` is about 1 MB too",
      }),
      max_nesting_depth: Type.Integer({
        minimum: 2,
        maximum: 1000,
        default: DEFAULT_RECORD_LIMITS.maxNestingDepth,
        description:
          'deepest nesting of arrays and objects (the record is level 1; SPEC records need 2); deeper: `too_large`. 64 is .NET ' +
          "System.Text.Json's default, far below the depth at which structured clone (decode workers) and `JSON.stringify` run out of stack",
      }),
      max_id_length: Type.Integer({
        minimum: 1,
        maximum: 65_536,
        default: DEFAULT_RECORD_LIMITS.maxIdLength,
        description:
          'longest id or grouping label in characters (`event_id`, `customer_id`, `contact_id`, `agent_id`, `survey_id`, `queue`, `reason`, ' +
          '`metric`, transaction `channel` and `category`, profile `region`, `age_band`, `tier`); longer: `impossible_value`. UUIDs have 36. ' +
          'Ids holding an unpaired UTF-16 surrogate (a lone `\\ud800` escape) are refused too: stored as U+FFFD, different ids would merge',
      }),
      max_amount: bound(
        DEFAULT_RECORD_LIMITS.maxAmount,
        'largest absolute transaction `amount`; beyond: `impossible_value`. Above any single transaction in any currency (1e12 IDR is about ' +
          '60 million USD), and sums of millions of them stay finite (two amounts of 1.7e308 made `spend_total` Infinity)',
      ),
      max_quantity: bound(DEFAULT_RECORD_LIMITS.maxQuantity, 'largest usage `quantity` (a petabyte in `data_mb`)'),
      max_contact_seconds: bound(DEFAULT_RECORD_LIMITS.maxContactSeconds, 'largest contact `hold_seconds` and `acw_seconds` (a day)'),
      max_survey_answer: bound(DEFAULT_RECORD_LIMITS.maxSurveyAnswer, 'largest absolute numeric survey answer'),
    }),
    operators: Type.Array(
      Type.Object({
        type: Type.String({ description: 'the operator type; its options are in the tables below' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'unique in the job; default: the type' })),
      }),
      {
        minItems: 1,
        description:
          'the operators in order, each `{type, name?, ...options}`; one contact_kpis at most, and a customer_windows size in one customer_windows only (their tables name no operator)',
      },
    ),
    store: section({
      path: Type.String({ minLength: 1, default: 'pulse.duckdb', description: 'the DuckDB file (state, outputs and checkpoint); `--db` overrides' }),
      memory_limit: Type.String({
        pattern: '^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$',
        default: DEFAULT_MEMORY_LIMIT,
        description:
          "DuckDB's buffer pool limit, e.g. 256MB or 2GB (it spills to disk beyond it); at a million customers 1GB added ~700 MB of peak RSS and no speed. " +
          'The default job at a million customers x 1 day ran out of it at 256MB in a checkpoint (writing `customer_windows`) and completes at 512MB, hence the default',
      }),
    }),
    checkpoint: section({
      interval: Duration({
        default: '5s',
        description: 'checkpoint after this time or max_events, whichever comes first (by time only once the previous checkpoint has committed)',
      }),
      max_events: Type.Integer({ minimum: 1, default: 1_000_000, description: 'checkpoint after this many events or interval, whichever comes first' }),
      max_share: Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        default: 0.2,
        description:
          "the largest share of the job's time checkpoints by interval may take: after one whose draining and staging took d seconds, the next " +
          'by interval waits at least d x (1 / max_share - 1) (1: never waits; max_events is never paced: it bounds what one checkpoint holds). ' +
          'State is written for every customer that changed, so with many customers a checkpoint takes seconds; this keeps them from taking over ' +
          'the job, at the cost of outputs committed less often and longer replays after a crash',
      }),
      handoff_dir: Type.Optional(
        Type.String({
          minLength: 1,
          description:
            'Kafka only: a directory shared by the members of the consumer group; a partition given up (rebalance, graceful stop) is exported ' +
            "there with its customers' state and the next owner continues it (`sources/kafka/README.md`)",
        }),
      ),
      changelog: Type.Optional(
        Type.Object(
          {
            topic: Type.String({
              pattern: '^[A-Za-z0-9._-]{1,249}$',
              description: 'the compacted topic, one per job; created with one partition per source partition and cleanup.policy=compact when missing',
            }),
            min_compaction_lag: Duration({
              default: '1d',
              description:
                "the topic's min.compaction.lag.ms when the job creates it: a member that dies leaves records after its last marker, which " +
                'compaction must not merge over the values before it until the next owner has restored the partition and overwritten them',
            }),
          },
          {
            additionalProperties: false,
            description:
              "Kafka only (one topic): per-customer state carried by a compacted changelog topic instead of a shared directory; each checkpoint's " +
              'changes are produced after its commit, and an assigned partition is restored from it unless the local database is as far (README "State carried by Kafka")',
          },
        ),
      ),
    }),
    merge: Type.Optional(
      Type.Object(
        {
          topic: Type.String({
            pattern: '^[A-Za-z0-9._-]{1,249}$',
            description:
              'the merge topic, one per job; created with one partition per source partition and cleanup.policy=compact when missing. ' +
              "Each member produces its source partitions' cumulative partials and watermark reports to it after every checkpoint",
          }),
        },
        {
          additionalProperties: false,
          description:
            "Kafka only (one topic): contact_kpis rows, KPI rule alerts and population_drift's tables and alerts equal to one member's, merged across the members of the consumer group; " +
            "the member that reads source partition M merges merge partition M's queues and channels and writes their rows, and the one that reads " +
            "the partition numbered like the drift's merge partition decides drift for the whole population " +
            '(README "Population results merged across members"). The shift detector\'s population parts stay per member',
        },
      ),
    ),
    workers: Type.Union([Type.Integer({ minimum: 0, maximum: 64 }), Type.Literal('auto')], {
      default: 'auto',
      description:
        'a number of worker threads from 0 to 64, or auto (one per CPU core); `--workers` overrides. Customers are hashed to them, and each ' +
        'decodes, gates and runs the per-customer part of every operator on its share; population results (KPIs, drift, the shift ' +
        "detector's population rate and false-discovery control) are merged on the main thread from exact partial results. `0` runs " +
        'everything on the main thread. The tables are identical for any number (a test compares 0, 1, 2 and 3)',
    }),
    dead_letters: section({
      rejects_files: Type.Boolean({ default: true, description: 'also write `FILE.rejects.ndjson` beside each input file' }),
    }),
    metrics: section({
      port: Type.Integer({
        minimum: 0,
        maximum: 65535,
        default: 0,
        description: 'serve `/metrics`, `/healthz`, `/readyz` (0 = off); `--metrics-port` overrides',
      }),
      label_limits: section(
        {
          queue: labelLimit(DEFAULT_LABEL_LIMITS.queue.max),
          channel: labelLimit(DEFAULT_LABEL_LIMITS.channel.max),
        },
        'queue and channel names come from events and label the `pulse_contact_*` gauges: values in `keep` always get their own series, then ' +
          'the first `max` others seen; the rest are published as `other` (their counts summed; rates and averages left out, since they do ' +
          'not add up) and counted in `pulse_metric_label_values_folded_total{label}`',
      ),
    }),
    reports: section({
      dir: Type.String({ default: 'reports', description: 'where generated reports go; `--reports` overrides' }),
      render: StringEnum(['auto', 'at_end', 'after_checkpoint'] as const, {
        default: 'auto',
        description:
          'when reports of alerts are rendered: `after_checkpoint` (on a worker thread as soon as the alert is committed), `at_end` (when a ' +
          'bounded input has been read: ingestion keeps both cores, and the reports follow), `auto`: `at_end` for files, `after_checkpoint` ' +
          'for stdin and Kafka',
      }),
      render_threads: Type.Union([Type.Integer({ minimum: 1, maximum: 64 }), Type.Literal('auto')], {
        default: 'auto',
        description:
          'worker threads that render the reports pending at the end of a bounded input, from 1 to 64, or auto (one per CPU core); while ' +
          'the input is read, reports are rendered one at a time on one of them, so that ingestion keeps the other cores',
      }),
      schedule: REPORT_SCHEDULE_SCHEMA,
      links: REPORT_LINKS_SCHEMA,
    }),
    console: CONSOLE_SCHEMA,
    leads: section({
      win_window: Duration({
        default: '30d',
        description:
          'a transaction by the customer within this after a `new_sale` or `upsell_cross_sell` lead marks it `won_candidate`; none within ' +
          'it after a `retention_risk` lead (judged by the watermark) marks it `lost_candidate` ("Outcomes: the loop closed"). Needs a ' +
          '`customer_windows` operator (without one nothing is inferred)',
      }),
    }),
    outcomes: section({
      min_precision: Type.Number({
        minimum: 0,
        maximum: 1,
        default: DEFAULT_THRESHOLDS.minPrecision,
        description:
          'a rule whose precision ((useful + won + won inferred) / judged) is below this over at least `min_judged` judged alerts is flagged for tuning in ' +
          'the closed-loop report and `pulse_rule_flagged_for_tuning`',
      }),
      min_judged: Type.Integer({ minimum: 1, default: DEFAULT_THRESHOLDS.minJudged, description: 'judged alerts a rule needs before it can be flagged' }),
    }),
    alerting: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'receivers (webhook, Alertmanager, email, Slack, Kafka, file), routing tree, grouping, inhibition, silences, delivery retries: ' +
          '`sinks/alerts/README.md`',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The job YAML after validation, defaults filled in. */
export type JobDocument = Static<typeof JOB_SCHEMA>;
