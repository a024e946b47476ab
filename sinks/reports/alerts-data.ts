import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert, AlertKind, AlertStatus, Severity } from '../../operators/alert.js';
import { num, queryRows, str } from './db.js';
import type { Params } from './db.js';
import { bindList } from '../duckdb/bind-list.js';

const ALERT_COLUMNS = `alert_id, kind, rule, severity, customer_id, epoch_ms(window_start) AS window_start,
  epoch_ms(fired_at) AS fired_at, CAST(labels AS VARCHAR) AS labels, CAST(annotations AS VARCHAR) AS annotations, status`;

/** Alerts from the `alerts` table matching `where`, oldest window first, as the operator shape. */
export async function loadAlerts(connection: DuckDBConnection, where: string, params: Params): Promise<Alert[]> {
  const rows = await queryRows(connection, `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${where} ORDER BY window_start, fired_at, rule`, params);
  return rows.map((r) => ({
    alert_id: str(r.alert_id),
    kind: str(r.kind) as AlertKind,
    rule: str(r.rule),
    severity: str(r.severity) as Severity,
    customer_id: r.customer_id === null ? null : str(r.customer_id),
    window_start: num(r.window_start),
    fired_at: num(r.fired_at),
    labels: parseStringMap(r.labels),
    annotations: parseStringMap(r.annotations),
    status: str(r.status) as AlertStatus,
  }));
}

/**
 * One alert in its latest state, or null. Where a database holds both a firing and a resolved row
 * of one id, the resolved one is the later state: a report written now says resolved.
 */
export async function loadAlert(connection: DuckDBConnection, alertId: string): Promise<Alert | null> {
  return (await loadLatestAlerts(connection, [alertId])).get(alertId) ?? null;
}

/** Each of `alertIds` in its latest state (as `loadAlert`), in one query; an id not in the table is absent. */
export async function loadLatestAlerts(connection: DuckDBConnection, alertIds: readonly string[]): Promise<Map<string, Alert>> {
  const latest = new Map<string, Alert>();
  if (alertIds.length === 0) return latest;
  const params: Record<string, string> = {};
  const ids = bindList(params, 'id', alertIds);
  // Oldest first: a later row of an id replaces an earlier one, and nothing replaces a resolved one.
  for (const alert of await loadAlerts(connection, `alert_id IN (${ids})`, params)) {
    if (latest.get(alert.alert_id)?.status !== 'resolved') latest.set(alert.alert_id, alert);
  }
  return latest;
}

function parseStringMap(json: unknown): Record<string, string> {
  const parsed: unknown = typeof json === 'string' ? JSON.parse(json) : {};
  if (parsed === null || typeof parsed !== 'object') return {};
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}
