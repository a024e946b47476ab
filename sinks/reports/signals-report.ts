/**
 * The customer-signals summary of a scheduled report: for a period against the one before, the
 * behaviour shifts (`sales` alerts by rule), the drift verdict of the drift runs whose current
 * period ended in it, and the cases per team (opened, closed, overdue at the period's end),
 * coloured by the schedule's highlight rules (KPI names: `shifts`, `customers`, `opened`,
 * `closed`, `overdue`).
 *
 * Overdue at the period's end: opened before it, due before it, and not closed or resolved by
 * then (`closed_at` unset or later), the same rule as escalation and `pulse cases list`, judged at
 * the period's end on the job's clock.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../../operators/alert.js';
import { TERMINAL_CASE_STATUSES } from '../../operators/service/case-status.js';
import { num, queryRows, str } from './db.js';
import type { ReportBlock } from './document.js';
import { RESCORE_RULE } from './drift-data.js';
import { formatCount, formatInstant, formatSigned } from './format.js';
import { highlightCells } from './highlight.js';
import { scheduledReportName, scheduledReportParams, scheduledReportTimes, type ScheduledReportParams } from './scheduled-alert.js';
import { linkBlocks } from './scorecard-report.js';
import type { PreparedReport } from './write.js';

type Period = Pick<ScheduledReportParams, 'previousStart' | 'start' | 'end'>;

interface Counted {
  key: string;
  current: Record<string, number>;
  previous: Record<string, number>;
}

const SHIFT_KPIS = ['shifts', 'customers'] as const;
const CASE_KPIS = ['opened', 'closed', 'overdue'] as const;
/** What a highlight rule of this report may name (its tables' columns). */
export const SIGNALS_HIGHLIGHT_KPIS: readonly string[] = [...SHIFT_KPIS, ...CASE_KPIS];

