export { RuleEvaluator, compare, type RuleStatus } from './evaluator.js';
export { RuleValidationError, describeIssue, type RuleIssue } from './errors.js';
export { validateRules, numberOrPercent, type ValidateRulesOptions } from './validate.js';
export * from './types.js';
export { wilsonInterval, type Interval } from './wilson.js';
