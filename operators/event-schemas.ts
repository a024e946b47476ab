import { CONTACT_CHANNELS, DISPOSITIONS } from './events.js';
import { DEFAULT_RECORD_LIMITS, type RecordLimits } from './record-limits.js';

/**
 * JSON Schemas of the raw input records (SPEC section 1), one per event type. They are the single
 * source for validation (compiled once by ajv) and for the documentation of the input format.
 * Unknown extra fields are allowed: producers add fields, and profiles carry free attributes.
 *
 * Bounds come from the job's `limits` (operators/record-limits.ts). The EventDecoder checks
 * `date-time` with `parseTimestamp` (operators/timestamp.ts) and registers `wellFormedUnicode`,
 * which refuses a string holding a lone UTF-16 surrogate: a JSON escape such as `\ud800` makes
 * one, and DuckDB would store it as U+FFFD, merging two different ids into one.
 */

/*
 * A field of several types is one `type` list, each keyword applying to its own type (`format` to
 * strings, `minimum` to numbers), not an `anyOf` of one branch per type: ajv builds an error object
 * for every branch that fails before one passes, so an epoch-ms time or a null cost allocations on
 * every record that has one.
 */
const time = {
  description: 'RFC 3339 timestamp with offset, or epoch milliseconds',
  type: ['string', 'integer'],
  format: 'date-time',
  minimum: 0,
} as const;

const nullableTime = { ...time, type: ['string', 'integer', 'null'] } as const;
const optionalText = { type: ['string', 'null'] } as const;

/** The schemas of the five record types under `limits`. */
export function eventSchemas(limits: RecordLimits) {
  /** An identifier or grouping key: printable, not blank, bounded, stored byte for byte. */
  const id = { type: 'string', minLength: 1, maxLength: limits.maxIdLength, wellFormedUnicode: true, printable: true } as const;
  /** An optional label that groups records (agent, category, region, tier). */
  const label = { type: ['string', 'null'], maxLength: limits.maxIdLength, wellFormedUnicode: true } as const;
  /** Hold and after-contact work: absent or null (as exports write "none") is 0. */
  const contactSeconds = { type: ['number', 'null'], minimum: 0, maximum: limits.maxContactSeconds } as const;
  const common = { type: { type: 'string' }, event_id: id } as const;
  return {
    transaction: {
      type: 'object',
      required: ['type', 'event_id', 'ts', 'customer_id', 'amount', 'channel'],
      properties: {
        ...common,
        ts: time,
        customer_id: id,
        amount: { type: 'number', minimum: -limits.maxAmount, maximum: limits.maxAmount },
        // ISO 4217, in any case (Stripe writes "eur"); stored in capitals.
        currency: { type: ['string', 'null'], pattern: '^[A-Za-z]{3}$' },
        channel: id,
        category: label,
      },
    },
    usage: {
      type: 'object',
      required: ['type', 'event_id', 'ts', 'customer_id', 'metric', 'quantity'],
      properties: {
        ...common,
        ts: time,
        customer_id: id,
        metric: id,
        quantity: { type: 'number', minimum: 0, maximum: limits.maxQuantity },
      },
    },
    contact: {
      type: 'object',
      required: ['type', 'event_id', 'contact_id', 'channel', 'queue', 'reason', 'queued_at', 'ended_at', 'disposition'],
      properties: {
        ...common,
        // Optional (queued_at is the event time), so null too: a Parquet or Arrow column cannot
        // leave it out of one row, and exports write a missing value as null.
        ts: nullableTime,
        customer_id: { ...id, type: ['string', 'null'] },
        contact_id: id,
        channel: { enum: [...CONTACT_CHANNELS] },
        queue: id,
        // Required, but null or blank for none (an abandoned call has no reason): stored as NO_REASON.
        reason: label,
        agent_id: label,
        queued_at: time,
        answered_at: nullableTime,
        ended_at: time,
        hold_seconds: contactSeconds,
        acw_seconds: contactSeconds,
        disposition: { enum: [...DISPOSITIONS] },
        text: optionalText,
      },
    },
    survey: {
      type: 'object',
      required: ['type', 'event_id', 'ts', 'customer_id', 'survey_id', 'answers'],
      properties: {
        ...common,
        ts: time,
        customer_id: id,
        survey_id: id,
        answers: {
          type: 'object',
          // minimum and maximum apply to the numeric answers only.
          additionalProperties: {
            type: ['number', 'string', 'boolean'],
            minimum: -limits.maxSurveyAnswer,
            maximum: limits.maxSurveyAnswer,
          },
        },
        comment: optionalText,
      },
    },
    profile: {
      type: 'object',
      required: ['type', 'event_id', 'ts', 'customer_id'],
      properties: {
        ...common,
        ts: time,
        customer_id: id,
        // An e-mail address; empty is none (exports write a missing value as "").
        account_owner: { type: ['string', 'null'], format: 'account-owner' },
        region: label,
        age_band: label,
        tier: label,
        // A date, or a timestamp (databases export DATE columns as one): its date as written is kept.
        signup_date: { type: ['string', 'null'], format: 'signup-date' },
      },
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
    },
  } as const;
}

/** The schemas under the default limits (documentation, tests). */
export const EVENT_SCHEMAS = eventSchemas(DEFAULT_RECORD_LIMITS);
