/**
 * JSON Schema of the `service_triggers` operator block of the job YAML (besides `type` and `name`).
 * The single source for validation (config.ts compiles it once) and for the README reference.
 */
import { ALERT_SEVERITIES_SCHEMA, CASE_SEVERITIES, INTERACTION_TRIGGERS } from './types.js';
import { DISPOSITIONS } from '../events.js';

const DURATION = { type: 'string', pattern: '^[1-9][0-9]*(ms|s|m|h|d|w)$' } as const;
/** A duration, or 0 for "none" (cooldowns). */
const DURATION_OR_ZERO = { anyOf: [DURATION, { const: 0 }] } as const;
const NAME = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' } as const;
const EXPRESSION = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  ],
} as const;
const STRINGS = { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } } as const;

const CASE_TEMPLATE = {
  anyOf: [
    { type: 'boolean' },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        category: { type: 'string', minLength: 1 },
        team: { type: 'string', minLength: 1 },
        severity: { enum: CASE_SEVERITIES },
        due_in: DURATION,
      },
    },
  ],
} as const;

const COMMON_RULE_PROPERTIES = {
  name: NAME,
  description: { type: 'string' },
  customer: EXPRESSION,
  severity: ALERT_SEVERITIES_SCHEMA,
  team: { type: 'string', minLength: 1 },
  cooldown: DURATION_OR_ZERO,
  case: CASE_TEMPLATE,
} as const;

export const SURVEY_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'when'],
  properties: {
    ...COMMON_RULE_PROPERTIES,
    when: EXPRESSION,
    survey_ids: STRINGS,
  },
} as const;

export const INTERACTION_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'trigger'],
  properties: {
    ...COMMON_RULE_PROPERTIES,
    trigger: { enum: INTERACTION_TRIGGERS },
    /** Extra condition on the contact itself (queue, channel, reason, disposition, ...). */
    where: EXPRESSION,
    count: { type: 'integer', minimum: 1, maximum: 1000 },
    within: DURATION,
    dispositions: { type: 'array', minItems: 1, items: { enum: DISPOSITIONS } },
    reasons: STRINGS,
    queues: STRINGS,
    threshold: { type: 'number', maximum: 0 },
    intents: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    min_confidence: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

const TIER_POLICY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    due_in: DURATION,
    severity: { enum: CASE_SEVERITIES },
    team: { type: 'string', minLength: 1 },
  },
} as const;

export const SERVICE_TRIGGERS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'service_triggers' },
    name: { type: 'string', minLength: 1 },
    team: { type: 'string', minLength: 1, description: 'team of alerts whose rule names none' },
    trailing_spend_days: { type: 'integer', minimum: 1, maximum: 366 },
    max_contacts_per_customer: { type: 'integer', minimum: 1, maximum: 10_000 },
    lexicon: { type: 'object', additionalProperties: { type: 'number', minimum: -5, maximum: 5 } },
    intent_model: { type: 'string', minLength: 1, description: 'model file of pulse intent train (default: the bundled model)' },
    survey_rules: { type: 'array', items: SURVEY_RULE_SCHEMA },
    interaction_rules: { type: 'array', items: INTERACTION_RULE_SCHEMA },
    cases: {
      type: 'object',
      additionalProperties: false,
      properties: {
        default_tier: { type: 'string', minLength: 1 },
        by_tier: { type: 'object', additionalProperties: TIER_POLICY },
        one_open_per_category: { type: 'boolean' },
        escalation: {
          type: 'object',
          additionalProperties: false,
          properties: {
            severity: ALERT_SEVERITIES_SCHEMA,
            team: { type: 'string', minLength: 1 },
          },
        },
      },
    },
  },
} as const;
