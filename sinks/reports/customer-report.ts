import type { DuckDBConnection } from '@duckdb/node-api';
import { mean as ssMean } from 'simple-statistics';
import type { TopLevelSpec } from 'vega-lite';
import type { Alert } from '../../operators/alert.js';
import { SinkError, UsageError } from '../../operators/errors.js';
import { loadAlerts } from './alerts-data.js';
import { formatWindowSize, num, numOrNull, parseWindowSize, queryRows, windowSizes } from './db.js';
import type { ReportBlock, ReportDocument } from './document.js';
import { dataSlug, fileTimestamp } from './escape.js';
import { formatCount, formatInstant, formatNumber, NA } from './format.js';
import { writeReport } from './write.js';
import type { ReportPaths } from './write.js';

export interface CustomerReportOptions {
  outDir: string;
  customerId: string;
  /** Window size of `customer_windows` to plot; default `1d`. */
  windowSize?: string;
  generatedAt?: Date;
}

interface CustomerWindow {
  window_start: number;
  spend_total: number;
  spend_count: number;
  refund_total: number;
  usage_total: number;
  contacts: number;
}

/**
 * Renders one customer's report: spend and usage per window from `customer_windows`, with each
 * `sales` alert's window start marked as the behaviour shift, and a table of the customer's alerts.
 */
export async function renderCustomerReport(connection: DuckDBConnection, options: CustomerReportOptions): Promise<ReportPaths> {
  const customerId = options.customerId;
  const sizeMs = parseWindowSize(options.windowSize ?? '1d');
  const size = formatWindowSize(sizeMs);
  const rows = await queryRows(
    connection,
    `SELECT epoch_ms(window_start) AS ws, spend_total, spend_count, refund_total, usage_total, contacts
       FROM customer_windows
      WHERE customer_id = $id AND epoch_ms(window_end) - epoch_ms(window_start) = $size_ms
      ORDER BY ws`,
    { id: customerId, size_ms: sizeMs },
  );
  if (rows.length === 0) {
    const sizes = await windowSizes(connection, 'customer_windows', 'customer_id = $id', { id: customerId });
    if (sizes.length === 0) throw new SinkError(`customer ${customerId} has no rows in customer_windows; check the id`);
    throw new UsageError(`customer ${customerId} has no ${size} windows; sizes present: ${sizes.map(formatWindowSize).join(', ')}`);
  }
  const history: CustomerWindow[] = rows.map((r) => ({
    window_start: num(r.ws),
    spend_total: num(r.spend_total),
    spend_count: num(r.spend_count),
    refund_total: num(r.refund_total),
    usage_total: num(r.usage_total),
    contacts: num(r.contacts),
  }));
  const alerts = await loadAlerts(connection, 'customer_id = $id', { id: customerId });
  const shifts = [...new Set(alerts.flatMap(shiftStart))].sort((a, b) => a - b);

  const first = history[0] as CustomerWindow;
  const last = history.at(-1) as CustomerWindow;
  const blocks: ReportBlock[] = [
    { type: 'facts', items: summaryFacts(history, shifts, size) },
    { type: 'heading', text: `Spend and usage per ${size} window` },
    {
      type: 'chart',
      title: `spend_total per ${size} window${shifts.length > 0 ? ' (dashed: where an alerted shift began)' : ''}`,
      spec: historySpec(history, 'spend_total', shifts),
      alt: `spend_total over ${history.length} windows from ${formatInstant(first.window_start)} to ${formatInstant(last.window_start)}; ${shiftText(shifts)}`,
    },
    {
      type: 'chart',
      title: `usage_total per ${size} window${shifts.length > 0 ? ' (dashed: where an alerted shift began)' : ''}`,
      spec: historySpec(history, 'usage_total', shifts),
      alt: `usage_total over ${history.length} windows; ${shiftText(shifts)}`,
    },
    ...alertTable(alerts),
  ];
  const doc: ReportDocument = {
    title: `Customer report: ${customerId}`,
    subtitle: `${history.length} windows of ${size}, ${formatInstant(first.window_start)} to ${formatInstant(last.window_start + sizeMs)}`,
    generatedAt: options.generatedAt ?? new Date(),
    blocks,
  };
  return writeReport(doc, options.outDir, `customer-${dataSlug(customerId)}-${size}-${fileTimestamp(last.window_start)}`);
}