/** Rows keyed by `key`, with the current and previous period's counts side by side. */
function pair(rows: Array<Record<string, unknown>>, kpis: readonly string[]): Counted[] {
  const byKey = new Map<string, Counted>();
  for (const r of rows) {
    const key = str(r['k']);
    let row = byKey.get(key);
    if (!row) byKey.set(key, (row = { key, current: {}, previous: {} }));
    const values = r['period'] === 'current' ? row.current : row.previous;
    for (const kpi of kpis) values[kpi] = num(r[kpi]);
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Sales alerts by rule, in the period their window started in: a shift found at the close of a
 * week's last day fires at the next week's first instant, and counted by that time it was in the
 * next week's summary (a replay's last week never showed it).
 */
export async function shiftCounts(connection: DuckDBConnection, p: Period): Promise<Counted[]> {
  const rows = await queryRows(
    connection,
    `SELECT CASE WHEN epoch_ms(window_start) >= $start THEN 'current' ELSE 'previous' END AS period, rule AS k,
            count(DISTINCT alert_id) AS shifts, count(DISTINCT customer_id) AS customers
       FROM alerts WHERE kind = 'sales' AND epoch_ms(window_start) >= $previous AND epoch_ms(window_start) < $end
      GROUP BY ALL`,
    { previous: p.previousStart, start: p.start, end: p.end },
  );
  return pair(rows, SHIFT_KPIS);
}

/**
 * The cases closed or resolved in [from, to) by their history: `closed_at` is the latest closing
 * only, and a case reopened since has none, so a case closed and reopened in the period counted
 * as never closed.
 */
function closedBetween(from: string, to: string): string {
  const terminal = [...TERMINAL_CASE_STATUSES].map((s) => `'${s}'`).join(', ');
  return `SELECT case_id FROM case_events WHERE to_status IN (${terminal}) AND (from_status IS NULL OR from_status NOT IN (${terminal}))
            AND epoch_ms("at") >= ${from} AND epoch_ms("at") < ${to}`;
}

export async function caseCounts(connection: DuckDBConnection, p: Period): Promise<Counted[]> {
  const periodSql = (from: string, to: string, name: string) => `
    SELECT '${name}' AS period, team AS k,
           count(*) FILTER (WHERE epoch_ms(opened_at) >= ${from} AND epoch_ms(opened_at) < ${to}) AS opened,
           count(*) FILTER (WHERE (epoch_ms(closed_at) >= ${from} AND epoch_ms(closed_at) < ${to})
                              OR case_id IN (${closedBetween(from, to)})) AS closed,
           count(*) FILTER (WHERE epoch_ms(opened_at) < ${to} AND epoch_ms(due_at) < ${to}
                              AND (closed_at IS NULL OR epoch_ms(closed_at) >= ${to})) AS overdue
      FROM cases GROUP BY team`;
  const rows = await queryRows(connection, `${periodSql('$start', '$end', 'current')} UNION ALL ${periodSql('$previous', '$start', 'previous')}`, {
    previous: p.previousStart,
    start: p.start,
    end: p.end,
  });
  return pair(rows, CASE_KPIS).filter((c) => CASE_KPIS.some((k) => (c.current[k] ?? 0) + (c.previous[k] ?? 0) > 0));
}

export interface DriftVerdict {
  runs: number;
  features: number;
  drifted: string[];
  rescored: boolean;
}

/**
 * The drift runs whose current period ended within (start, end]: their drifted features and
 * rescoring. A run's rescoring alert fires at its period's end, so both are taken over the same
 * interval (the alerts were taken over [start, end), the run of the week before's).
 */
export async function driftVerdict(connection: DuckDBConnection, p: Period): Promise<DriftVerdict> {
  const rows = await queryRows(
    connection,
    `SELECT count(DISTINCT run_id) AS runs, count(DISTINCT feature) AS features,
            coalesce(list_sort(list(DISTINCT feature) FILTER (WHERE drifted)), []) AS drifted
       FROM drift_metrics WHERE epoch_ms(current_end) > $start AND epoch_ms(current_end) <= $end`,
    { start: p.start, end: p.end },
  );
  const [rescore] = await queryRows(
    connection,
    `SELECT count(*) AS n FROM alerts WHERE rule = $rule AND epoch_ms(fired_at) > $start AND epoch_ms(fired_at) <= $end`,
    { rule: RESCORE_RULE, start: p.start, end: p.end },
  );
  const r = rows[0] ?? {};
  return { runs: num(r['runs']), features: num(r['features']), drifted: (r['drifted'] as string[] | undefined) ?? [], rescored: num(rescore?.['n']) > 0 };
}

const change = (current: number, previous: number): string => `${formatCount(current)} (${formatSigned(current - previous)})`;

function countTable(
  caption: string,
  keyLabel: string,
  rows: Counted[],
  kpis: readonly string[],
  labels: readonly string[],
  p: ScheduledReportParams,
): ReportBlock {
  const total: Counted = { key: '(all)', current: {}, previous: {} };
  for (const r of rows) {
    for (const k of kpis) {
      total.current[k] = (total.current[k] ?? 0) + (r.current[k] ?? 0);
      total.previous[k] = (total.previous[k] ?? 0) + (r.previous[k] ?? 0);
    }
  }
  const all = [...rows, total];
  const values = all.map((r) => [null, ...kpis.map((k) => r.current[k] ?? 0)]);
  return {
    type: 'table',
    caption,
    columns: [{ label: keyLabel }, ...labels.map((label) => ({ label, align: 'right' as const }))],
    rows: all.map((r) => [r.key, ...kpis.map((k) => change(r.current[k] ?? 0, r.previous[k] ?? 0))]),
    highlights: highlightCells(p.highlight, [null, ...kpis], values, [all.length - 1]),
    note: `Counts this ${p.period} (change against the ${p.period} before).`,
  };
}

export async function prepareSignalsReport(connection: DuckDBConnection, alert: Alert): Promise<PreparedReport> {
  const p = scheduledReportParams(alert);
  if (p === null || p.report !== 'customer_signals') throw new Error(`alert ${alert.alert_id} is not a customer-signals schedule's alert`);
  const [shifts, cases, drift] = [await shiftCounts(connection, p), await caseCounts(connection, p), await driftVerdict(connection, p)];
  const verdict =
    drift.runs === 0
      ? 'no drift run ended in this period'
      : `${drift.drifted.length} of ${drift.features} features drifted${drift.drifted.length > 0 ? ` (${drift.drifted.join(', ')})` : ''}; ` +
        (drift.rescored ? 'dataset drift: segments were rescored' : 'no dataset drift');
  return {
    doc: {
      title: `Customer signals, ${p.period === 'day' ? 'daily' : 'weekly'}: ${new Date(p.start).toISOString().slice(0, 10)}`,
      subtitle: `Schedule ${p.schedule}; behaviour shifts, drift and cases against the previous ${p.period}`,
      ...scheduledReportTimes(alert),
      blocks: [
        ...linkBlocks(alert),
        {
          type: 'facts',
          items: [
            { label: `This ${p.period}`, value: `${formatInstant(p.start)} to ${formatInstant(p.end)}` },
            { label: 'Drift verdict', value: verdict },
          ],
        },
        countTable('Behaviour shifts (sales alerts) by rule', 'Rule', shifts, SHIFT_KPIS, ['Alerts', 'Customers'], p),
        countTable('Cases by team', 'Team', cases, CASE_KPIS, ['Opened', 'Closed', 'Overdue at end'], p),
      ],
    },
    baseName: scheduledReportName(alert)!,
  };
}
