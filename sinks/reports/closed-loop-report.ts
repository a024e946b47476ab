/**
 * The weekly closed-loop report (issue 16; schedule report `closed_loop`): what came of the
 * alerts, leads and cases (sinks/outcomes/figures.ts) created up to the end of the period, with
 * every outcome known when the report is rendered: precision per alert rule, with the rules below
 * the job's `outcomes.min_precision` (over at least `outcomes.min_judged` judged alerts) flagged
 * for tuning; precision, conversion and revenue per lead intent and team; the median time to the
 * first action by a person; and how many outcomes were recorded and inferred in the period.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../../operators/alert.js';
import { DEFAULT_THRESHOLDS, outcomeFigures, type OutcomeFigures, type OutcomeThresholds } from '../outcomes/figures.js';
import { shortDuration } from '../outcomes/format.js';
import { queryRows } from './db.js';
import type { ReportBlock } from './document.js';
import { formatCount, formatInstant, formatNumber, formatPercent } from './format.js';
import { linkBlocks } from './scorecard-report.js';
import { SCHEDULE_ANNOTATIONS, scheduledReportName, scheduledReportParams, scheduledReportTimes } from './scheduled-alert.js';
import type { PreparedReport } from './write.js';

/** The thresholds the schedule's alert carries (the job's `outcomes` section when it was due). */
function thresholdsOf(alert: Alert): OutcomeThresholds {
  const precision = Number(alert.annotations[SCHEDULE_ANNOTATIONS.minPrecision]);
  const judged = Number(alert.annotations[SCHEDULE_ANNOTATIONS.minJudged]);
  return {
    minPrecision: Number.isFinite(precision) ? precision : DEFAULT_THRESHOLDS.minPrecision,
    minJudged: Number.isInteger(judged) && judged > 0 ? judged : DEFAULT_THRESHOLDS.minJudged,
  };
}

/** Outcomes written in [start, end), by source. */
async function recordedIn(connection: DuckDBConnection, start: number, end: number): Promise<{ person: number; inferred: number }> {
  const [row] = await queryRows(
    connection,
    `SELECT CAST(count(*) FILTER (WHERE source = 'person') AS INTEGER) AS person,
            CAST(count(*) FILTER (WHERE source = 'inferred') AS INTEGER) AS inferred
       FROM outcomes WHERE epoch_ms("at") >= $start AND epoch_ms("at") < $end`,
    { start, end },
  );
  return { person: Number(row?.['person'] ?? 0), inferred: Number(row?.['inferred'] ?? 0) };
}

function rulesTable(f: OutcomeFigures): ReportBlock {
  return {
    type: 'table',
    caption: 'Precision per alert rule',
    columns: [
      { label: 'Rule' },
      { label: 'Kind' },
      ...['Alerts', 'Judged', 'Useful or won', 'Precision'].map((label) => ({ label, align: 'right' as const })),
      { label: 'Tuning' },
    ],
    rows: f.rules.map((r) => [
      r.rule,
      r.kind,
      formatCount(r.alerts),
      formatCount(r.judged),
      formatCount(r.positive),
      formatPercent(r.precision),
      r.flagged ? 'flagged for tuning' : '',
    ]),
    highlights: f.rules.map((r) => new Array(7).fill(r.flagged ? 'red' : null)),
    note:
      'The verdict on an alert is the latest on it, its lead or its case; a person’s verdict beats an inferred one. ' +
      'Precision = (useful + won, wins inferred from transactions included) / judged.',
  };
}

