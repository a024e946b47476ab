/**
 * Resolved settings of the service-trigger operator (what the runtime takes; config.ts builds
 * them from the job YAML) and the persisted state shapes (plain JSON, KeyedState values).
 */
import type { Severity } from '../alert.js';
import type { Disposition } from '../events.js';
import type { Predicate } from './expression.js';
import type { IntentClassifier } from '../intent/model.js';
import type { Lexicon } from './sentiment.js';

export const INTERACTION_TRIGGERS = ['unresolved_contacts', 'repeat_reason', 'escalation', 'negative_text', 'intent'] as const;
export type InteractionTrigger = (typeof INTERACTION_TRIGGERS)[number];

/** Case severities (the `cases.severity` column); not alert severities. */
export const CASE_SEVERITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type CaseSeverity = (typeof CASE_SEVERITIES)[number];

/** A compiled condition with the text it came from and the fields it reads (for messages). */
export interface Condition {
  text: string;
  fields: string[];
  test: Predicate;
}

export interface CaseTemplate {
  category: string;
  /** Overrides of the tier policy; null = from the tier. */
  team: string | null;
  severity: CaseSeverity | null;
  dueInMs: number | null;
}

interface RuleBase {
  name: string;
  severity: Severity;
  /** Team label of the alert (rule `team`, else the operator's `team`). */
  team: string;
  customer: Condition | null;
  /** Same rule and customer fire at most once per cooldown (0 = no cooldown). */
  cooldownMs: number;
  case: CaseTemplate | null;
}

export interface SurveyRule extends RuleBase {
  source: 'survey';
  when: Condition;
  /** Null = every survey. */
  surveyIds: ReadonlySet<string> | null;
}

export interface InteractionRule extends RuleBase {
  source: 'contact';
  trigger: InteractionTrigger;
  where: Condition | null;
  /** unresolved_contacts: how many within `withinMs`. */
  count: number;
  /** unresolved_contacts and repeat_reason look-back. */
  withinMs: number;
  /** unresolved_contacts: dispositions that count; escalation: dispositions that escalate. */
  dispositions: ReadonlySet<Disposition>;
  /** escalation: reasons and queues that escalate, in lower case (matched whatever the case of the data). */
  reasons: ReadonlySet<string>;
  queues: ReadonlySet<string>;
  /** negative_text: fires when the score is at most this. */
  threshold: number;
  /** intent: the intents that fire (empty for other triggers). */
  intents: ReadonlySet<string>;
  /** intent: fires when the model's confidence is at least this. */
  minConfidence: number;
}

export type ServiceRule = SurveyRule | InteractionRule;

export interface TierPolicy {
  dueInMs: number;
  severity: CaseSeverity;
  /** Null = the rule's team. */
  team: string | null;
}

export interface CaseSettings {
  defaultTier: string;
  /** Keyed by `tierKey` of the tier's name. */
  byTier: ReadonlyMap<string, TierPolicy>;
  /** Do not open a second case for a customer and category while the operator holds an open one. */
  oneOpenPerCategory: boolean;
  escalationSeverity: Severity;
  /** Null = the case's team. */
  escalationTeam: string | null;
}

export interface ServiceTriggerSettings {
  team: string;
  trailingSpendDays: number;
  maxContactsPerCustomer: number;
  lexicon: Lexicon;
  /** The intent model's classifier; null when no rule uses trigger `intent`. */
  classifier: IntentClassifier | null;
  surveyRules: SurveyRule[];
  interactionRules: InteractionRule[];
  cases: CaseSettings;
  /** Events this far behind the watermark still arrive; state is kept that much longer. */
  allowedLatenessMs: number;
}

// ---- persisted state (plain JSON) ----

/** Daily non-negative spend: parallel arrays, UTC day index ascending, bounded by the trailing days. */
export interface SpendState {
  days: number[];
  sums: number[];
}

/** One recent contact: queued_at, reason, disposition, contact id. */
export interface RecentContact {
  t: number;
  r: string;
  d: Disposition;
  id: string;
}

/** A case the operator opened and still watches for its deadline. */
export interface WatchedCase {
  case_id: string;
  alert_id: string;
  rule: string;
  customer_id: string;
  category: string;
  severity: CaseSeverity;
  team: string;
  tier: string;
  account_owner: string | null;
  opened_at: number;
  /** When a person reopened it after its deadline had passed; `due_at` counts from then. */
  reopened_at?: number;
  due_at: number;
  /** `open` until the watermark passes due_at, then `due` until the status check settles it. */
  phase: 'open' | 'due';
  /** A person closed or resolved it before its deadline: a firing opens a new case instead of reusing it. */
  closed?: true;
}

export interface ClockState {
  /** Last finite watermark seen. */
  watermark: number;
}
