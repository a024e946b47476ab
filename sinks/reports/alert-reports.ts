import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../../operators/alert.js';
import { prepareClosedLoopReport } from './closed-loop-report.js';
import { driftAlertReportName, prepareDriftAlertReport } from './drift-report.js';
import { kpiAlertReportName, prepareKpiReport } from './kpi-report.js';
import { scheduledReportName, scheduledReportParams } from './scheduled-alert.js';
import { prepareScorecardReport } from './scorecard-report.js';
import { prepareSignalsReport } from './signals-report.js';
import type { ReadCache } from './db.js';
import type { PreparedReport } from './write.js';

/** The reports that explain alerts; a bounded set (metric label `kind`). */
export const ALERT_REPORT_KINDS = ['kpi', 'drift', 'scorecard', 'signals', 'closed_loop'] as const;
export type AlertReportKind = (typeof ALERT_REPORT_KINDS)[number];

interface AlertReportType {
  kind: AlertReportKind;
  /** The report's file name without extension, or null when this report does not explain the alert. */
  name(alert: Alert): string | null;
  /** Reads the report's data for the alert as the database holds it now (reads not about the alert may come from `cache`). */
  prepare(connection: DuckDBConnection, alert: Alert, cache?: ReadCache): Promise<PreparedReport>;
}

const ALERT_REPORT_TYPES: readonly AlertReportType[] = [
  { kind: 'kpi', name: kpiAlertReportName, prepare: (connection, alert, cache) => prepareKpiReport(connection, { alert, ...(cache ? { cache } : {}) }) },
  { kind: 'drift', name: driftAlertReportName, prepare: prepareDriftAlertReport },
  // Scheduled reports (kind `report` alerts): the report is the notification's content.
  {
    kind: 'scorecard',
    name: (a) => (scheduledReportParams(a)?.report === 'contact_center_scorecard' ? scheduledReportName(a) : null),
    prepare: prepareScorecardReport,
  },
  { kind: 'signals', name: (a) => (scheduledReportParams(a)?.report === 'customer_signals' ? scheduledReportName(a) : null), prepare: prepareSignalsReport },
  { kind: 'closed_loop', name: (a) => (scheduledReportParams(a)?.report === 'closed_loop' ? scheduledReportName(a) : null), prepare: prepareClosedLoopReport },
];

/** Which report explains an alert and its file name: KPI rule alerts, dataset drift (rescoring), scheduled reports. */
export interface AlertReportTarget {
  kind: AlertReportKind;
  baseName: string;
}

/**
 * The report that explains `alert`, or null. A pure function of the alert, the same for its
 * firing and its resolved version, so the link can be set before the report exists.
 */
export function alertReportTarget(alert: Alert): AlertReportTarget | null {
  for (const type of ALERT_REPORT_TYPES) {
    const baseName = type.name(alert);
    if (baseName !== null) return { kind: type.kind, baseName };
  }
  return null;
}

/** Reads the data of the `kind` report for `alert` and names it `baseName`; `cache`: see db.ts. */
export async function prepareAlertReport(connection: DuckDBConnection, target: AlertReportTarget, alert: Alert, cache?: ReadCache): Promise<PreparedReport> {
  const type = ALERT_REPORT_TYPES.find((t) => t.kind === target.kind);
  if (type === undefined) throw new Error(`unknown alert report kind '${target.kind}'`);
  return { ...(await type.prepare(connection, alert, cache)), baseName: target.baseName };
}