/**
 * Where a behaviour shift the customer was alerted of began: its `shift_start`, the first of the
 * windows the alert's current level is the mean of. Its window is where the shift was found, days
 * later: a tester's customer jumped on 02-20 and was alerted on 02-23, and the report's mean
 * "before" the shift held the jump (86.56 against the alert's baseline of 10.55). The instant
 * rules' alerts (a large refund, a first use of a metric) are no shift. An alert written before
 * `shift_start` was kept gives its window.
 */
function shiftStart(alert: Alert): number[] {
  if (alert.kind !== 'sales') return [];
  const start = alert.annotations['shift_start'];
  if (start !== undefined) return [Date.parse(start)];
  return alert.labels['direction'] === undefined ? [] : [alert.window_start];
}

function shiftText(shifts: number[]): string {
  return shifts.length === 0 ? 'no behaviour shift alerted' : `behaviour shift from ${shifts.map(formatInstant).join(', ')}`;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : ssMean(values);
}

function summaryFacts(history: CustomerWindow[], shifts: number[], size: string): Array<{ label: string; value: string }> {
  const facts = [
    { label: 'windows', value: `${history.length} (${size})` },
    { label: 'total spend', value: formatNumber(history.reduce((s, w) => s + w.spend_total, 0)) },
    { label: 'total refunds', value: formatNumber(history.reduce((s, w) => s + w.refund_total, 0)) },
    { label: 'purchases', value: formatCount(history.reduce((s, w) => s + w.spend_count, 0)) },
    { label: 'contacts', value: formatCount(history.reduce((s, w) => s + w.contacts, 0)) },
  ];
  const shift = shifts[0];
  if (shift !== undefined) {
    // Means over windows with activity (customer_windows has no row for an idle window).
    const before = mean(history.filter((w) => w.window_start < shift).map((w) => w.spend_total));
    const after = mean(history.filter((w) => w.window_start >= shift).map((w) => w.spend_total));
    facts.push(
      { label: 'first behaviour shift, from', value: formatInstant(shift) },
      { label: 'mean spend per active window before it', value: formatNumber(before) },
      { label: 'mean spend per active window from it', value: formatNumber(after) },
    );
  }
  return facts;
}

function historySpec(history: CustomerWindow[], field: 'spend_total' | 'usage_total', shifts: number[]): TopLevelSpec {
  const values = history.map((w) => ({ t: w.window_start, window: formatInstant(w.window_start), value: numOrNull(w[field]) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 760,
    height: 220,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true, color: '#4c78a8' },
        encoding: {
          x: { field: 't', type: 'temporal', title: 'window start (UTC)', scale: { type: 'utc' }, axis: { format: '%Y-%m-%d' } },
          y: { field: 'value', type: 'quantitative', title: field, axis: { format: ',.2f' } },
          tooltip: [
            { field: 'window', type: 'nominal', title: 'window' },
            { field: 'value', type: 'quantitative', title: field, format: ',.2f' },
          ],
        },
      },
      ...(shifts.length === 0
        ? []
        : [
            {
              data: { values: shifts.map((s) => ({ t: s, label: `shift from ${formatInstant(s)}` })) },
              mark: { type: 'rule' as const, color: '#c0392b', strokeDash: [6, 4], strokeWidth: 2 },
              encoding: { x: { field: 't', type: 'temporal' as const }, description: { field: 'label', type: 'nominal' as const } },
            },
          ]),
    ],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

function alertTable(alerts: Alert[]): ReportBlock[] {
  const heading: ReportBlock = { type: 'heading', text: 'Alerts for this customer' };
  if (alerts.length === 0) return [heading, { type: 'paragraph', text: 'No alerts for this customer.' }];
  return [
    heading,
    {
      type: 'table',
      columns: [
        { label: 'window start' },
        { label: 'kind' },
        { label: 'rule' },
        { label: 'severity' },
        { label: 'status' },
        { label: 'summary' },
        { label: 'fired at' },
      ],
      rows: alerts.map((a) => [
        formatInstant(a.window_start),
        a.kind,
        a.rule,
        a.severity,
        a.status,
        a.annotations.summary ?? a.annotations.description ?? NA,
        formatInstant(a.fired_at),
      ]),
    },
  ];
}
