import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { buildReportSchedules, scheduledReportAlert } from '../../../pipelines/report-schedule.js';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import type { ReportBlock } from '../../../sinks/reports/document.js';
import { prepareSignalsReport } from '../../../sinks/reports/signals-report.js';

const DAY = 86_400_000;
const WEEK_START = Date.UTC(2026, 2, 9); // Monday
const PREV_START = WEEK_START - 7 * DAY;
const END = WEEK_START + 7 * DAY;
const ts = (ms: number) => `make_timestamptz(${ms}::BIGINT * 1000)`;

describe('customer-signals summary', () => {
  it('counts shifts, cases opened, closed and overdue at the end per team against the week before, and the drift verdict', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    for (const ddl of OUTPUT_TABLES_DDL) await conn.run(ddl);
    const alert = (id: string, kind: string, rule: string, customer: string, at: number) =>
      `('${id}', '${kind}', '${rule}', 'warning', '${customer}', ${ts(at)}, ${ts(at)}, '{}', '{}', 'firing')`;
    await conn.run(`INSERT INTO alerts VALUES
      ${alert('a1', 'sales', 'SpendShift', 'c1', WEEK_START + DAY)},
      ${alert('a2', 'sales', 'SpendShift', 'c1', WEEK_START + 2 * DAY)},
      ${alert('a3', 'sales', 'SpendShift', 'c2', WEEK_START + 3 * DAY)},
      ${alert('a4', 'sales', 'SpendShift', 'c3', PREV_START + DAY)},
      ${alert('a5', 'sales', 'LargeRefund', 'c4', END)},
      ${alert('a6', 'analytic', 'SegmentationRescoreNeeded', 'c0', END)}`);
    const kase = (id: string, team: string, opened: number, due: number, closed: number | null) =>
      `('${id}', NULL, 'c', 'installation', 'high', '${closed === null ? 'open' : 'closed'}', '${team}', ${ts(opened)}, ${ts(due)}, ${closed === null ? 'NULL' : ts(closed)})`;
    await conn.run(`INSERT INTO cases VALUES
      ${kase('k1', 'care', PREV_START + DAY, PREV_START + 2 * DAY, null)},
      ${kase('k2', 'care', WEEK_START + DAY, WEEK_START + 2 * DAY, WEEK_START + 3 * DAY)},
      ${kase('k3', 'care', WEEK_START + 5 * DAY, WEEK_START + 6 * DAY, END + DAY)},
      ${kase('k4', 'care', WEEK_START + 6 * DAY, END + DAY, null)},
      ${kase('k5', 'retention', PREV_START, PREV_START + DAY, WEEK_START + DAY)}`);
    await conn.run(`INSERT INTO drift_metrics (run_id, feature, method, score, p_value, threshold, drifted, reference_start, reference_end, current_start, current_end) VALUES
      ('r1', 'spend', 'wasserstein', 0.3, NULL, 0.1, true, ${ts(PREV_START)}, ${ts(WEEK_START)}, ${ts(WEEK_START)}, ${ts(END)}),
      ('r1', 'region', 'jensen_shannon', 0.01, NULL, 0.1, false, ${ts(PREV_START)}, ${ts(WEEK_START)}, ${ts(WEEK_START)}, ${ts(END)}),
      ('r0', 'spend', 'wasserstein', 0.01, NULL, 0.1, false, ${ts(PREV_START - 7 * DAY)}, ${ts(PREV_START)}, ${ts(PREV_START)}, ${ts(WEEK_START)})`);

    const [schedule] = buildReportSchedules([
      {
        name: 'WeeklySignals',
        report: 'customer_signals',
        cron: '0 7 * * 1',
        period: 'week',
        highlight: [{ kpi: 'overdue', above: 0, colour: 'red', apply: 'row' }],
      },
    ]);
    const report = await prepareSignalsReport(conn, scheduledReportAlert(schedule!, END + 7 * 3_600_000, {}));
    expect(report.baseName).toBe('signals-weeklysignals-2026-03-09');
    const tables = report.doc.blocks.filter((b): b is Extract<ReportBlock, { type: 'table' }> => b.type === 'table');
    // Shifts: SpendShift 3 alerts of 2 customers this week, 1 the week before; LargeRefund fired after the week.
    expect(tables[0]!.rows).toEqual([
      ['SpendShift', '3 (+2)', '2 (+1)'],
      ['(all)', '3 (+2)', '2 (+1)'],
    ]);
    // Cases at the end of the week (16 March): care: k2, k3 and k4 opened, k2 closed; overdue: k1
    // (still open) and k3 (closed only after the end); k4 is not due yet. The week before: k1 opened
    // and overdue at its end, k5 (retention) opened and overdue, closed this week.
    expect(tables[1]!.rows).toEqual([
      ['care', '3 (+2)', '1 (+1)', '2 (+1)'],
      ['retention', '0 (-1)', '1 (+1)', '0 (-1)'],
      ['(all)', '3 (+1)', '2 (+2)', '2 (0)'],
    ]);
    // The row rule colours the teams with overdue cases, and the total.
    expect(tables[1]!.highlights!.map((row) => row.every((c) => c === 'red'))).toEqual([true, false, true]);
    const facts = report.doc.blocks.find((b): b is Extract<ReportBlock, { type: 'facts' }> => b.type === 'facts' && b.items[0]!.label === 'This week');
    expect(facts!.items[1]!.value).toBe('1 of 2 features drifted (spend); dataset drift: segments were rescored');
    // The week after: no run drifted, and the rescoring of this week's run (fired at its end) is not its.
    await conn.run(`INSERT INTO drift_metrics (run_id, feature, method, score, p_value, threshold, drifted, reference_start, reference_end, current_start, current_end) VALUES
      ('r2', 'spend', 'wasserstein', 0.02, NULL, 0.1, false, ${ts(WEEK_START)}, ${ts(END)}, ${ts(END)}, ${ts(END + 7 * DAY)})`);
    const next = await prepareSignalsReport(conn, scheduledReportAlert(schedule!, END + 7 * DAY + 7 * 3_600_000, {}));
    const nextFacts = next.doc.blocks.find((b): b is Extract<ReportBlock, { type: 'facts' }> => b.type === 'facts' && b.items[0]!.label === 'This week');
    expect(nextFacts!.items[1]!.value).toBe('0 of 1 features drifted; no dataset drift');
    conn.closeSync();
    instance.closeSync();
  });
});