function leadsBlock(f: OutcomeFigures): ReportBlock {
  if (f.intents.length === 0)
    return { type: 'paragraph', text: 'No leads up to the end of this period (leads come from service_triggers rules with trigger intent).' };
  return {
    type: 'table',
    caption: 'Leads per intent and team',
    columns: [
      { label: 'Intent' },
      { label: 'Team' },
      ...['Leads', 'Judged', 'Precision', 'Won', 'Won (inferred)', 'Lost', 'Conversion', 'Revenue'].map((label) => ({ label, align: 'right' as const })),
    ],
    rows: f.intents.map((r) => [
      r.intent,
      r.team,
      formatCount(r.leads),
      formatCount(r.judged),
      formatPercent(r.precision),
      formatCount(r.won),
      formatCount(r.won_inferred),
      formatCount(r.lost),
      formatPercent(r.conversion),
      formatNumber(r.revenue),
    ]),
    note: 'Won (inferred): a transaction by the customer within leads.win_window and no verdict by a person. Conversion = all wins / leads.',
  };
}

function delaysBlock(f: OutcomeFigures): ReportBlock {
  if (f.delays.length === 0) return { type: 'paragraph', text: 'No outcome recorded by a person yet, so no time to first action.' };
  return {
    type: 'table',
    caption: 'Time to first action by a person',
    columns: [{ label: 'Subject' }, { label: 'With an action', align: 'right' }, { label: 'Median time', align: 'right' }],
    rows: f.delays.map((d) => [d.subject_kind, formatCount(d.acted), shortDuration(d.median_seconds)]),
    // A replay's alerts are dated in the past and people act on them now: a tester's median of
    // 292 days was the data's age, shown as if it were the team's.
    note:
      'From the alert’s time (its event time) to the person’s first action (the wall clock): for a live job the time a team took; ' +
      'for alerts of a replay of past data it is mostly the age of that data.',
  };
}

export function closedLoopBlocks(
  f: OutcomeFigures,
  t: OutcomeThresholds,
  recorded: { person: number; inferred: number },
  period: { start: number; end: number },
): ReportBlock[] {
  const flagged = f.rules.filter((r) => r.flagged);
  const blocks: ReportBlock[] = [
    {
      type: 'facts',
      items: [
        { label: 'This period', value: `${formatInstant(period.start)} to ${formatInstant(period.end)}` },
        {
          label: 'Outcomes recorded in the period',
          value:
            `${formatCount(recorded.person)} by people, ${formatCount(recorded.inferred)} inferred from transactions ` +
            '(by when they were recorded: people at the wall clock, inferences at event time; the tables below count every verdict known when this report was written)',
        },
        { label: 'Tuning flag', value: `precision below ${formatPercent(t.minPrecision)} over at least ${t.minJudged} judged alerts` },
      ],
    },
  ];
  if (flagged.length > 0) {
    blocks.push({
      type: 'notice',
      level: 'warning',
      title: `${flagged.length} rule${flagged.length === 1 ? '' : 's'} flagged for tuning`,
      text: flagged.map((r) => `${r.rule} (${r.kind}): ${formatPercent(r.precision)} of ${r.judged} judged alerts were useful or won`).join('; '),
    });
  }
  blocks.push(rulesTable(f), leadsBlock(f), delaysBlock(f));
  return blocks;
}

export async function prepareClosedLoopReport(connection: DuckDBConnection, alert: Alert): Promise<PreparedReport> {
  const p = scheduledReportParams(alert);
  if (p === null || p.report !== 'closed_loop') throw new Error(`alert ${alert.alert_id} is not a closed-loop schedule's alert`);
  const thresholds = thresholdsOf(alert);
  const figures = await outcomeFigures(connection, thresholds, p.end);
  const recorded = await recordedIn(connection, p.start, p.end);
  return {
    doc: {
      title: `Closed loop, ${p.period === 'day' ? 'daily' : 'weekly'}: ${new Date(p.start).toISOString().slice(0, 10)}`,
      subtitle: `Schedule ${p.schedule}; what came of the alerts, leads and cases`,
      ...scheduledReportTimes(alert),
      blocks: [...linkBlocks(alert), ...closedLoopBlocks(figures, thresholds, recorded, p)],
    },
    baseName: scheduledReportName(alert)!,
  };
}
