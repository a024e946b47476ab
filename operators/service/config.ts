/**
 * Build step of the service-trigger operator: validates the YAML block against the JSON Schema
 * (compiled once, at module load), compiles the rule expressions, fills defaults and returns the
 * settings the runtime takes. Errors name the rule and the key, e.g.
 * `service_triggers.survey_rules[0] (install_failed).when: unknown field 'answer.nps'; ...`.
 */
import type { Severity } from '../alert.js';
import { ConfigError } from '../errors.js';
import { type Disposition, MS_PER_DAY } from '../events.js';
import { requireDuration } from '../duration.js';
import { CASE_ALERT_RULES } from './case-status.js';
import { ExpressionError, compileExpression, expressionFields, parseExpression } from './expression.js';
import { DEFAULT_MODEL_PATH, IntentClassifier, loadModelFile } from '../intent/model.js';
import { DEFAULT_LEXICON, extendLexicon } from './sentiment.js';
import { needsIntentModel, textFactFields } from './text-facts.js';
import { compileConfig } from '../config/schema.js';
import { SERVICE_TRIGGERS_SCHEMA } from './schema.js';
import type {
  CaseSettings,
  CaseSeverity,
  CaseTemplate,
  Condition,
  InteractionRule,
  InteractionTrigger,
  ServiceTriggerSettings,
  SurveyRule,
  TierPolicy,
} from './types.js';

/** A bad `service_triggers` block; `path` is the YAML path (exit code 2 through ConfigError). */
export class ServiceConfigError extends ConfigError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

export { DEFAULT_MAX_CONTACTS, DEFAULT_TEAM, DEFAULT_TRAILING_SPEND_DAYS } from './schema.js';
export const DEFAULT_NEGATIVE_THRESHOLD = -3;
/** Chosen by bench/lead-quality.ts: at 0.5 lead precision 0.99 and recall 0.85, at 0.7 precision 1.0 and recall 0.53. */
export const DEFAULT_MIN_CONFIDENCE = 0.5;
/** One lead per customer and intent per this period (the `cooldown` of an `intent` rule). */
export const DEFAULT_LEAD_PERIOD = '7d';
export const DEFAULT_UNRESOLVED_COUNT = 3;
export const DEFAULT_WITHIN = '7d';
export const DEFAULT_INTERACTION_COOLDOWN_MS = MS_PER_DAY;
export const DEFAULT_UNRESOLVED_DISPOSITIONS: readonly Disposition[] = ['unresolved', 'abandoned', 'transferred'];

/** Case policy by tier (SPEC-independent defaults of the brief): goal, severity, team. */
export const DEFAULT_TIER_POLICIES: Readonly<Record<string, { due_in: string; severity: CaseSeverity }>> = {
  Gold: { due_in: '24h', severity: 'urgent' },
  Silver: { due_in: '48h', severity: 'high' },
  Bronze: { due_in: '72h', severity: 'normal' },
};
export const DEFAULT_TIER = 'Bronze';

/**
 * A tier's key in the case policies: profiles from different systems spell one tier `Gold`,
 * `gold` or `GOLD `, and a tier not matched gets the default tier's deadline without a word.
 */
export const tierKey = (tier: string): string => tier.trim().toLowerCase();

/** Rule names the operator and the case tools use for their own alerts. */
export const RESERVED_RULES: readonly string[] = Object.values(CASE_ALERT_RULES);

/** Fields a condition may read, by where it is written. */
export const CUSTOMER_FIELDS = ['tier', 'account_owner', 'region', 'age_band', 'signup_date', 'trailing_spend'] as const;
export const SURVEY_FIELDS = ['survey_id', 'comment', ...textFactFields('comment')] as const;
export const CONTACT_FIELDS = ['queue', 'channel', 'reason', 'disposition', 'agent_id', 'text', ...textFactFields('text')] as const;
const PROFILE_PREFIX = 'profile.';
const ANSWER_PREFIX = 'answers.';

type FieldScope = 'customer' | 'survey' | 'contact';

