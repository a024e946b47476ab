import { CONTACT_CHANNELS, DISPOSITIONS } from './events.js';

/**
 * JSON Schemas of the raw input records (SPEC section 1), one per event type. They are the single
 * source for validation (compiled once by ajv) and for the documentation of the input format.
 * Unknown extra fields are allowed: producers add fields, and profiles carry free attributes.
 */

const time = {
  description: 'RFC 3339 timestamp with offset, or epoch milliseconds',
  anyOf: [{ type: 'string', format: 'date-time' }, { type: 'integer', minimum: 0 }],
} as const;

const nullableTime = { anyOf: [...time.anyOf, { type: 'null' }] } as const;
const id = { type: 'string', minLength: 1 } as const;
const optionalString = { type: ['string', 'null'] } as const;
const nonNegative = { type: 'number', minimum: 0 } as const;

const common = {
  type: { type: 'string' },
  event_id: id,
} as const;

export const EVENT_SCHEMAS = {
  transaction: {
    type: 'object',
    required: ['type', 'event_id', 'ts', 'customer_id', 'amount', 'channel'],
    properties: {
      ...common,
      ts: time,
      customer_id: id,
      amount: { type: 'number' },
      currency: { anyOf: [{ type: 'string', pattern: '^[A-Z]{3}$' }, { type: 'null' }] },
      channel: id,
      category: optionalString,
    },
  },
  usage: {
    type: 'object',
    required: ['type', 'event_id', 'ts', 'customer_id', 'metric', 'quantity'],
    properties: { ...common, ts: time, customer_id: id, metric: id, quantity: nonNegative },
  },
  contact: {
    type: 'object',
    required: [
      'type', 'event_id', 'contact_id', 'channel', 'queue', 'reason',
      'queued_at', 'ended_at', 'disposition',
    ],
    properties: {
      ...common,
      ts: time,
      customer_id: { anyOf: [id, { type: 'null' }] },
      contact_id: id,
      channel: { enum: [...CONTACT_CHANNELS] },
      queue: id,
      reason: id,
      agent_id: optionalString,
      queued_at: time,
      answered_at: nullableTime,
      ended_at: time,
      hold_seconds: nonNegative,
      acw_seconds: nonNegative,
      disposition: { enum: [...DISPOSITIONS] },
      text: optionalString,
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
        additionalProperties: { type: ['number', 'string', 'boolean'] },
      },
      comment: optionalString,
    },
  },
  profile: {
    type: 'object',
    required: ['type', 'event_id', 'ts', 'customer_id'],
    properties: {
      ...common,
      ts: time,
      customer_id: id,
      account_owner: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
      region: optionalString,
      age_band: optionalString,
      tier: optionalString,
      signup_date: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
    },
    additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
  },
} as const;
