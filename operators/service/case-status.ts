/**
 * Case statuses shared by the operator (which opens cases and escalates overdue ones) and the case
 * tools in sinks/cases (which change them on a person's request).
 */
export const CASE_STATUSES = ['open', 'acknowledged', 'in_progress', 'waiting_on_customer', 'resolved', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** A case in one of these is done: it is never escalated, and `closed_at` is set. */
export const TERMINAL_CASE_STATUSES: ReadonlySet<string> = new Set<CaseStatus>(['resolved', 'closed']);

export const isCaseStatus = (value: string): value is CaseStatus => (CASE_STATUSES as readonly string[]).includes(value);

/** What the overdue check needs to know of a case as people left it (from the `cases` table). */
export interface CaseStatusInfo {
  status: string;
  team: string;
}

/** A case a person reopened (from closed or resolved) that is open now, as the `cases` table has it. */
export interface ReopenedCase {
  case_id: string;
  alert_id: string | null;
  /** The rule of the alert that opened the case, if that alert is in the database. */
  rule: string | null;
  customer_id: string;
  category: string;
  severity: string;
  team: string;
  opened_at: number;
  due_at: number;
  /** When it was last reopened (the job clock, as people's changes are recorded). */
  reopened_at: number;
}

export interface NewDeadline {
  case_id: string;
  due_at: number;
}

/**
 * Alert rules of the case life cycle (labels.alertname). Trigger rules may not use these names.
 * - case_overdue: an open case passed due_at on the job clock (sinks/duckdb/job-clock.ts); raised by the operator, once per case.
 * - case_updated / case_closed: a person changed a case (sinks/cases, at the next checkpoint).
 */
export const CASE_ALERT_RULES = { overdue: 'case_overdue', updated: 'case_updated', closed: 'case_closed' } as const;

/** The stable case id of the case an alert opened: same alert, same case (replays included). */
export function caseIdFor(alertId: string): string {
  return `case-${alertId.slice(0, 16)}`;
}
