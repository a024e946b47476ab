/**
 * Scheduled reports (job YAML `reports.schedule`): config, build and runtime.
 *
 * A schedule names a report (`contact_center_scorecard`), the period it covers (`day` or `week`), a
 * cron expression (through croner, in UTC) and highlight rules. A run is due when the job's clock
 * (sinks/duckdb/job-clock.ts) passes a cron time: the wall clock for a live source, the watermark
 * for a bounded file input, so a replay of a month produces the month's reports. Each due run
 * becomes an alert of kind `report` (stable id from the schedule and the due time), added to the
 * checkpoint's outputs: it is written, linked to its report, requested for rendering and put in
 * the delivery outbox in the checkpoint's transaction, with the schedule's cursor (the clock up
 * to which runs were made) in `pulse_job_state`, so each run happens exactly once across crashes
 * and restarts. A run covers the last complete period before its due time (a day: the UTC day
 * before; a week: the ISO week, Monday 00:00 UTC, before) against the period before that.
 */
import { Cron } from 'croner';
import { type Alert, type Severity, SEVERITIES, stableAlertId } from '../operators/alert.js';
import { likelyMeant, StringEnum, Type, type Static } from '../operators/config/schema.js';
import { ConfigError } from '../operators/errors.js';
import { completeAtInputEnd } from '../operators/input-end.js';
import { DEFAULT_THRESHOLDS, type OutcomeThresholds } from '../sinks/outcomes/figures.js';
import { HIGHLIGHT_RULE_SCHEMA, type HighlightRule } from '../sinks/reports/highlight.js';
import { SCORECARD_KPIS } from '../sinks/reports/scorecard-report.js';
import { SIGNALS_HIGHLIGHT_KPIS } from '../sinks/reports/signals-report.js';
import { REPORT_PERIODS, SCHEDULE_ANNOTATIONS, SCHEDULED_REPORTS, type ReportPeriod, type ScheduledReportName } from '../sinks/reports/scheduled-alert.js';

/** `pulse_job_state` key of the schedules' cursor. */
export const SCHEDULE_CURSOR_KEY = 'report_schedule';
/** Per schedule, the last run made ahead of its time at the end of a replay (pulse_job_state). */
export const SCHEDULE_MADE_AHEAD_KEY = 'report_schedule_made_ahead';
/** Where a replay's events start (pulse_job_state): runs of periods before it are not made. */
export const SCHEDULE_DATA_FROM_KEY = 'report_schedule_data_from';

