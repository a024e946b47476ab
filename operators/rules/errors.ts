/** Typed errors of rule validation: every issue names the rule (index and name) and what is allowed. */
import { ConfigError } from '../errors.js';

export interface RuleIssue {
  /** Position of the rule in the list (0-based). */
  index: number;
  /** The rule's name when it has one. */
  rule: string | null;
  /** The YAML field at fault. */
  field: string;
  message: string;
  /** What the field accepts, when it is a closed set. */
  allowed?: readonly string[];
}

export class RuleValidationError extends ConfigError {
  constructor(readonly issues: RuleIssue[]) {
    super(`invalid KPI rule${issues.length > 1 ? 's' : ''}:\n` + issues.map((i) => `  - ${describeIssue(i)}`).join('\n'));
  }
}

export function describeIssue(issue: RuleIssue): string {
  const who = issue.rule ? `rule #${issue.index} "${issue.rule}"` : `rule #${issue.index}`;
  const allowed = issue.allowed ? ` (allowed: ${issue.allowed.join(', ')})` : '';
  return `${who}, field "${issue.field}": ${issue.message}${allowed}`;
}