const checkBlock = compileConfig(SERVICE_TRIGGERS_SCHEMA, ({ path, detail }) => new ServiceConfigError(path, detail));

const ROOT = 'service_triggers';

/** Validates and resolves the operator block; `allowedLatenessMs` comes from the job. */
export function resolveServiceTriggers(raw: unknown, allowedLatenessMs = 0, root = ROOT): ServiceTriggerSettings {
  // The validator fills defaults in: check a copy, so that the caller's block stays as written.
  const cfg = checkBlock(structuredClone(raw ?? {}), root);
  const { team } = cfg;
  const names = new Set<string>(RESERVED_RULES);
  const checkName = (path: string, name: string): void => {
    if (names.has(name)) {
      throw new ServiceConfigError(
        `${path}.name`,
        RESERVED_RULES.includes(name)
          ? `'${name}' is reserved for case alerts; choose another name`
          : `the rule name '${name}' is used twice; rule names become alertnames and must be unique`,
      );
    }
    names.add(name);
  };

  const surveyRules = cfg.survey_rules.map((rule, i) => {
    const path = `${root}.survey_rules[${i}] (${rule.name})`;
    checkName(path, rule.name);
    return surveyRule(path, rule, team);
  });
  const interactionRules = cfg.interaction_rules.map((rule, i) => {
    const path = `${root}.interaction_rules[${i}] (${rule.name})`;
    checkName(path, rule.name);
    return interactionRule(path, rule, team);
  });

  return {
    team,
    classifier: intentClassifier(root, cfg.intent_model, interactionRules, [
      ...surveyRules.flatMap((r) => r.when.fields),
      ...interactionRules.flatMap((r) => r.where?.fields ?? []),
    ]),
    trailingSpendDays: cfg.trailing_spend_days,
    maxContactsPerCustomer: cfg.max_contacts_per_customer,
    lexicon: cfg.lexicon ? extendLexicon(DEFAULT_LEXICON, cfg.lexicon) : DEFAULT_LEXICON,
    surveyRules,
    interactionRules,
    cases: caseSettings(`${root}.cases`, cfg.cases ?? {}),
    allowedLatenessMs,
  };
}

function common(path: string, rule: Record<string, unknown>, team: string, defaultCooldownMs: number) {
  const cooldown = rule['cooldown'] as string | number | undefined;
  return {
    name: rule['name'] as string,
    severity: (rule['severity'] as Severity | undefined) ?? 'warning',
    team: (rule['team'] as string | undefined) ?? team,
    customer: rule['customer'] === undefined ? null : condition(`${path}.customer`, rule['customer'], ['customer']),
    cooldownMs: cooldown === undefined ? defaultCooldownMs : cooldown === 0 ? 0 : requireDuration(String(cooldown)),
    case: caseTemplate(rule['case'], rule['name'] as string),
  };
}

function surveyRule(path: string, rule: Record<string, unknown>, team: string): SurveyRule {
  const ids = rule['survey_ids'] as string[] | undefined;
  return {
    source: 'survey',
    ...common(path, rule, team, 0),
    when: condition(`${path}.when`, rule['when'], ['survey', 'customer']),
    surveyIds: ids ? new Set(ids) : null,
  };
}

/** Keys that only some triggers read; anything else on a rule of another trigger is an error. */
const TRIGGER_KEYS: Record<string, readonly InteractionTrigger[]> = {
  count: ['unresolved_contacts'],
  within: ['unresolved_contacts', 'repeat_reason'],
  dispositions: ['unresolved_contacts', 'escalation'],
  reasons: ['escalation'],
  queues: ['escalation'],
  threshold: ['negative_text'],
  intents: ['intent'],
  min_confidence: ['intent'],
};

/**
 * Loads the intent model once, when a rule needs it, and checks that every intent a rule names is
 * one the model can predict.
 */
