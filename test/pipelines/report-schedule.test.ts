import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../operators/errors.js';
import { parseJobConfig } from '../../pipelines/job-config.js';
import { buildReportSchedules, dueReportAlerts, dueTimes, reportPeriod } from '../../pipelines/report-schedule.js';
import { highlightCells, type HighlightRule } from '../../sinks/reports/highlight.js';
import { scheduledReportParams } from '../../sinks/reports/scheduled-alert.js';

const utc = (s: string): number => Date.parse(s);

function job(reports: string, operators = '[{ type: contact_kpis, window_sizes: [1h, 1d] }]'): ReturnType<typeof parseJobConfig> {
  return parseJobConfig(
    `
name: t
source: files
sources: { files: { type: files, paths: [x.ndjson] } }
operators: ${operators}
reports:
${reports}`,
    'job.yaml',
    {},
  );
}

describe('reports.schedule in the job YAML', () => {
  it('is parsed through the schema, with defaults', () => {
    const parsed = job(`
  links: { grafana: "https://g.example" }
  schedule:
    - { name: Daily, report: contact_center_scorecard, cron: "0 6 * * *", period: day, highlight: [{ kpi: abandon_rate, above: 0.08, colour: red }] }`);
    expect(parsed.reportLinks).toEqual({ grafana: 'https://g.example' });
    expect(parsed.reportSchedules.map((s) => [s.name, s.severity, s.highlight])).toEqual([
      ['Daily', 'info', [{ kpi: 'abandon_rate', above: 0.08, colour: 'red', apply: 'cell' }]],
    ]);
  });

  it.each([
    ['an unknown key', `  schedule: [{ name: D, report: contact_center_scorecard, cron: "0 6 * * *", period: day, when: x }]`, /when/],
    [
      'a bad cron expression',
      `  schedule: [{ name: D, report: contact_center_scorecard, cron: "6 o'clock", period: day }]`,
      /reports\.schedule\[0\] \(D\): cron '6 o'clock' is not valid/,
    ],
    [
      'a highlight rule without a bound',
      `  schedule: [{ name: D, report: contact_center_scorecard, cron: "0 6 * * *", period: day, highlight: [{ kpi: aht_seconds, colour: red }] }]`,
      /above|below/,
    ],
    [
      'an unknown colour',
      `  schedule: [{ name: D, report: contact_center_scorecard, cron: "0 6 * * *", period: day, highlight: [{ kpi: aht_seconds, above: 1, colour: pink }] }]`,
      /colour/,
    ],
    ['an unknown report', `  schedule: [{ name: D, report: sales_scorecard, cron: "0 6 * * *", period: day }]`, /report/],
    [
      "a highlight rule's KPI that is no column of its report (it coloured nothing, without a word)",
      `  schedule: [{ name: D, report: contact_center_scorecard, cron: "0 6 * * *", period: day, highlight: [{ kpi: transfer_rat, above: 0.25, colour: red }] }]`,
      /reports\.schedule\[0\] \(D\)\.highlight\[0\]\.kpi: 'transfer_rat' is not a column of the contact_center_scorecard report \(did you mean transfer_rate\?\); its columns are offered, handled/,
    ],
    [
      'a customer-signals highlight naming a scorecard KPI',
      `  schedule: [{ name: S, report: customer_signals, cron: "0 7 * * 1", period: week, highlight: [{ kpi: abandon_rate, above: 0.1, colour: red }] }]`,
      /'abandon_rate' is not a column of the customer_signals report; its columns are shifts, customers, opened, closed, overdue/,
    ],
    [
      'a name used twice',
      `  schedule: [{ name: D, report: contact_center_scorecard, cron: "0 6 * * *", period: day }, { name: D, report: customer_signals, cron: "0 7 * * 1", period: week }]`,
      /used by another schedule/,
    ],
  ])('refuses %s with a message naming it', (_what, yaml, message) => {
    expect(() => job(yaml)).toThrow(ConfigError);
    expect(() => job(yaml)).toThrow(message);
  });

  it('refuses a scorecard when no contact_kpis operator writes 1-day rows, saying what to add', () => {
    const schedule = `  schedule: [{ name: D, report: contact_center_scorecard, cron: "0 6 * * *", period: day }]`;
    expect(() => job(schedule, '[{ type: contact_kpis, window_sizes: [15m, 1h] }]')).toThrow(
      /reports\.schedule \(D\): .*add a contact_kpis operator with 1d in its window_sizes/,
    );
    expect(() => job(schedule, '[{ type: customer_windows }]')).toThrow(ConfigError);
    // The customer-signals summary needs no KPI rows.
    expect(
      job(`  schedule: [{ name: S, report: customer_signals, cron: "0 7 * * 1", period: week }]`, '[{ type: customer_windows }]').reportSchedules,
    ).toHaveLength(1);
  });
});

