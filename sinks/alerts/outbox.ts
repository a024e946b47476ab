import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../../operators/alert.js';
import { deliveryLabels, type Router } from './routing/index.js';
import { type DeliveredAlert, ZERO_TIME } from './types.js';

/**
 * The alert outbox: one `pulse_outbox` row per (alert_id, alert status, receiver), written by the
 * runner in its checkpoint transaction so that a crash never loses or half-writes alerts. The
 * delivery worker (worker.ts) sends them later. Re-enqueueing the same alert (a replay after a
 * crash) is a no-op thanks to the primary key.
 */
export interface OutboxRow {
  alert_id: string;
  alert_status: 'firing' | 'resolved';
  receiver: string;
  group_key: string;
  payload: OutboxPayload;
  created_at: number;
}

/** What the worker needs to build a notification without the alerts table. */
export interface OutboxPayload {
  alert: DeliveredAlert;
  groupLabels: Record<string, string>;
  /** Route key (e.g. `{}/{kind="sales"}`), to find the group timings in the current config. */
  routeKey: string;
}

/** Annotation keys whose value is used as Alertmanager's generatorURL, first found wins. */
export const LINK_ANNOTATIONS = ['report_url', 'case_url', 'link', 'url'] as const;

export interface EnqueueOptions {
  /** Base URL of the pulse HTTP API; `{externalURL}/alerts/{alert_id}` is the fallback link. */
  externalURL?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The alert as delivered (labels enriched with alertname, kind, severity, alert_id). */
export function deliveredAlert(alert: Alert, options: EnqueueOptions = {}): DeliveredAlert {
  const link = LINK_ANNOTATIONS.map((k) => alert.annotations[k]).find((v) => v !== undefined && v !== '');
  const base = options.externalURL?.replace(/\/+$/, '');
  const firing = alert.status === 'firing';
  return {
    alertId: alert.alert_id,
    status: alert.status,
    labels: deliveryLabels(alert),
    annotations: { ...alert.annotations },
    // A resolved record keeps its firing's fired_at, and says when it resolved in the annotation
    // `resolved_at` (KPI rules, drift rescoring): a receiver sees the episode's real start and end.
    startsAt: iso(alert.fired_at),
    endsAt: firing ? ZERO_TIME : resolvedAt(alert),
    generatorURL: link ?? (base ? `${base}/alerts/${alert.alert_id}` : ''),
    customerId: alert.customer_id,
  };
}

/** When a resolved alert resolved: its `resolved_at` annotation, else (a record without one) its fired_at. */
function resolvedAt(alert: Alert): string {
  const at = Date.parse(alert.annotations['resolved_at'] ?? '');
  return iso(Number.isFinite(at) ? Math.max(at, alert.fired_at) : alert.fired_at);
}

/** Routes the alerts and returns the outbox rows (pure; `now` is the wall clock in ms). */
export function outboxRows(alerts: readonly Alert[], router: Router, now: number, options: EnqueueOptions = {}): OutboxRow[] {
  const rows: OutboxRow[] = [];
  for (const alert of alerts) {
    const delivered = deliveredAlert(alert, options);
    const seen = new Set<string>();
    for (const match of router.routeLabels(delivered.labels)) {
      // Two routes with `continue` may pick the same receiver; Alertmanager would notify twice
      // under different groups. One row per receiver keeps the outbox key simple.
      if (seen.has(match.receiver)) continue;
      seen.add(match.receiver);
      rows.push({
        alert_id: alert.alert_id,
        alert_status: alert.status,
        receiver: match.receiver,
        group_key: match.groupKey,
        payload: { alert: delivered, groupLabels: match.groupLabels, routeKey: match.route.key },
        created_at: now,
      });
    }
  }
  return rows;
}

/** Where a checkpoint's outbox rows are staged (per connection) before one set-based insert. */
const STAGE_TABLE = 'pulse_stage_outbox';

/**
 * Writes outbox rows for `alerts`. `conn` must already be inside the runner's checkpoint
 * transaction (BEGIN ... COMMIT is the caller's); this function never commits. Returns the rows.
 *
 * The rows go through DuckDB's appender into a temporary staging table and then into the outbox
 * with one `INSERT ... SELECT ... ON CONFLICT DO NOTHING`: a statement per row held about 200 KB
 * of DuckDB memory each until the commit, so a checkpoint with thousands of alerts ran out of the
 * default 256 MB. Replays of the same alerts are no-ops (primary key); within one call the first
 * row of a key wins, as it did row by row.
 */
export async function enqueueAlerts(
  conn: DuckDBConnection,
  alerts: readonly Alert[],
  router: Router,
  now: number,
  options: EnqueueOptions = {},
): Promise<OutboxRow[]> {
  const rows = outboxRows(alerts, router, now, options);
  if (rows.length === 0) return rows;
  await conn.run(
    `CREATE TEMP TABLE IF NOT EXISTS ${STAGE_TABLE} (seq INTEGER, alert_id VARCHAR, alert_status VARCHAR, receiver VARCHAR, group_key VARCHAR, payload VARCHAR)`,
  );
  const appender = await conn.createAppender(STAGE_TABLE, null, 'temp');
  try {
    rows.forEach((r, seq) => {
      appender.appendInteger(seq);
      appender.appendVarchar(r.alert_id);
      appender.appendVarchar(r.alert_status);
      appender.appendVarchar(r.receiver);
      appender.appendVarchar(r.group_key);
      appender.appendVarchar(JSON.stringify(r.payload));
      appender.endRow();
    });
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  await conn.run(
    `INSERT INTO pulse_outbox
       (alert_id, alert_status, receiver, group_key, payload, status, attempts, next_attempt_at, last_error,
        notification_key, created_at, delivered_at)
     SELECT alert_id, alert_status, receiver, group_key, CAST(payload AS JSON), 'pending', 0, make_timestamptz($now::BIGINT * 1000),
            NULL, NULL, make_timestamptz($now::BIGINT * 1000), NULL
     FROM ${STAGE_TABLE}
     QUALIFY row_number() OVER (PARTITION BY alert_id, alert_status, receiver ORDER BY seq) = 1
     ON CONFLICT DO NOTHING`,
    { now: BigInt(Math.round(now)) },
  );
  await conn.run(`DELETE FROM ${STAGE_TABLE}`);
  return rows;
}
