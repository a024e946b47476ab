/**
 * What a scheduled report's notification (an alert of kind `report`, pipelines/report-schedule.ts)
 * carries for its report: which report, the period it covers and the one before, and the
 * highlight rules. The report is a pure function of this alert and the database, so a replay
 * renders the same report, and the queue needs no job configuration to render it.
 */
import type { Alert } from '../../operators/alert.js';
import { slug } from './escape.js';
import type { HighlightRule } from './highlight.js';

export const SCHEDULED_REPORTS = ['contact_center_scorecard', 'customer_signals', 'closed_loop'] as const;
export type ScheduledReportName = (typeof SCHEDULED_REPORTS)[number];

export const REPORT_PERIODS = ['day', 'week'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

export interface ScheduledReportParams {
  report: ScheduledReportName;
  schedule: string;
  period: ReportPeriod;
  /** [previousStart, start) is the period before, [start, end) the one reported; epoch ms. */
  previousStart: number;
  start: number;
  end: number;
  highlight: HighlightRule[];
}

/** Annotation keys of the alert (label `report` names the report). */
export const SCHEDULE_ANNOTATIONS = {
  start: 'period_start',
  end: 'period_end',
  previousStart: 'previous_start',
  highlight: 'highlight',
  // closed_loop only: the job's `outcomes` thresholds of the tuning flag
  minPrecision: 'min_precision',
  minJudged: 'min_judged',
} as const;

/** The short name of each report in its file names. */
const FILE_PREFIXES: Record<ScheduledReportName, string> = { contact_center_scorecard: 'scorecard', customer_signals: 'signals', closed_loop: 'closed-loop' };

/** The parameters of a scheduled report's alert, or null for any other alert. */
export function scheduledReportParams(alert: Alert): ScheduledReportParams | null {
  const report = alert.labels['report'];
  const period = alert.labels['period'];
  if (alert.kind !== 'report' || !(SCHEDULED_REPORTS as readonly string[]).includes(report ?? '')) return null;
  if (!(REPORT_PERIODS as readonly string[]).includes(period ?? '')) return null;
  const a = alert.annotations;
  return {
    report: report as ScheduledReportName,
    schedule: alert.rule,
    period: period as ReportPeriod,
    previousStart: Date.parse(a[SCHEDULE_ANNOTATIONS.previousStart] ?? ''),
    start: Date.parse(a[SCHEDULE_ANNOTATIONS.start] ?? ''),
    end: Date.parse(a[SCHEDULE_ANNOTATIONS.end] ?? ''),
    highlight: JSON.parse(a[SCHEDULE_ANNOTATIONS.highlight] ?? '[]') as HighlightRule[],
  };
}

/** A scheduled report's times: due when its alert fired, generated now (ReportDocument `dueAt`). */
export function scheduledReportTimes(alert: Alert): { dueAt: Date; generatedAt: Date } {
  return { dueAt: new Date(alert.fired_at), generatedAt: new Date() };
}

/** File base name: `<report>-<schedule>-<first day of the period>`; the same for every replay. */
export function scheduledReportName(alert: Alert): string | null {
  const p = scheduledReportParams(alert);
  if (p === null) return null;
  return `${FILE_PREFIXES[p.report]}-${slug(p.schedule)}-${new Date(p.start).toISOString().slice(0, 10)}`;
}