function intentClassifier(
  root: string,
  path: string | undefined,
  rules: readonly InteractionRule[],
  conditionFields: readonly string[],
): IntentClassifier | null {
  const using = rules.filter((r) => r.trigger === 'intent');
  if (using.length === 0 && !conditionFields.some(needsIntentModel)) return null;
  let classifier: IntentClassifier;
  try {
    classifier = new IntentClassifier(loadModelFile(path ?? DEFAULT_MODEL_PATH));
  } catch (error) {
    throw new ServiceConfigError(`${root}.intent_model`, (error as Error).message);
  }
  using.forEach((rule) => {
    for (const intent of rule.intents) {
      if (!classifier.model.labels.includes(intent)) {
        throw new ServiceConfigError(
          `${root}.interaction_rules (${rule.name}).intents`,
          `'${intent}' is not an intent of the model (${classifier.model.labels.join(', ')})`,
        );
      }
    }
  });
  return classifier;
}

function interactionRule(path: string, rule: Record<string, unknown>, team: string): InteractionRule {
  const trigger = rule['trigger'] as InteractionTrigger;
  for (const [key, triggers] of Object.entries(TRIGGER_KEYS)) {
    if (rule[key] !== undefined && !triggers.includes(trigger)) {
      throw new ServiceConfigError(`${path}.${key}`, `'${key}' applies to trigger ${triggers.join(' or ')}, not to '${trigger}'`);
    }
  }
  const within = requireDuration((rule['within'] as string | undefined) ?? DEFAULT_WITHIN);
  const dispositions = rule['dispositions'] as Disposition[] | undefined;
  const reasons = (rule['reasons'] as string[] | undefined) ?? [];
  const queues = (rule['queues'] as string[] | undefined) ?? [];
  if (trigger === 'intent' && rule['intents'] === undefined) {
    throw new ServiceConfigError(path, `trigger 'intent' needs intents, e.g. [new_sale, upsell_cross_sell]`);
  }
  if (trigger === 'escalation' && !dispositions && reasons.length === 0 && queues.length === 0) {
    throw new ServiceConfigError(path, `trigger 'escalation' needs at least one of dispositions, reasons or queues`);
  }
  const defaultCooldown =
    trigger === 'unresolved_contacts' || trigger === 'repeat_reason'
      ? within
      : trigger === 'intent'
        ? requireDuration(DEFAULT_LEAD_PERIOD)
        : DEFAULT_INTERACTION_COOLDOWN_MS;
  return {
    source: 'contact',
    ...common(path, rule, team, defaultCooldown),
    trigger,
    where: rule['where'] === undefined ? null : condition(`${path}.where`, rule['where'], ['contact', 'customer']),
    count: (rule['count'] as number | undefined) ?? DEFAULT_UNRESOLVED_COUNT,
    withinMs: within,
    dispositions: new Set(dispositions ?? (trigger === 'unresolved_contacts' ? DEFAULT_UNRESOLVED_DISPOSITIONS : [])),
    // Matched whatever their case (operators/service/interactions.ts): a rule for `escalation` sees `Escalation`.
    reasons: new Set(reasons.map((r) => r.toLowerCase())),
    queues: new Set(queues.map((q) => q.toLowerCase())),
    threshold: (rule['threshold'] as number | undefined) ?? DEFAULT_NEGATIVE_THRESHOLD,
    intents: new Set((rule['intents'] as string[] | undefined) ?? []),
    minConfidence: (rule['min_confidence'] as number | undefined) ?? DEFAULT_MIN_CONFIDENCE,
  };
}

function caseTemplate(raw: unknown, ruleName: string): CaseTemplate | null {
  if (raw === undefined || raw === false) return null;
  const t = raw === true ? {} : (raw as Record<string, unknown>);
  return {
    category: (t['category'] as string | undefined) ?? ruleName,
    team: (t['team'] as string | undefined) ?? null,
    severity: (t['severity'] as CaseSeverity | undefined) ?? null,
    dueInMs: t['due_in'] === undefined ? null : requireDuration(t['due_in'] as string),
  };
}

