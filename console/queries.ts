/**
 * What the console's pages read: the case list of the home page, everything around one case, and
 * recent alerts. Plain SQL over the job's output tables; case changes go through sinks/cases.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { CASE_ALERT_RULES, TERMINAL_CASE_STATUSES } from '../operators/service/case-status.js';
import { VERDICTS_BY_ALERT_SQL } from '../sinks/outcomes/figures.js';

export interface CaseFilters {
  team?: string;
  status?: string;
  severity?: string;
  category?: string;
  tier?: string;
}

/** Where a case stands against its deadline at the moment of the request. */
export type Urgency = 'overdue' | 'due_soon' | 'later' | 'done';

export interface CaseListRow {
  case_id: string;
  customer_id: string | null;
  category: string;
  severity: string;
  status: string;
  team: string;
  tier: string | null;
  opened_at: number;
  due_at: number;
  urgency: Urgency;
}

export interface Customer {
  customer_id: string;
  tier: string | null;
  trailing_spend: number | null;
  account_owner: string | null;
}

export interface AlertRow {
  alert_id: string;
  kind: string;
  rule: string;
  severity: string;
  customer_id: string | null;
  fired_at: number;
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The case the alert opened or concerns, if any. */
  case_id: string | null;
  /** Whether its report has been rendered (served at /alerts/:id/report). */
  has_report: boolean;
  /**
   * What came of it, with who recorded it: the verdict on it, its lead or its case that the outcome
   * figures count (sinks/outcomes/figures.ts), else the latest outcome recorded (an action such as
   * acknowledged).
   */
  outcome: string | null;
}

export interface WindowRow {
  window_start: number;
  window_end: number;
  spend_total: number;
  refund_total: number;
  contacts: number;
}

export interface QueueKpiRow {
  window_start: number;
  queue: string;
  channel: string;
  offered: number;
  abandon_rate: number | null;
  aht_seconds: number | null;
  service_level: number | null;
  fcr_rate: number | null;
}

const TERMINAL_SQL = [...TERMINAL_CASE_STATUSES].map((s) => `'${s}'`).join(', ');
const OPEN_FILTER = 'open cases';

/** The latest segment of each customer. */
const SEGMENTS_CTE = `seg AS (
  SELECT customer_id, arg_max(tier, updated_at) AS tier, arg_max(trailing_spend, updated_at) AS trailing_spend
  FROM customer_segments GROUP BY customer_id)`;

/**
 * The ids of the cases escalated to the team `$team`. The `case_overdue` alert of an escalation
 * (operators/service/cases.ts) names the case and the team it went to (`cases.escalation.team`, else
 * the case's own), and links that team to the case: the case stays in its team, so this alert is
 * the one record of whom it was escalated to.
 */
const CASES_ESCALATED_TO_TEAM = `SELECT json_extract_string(labels, '$.case_id') FROM alerts
  WHERE kind = 'service' AND rule = '${CASE_ALERT_RULES.overdue}' AND json_extract_string(labels, '$.team') = $team`;

/** Whether the case was escalated to `team` (see CASES_ESCALATED_TO_TEAM). */
export async function wasEscalatedTo(conn: DuckDBConnection, caseId: string, team: string): Promise<boolean> {
  const reader = await conn.runAndReadAll(`SELECT $caseId IN (${CASES_ESCALATED_TO_TEAM}) AS escalated`, { caseId, team });
  return reader.getRowsJS()[0]?.[0] === true;
}

/** The status filter value that means every status not closed or resolved (the default). */
export const OPEN_STATUSES = OPEN_FILTER;

/**
 * Cases for the home page: overdue first, then due within `dueSoonMs`, then the rest, each by due
 * time. `status` defaults to the open statuses. A team's cases are those it owns and those
 * escalated to it.
 */
