/**
 * The contact-center scorecard of a scheduled report: every SPEC section 4 KPI per queue and
 * channel, and per channel for all queues together, for a day or a week, against the period
 * before, coloured by the schedule's highlight rules. There is no total across channels: an e-mail's
 * response time and its service level (0 by definition) would swamp the live channels' ASA and
 * service level in it.
 *
 * Computed from the job's `contact_kpis` rows of the 1-day window (the job must have `1d` in
 * `contact_kpis.window_sizes`): counts are summed, and each rate is recomputed from its numerator
 * and denominator summed over the days, never averaged (abandon rate from abandoned, short
 * abandons and offered; AHT and ASA weighted by handled; average queue time by the contacts that
 * waited, handled + abandoned; service level by offered - short abandons, the SPEC's default
 * denominator; FCR from `fcr_resolved` / `fcr_eligible`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../../operators/alert.js';
import { numOrNull, queryRows, str } from './db.js';
import type { ReportBlock } from './document.js';
import { formatCount, formatInstant, formatPercent, formatSeconds, formatSigned, NA } from './format.js';
import { highlightCells } from './highlight.js';
import { invalidContactsText, lateContactsText, refusedContacts, type InvalidContacts, type LateContacts } from './refused-contacts.js';
import { scheduledReportName, scheduledReportParams, scheduledReportTimes, type ScheduledReportParams } from './scheduled-alert.js';
import type { PreparedReport } from './write.js';
import { exactSumSql } from '../duckdb/exact-sum.js';

const DAY_MS = 86_400_000;

type Format = 'count' | 'rate' | 'seconds';

/** The scorecard's KPI columns, in order, with their number format. */
export const SCORECARD_KPIS: ReadonlyArray<{ kpi: string; label: string; format: Format }> = [
  { kpi: 'offered', label: 'Offered', format: 'count' },
  { kpi: 'handled', label: 'Handled', format: 'count' },
  { kpi: 'abandoned', label: 'Abandoned', format: 'count' },
  { kpi: 'short_abandoned', label: 'Short abandons', format: 'count' },
  { kpi: 'self_service', label: 'Self-service', format: 'count' },
  { kpi: 'abandon_rate', label: 'Abandon rate', format: 'rate' },
  { kpi: 'service_level', label: 'Service level', format: 'rate' },
  { kpi: 'asa_seconds', label: 'ASA', format: 'seconds' },
  { kpi: 'aht_seconds', label: 'AHT', format: 'seconds' },
  { kpi: 'avg_queue_seconds', label: 'Avg queue time', format: 'seconds' },
  { kpi: 'transfer_rate', label: 'Transfer rate', format: 'rate' },
  { kpi: 'self_service_rate', label: 'Self-service rate', format: 'rate' },
  { kpi: 'fcr_rate', label: 'FCR', format: 'rate' },
];

export interface ScorecardRow {
  queue: string;
  channel: string;
  /** KPI name -> value in the period and in the period before (null: no data or a zero denominator). */
  current: Record<string, number | null>;
  previous: Record<string, number | null>;
}

export interface ScorecardData {
  /** One row per queue x channel with contacts in either period, then one all-queues row per channel. */
  rows: ScorecardRow[];
  /** Days of the period with a 1-day KPI row (of all queues). */
  daysWithData: number;
  /** True when some FCR in the period is still provisional (its 7-day look-ahead has not passed). */
  fcrProvisional: boolean;
  /** Contacts of the period refused as late: in none of the rows. */
  late: LateContacts;
  /** Contacts of the period refused for their record: in none of the rows either. */
  invalid: InvalidContacts;
}

const ALL = '(all)';

