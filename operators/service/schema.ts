/**
 * Schema of the `service_triggers` operator block of the job YAML (besides `type` and `name`):
 * the single source for validation (config.ts and the registry check it), the block's type and the
 * README's option table.
 */
import { SEVERITIES } from '../alert.js';
import { Duration, StringEnum, Type, type Static } from '../config/schema.js';
import { DISPOSITIONS } from '../events.js';
import { CASE_SEVERITIES, INTERACTION_TRIGGERS } from './types.js';

export const DEFAULT_TEAM = 'customer-care';
export const DEFAULT_TRAILING_SPEND_DAYS = 90;
export const DEFAULT_MAX_CONTACTS = 200;

const NAME = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$', description: 'a letter or _, then letters, digits, _ . -' });
const EXPRESSION = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
  description: 'an expression string or a list of expression strings',
});
const STRINGS = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });
const TEXT = Type.String({ minLength: 1 });

const CASE_TEMPLATE = Type.Union(
  [
    Type.Boolean(),
    Type.Object(
      {
        category: Type.Optional(TEXT),
        team: Type.Optional(TEXT),
        severity: Type.Optional(StringEnum(CASE_SEVERITIES)),
        due_in: Type.Optional(Duration()),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'true, false or a mapping {category, team, severity, due_in}' },
);

const COMMON_RULE_PROPERTIES = {
  name: NAME,
  description: Type.Optional(Type.String()),
  customer: Type.Optional(EXPRESSION),
  severity: Type.Optional(StringEnum(SEVERITIES)),
  team: Type.Optional(TEXT),
  /** A duration, or 0 for "none". */
  cooldown: Type.Optional(Type.Union([Duration(), Type.Literal(0)], { description: 'a duration like 30m or 1d (or 0 for none)' })),
  case: Type.Optional(CASE_TEMPLATE),
};

export const SURVEY_RULE_SCHEMA = Type.Object(
  { ...COMMON_RULE_PROPERTIES, when: EXPRESSION, survey_ids: Type.Optional(STRINGS) },
  { additionalProperties: false },
);

export const INTERACTION_RULE_SCHEMA = Type.Object(
  {
    ...COMMON_RULE_PROPERTIES,
    trigger: StringEnum(INTERACTION_TRIGGERS),
    /** Extra condition on the contact itself (queue, channel, reason, disposition, ...). */
    where: Type.Optional(EXPRESSION),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    within: Type.Optional(Duration()),
    dispositions: Type.Optional(Type.Array(StringEnum(DISPOSITIONS), { minItems: 1 })),
    reasons: Type.Optional(STRINGS),
    queues: Type.Optional(STRINGS),
    threshold: Type.Optional(Type.Number({ maximum: 0 })),
    intents: Type.Optional(STRINGS),
    min_confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

const TIER_POLICY = Type.Object(
  { due_in: Type.Optional(Duration()), severity: Type.Optional(StringEnum(CASE_SEVERITIES)), team: Type.Optional(TEXT) },
  { additionalProperties: false },
);

export const SERVICE_TRIGGERS_SCHEMA = Type.Object(
  {
    type: Type.Optional(Type.Literal('service_triggers')),
    name: Type.Optional(TEXT),
    team: Type.String({ minLength: 1, default: DEFAULT_TEAM, description: 'team of alerts whose rule names none' }),
    trailing_spend_days: Type.Integer({
      minimum: 1,
      maximum: 366,
      default: DEFAULT_TRAILING_SPEND_DAYS,
      description: 'the days of spend summed as trailing_spend',
    }),
    max_contacts_per_customer: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: DEFAULT_MAX_CONTACTS,
      description: 'recent contacts kept per customer (bounded state)',
    }),
    lexicon: Type.Optional(
      Type.Record(Type.String(), Type.Number({ minimum: -5, maximum: 5 }), {
        description: 'word scores (-5..5) added to or overriding the AFINN-165 lexicon of negative_text',
      }),
    ),
    intent_model: Type.Optional(Type.String({ minLength: 1, description: 'model file of pulse intent train (default: the bundled model)' })),
    survey_rules: Type.Array(SURVEY_RULE_SCHEMA, { default: [], description: 'service alerts from survey answers (operators/service/README.md)' }),
    interaction_rules: Type.Array(INTERACTION_RULE_SCHEMA, { default: [], description: 'service alerts from contact patterns (operators/service/README.md)' }),
    cases: Type.Optional(
      Type.Object(
        {
          default_tier: Type.Optional(TEXT),
          by_tier: Type.Optional(Type.Record(Type.String(), TIER_POLICY)),
          one_open_per_category: Type.Optional(Type.Boolean()),
          escalation: Type.Optional(
            Type.Object({ severity: Type.Optional(StringEnum(SEVERITIES)), team: Type.Optional(TEXT) }, { additionalProperties: false }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ServiceTriggersBlock = Static<typeof SERVICE_TRIGGERS_SCHEMA>;