export async function listHomeCases(conn: DuckDBConnection, filters: CaseFilters, now: number, dueSoonMs: number, limit = 500): Promise<CaseListRow[]> {
  const where: string[] = [];
  const params: Record<string, string | number> = { now, soon: now + dueSoonMs };
  const status = filters.status ?? OPEN_FILTER;
  if (status === OPEN_FILTER) where.push(`c.status NOT IN (${TERMINAL_SQL})`);
  else if (status !== '') {
    where.push('c.status = $status');
    params['status'] = status;
  }
  if (filters.team !== undefined && filters.team !== '') {
    where.push(`(c.team = $team OR c.case_id IN (${CASES_ESCALATED_TO_TEAM}))`);
    params['team'] = filters.team;
  }
  for (const [key, column] of [
    ['severity', 'c.severity'],
    ['category', 'c.category'],
    ['tier', 'seg.tier'],
  ] as const) {
    const value = filters[key];
    if (value === undefined || value === '') continue;
    where.push(`${column} = $${key}`);
    params[key] = value;
  }
  const reader = await conn.runAndReadAll(
    `WITH ${SEGMENTS_CTE},
     listed AS (
       SELECT c.case_id, c.customer_id, c.category, c.severity, c.status, c.team, seg.tier,
              epoch_ms(c.opened_at) AS opened_at, epoch_ms(c.due_at) AS due_at,
              CASE WHEN c.status IN (${TERMINAL_SQL}) THEN 'done'
                   WHEN epoch_ms(c.due_at) < $now THEN 'overdue'
                   WHEN epoch_ms(c.due_at) < $soon THEN 'due_soon'
                   ELSE 'later' END AS urgency
       FROM cases c LEFT JOIN seg ON seg.customer_id = c.customer_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''})
     SELECT * FROM listed
     ORDER BY CASE urgency WHEN 'overdue' THEN 0 WHEN 'due_soon' THEN 1 WHEN 'later' THEN 2 ELSE 3 END, due_at, case_id
     LIMIT ${Math.floor(limit)}`,
    params,
  );
  return reader.getRowObjectsJS().map((row) => ({
    case_id: String(row['case_id']),
    customer_id: nullableString(row['customer_id']),
    category: String(row['category']),
    severity: String(row['severity']),
    status: String(row['status']),
    team: String(row['team']),
    tier: nullableString(row['tier']),
    opened_at: Number(row['opened_at']),
    due_at: Number(row['due_at']),
    urgency: String(row['urgency']) as Urgency,
  }));
}

/** The values of `expression` over `table`, the most frequent first (at most 200): what a filter offers. */
async function distinctValues(conn: DuckDBConnection, table: string, expression: string): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    `SELECT v FROM (SELECT ${expression} AS v FROM ${table}) WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v LIMIT 200`,
  );
  return reader.getRowsJS().map((r) => String(r[0]));
}

/** The values the home page's filters offer. */
export async function filterChoices(conn: DuckDBConnection): Promise<Record<'team' | 'severity' | 'category' | 'tier', string[]>> {
  return {
    team: await distinctValues(conn, 'cases', 'team'),
    severity: await distinctValues(conn, 'cases', 'severity'),
    category: await distinctValues(conn, 'cases', 'category'),
    tier: await distinctValues(conn, 'customer_segments', 'tier'),
  };
}

/** The values the alerts page's filters offer. */
export async function alertChoices(conn: DuckDBConnection): Promise<Record<'kind' | 'severity' | 'team', string[]>> {
  return {
    kind: await distinctValues(conn, 'alerts', 'kind'),
    severity: await distinctValues(conn, 'alerts', 'severity'),
    team: await distinctValues(conn, 'alerts', `json_extract_string(labels, '$.team')`),
  };
}

/** The customer's latest segment; the account owner as the alert that opened the case recorded it. */
export async function customerOf(conn: DuckDBConnection, customerId: string, accountOwner: string | null): Promise<Customer> {
  const reader = await conn.runAndReadAll(`WITH ${SEGMENTS_CTE} SELECT tier, trailing_spend FROM seg WHERE customer_id = $id`, { id: customerId });
  const row = reader.getRowObjectsJS()[0];
  return {
    customer_id: customerId,
    tier: row ? nullableString(row['tier']) : null,
    trailing_spend: row ? nullableNumber(row['trailing_spend']) : null,
    account_owner: accountOwner,
  };
}

const ALERT_COLUMNS = `a.alert_id, a.kind, a.rule, a.severity, a.customer_id, epoch_ms(a.fired_at) AS fired_at, a.status,
  CAST(a.labels AS VARCHAR) AS labels, CAST(a.annotations AS VARCHAR) AS annotations,
  coalesce((SELECT min(c.case_id) FROM cases c WHERE c.alert_id = a.alert_id), json_extract_string(a.labels, '$.case_id')) AS case_id,
  EXISTS (SELECT 1 FROM pulse_report_requests r WHERE r.alert_id = a.alert_id AND r.status = 'done') AS has_report,
  coalesce(v.outcome || ' (' || v.actor || ')',
    (SELECT arg_max(o.outcome || ' (' || o.actor || ')', o.seq) FROM outcomes o WHERE o.alert_id = a.alert_id)) AS outcome`;

