/**
 * Case templates: the case a firing rule opens (category, team, severity and closure goal by the
 * customer's tier) and the escalation alert of a case that passed its deadline.
 */
import { type Alert, stableAlertId } from '../alert.js';
import type { OutputRow } from '../operator.js';
import { CASE_ALERT_RULES, caseIdFor } from './case-status.js';
import { formatDuration } from '../duration.js';
import type { CaseSettings, CaseSeverity, ServiceRule, TierPolicy, WatchedCase } from './types.js';
import type { ReopenedCase } from './case-status.js';
import { tierKey } from './config.js';

/** The tier's policy, whatever the case of its name; an unknown or missing tier gets the default tier's (Bronze unless set). */
export function tierPolicy(settings: CaseSettings, tier: string | null): TierPolicy {
  return (tier !== null ? settings.byTier.get(tierKey(tier)) : undefined) ?? settings.byTier.get(tierKey(settings.defaultTier))!;
}

/** The case a rule opens for an alert, as the operator watches it. */
export function openCase(
  rule: ServiceRule,
  settings: CaseSettings,
  alert: Pick<Alert, 'alert_id' | 'customer_id' | 'fired_at'>,
  tier: string,
  accountOwner: string | null,
): WatchedCase {
  const template = rule.case!;
  const policy = tierPolicy(settings, tier);
  return {
    case_id: caseIdFor(alert.alert_id),
    alert_id: alert.alert_id,
    rule: rule.name,
    customer_id: alert.customer_id ?? '',
    category: template.category,
    severity: template.severity ?? policy.severity,
    team: template.team ?? policy.team ?? rule.team,
    tier,
    account_owner: accountOwner,
    opened_at: alert.fired_at,
    due_at: alert.fired_at + (template.dueInMs ?? policy.dueInMs),
    phase: 'open',
  };
}

/**
 * A case a person reopened after its deadline had passed, watched again as if opened at its
 * reopening: the closure goal of its rule (or of the customer's tier now) counts from then.
 */
export function reopenedCase(
  reopened: ReopenedCase,
  rules: readonly ServiceRule[],
  settings: CaseSettings,
  tier: string,
  accountOwner: string | null,
): WatchedCase {
  const rule = rules.find((r) => r.name === reopened.rule && r.case !== undefined);
  const policy = tierPolicy(settings, tier);
  return {
    case_id: reopened.case_id,
    alert_id: reopened.alert_id ?? '',
    rule: reopened.rule ?? 'unknown rule',
    customer_id: reopened.customer_id,
    category: reopened.category,
    severity: reopened.severity as CaseSeverity,
    team: reopened.team,
    tier,
    account_owner: accountOwner,
    opened_at: reopened.opened_at,
    reopened_at: reopened.reopened_at,
    due_at: reopened.reopened_at + (rule?.case?.dueInMs ?? policy.dueInMs),
    phase: 'open',
  };
}

/** The `cases` table row (SPEC section 3) of a newly opened case. */
export function caseRow(c: WatchedCase): OutputRow {
  return {
    case_id: c.case_id,
    alert_id: c.alert_id,
    customer_id: c.customer_id,
    category: c.category,
    severity: c.severity,
    status: 'open',
    team: c.team,
    opened_at: c.opened_at,
    due_at: c.due_at,
    closed_at: null,
  };
}

/**
 * The escalation of an overdue case: fired at `due_at` (event time, so a replay gives the same
 * alert) with the team people last assigned (`currentTeam`), or the configured escalation team.
 */
export function overdueAlert(c: WatchedCase, settings: CaseSettings, currentStatus: string | null, currentTeam: string | null): Alert {
  const team = settings.escalationTeam ?? currentTeam ?? c.team;
  const labels: Record<string, string> = {
    alertname: CASE_ALERT_RULES.overdue,
    kind: 'service',
    severity: settings.escalationSeverity,
    tier: c.tier,
    team,
    case_id: c.case_id,
    category: c.category,
    trigger: CASE_ALERT_RULES.overdue,
  };
  if (c.account_owner) labels['account_owner'] = c.account_owner;
  const status = currentStatus ?? 'open';
  return {
    alert_id: stableAlertId(CASE_ALERT_RULES.overdue, c.due_at, c.case_id),
    kind: 'service',
    rule: CASE_ALERT_RULES.overdue,
    severity: settings.escalationSeverity,
    customer_id: c.customer_id,
    window_start: c.opened_at,
    fired_at: c.due_at,
    labels,
    annotations: {
      summary: `Case ${c.case_id} (${c.category}, ${c.severity}) of ${c.tier} customer ${c.customer_id} is overdue`,
      description:
        `Case ${c.case_id} opened by ${c.rule} at ${new Date(c.opened_at).toISOString()}` +
        `${c.reopened_at === undefined ? '' : ` and reopened at ${new Date(c.reopened_at).toISOString()}`} had a closure goal of ` +
        `${formatDuration(c.due_at - (c.reopened_at ?? c.opened_at))} (due ${new Date(c.due_at).toISOString()}) and is still ${status}` +
        ` (team ${currentTeam ?? c.team}).`,
      case_id: c.case_id,
      case_status: status,
      due_at: new Date(c.due_at).toISOString(),
      opened_by_alert: c.alert_id,
    },
    status: 'firing',
  };
}
