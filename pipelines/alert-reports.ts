import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../operators/alert.js';
import type { OperatorOutput } from '../operators/operator.js';
import { alertReportTarget } from '../sinks/reports/index.js';

import { consoleLink } from '../console/options.js';

/** The alert annotation that links the report (email receivers attach the file). */
const REPORT_ANNOTATION = 'report_path';

/**
 * Links the report of every alert that has one (`annotations.report_path`), in the checkpoint
 * before the alerts are written, so the stored row and the delivered alert carry the link from the
 * start. The path follows from the alert alone and is the same for its firing and resolved
 * versions (and wherever checkpoint boundaries fall); the report itself is rendered after the
 * commit (pipelines/report-queue.ts).
 */
export function linkAlertReports(outputs: readonly OperatorOutput[], outDir: string): void {
  for (const alert of alertsOf(outputs)) {
    const target = alertReportTarget(alert);
    if (target === null) continue;
    alert.annotations = { ...alert.annotations, [REPORT_ANNOTATION]: join(outDir, `${target.baseName}.html`) };
  }
}

/** The alert annotation that links the alert's console page (its case's, when it has one). */
const CONSOLE_ANNOTATION = 'console_url';

/**
 * Links every alert to its console page under the console's external base URL
 * (`console.base_url`), so e-mails, webhooks and the stored alerts point people to the case.
 */
export function linkConsolePages(outputs: readonly OperatorOutput[], baseUrl: string): void {
  for (const alert of alertsOf(outputs)) {
    alert.annotations = { ...alert.annotations, [CONSOLE_ANNOTATION]: consoleLink(baseUrl, alert) };
  }
}

const INSERT_REQUESTS_SQL = `
  INSERT INTO pulse_report_requests (alert_id, alert_status, kind, report_path, seq, status, renders, requested_at)
  SELECT r.alert_id, r.alert_status, r.kind, r.report_path,
         (SELECT coalesce(max(seq), 0) FROM pulse_report_requests) + r.n, 'pending', 0, now()
    FROM (SELECT unnest(from_json($requests,
           '[{"n": "BIGINT", "alert_id": "VARCHAR", "alert_status": "VARCHAR", "kind": "VARCHAR", "report_path": "VARCHAR"}]'),
           recursive := true)) r
   WHERE NOT EXISTS (SELECT 1 FROM pulse_report_requests q WHERE q.alert_id = r.alert_id AND q.alert_status = r.alert_status)`;

/**
 * Records a report request for each linked alert of a checkpoint, inside its transaction: a
 * request commits with the alert or not at all. One request per alert version, for the last
 * version in the checkpoint (the stored one: an alert that fired and resolved within it is
 * rendered once, as resolved). A version already requested is not requested again. Only inserts:
 * the report queue updates the rows it has rendered on its own connection meanwhile, and
 * inserting new rows never conflicts with that. Returns how many requests it submitted (versions
 * requested before are among them but not inserted again).
 */
export async function recordReportRequests(connection: DuckDBConnection, outputs: readonly OperatorOutput[]): Promise<number> {
  const latest = new Map<string, Alert>();
  for (const alert of alertsOf(outputs)) latest.set(alert.alert_id, alert);
  const requests: Array<{ n: number; alert_id: string; alert_status: string; kind: string; report_path: string }> = [];
  for (const alert of latest.values()) {
    const target = alertReportTarget(alert);
    const path = alert.annotations[REPORT_ANNOTATION];
    if (target === null || path === undefined) continue;
    requests.push({ n: requests.length + 1, alert_id: alert.alert_id, alert_status: alert.status, kind: target.kind, report_path: path });
  }
  if (requests.length > 0) await connection.run(INSERT_REQUESTS_SQL, { requests: JSON.stringify(requests) });
  return requests.length;
}

function* alertsOf(outputs: readonly OperatorOutput[]): Generator<Alert> {
  for (const output of outputs) if (output.kind === 'alert') yield* output.rows as unknown as Alert[];
}
