export { ServiceTriggersOperator, SERVICE_STATE_NAMES, type OverdueCase, type SettledCase } from './operator.js';
export {
  ServiceConfigError,
  resolveServiceTriggers,
  condition,
  DEFAULT_TIER,
  DEFAULT_TIER_POLICIES,
  DEFAULT_TEAM,
  CUSTOMER_FIELDS,
  SURVEY_FIELDS,
  CONTACT_FIELDS,
  RESERVED_RULES,
} from './config.js';
export { SERVICE_TRIGGERS_SCHEMA, SURVEY_RULE_SCHEMA, INTERACTION_RULE_SCHEMA } from './schema.js';
export { CASE_STATUSES, TERMINAL_CASE_STATUSES, CASE_ALERT_RULES, caseIdFor, isCaseStatus, type CaseStatus, type CaseStatusInfo } from './case-status.js';
export { tierPolicy, openCase, caseRow, overdueAlert } from './cases.js';
export { parseExpression, compileExpression, expressionFields, ExpressionError, type Expr, type FactLookup } from './expression.js';
export { scoreText, extendLexicon, DEFAULT_LEXICON, type Lexicon, type SentimentScore } from './sentiment.js';
export { trailingSpend, addSpend, utcDay } from './spend.js';
export { SERVICE_TRIGGERS_OPERATOR } from './factory.js';
export * from './types.js';
export { LEAD_STATUSES, leadIdOf, leadRow, type LeadStatus } from './leads.js';