describe('when runs are due and what they cover', () => {
  const [daily, weekly] = buildReportSchedules([
    { name: 'Daily', report: 'contact_center_scorecard', cron: '0 6 * * *', period: 'day' },
    { name: 'Weekly', report: 'customer_signals', cron: '30 7 * * 1', period: 'week' },
  ]);

  it('runs at every cron time in (cursor, clock]: a time equal to the cursor ran already, one equal to the clock runs', () => {
    expect(dueTimes(daily!, utc('2026-03-02T06:00:00Z'), utc('2026-03-04T06:00:00Z'))).toEqual([utc('2026-03-03T06:00:00Z'), utc('2026-03-04T06:00:00Z')]);
    expect(dueTimes(daily!, utc('2026-03-02T06:00:00Z'), utc('2026-03-03T05:59:59Z'))).toEqual([]);
    expect(dueTimes(weekly!, utc('2026-03-01T00:00:00Z'), utc('2026-03-31T00:00:00Z'))).toEqual(
      ['2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30'].map((d) => utc(`${d}T07:30:00Z`)),
    );
  });

  it('covers the last complete UTC day, or ISO week (Monday 00:00 UTC), before the due time', () => {
    expect(reportPeriod('day', utc('2026-03-04T06:00:00Z'))).toEqual({
      previousStart: utc('2026-03-02T00:00:00Z'),
      start: utc('2026-03-03T00:00:00Z'),
      end: utc('2026-03-04T00:00:00Z'),
    });
    // Monday 9 March 07:30 -> the week of Monday 2 March; a Sunday run -> the week before its own.
    expect(reportPeriod('week', utc('2026-03-09T07:30:00Z'))).toEqual({
      previousStart: utc('2026-02-23T00:00:00Z'),
      start: utc('2026-03-02T00:00:00Z'),
      end: utc('2026-03-09T00:00:00Z'),
    });
    expect(reportPeriod('week', utc('2026-03-15T23:00:00Z')).start).toBe(utc('2026-03-02T00:00:00Z'));
  });

  it('gives each run a stable alert carrying its period, in due order across schedules', () => {
    const a = dueReportAlerts([daily!, weekly!], utc('2026-03-08T12:00:00Z'), utc('2026-03-10T12:00:00Z'), { cases: 'https://p.example/cases?team=x' });
    expect(a.map((x) => [x.rule, new Date(x.fired_at).toISOString()])).toEqual([
      ['Daily', '2026-03-09T06:00:00.000Z'],
      ['Weekly', '2026-03-09T07:30:00.000Z'],
      ['Daily', '2026-03-10T06:00:00.000Z'],
    ]);
    const again = dueReportAlerts([daily!, weekly!], utc('2026-03-08T12:00:00Z'), utc('2026-03-10T12:00:00Z'), { cases: 'https://p.example/cases?team=x' });
    expect(again.map((x) => x.alert_id)).toEqual(a.map((x) => x.alert_id));
    expect(new Set(a.map((x) => x.alert_id)).size).toBe(3);
    expect(a[1]!.annotations['cases_url']).toBe(`https://p.example/cases?team=x&from=${utc('2026-03-02T00:00:00Z')}&to=${utc('2026-03-09T00:00:00Z')}`);
    expect(scheduledReportParams(a[1]!)).toMatchObject({
      report: 'customer_signals',
      period: 'week',
      start: utc('2026-03-02T00:00:00Z'),
      end: utc('2026-03-09T00:00:00Z'),
    });
  });
});