/**
 * The verdict on each alert that `pulse outcomes summary` counts (a person's beats an inferred one
 * whatever their order), joined as `v`: the latest row alone showed an inference made after a
 * person's verdict, which the figures ignore.
 */
const VERDICTS_JOIN = `LEFT JOIN (${VERDICTS_BY_ALERT_SQL}) v ON v.alert_id = a.alert_id`;

export interface AlertFilters {
  kind?: string;
  severity?: string;
  team?: string;
  customer?: string;
  alertId?: string;
}

/**
 * Alerts, newest first. An alert is stored once per status change (firing, resolved): the latest
 * row of each alert id is shown.
 */
export async function listAlerts(conn: DuckDBConnection, filters: AlertFilters, limit = 200): Promise<AlertRow[]> {
  const where: string[] = [];
  const params: Record<string, string> = {};
  const add = (value: string | undefined, sql: string, key: string): void => {
    if (value === undefined || value === '') return;
    where.push(sql);
    params[key] = value;
  };
  add(filters.kind, 'a.kind = $kind', 'kind');
  add(filters.severity, 'a.severity = $severity', 'severity');
  add(filters.team, `json_extract_string(a.labels, '$.team') = $team`, 'team');
  add(filters.customer, 'a.customer_id = $customer', 'customer');
  add(filters.alertId, 'a.alert_id = $alertId', 'alertId');
  const reader = await conn.runAndReadAll(
    `SELECT ${ALERT_COLUMNS} FROM alerts a ${VERDICTS_JOIN}
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     QUALIFY row_number() OVER (PARTITION BY a.alert_id ORDER BY a.fired_at DESC, a.status) = 1
     ORDER BY a.fired_at DESC, a.alert_id LIMIT ${Math.floor(limit)}`,
    params,
  );
  return reader.getRowObjectsJS().map((row) => ({
    alert_id: String(row['alert_id']),
    kind: String(row['kind']),
    rule: String(row['rule']),
    severity: String(row['severity']),
    customer_id: nullableString(row['customer_id']),
    fired_at: Number(row['fired_at']),
    status: String(row['status']),
    labels: stringRecord(row['labels']),
    annotations: stringRecord(row['annotations']),
    case_id: nullableString(row['case_id']),
    has_report: Boolean(row['has_report']),
    outcome: nullableString(row['outcome']),
  }));
}

/** The customer's latest windows (spend, refunds, contacts). */
export async function recentWindows(conn: DuckDBConnection, customerId: string, limit = 6): Promise<WindowRow[]> {
  const reader = await conn.runAndReadAll(
    `SELECT epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end, spend_total, refund_total, contacts
     FROM customer_windows WHERE customer_id = $id ORDER BY window_start DESC, window_end DESC LIMIT ${Math.floor(limit)}`,
    { id: customerId },
  );
  return reader.getRowObjectsJS().map((row) => ({
    window_start: Number(row['window_start']),
    window_end: Number(row['window_end']),
    spend_total: Number(row['spend_total']),
    refund_total: Number(row['refund_total']),
    contacts: Number(row['contacts']),
  }));
}

/** The latest contact KPIs of a queue (the queue named by the case's alert). */
export async function queueKpis(conn: DuckDBConnection, queue: string, limit = 6): Promise<QueueKpiRow[]> {
  const reader = await conn.runAndReadAll(
    `SELECT epoch_ms(window_start) AS window_start, queue, channel, offered, abandon_rate, aht_seconds, service_level, fcr_rate
     FROM contact_kpis WHERE queue = $queue ORDER BY window_start DESC, channel LIMIT ${Math.floor(limit)}`,
    { queue },
  );
  return reader.getRowObjectsJS().map((row) => ({
    window_start: Number(row['window_start']),
    queue: String(row['queue']),
    channel: String(row['channel']),
    offered: Number(row['offered']),
    abandon_rate: nullableNumber(row['abandon_rate']),
    aht_seconds: nullableNumber(row['aht_seconds']),
    service_level: nullableNumber(row['service_level']),
    fcr_rate: nullableNumber(row['fcr_rate']),
  }));
}

/** The file of an alert's rendered report, if any. */
export async function reportPath(conn: DuckDBConnection, alertId: string): Promise<string | undefined> {
  const reader = await conn.runAndReadAll(`SELECT report_path FROM pulse_report_requests WHERE alert_id = $id AND status = 'done' ORDER BY seq DESC LIMIT 1`, {
    id: alertId,
  });
  const row = reader.getRowsJS()[0];
  return row === undefined ? undefined : String(row[0]);
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'string') return {};
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  } catch {
    return {};
  }
}

const nullableString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
