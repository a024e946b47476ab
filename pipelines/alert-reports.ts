import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../operators/alert.js';
import type { OperatorOutput } from '../operators/operator.js';
import type { ReportPaths } from '../sinks/reports/index.js';
import { renderDriftReportForAlert, renderKpiReportForAlert } from '../sinks/reports/index.js';

/** A report generator for one kind of alert; returns null when the alert is not its kind. */
export type AlertReportRenderer = (connection: DuckDBConnection, alert: Alert, outDir: string) => Promise<ReportPaths | null>;

/** Which alerts get a generated report: KPI threshold alerts and dataset drift (rescoring). */
export const ALERT_REPORTS: AlertReportRenderer[] = [renderKpiReportForAlert, renderDriftReportForAlert];

const REPORT_ANNOTATION = 'report_path';

/**
 * A resolved alert keeps the report link of its firing (written at an earlier checkpoint), so the
 * row it replaces and the resolved notification still point to the report. Runs before the
 * checkpoint writes its outputs.
 */
export async function keepReportLinks(connection: DuckDBConnection, outputs: readonly OperatorOutput[]): Promise<void> {
  const resolved = outputs
    .filter((o) => o.kind === 'alert')
    .flatMap((o) => o.rows as unknown as Alert[])
    .filter((a) => a.status === 'resolved' && a.annotations[REPORT_ANNOTATION] === undefined);
  if (resolved.length === 0) return;
  const byId = new Map(resolved.map((a) => [a.alert_id, a]));
  const reader = await connection.runAndReadAll(
    `SELECT alert_id, annotations->>'${REPORT_ANNOTATION}' AS report FROM alerts
     WHERE alert_id IN (SELECT unnest(json_extract_string(CAST($ids AS JSON), '$[*]'))) AND (annotations->>'${REPORT_ANNOTATION}') IS NOT NULL`,
    { ids: JSON.stringify([...byId.keys()]) },
  );
  for (const row of reader.getRowObjectsJS()) {
    const alert = byId.get(String(row['alert_id']));
    if (alert) alert.annotations = { ...alert.annotations, [REPORT_ANNOTATION]: String(row['report']) };
  }
}

/**
 * Writes the report of every newly firing alert that has one and links it from the alert
 * (`annotations.report_path`, which email receivers attach). Runs inside the checkpoint
 * transaction, before the outbox is written, so the delivered alert already carries the link; the
 * report reads the checkpoint's own uncommitted rows. File names are stable, so a replay after a
 * crash rewrites the same file.
 */
export async function attachAlertReports(
  connection: DuckDBConnection,
  outputs: readonly OperatorOutput[],
  outDir: string,
  renderers: readonly AlertReportRenderer[] = ALERT_REPORTS,
): Promise<void> {
  // An alert can fire and resolve within one checkpoint: every version of it gets the link, and
  // the stored row (the last version) is updated, so the result does not depend on where
  // checkpoint boundaries fall.
  const versions = new Map<string, Alert[]>();
  for (const output of outputs) {
    if (output.kind !== 'alert') continue;
    for (const alert of output.rows as unknown as Alert[]) {
      const list = versions.get(alert.alert_id);
      if (list) list.push(alert);
      else versions.set(alert.alert_id, [alert]);
    }
  }
  for (const [alertId, alerts] of versions) {
    const firing = alerts.find((a) => a.status === 'firing');
    if (!firing) continue;
    for (const render of renderers) {
      const paths = await render(connection, firing, outDir);
      if (!paths) continue;
      for (const alert of alerts) alert.annotations = { ...alert.annotations, [REPORT_ANNOTATION]: paths.htmlPath };
      await connection.run(`UPDATE alerts SET annotations = CAST($annotations AS JSON) WHERE alert_id = $id`, {
        annotations: JSON.stringify(alerts[alerts.length - 1]!.annotations),
        id: alertId,
      });
      break;
    }
  }
}