const AGGREGATES = `
  sum(offered) AS offered, sum(handled) AS handled, sum(abandoned) AS abandoned,
  sum(short_abandoned) AS short_abandoned, sum(self_service) AS self_service,
  (sum(abandoned) - sum(short_abandoned)) / nullif(sum(offered) - sum(short_abandoned), 0) AS abandon_rate,
  ${exactSumSql('service_level * (offered - short_abandoned)')} / nullif(sum(offered) - sum(short_abandoned), 0) AS service_level,
  ${exactSumSql('asa_seconds * handled')} / nullif(sum(handled), 0) AS asa_seconds,
  ${exactSumSql('aht_seconds * handled')} / nullif(sum(handled), 0) AS aht_seconds,
  ${exactSumSql('avg_queue_seconds * (handled + abandoned)')} / nullif(sum(handled + abandoned), 0) AS avg_queue_seconds,
  sum(transferred) / nullif(sum(handled), 0) AS transfer_rate,
  sum(self_service) / nullif(sum(self_service) + sum(offered), 0) AS self_service_rate,
  sum(fcr_resolved) / nullif(sum(fcr_eligible), 0) AS fcr_rate,
  bool_or(NOT fcr_final) AS fcr_provisional, count(DISTINCT window_start) AS days`;

/** Reads the scorecard of [start, end) against [previousStart, start) from `contact_kpis`. */
export async function scorecardData(connection: DuckDBConnection, p: Pick<ScheduledReportParams, 'previousStart' | 'start' | 'end'>): Promise<ScorecardData> {
  const rows = await queryRows(
    connection,
    `WITH d AS (
       SELECT *, CASE WHEN epoch_ms(window_start) >= $start THEN 'current' ELSE 'previous' END AS period
         FROM contact_kpis
        WHERE epoch_ms(window_end) - epoch_ms(window_start) = ${DAY_MS}
          AND epoch_ms(window_start) >= $previous AND epoch_ms(window_end) <= $end)
     SELECT period, queue, channel, GROUPING(queue) AS total, GROUPING(channel) AS every_channel, ${AGGREGATES}
       FROM d GROUP BY GROUPING SETS ((period, queue, channel), (period, channel), (period))
      ORDER BY total, queue, channel`,
    { previous: p.previousStart, start: p.start, end: p.end },
  );
  const byKey = new Map<string, ScorecardRow>();
  let daysWithData = 0;
  let fcrProvisional = false;
  for (const r of rows) {
    // The grouping over every queue and channel only tells which days had data.
    if (Number(r['every_channel']) !== 0) {
      if (r['period'] === 'current') {
        daysWithData = Number(r['days']);
        fcrProvisional = r['fcr_provisional'] === true;
      }
      continue;
    }
    const queue = Number(r['total']) !== 0 ? ALL : str(r['queue']);
    const channel = str(r['channel']);
    const key = `${queue}\u0000${channel}`;
    let row = byKey.get(key);
    if (!row) byKey.set(key, (row = { queue, channel, current: {}, previous: {} }));
    const values = r['period'] === 'current' ? row.current : row.previous;
    for (const { kpi } of SCORECARD_KPIS) values[kpi] = numOrNull(r[kpi]);
  }
  // A period without a row of a queue x channel had no contacts of it: its counts are 0 (a drop to
  // zero, shown as -100%), its rates and times unknown.
  for (const row of byKey.values()) {
    for (const { kpi, format } of SCORECARD_KPIS) {
      if (format !== 'count') continue;
      row.current[kpi] ??= 0;
      row.previous[kpi] ??= 0;
    }
  }
  // The all-queues rows last, whatever order the query gave (the sort is stable).
  const ordered = [...byKey.values()].sort((a, b) => Number(a.queue === ALL) - Number(b.queue === ALL));
  return { rows: ordered, daysWithData, fcrProvisional, ...(await refusedContacts(connection, p.start, p.end)) };
}

function formatValue(format: Format, value: number | null): string {
  return format === 'count' ? formatCount(value) : format === 'rate' ? formatPercent(value) : formatSeconds(value);
}

/** The change against the period before: counts in percent, rates in percentage points, times in seconds. */
function formatChange(format: Format, current: number | null, previous: number | null): string {
  if (current === null || previous === null) return NA;
  if (format === 'rate') return `${formatSigned((current - previous) * 100, 1)} pp`;
  if (format === 'seconds') return `${formatSigned(current - previous, 1)} s`;
  return previous === 0 ? NA : `${formatSigned(((current - previous) / previous) * 100, 1)}%`;
}