function caseSettings(path: string, raw: Record<string, unknown>): CaseSettings {
  const given = (raw['by_tier'] as Record<string, Record<string, unknown>> | undefined) ?? {};
  const givenByKey = new Map<string, string>();
  for (const tier of Object.keys(given)) {
    const same = givenByKey.get(tierKey(tier));
    if (same !== undefined)
      throw new ServiceConfigError(`${path}.by_tier.${tier}`, `'${tier}' and '${same}' are one tier (tier names match whatever their case)`);
    givenByKey.set(tierKey(tier), tier);
  }
  const byTier = new Map<string, TierPolicy>();
  const names = new Map([...Object.keys(DEFAULT_TIER_POLICIES), ...Object.keys(given)].map((tier) => [tierKey(tier), tier]));
  for (const [key, tier] of names) {
    const base = Object.entries(DEFAULT_TIER_POLICIES).find(([name]) => tierKey(name) === key)?.[1];
    const givenName = givenByKey.get(key);
    const policy = givenName === undefined ? {} : given[givenName]!;
    const dueIn = (policy['due_in'] as string | undefined) ?? base?.due_in;
    const severity = (policy['severity'] as CaseSeverity | undefined) ?? base?.severity;
    if (dueIn === undefined || severity === undefined) {
      throw new ServiceConfigError(`${path}.by_tier.${tier}`, `a tier without defaults needs both due_in and severity`);
    }
    byTier.set(key, { dueInMs: requireDuration(dueIn), severity, team: (policy['team'] as string | undefined) ?? null });
  }
  const defaultTier = (raw['default_tier'] as string | undefined) ?? DEFAULT_TIER;
  if (!byTier.has(tierKey(defaultTier))) {
    throw new ServiceConfigError(`${path}.default_tier`, `'${defaultTier}' is not a tier of by_tier (${[...names.values()].join(', ')})`);
  }
  const escalation = (raw['escalation'] as Record<string, unknown> | undefined) ?? {};
  return {
    defaultTier,
    byTier,
    oneOpenPerCategory: (raw['one_open_per_category'] as boolean | undefined) ?? true,
    escalationSeverity: (escalation['severity'] as Severity | undefined) ?? 'critical',
    escalationTeam: (escalation['team'] as string | undefined) ?? null,
  };
}

/** Parses and compiles a condition (a string, or a list of strings that must all hold). */
export function condition(path: string, raw: unknown, scopes: readonly FieldScope[]): Condition {
  const parts = Array.isArray(raw) ? (raw as string[]) : [raw as string];
  const text = parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(' and ');
  const exprs = parts.map((part, i) => {
    const where = Array.isArray(raw) ? `${path}[${i}]` : path;
    try {
      const expr = parseExpression(part);
      for (const field of expressionFields(expr)) checkField(where, field, scopes);
      return expr;
    } catch (error) {
      if (error instanceof ExpressionError) throw new ServiceConfigError(where, `${error.message} in '${part}'`);
      throw error;
    }
  });
  const expr = exprs.length === 1 ? exprs[0]! : { kind: 'and' as const, items: exprs };
  return { text, fields: expressionFields(expr), test: compileExpression(expr) };
}

function checkField(path: string, field: string, scopes: readonly FieldScope[]): void {
  if (scopes.includes('customer') && ((CUSTOMER_FIELDS as readonly string[]).includes(field) || hasSuffix(field, PROFILE_PREFIX))) return;
  if (scopes.includes('survey') && ((SURVEY_FIELDS as readonly string[]).includes(field) || hasSuffix(field, ANSWER_PREFIX))) return;
  if (scopes.includes('contact') && (CONTACT_FIELDS as readonly string[]).includes(field)) return;
  const allowed: string[] = [];
  if (scopes.includes('survey')) allowed.push('answers.<question>', ...SURVEY_FIELDS);
  if (scopes.includes('contact')) allowed.push(...CONTACT_FIELDS);
  if (scopes.includes('customer')) allowed.push(...CUSTOMER_FIELDS, 'profile.<attribute>');
  throw new ServiceConfigError(path, `unknown field '${field}'; fields here are ${allowed.join(', ')}`);
}

const hasSuffix = (field: string, prefix: string): boolean => field.startsWith(prefix) && field.length > prefix.length;