describe('highlight rules', () => {
  const rules = (r: Array<Partial<HighlightRule> & Pick<HighlightRule, 'kpi' | 'colour'>>): HighlightRule[] => r.map((x) => ({ apply: 'cell', ...x }));
  const columns = [null, 'abandon_rate', 'service_level'];
  // rows: billing, tech, total
  const values = [
    [null, 0.2, 0.7],
    [null, 0.08, null],
    [null, 0.1, 0.9],
  ];
  it.each([
    [
      'a cell above a bound (strict: 0.08 is not above 0.08)',
      rules([{ kpi: 'abandon_rate', above: 0.08, colour: 'red' }]),
      [
        [null, 'red', null],
        [null, null, null],
        [null, 'red', null],
      ],
    ],
    [
      'a row below a bound; a missing value never matches',
      rules([{ kpi: 'service_level', below: 0.8, colour: 'amber', apply: 'row' }]),
      [
        ['amber', 'amber', 'amber'],
        [null, null, null],
        [null, null, null],
      ],
    ],
    [
      'a column judged on the total row',
      rules([{ kpi: 'service_level', below: 0.95, colour: 'blue', apply: 'column' }]),
      [
        [null, null, 'blue'],
        [null, null, 'blue'],
        [null, null, 'blue'],
      ],
    ],
    [
      'the more severe colour wins, whatever the rule order',
      rules([
        { kpi: 'abandon_rate', above: 0.15, colour: 'red' },
        { kpi: 'service_level', below: 0.8, colour: 'green', apply: 'row' },
      ]),
      [
        ['green', 'red', 'green'],
        [null, null, null],
        [null, null, null],
      ],
    ],
    [
      'an unknown KPI colours nothing',
      rules([{ kpi: 'nps', above: 0, colour: 'red' }]),
      [
        [null, null, null],
        [null, null, null],
        [null, null, null],
      ],
    ],
  ])('%s', (_what, r, expected) => {
    expect(highlightCells(r, columns, values, [2])).toEqual(expected);
  });

  it('a rule limited to channels colours only the rows of those channels', () => {
    const limited = rules([
      { kpi: 'abandon_rate', above: 0.05, colour: 'red', channels: ['voice'] },
      { kpi: 'service_level', below: 0.95, colour: 'amber', apply: 'row', channels: ['email'] },
    ]);
    // Rows: billing/voice, tech/email, all queues/chat.
    expect(highlightCells(limited, columns, values, [2], ['voice', 'email', 'chat'])).toEqual([
      [null, 'red', null],
      [null, null, null],
      [null, null, null],
    ]);
    // The same total row as all queues' voice row: the cell rule colours it too.
    expect(highlightCells(limited, columns, values, [2], ['voice', 'email', 'voice'])).toEqual([
      [null, 'red', null],
      [null, null, null],
      [null, 'red', null],
    ]);
    // Without row channels (the signals summary) a limited rule colours nothing.
    expect(highlightCells(limited, columns, values, [2])).toEqual([
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ]);
  });

  it('a column rule judges every total row (one per channel), or those of its channels', () => {
    // Rows: billing/voice, all queues/voice, all queues/email.
    const rowChannels = ['voice', 'voice', 'email'];
    const totals = [1, 2];
    const byEmail = [
      [null, 0.2, 0.7],
      [null, 0.02, 0.9],
      [null, 0.1, 0],
    ];
    const column = (channels?: string[]) => rules([{ kpi: 'abandon_rate', above: 0.05, colour: 'amber', apply: 'column', ...(channels ? { channels } : {}) }]);
    const painted = [
      [null, 'amber', null],
      [null, 'amber', null],
      [null, 'amber', null],
    ];
    const none = [
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ];
    // The e-mail total breaches: the column is painted unless the rule looks at voice alone.
    expect(highlightCells(column(), columns, byEmail, totals, rowChannels)).toEqual(painted);
    expect(highlightCells(column(['email']), columns, byEmail, totals, rowChannels)).toEqual(painted);
    // billing/voice (0.2) is not a total row: it never paints the column.
    expect(highlightCells(column(['voice']), columns, byEmail, totals, rowChannels)).toEqual(none);
  });
});