export function scorecardBlocks(data: ScorecardData, p: ScheduledReportParams): ReportBlock[] {
  const label = p.period === 'day' ? 'day' : 'week';
  const kpis = SCORECARD_KPIS;
  const values = data.rows.map((row) => [null, null, ...kpis.map(({ kpi }) => row.current[kpi] ?? null)]);
  const totalRows = data.rows.flatMap((row, r) => (row.queue === ALL ? [r] : []));
  const channels = data.rows.map((row) => row.channel);
  const highlights = highlightCells(p.highlight, [null, null, ...kpis.map((k) => k.kpi)], values, totalRows, channels);
  const rules = p.highlight.map(
    (h) =>
      `${h.kpi} ${h.above !== undefined ? `above ${h.above}` : ''}${h.above !== undefined && h.below !== undefined ? ' or ' : ''}${h.below !== undefined ? `below ${h.below}` : ''}: ${h.colour} ${h.apply}${h.channels ? ` (${h.channels.join(', ')})` : ''}`,
  );
  const late = lateContactsText(data.late);
  const invalid = invalidContactsText(data.invalid);
  return [
    ...(late === null ? [] : [{ type: 'notice' as const, level: 'warning' as const, title: 'Contacts missing from these figures', text: late }]),
    ...(invalid === null ? [] : [{ type: 'notice' as const, level: 'warning' as const, title: 'Contact records refused', text: invalid }]),
    // A period after the contacts end (or before they were loaded) would be a table of zeros without a word.
    ...(data.daysWithData > 0
      ? []
      : [
          {
            type: 'notice' as const,
            level: 'info' as const,
            title: `No contact data this ${label}`,
            text: `The job has no contacts of this ${label} (yet): its counts below are 0 and its rates n/a, beside the previous ${label}'s.`,
          },
        ]),
    {
      type: 'facts',
      items: [
        { label: `This ${label}`, value: `${formatInstant(p.start)} to ${formatInstant(p.end)}` },
        { label: `Previous ${label}`, value: `${formatInstant(p.previousStart)} to ${formatInstant(p.start)}` },
        { label: 'Days with contact data', value: `${data.daysWithData} of ${Math.round((p.end - p.start) / DAY_MS)}` },
        { label: 'Highlight rules', value: rules.length > 0 ? rules.join('; ') : 'none' },
      ],
    },
    {
      type: 'table',
      caption: `KPIs per queue and channel, this ${label} (change against the previous ${label})`,
      columns: [{ label: 'Queue' }, { label: 'Channel' }, ...kpis.map((k) => ({ label: k.label, align: 'right' as const }))],
      rows: data.rows.map((row) => [
        row.queue,
        row.channel,
        ...kpis.map(({ kpi, format }) => {
          const current = row.current[kpi] ?? null;
          return `${formatValue(format, current)} (${formatChange(format, current, row.previous[kpi] ?? null)})`;
        }),
      ]),
      highlights,
      note:
        'Rates are recomputed from the summed counts of the 1-day KPI rows. Changes: counts in percent, rates in percentage points, times in seconds.' +
        (data.fcrProvisional ? ' FCR is provisional: the 7-day look-ahead of some contacts has not passed yet.' : ''),
    },
  ];
}

/** The scorecard of a scheduled report's alert, ready to render. */
export async function prepareScorecardReport(connection: DuckDBConnection, alert: Alert): Promise<PreparedReport> {
  const p = scheduledReportParams(alert);
  if (p === null || p.report !== 'contact_center_scorecard') throw new Error(`alert ${alert.alert_id} is not a scorecard schedule's alert`);
  const data = await scorecardData(connection, p);
  const title = `Contact-center scorecard, ${p.period === 'day' ? 'daily' : 'weekly'}: ${new Date(p.start).toISOString().slice(0, 10)}`;
  return {
    doc: {
      title,
      subtitle: `Schedule ${p.schedule}; every KPI per queue and channel against the previous ${p.period}`,
      ...scheduledReportTimes(alert),
      blocks: [...linkBlocks(alert), ...scorecardBlocks(data, p)],
    },
    baseName: scheduledReportName(alert)!,
  };
}

/** Links of the notification (Grafana dashboard, case page) on top of the report. */
export function linkBlocks(alert: Alert): ReportBlock[] {
  const items = [
    ['Dashboard', alert.annotations['dashboard_url']],
    ['Cases', alert.annotations['cases_url']],
  ].filter((i): i is [string, string] => i[1] !== undefined);
  return items.length === 0 ? [] : [{ type: 'facts', items: items.map(([label, value]) => ({ label, value })) }];
}
