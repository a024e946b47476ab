import { Counter, Gauge, type Registry } from 'prom-client';
import { ALERT_REPORT_KINDS, type AlertReportKind } from './alert-reports.js';

/**
 * What the report queue reports (pipelines/report-queue.ts); `promReportMetrics` binds it to
 * prom-client. The only label is the report kind (kpi, drift).
 */
export interface ReportMetrics {
  /** Report requests waiting to be rendered. */
  backlog(pending: number): void;
  rendered(kind: AlertReportKind): void;
  failed(kind: AlertReportKind): void;
}

export function promReportMetrics(registry: Registry): ReportMetrics {
  const backlog = new Gauge({
    name: 'pulse_report_backlog',
    help: 'Alert reports requested by committed checkpoints and not rendered yet.',
    registers: [registry],
  });
  const rendered = new Counter({
    name: 'pulse_reports_rendered_total',
    help: 'Alert reports rendered and written, by report kind.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'pulse_report_failures_total',
    help: 'Alert reports that could not be rendered or written (logged with the alert id), by report kind.',
    labelNames: ['kind'],
    registers: [registry],
  });
  // Every kind from the start, so that a rate over the counters has a series before the first report.
  for (const kind of ALERT_REPORT_KINDS) {
    rendered.inc({ kind }, 0);
    failures.inc({ kind }, 0);
  }
  return {
    backlog: (pending) => backlog.set(pending),
    rendered: (kind) => rendered.inc({ kind }),
    failed: (kind) => failures.inc({ kind }),
  };
}