/** Schema of one `reports.schedule[]` entry and of `reports.links` (job-schema.ts). */
const SCHEDULE_ENTRY_SCHEMA = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$', description: 'the alert name (labels.alertname) of its notifications' }),
    report: StringEnum(SCHEDULED_REPORTS, { description: 'the report: the contact-center scorecard, the customer-signals summary or the closed-loop report' }),
    cron: Type.String({ description: 'five or six cron fields, UTC, e.g. "0 6 * * *" (daily 06:00) or "0 7 * * 1" (Mondays 07:00)' }),
    period: StringEnum(REPORT_PERIODS, { description: 'the complete day or week before the due time' }),
    severity: Type.Optional(StringEnum(SEVERITIES, { default: 'info', description: 'severity of its notifications' })),
    highlight: Type.Optional(
      Type.Array(HIGHLIGHT_RULE_SCHEMA, {
        default: [],
        description: 'colour-coding rules: at least one of `above`/`below` (strict bounds); the more severe colour wins (red, amber, green, blue)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const REPORT_SCHEDULE_SCHEMA = Type.Array(SCHEDULE_ENTRY_SCHEMA, {
  default: [],
  description: 'scheduled, colour-coded reports (below, "Scheduled reports"); cron through croner, in UTC',
});

export const REPORT_LINKS_SCHEMA = Type.Object(
  {
    grafana: Type.Optional(Type.String({ description: 'Grafana base URL; a notification links its dashboard at <grafana>/d/<uid>?from=..&to=..' })),
    cases: Type.Optional(Type.String({ description: 'base URL of the case pages; a notification links <cases>?from=..&to=..' })),
  },
  { additionalProperties: false, default: {} },
);

/** `reports.schedule[]` as the YAML holds it (after schema defaults). */
export type ScheduleConfig = Static<typeof SCHEDULE_ENTRY_SCHEMA>;

export type ReportLinks = Static<typeof REPORT_LINKS_SCHEMA>;

export interface ReportSchedule {
  name: string;
  report: ScheduledReportName;
  period: ReportPeriod;
  severity: Severity;
  highlight: HighlightRule[];
  cron: Cron;
  /** The job's `outcomes` thresholds: the closed-loop report flags rules by them. */
  thresholds: OutcomeThresholds;
}

/** Builds the schedules; a bad cron expression or a repeated name is a ConfigError naming it. */
export function buildReportSchedules(configs: readonly ScheduleConfig[], thresholds: OutcomeThresholds = DEFAULT_THRESHOLDS): ReportSchedule[] {
  const names = new Set<string>();
  return configs.map((c, i) => {
    const where = `reports.schedule[${i}] (${c.name})`;
    if (names.has(c.name)) throw new ConfigError(`${where}: the name is used by another schedule; give each a name of its own`);
    names.add(c.name);
    let cron: Cron;
    try {
      cron = new Cron(c.cron, { timezone: 'UTC', paused: true });
    } catch (error) {
      throw new ConfigError(`${where}: cron '${c.cron}' is not valid: ${(error as Error).message}. Example: "0 6 * * *" for 06:00 UTC every day`);
    }
    const highlight = (c.highlight ?? []).map((h) => ({ ...h, apply: h.apply ?? 'cell' }));
    highlight.forEach((h, j) => checkHighlightKpi(`${where}.highlight[${j}]`, c.report, h.kpi));
    return { name: c.name, report: c.report, period: c.period, severity: c.severity ?? 'info', highlight, cron, thresholds };
  });
}

/** The KPIs each report's highlight rules may colour: its tables' columns (the closed-loop report colours its flagged rules itself). */
const HIGHLIGHT_KPIS: Record<ScheduledReportName, readonly string[]> = {
  contact_center_scorecard: SCORECARD_KPIS.map((k) => k.kpi),
  customer_signals: SIGNALS_HIGHLIGHT_KPIS,
  closed_loop: [],
};

/** A highlight rule naming no column of its report would colour nothing, without a word. */
function checkHighlightKpi(where: string, report: ScheduledReportName, kpi: string): void {
  const allowed = HIGHLIGHT_KPIS[report];
  if (allowed.includes(kpi)) return;
  if (allowed.length === 0) throw new ConfigError(`${where}: the ${report} report takes no highlight rules (it marks the rules it flags itself); remove them`);
  const close = likelyMeant(kpi, allowed);
  throw new ConfigError(
    `${where}.kpi: '${kpi}' is not a column of the ${report} report${close ? ` (did you mean ${close}?)` : ''}; its columns are ${allowed.join(', ')}`,
  );
}

const DAY_MS = 86_400_000;
/** 1970-01-05 was a Monday: weeks start on Mondays, 00:00 UTC. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;
/** At most this many runs per schedule per checkpoint (a clock jump of years must not flood). */
const MAX_RUNS_PER_CHECKPOINT = 1000;

/** The period a run due at `dueAt` reports on, and the one before it. */
export function reportPeriod(period: ReportPeriod, dueAt: number): { previousStart: number; start: number; end: number } {
  const length = period === 'day' ? DAY_MS : 7 * DAY_MS;
  const offset = period === 'day' ? 0 : MONDAY_OFFSET_MS;
  const end = Math.floor((dueAt - offset) / length) * length + offset;
  return { previousStart: end - 2 * length, start: end - length, end };
}

/** The cron times of `schedule` in (from, to], oldest first. */
export function dueTimes(schedule: ReportSchedule, from: number, to: number): number[] {
  const out: number[] = [];
  let next = schedule.cron.nextRun(new Date(from));
  while (next !== null && next.getTime() <= to && out.length < MAX_RUNS_PER_CHECKPOINT) {
    out.push(next.getTime());
    next = schedule.cron.nextRun(next);
  }
  return out;
}

/**
 * The runs whose period the data covers (it ends after `data.from`, and the events up to `data.end`
 * complete it: operators/input-end.ts) and that no run up to `madeThrough` reported, for the end of a replay:
 * their cron time is after the data, so the clock never passes it (a month's last day and last
 * week had no report). One run per period; at most MAX_RUNS_PER_CHECKPOINT cron times looked at.
 */
export function runsCoveredByData(schedule: ReportSchedule, madeThrough: number, data: { from: number; end: number }, links: ReportLinks): Alert[] {
  const alerts: Alert[] = [];
  let reportedEnd = Number.NEGATIVE_INFINITY;
  let next = schedule.cron.nextRun(new Date(madeThrough));
  for (let looked = 0; next !== null && looked < MAX_RUNS_PER_CHECKPOINT; looked++, next = schedule.cron.nextRun(next)) {
    const at = next.getTime();
    const { start, end } = reportPeriod(schedule.period, at);
    if (!completeAtInputEnd(start, end, data.end)) break;
    if (end > reportedEnd && end > data.from && !ranBetween(schedule, end, madeThrough)) alerts.push(scheduledReportAlert(schedule, at, links));
    reportedEnd = end;
  }
  return alerts;
}

/** True when a run of `schedule` falls in [from, to]: the period ending at `from` was reported then. */
function ranBetween(schedule: ReportSchedule, from: number, to: number): boolean {
  return (schedule.cron.nextRun(new Date(from - 1))?.getTime() ?? Number.POSITIVE_INFINITY) <= to;
}

/** The Grafana dashboard a notification links, where one shows the same figures. */
const DASHBOARDS: Partial<Record<ScheduledReportName, string>> = {
  contact_center_scorecard: 'pulse-contact-center',
  customer_signals: 'pulse-customer-signals',
};

const TITLES: Record<ScheduledReportName, string> = {
  contact_center_scorecard: 'contact-center scorecard',
  customer_signals: 'customer-signals summary',
  closed_loop: 'closed-loop report',
};

/** The notification of one run: a `report` alert whose report is rendered by the report queue. */
export function scheduledReportAlert(schedule: ReportSchedule, dueAt: number, links: ReportLinks): Alert {
  const p = reportPeriod(schedule.period, dueAt);
  const iso = (ms: number): string => new Date(ms).toISOString();
  const range = `from=${p.start}&to=${p.end}`;
  const what = TITLES[schedule.report];
  const annotations: Record<string, string> = {
    summary: `${schedule.period === 'day' ? 'Daily' : 'Weekly'} ${what} for ${iso(p.start).slice(0, 10)}`,
    description: `The ${what} of ${iso(p.start)} to ${iso(p.end)} against the ${schedule.period} before (schedule ${schedule.name}).`,
    [SCHEDULE_ANNOTATIONS.previousStart]: iso(p.previousStart),
    [SCHEDULE_ANNOTATIONS.start]: iso(p.start),
    [SCHEDULE_ANNOTATIONS.end]: iso(p.end),
    [SCHEDULE_ANNOTATIONS.highlight]: JSON.stringify(schedule.highlight),
    ...(schedule.report === 'closed_loop'
      ? {
          [SCHEDULE_ANNOTATIONS.minPrecision]: String(schedule.thresholds.minPrecision),
          [SCHEDULE_ANNOTATIONS.minJudged]: String(schedule.thresholds.minJudged),
        }
      : {}),
  };
  const dashboard = DASHBOARDS[schedule.report];
  if (links.grafana && dashboard) annotations['dashboard_url'] = `${links.grafana.replace(/\/+$/, '')}/d/${dashboard}?${range}`;
  if (links.cases) annotations['cases_url'] = `${links.cases}${links.cases.includes('?') ? '&' : '?'}${range}`;
  return {
    alert_id: stableAlertId(`report:${schedule.name}`, dueAt),
    kind: 'report',
    rule: schedule.name,
    severity: schedule.severity,
    customer_id: null,
    window_start: p.start,
    fired_at: dueAt,
    labels: { alertname: schedule.name, kind: 'report', severity: schedule.severity, report: schedule.report, period: schedule.period },
    annotations,
    status: 'firing',
  };
}

/**
 * The runs of every schedule whose time the clock passed since `cursor`, as alerts, oldest first.
 * `cursor` is the clock of the previous checkpoint (or where the job's clock started). A run whose
 * period ends at or before `dataFrom` (where a replay's events start) is left out: it would report
 * on no data.
 */
export function dueReportAlerts(
  schedules: readonly ReportSchedule[],
  cursor: number,
  clock: number,
  links: ReportLinks,
  dataFrom = Number.NEGATIVE_INFINITY,
): Alert[] {
  const alerts: Alert[] = [];
  for (const schedule of schedules) {
    for (const at of dueTimes(schedule, cursor, clock)) {
      if (reportPeriod(schedule.period, at).end > dataFrom) alerts.push(scheduledReportAlert(schedule, at, links));
    }
  }
  return alerts.sort((a, b) => a.fired_at - b.fired_at || a.rule.localeCompare(b.rule));
}
