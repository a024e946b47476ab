import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { buildReportSchedules, scheduledReportAlert } from '../../../pipelines/report-schedule.js';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import { recordOutcome } from '../../../sinks/outcomes/store.js';
import { closedLoopBlocks, prepareClosedLoopReport } from '../../../sinks/reports/closed-loop-report.js';
import type { ReportBlock } from '../../../sinks/reports/document.js';
import { renderReport } from '../../../sinks/reports/write.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const WEEK_START = Date.UTC(2026, 2, 9); // Monday
const END = WEEK_START + 7 * DAY;
const ts = (ms: number) => `make_timestamptz(${ms}::BIGINT * 1000)`;

describe('weekly closed-loop report', () => {
  it('precision per rule with the low ones flagged for tuning, leads per intent and team, time to first action; in HTML and Markdown', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    for (const ddl of OUTPUT_TABLES_DDL) await conn.run(ddl);
    const alert = (id: string, rule: string, at: number) => `('${id}', 'service', '${rule}', 'warning', 'c', ${ts(at)}, ${ts(at)}, '{}', '{}', 'firing')`;
    await conn.run(`INSERT INTO alerts VALUES
      ${alert('n1', 'NoisyRule', WEEK_START)}, ${alert('n2', 'NoisyRule', WEEK_START)}, ${alert('n3', 'NoisyRule', WEEK_START)},
      ${alert('g1', 'GoodRule', WEEK_START)}, ${alert('g2', 'GoodRule', WEEK_START)},
      ${alert('s1', 'sales_lead', WEEK_START)},
      ${alert('late', 'NoisyRule', END + HOUR)}`); // after the week: not in this report
    await conn.run(`INSERT INTO leads (lead_id, alert_id, customer_id, intent, confidence, team, created_at, status)
      VALUES ('lead-s1', 's1', 'c', 'new_sale', 0.9, 'sales', ${ts(WEEK_START)}, 'new')`);
    const at = (ms: number) => ({ actor: 'ana', at: WEEK_START + ms });
    // NoisyRule: 1 useful of 3 judged -> 33.3%, below 50% over >= 3 judged: flagged. GoodRule: 2 of 2.
    await recordOutcome(conn, { subjectId: 'n1', outcome: 'useful' }, at(HOUR));
    await recordOutcome(conn, { subjectId: 'n2', outcome: 'not_useful' }, at(2 * HOUR));
    await recordOutcome(conn, { subjectId: 'n3', outcome: 'not_useful' }, at(3 * HOUR));
    await recordOutcome(conn, { subjectId: 'g1', outcome: 'useful' }, at(4 * HOUR));
    await recordOutcome(conn, { subjectId: 'g2', outcome: 'useful' }, at(5 * HOUR));
    await recordOutcome(conn, { subjectId: 'lead-s1', outcome: 'won', value: 1200 }, at(6 * HOUR));
    await recordOutcome(conn, { subjectId: 'late', outcome: 'not_useful' }, at(8 * DAY));

    const [schedule] = buildReportSchedules([{ name: 'WeeklyClosedLoop', report: 'closed_loop', cron: '0 7 * * 1', period: 'week' }], {
      minPrecision: 0.5,
      minJudged: 3,
    });
    const report = await prepareClosedLoopReport(conn, scheduledReportAlert(schedule!, END + 7 * HOUR, {}));
    expect(report.baseName).toBe('closed-loop-weeklyclosedloop-2026-03-09');
    const tables = report.doc.blocks.filter((b): b is Extract<ReportBlock, { type: 'table' }> => b.type === 'table');
    expect(tables[0]!.rows).toEqual([
      ['GoodRule', 'service', '2', '2', '2', '100.0%', ''],
      ['NoisyRule', 'service', '3', '3', '1', '33.3%', 'flagged for tuning'],
      ['sales_lead', 'service', '1', '1', '1', '100.0%', ''],
    ]);
    expect(tables[0]!.highlights!.map((row) => row[0])).toEqual([null, 'red', null]);
    expect(tables[1]!.rows).toEqual([['new_sale', 'sales', '1', '1', '100.0%', '1', '0', '0', '100.0%', '1,200.00']]);
    // First actions 1 h to 5 h after the alerts (median 3 h); the lead's 6 h.
    expect(tables[2]!.rows).toEqual([
      ['alert', '5', '3.0h'],
      ['lead', '1', '6.0h'],
    ]);
    const notice = report.doc.blocks.find((b): b is Extract<ReportBlock, { type: 'notice' }> => b.type === 'notice');
    expect(notice).toMatchObject({
      level: 'warning',
      title: '1 rule flagged for tuning',
      text: 'NoisyRule (service): 33.3% of 3 judged alerts were useful or won',
    });

    const { html, markdown } = await renderReport(report.doc, `${report.baseName}.html`);
    expect(html).toContain('1 rule flagged for tuning');
    expect(html).toContain('NoisyRule');
    expect(markdown).toContain('1 rule flagged for tuning');
    expect(markdown).toMatch(/NoisyRule.*33\.3%.*flagged for tuning/);
    expect(markdown).toContain('**Outcomes recorded in the period**: 6 by people, 0 inferred from transactions (by when they were recorded');
    expect(markdown).toContain('wins inferred from transactions included');
    expect(markdown).toContain('Time to first action by a person');
    expect(markdown).toContain('for alerts of a replay of past data it is mostly the age of that data');

    // Four judged alerts needed: nothing is flagged, and the report says so by having no notice.
    const [strict] = buildReportSchedules([{ name: 'WeeklyClosedLoop', report: 'closed_loop', cron: '0 7 * * 1', period: 'week' }], {
      minPrecision: 0.5,
      minJudged: 4,
    });
    const lenient = await prepareClosedLoopReport(conn, scheduledReportAlert(strict!, END + 7 * HOUR, {}));
    expect(lenient.doc.blocks.some((b) => b.type === 'notice')).toBe(false);
    conn.closeSync();
    instance.closeSync();
  });

  it('says so when there are no leads and no actions yet, instead of empty tables', () => {
    const blocks = closedLoopBlocks(
      { rules: [], intents: [], delays: [] },
      { minPrecision: 0.5, minJudged: 10 },
      { person: 0, inferred: 0 },
      { start: WEEK_START, end: END },
    );
    expect(blocks.filter((b) => b.type === 'paragraph').map((b) => (b as { text: string }).text)).toEqual([
      'No leads up to the end of this period (leads come from service_triggers rules with trigger intent).',
      'No outcome recorded by a person yet, so no time to first action.',
    ]);
  });
});
