import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../operators/alert.js';
import { loadAlert } from '../../../sinks/reports/alerts-data.js';
import { alertReportTarget, prepareAlertReport } from '../../../sinks/reports/alert-reports.js';
import { formatAnnotation, noticeLevel, parseThreshold, prepareKpiReport, renderKpiReport } from '../../../sinks/reports/kpi-report.js';
import { writePreparedReport } from '../../../sinks/reports/write.js';
import { ABANDON, ariaLabels, buildFixture, M15, T0, W } from './fixture.js';
import type { Fixture } from './fixture.js';

const FIXED = new Date('2026-02-01T00:00:00Z');
let fx: Fixture;

beforeAll(async () => {
  fx = await buildFixture('<script>alert(1)</script> & co');
});
afterAll(() => fx.close());

function svgOf(html: string): string {
  const start = html.indexOf('<svg');
  return html.slice(start, html.indexOf('</svg>', start) + 6);
}

describe('renderKpiReport', () => {
  it('charts one point per plotted window and series, draws the threshold, and tabulates the latest window', async () => {
    const out = join(fx.dir, 'kpi');
    const paths = await renderKpiReport(fx.connection, { outDir: out, queue: 'billing', threshold: 0.1, generatedAt: FIXED });
    expect(basename(paths.htmlPath)).toBe('kpi-abandon_rate-billing-15m-2026-01-05T10-45-00Z.html');
    const html = readFileSync(paths.htmlPath, 'utf8');
    const svg = svgOf(html);

    // Oracle: the hand-made rates of the billing series, formatted by hand (d3 ".1%").
    const points = ariaLabels(svg, 'point');
    const expected = ['billing/voice', 'billing/chat'].flatMap((s) => (ABANDON[s] as Array<number | null>).filter((v) => v !== null));
    expect(points).toHaveLength(expected.length); // 7: one chat window is NULL and is not plotted
    for (const [series, rates] of Object.entries(ABANDON).filter(([s]) => s.startsWith('billing'))) {
      rates.forEach((rate, i) => {
        const label = points.find((l) => l.includes(series.replace('/', ' / ')) && l.includes(new Date(W[i] as number).toISOString().slice(0, 19)));
        if (rate === null) expect(label).toBeUndefined();
        else expect(label).toContain(`${(rate * 100).toFixed(1)}%`);
      });
    }
    expect(svg).not.toContain('tech / voice');
    expect(html).not.toContain('98.7%'); // the 1h window is another size
    expect(svg).toMatch(/<line[^>]*aria-label="threshold 0\.1"/);

    // Breakdown of the latest window: billing/voice row with its hand-made numbers.
    const row = /<tr><td>billing<\/td><td>voice<\/td>(.*?)<\/tr>/.exec(html)?.[1] ?? '';
    const cells = [...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(cells).toEqual(['40', '34', '15.0%', '312.5 s', '18.5 s', '82.5%', '70.0% (provisional)']);
    expect(html).toContain('provisional: the FCR look-ahead');

    // Reasons: billing_dispute 14 vs mean(3,4,2)=3 (+11), outage new (+3); password_reset fell; tech excluded.
    const reasons = html.slice(html.indexOf('Contact reasons behind the change'));
    const reasonRows = [
      ...reasons.matchAll(
        /<tr><td>([a-z_]+)<\/td><td class="num">(\d+)<\/td><td class="num">([\d.]+)<\/td><td class="num">([^<]+)<\/td><td class="num">([^<]+)<\/td>/g,
      ),
    ].map((m) => m.slice(1));
    expect(reasonRows).toEqual([
      ['billing_dispute', '14', '3.0', '+11.0', '+367%'],
      ['outage', '3', '0.0', '+3.0', 'new'],
    ]);

    const md = readFileSync(paths.markdownPath, 'utf8');
    expect(md).toContain('| billing | voice | 40 | 34 | 15.0% | 312.5 s | 18.5 s | 82.5% | 70.0% (provisional) |');
    expect(md).toContain('| billing\\_dispute | 14 | 3.0 | +11.0 | +367% |');
  });

  it('limits the chart to the last N windows', async () => {
    const paths = await renderKpiReport(fx.connection, { outDir: join(fx.dir, 'last'), queue: 'billing', last: 2 });
    const points = ariaLabels(svgOf(readFileSync(paths.htmlPath, 'utf8')), 'point');
    // windows 2 and 3: billing/voice 2 + billing/chat 2
    expect(points).toHaveLength(4);
    expect(points.every((l) => l.includes('10:30') || l.includes('10:45'))).toBe(true);
  });

  it('escapes every piece of text in HTML, SVG and Markdown', async () => {
    const paths = await renderKpiReport(fx.connection, { outDir: join(fx.dir, 'esc'), generatedAt: FIXED });
    const html = readFileSync(paths.htmlPath, 'utf8');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    const md = readFileSync(paths.markdownPath, 'utf8');
    expect(md).not.toContain('<script');
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
  });

  it('renders an alert report with its numbers at the top and the threshold from its annotation', async () => {
    const alert = (await loadAlert(fx.connection, 'a-kpi')) as Alert;
    const target = alertReportTarget(alert);
    expect(target).toEqual({ kind: 'kpi', baseName: 'kpi-abandon_rate-billing-voice-15m-2026-01-05T10-45-00Z-billing_abandon_rate' });
    const paths = await writePreparedReport(await prepareAlertReport(fx.connection, target!, alert), join(fx.dir, 'alert'));
    expect(basename(paths.htmlPath)).toBe(`${target!.baseName}.html`);
    const html = readFileSync(paths.htmlPath, 'utf8');
    const top = html.slice(0, html.indexOf('<svg'));
    // One format per kind: the KPI's values and threshold as percentages with one decimal.
    for (const text of [
      '<dt>current</dt><dd>15.0%</dd>',
      '<dt>baseline</dt><dd>8.0%</dd>',
      '<dt>change</dt><dd>+87.5%</dd>',
      '<dt>threshold</dt><dd>&gt; 10.0%</dd>',
    ]) {
      expect(top).toContain(text);
    }
    expect(top).toContain('(critical, firing)');
    expect(top).toContain('<section class="notice alert" role="alert">');
    const svg = svgOf(html);
    expect(ariaLabels(svg, 'point')).toHaveLength(4); // billing/voice only
    expect(svg).toMatch(/aria-label="threshold 0\.1"/);
  });

  it('names the same report for the resolved version, which it shows as resolved without linking itself', async () => {
    const firing = (await loadAlert(fx.connection, 'a-kpi')) as Alert;
    const resolved: Alert = {
      ...firing,
      status: 'resolved',
      annotations: { ...firing.annotations, resolved_at: '2026-01-05T11:30:00.000Z', report_path: 'reports/x.html' },
    };
    expect(alertReportTarget(resolved)).toEqual(alertReportTarget(firing));
    const paths = await writePreparedReport(await prepareAlertReport(fx.connection, alertReportTarget(resolved)!, resolved), join(fx.dir, 'resolved'));
    const top = readFileSync(paths.htmlPath, 'utf8').split('<svg')[0]!;
    expect(top).toContain('(critical, resolved)');
    expect(top).toContain('<section class="notice ok" role="note">'); // green, not the red of a firing critical alert
    expect(top).toContain('<dt>resolved at</dt><dd>2026-01-05T11:30:00.000Z</dd>');
    expect(top).not.toContain('reports/x.html');
  });

  it('skips alerts it does not explain and rejects unknown KPIs and sizes', async () => {
    const alert = (await loadAlert(fx.connection, 'a-kpi')) as Alert;
    expect(alertReportTarget({ ...alert, kind: 'sales' })).toBeNull();
    expect(alertReportTarget({ ...alert, labels: { ...alert.labels, kpi: 'not_a_kpi' } })).toBeNull();
    await expect(renderKpiReport(fx.connection, { outDir: fx.dir, kpi: 'x; DROP TABLE alerts' })).rejects.toThrow(/unknown KPI/);
    await expect(renderKpiReport(fx.connection, { outDir: fx.dir, windowSize: '1d' })).rejects.toThrow(/sizes present: 15m, 1h/);
  });

  it('reads the threshold of threshold rules only', () => {
    expect(parseThreshold('> 0.08')).toBe(0.08);
    expect(parseThreshold('<= 20')).toBe(20);
    expect(parseThreshold('+25% vs 1w')).toBeUndefined();
  });
});

describe('KPI reports that tell the truth (issue 14)', () => {
  const ts = (ms: number) => `TIMESTAMPTZ '${new Date(ms).toISOString()}'`;
  const H = 3_600_000;
  const DAY = 24 * H;
  /** A contact_kpis row: 15m/1h/1d by the times given; abandon_rate as given. */
  const kpiRow = (start: number, end: number, queue: string, channel: string, rate: number | null) =>
    `(${ts(start)}, ${ts(end)}, '${queue}', '${channel}', 20, 18, 2, 0, 0, ${rate ?? 'NULL'}, 200, 10, 12, 0.9, 0.1, 0.02, 0.8, true, 2, 10, 0.6, 10, 7)`;

  it('a report of an alert whose latest row is resolved says resolved, in green', async () => {
    const g = await buildFixture();
    try {
      await g.connection.run(`INSERT INTO alerts SELECT * REPLACE ('resolved' AS status) FROM alerts WHERE alert_id = 'a-kpi'`);
      const alert = (await loadAlert(g.connection, 'a-kpi')) as Alert;
      expect(alert.status).toBe('resolved');
      const paths = await writePreparedReport(await prepareAlertReport(g.connection, alertReportTarget(alert)!, alert), join(g.dir, 'state'));
      const top = readFileSync(paths.htmlPath, 'utf8').split('<svg')[0]!;
      expect(top).toContain('(critical, resolved)');
      expect(top).not.toContain('firing');
      expect(top).toContain('class="notice ok"');
    } finally {
      g.close();
    }
  });

  it('colours the alert box by severity: info is not red', () => {
    expect(noticeLevel({ status: 'firing', severity: 'critical' })).toBe('alert');
    expect(noticeLevel({ status: 'firing', severity: 'warning' })).toBe('warning');
    expect(noticeLevel({ status: 'firing', severity: 'info' })).toBe('info');
    expect(noticeLevel({ status: 'resolved', severity: 'critical' })).toBe('ok');
  });

  it('shows one number format per kind', () => {
    // The mixed formats of the issue: "current 1" beside "100.0%", "+50.0816%", "0.0166667".
    expect(formatAnnotation('current', '1', 'abandon_rate')).toBe('100.0%');
    expect(formatAnnotation('baseline', '0.0166667', 'abandon_rate')).toBe('1.7%');
    expect(formatAnnotation('change', '+50.0816%', 'abandon_rate')).toBe('+50.1%');
    expect(formatAnnotation('change', '-3%', 'aht_seconds')).toBe('-3.0%');
    expect(formatAnnotation('threshold', '< 0.8', 'service_level')).toBe('< 80.0%');
    expect(formatAnnotation('current', '312.456', 'aht_seconds')).toBe('312.5 s');
    expect(formatAnnotation('current', '0.0166667', 'resolved_per_minute')).toBe('0.02');
    expect(formatAnnotation('current', '1234', 'offered')).toBe('1,234');
    expect(formatAnnotation('offered', '20', 'abandon_rate')).toBe('20');
    expect(formatAnnotation('baseline', 'n/a', 'abandon_rate')).toBe('n/a');
    expect(formatAnnotation('threshold', '+25% vs 1w earlier', 'aht_seconds')).toBe('+25% vs 1w earlier');
    expect(formatAnnotation('interval', '95% Wilson interval [0.0300534, 0.563503]', 'service_level')).toBe('95% Wilson interval 3.0% to 56.4%');
  });

  it('draws a continuous time axis: a window without data breaks the line instead of joining points', async () => {
    const g = await buildFixture();
    try {
      // gapq/voice has rows in windows 0, 1 and 3 only; billing/chat has a NULL rate in window 1.
      await g.connection.run(
        `INSERT INTO contact_kpis SELECT *, NULL AS taxonomy_version FROM (VALUES ${[0, 1, 3].map((i) => kpiRow(T0 + i * M15, T0 + (i + 1) * M15, 'gapq', 'voice', 0.1 + i / 100)).join(',')})`,
      );
      const out = await renderKpiReport(g.connection, { outDir: join(g.dir, 'gap'), queue: 'gapq', last: 4 });
      const html = readFileSync(out.htmlPath, 'utf8');
      expect(html).toContain('abandon_rate in the 4 windows of 15m from 2026-01-05T10:00:00Z to 2026-01-05T11:00:00Z');
      const svg = svgOf(html);
      const lines = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*d="([^"]*)"/g)].map((m) => m[1]!);
      expect(lines).toHaveLength(1);
      // Two pieces: windows 0-1 joined, window 3 alone (a moveto, no lineto from window 1).
      expect(lines[0]!.match(/M/g)).toHaveLength(2);
      expect(lines[0]!.match(/L/g)).toHaveLength(1);
      // The x axis runs through the gap: labels for the empty window's time exist.
      expect(svg).toContain('10:30');

      const chat = await renderKpiReport(g.connection, { outDir: join(g.dir, 'gap'), queue: 'billing', channel: 'chat' });
      const chatLine = /<path[^>]*aria-roledescription="line mark"[^>]*d="([^"]*)"/.exec(svgOf(readFileSync(chat.htmlPath, 'utf8')))![1]!;
      expect(chatLine.match(/M/g)).toHaveLength(2); // the NULL window breaks it too
    } finally {
      g.close();
    }
  });

  it('draws one panel per queue with a full-name legend of channels, instead of one tangle of lines', async () => {
    const paths = await renderKpiReport(fx.connection, { outDir: join(fx.dir, 'multiples') });
    const svg = svgOf(readFileSync(paths.htmlPath, 'utf8'));
    // A header per queue (facet row), each its own panel.
    expect([...svg.matchAll(/<text[^>]*>(billing|tech)<\/text>/g)].map((m) => m[1]).sort()).toEqual(['billing', 'tech']);
    expect(svg.match(/aria-roledescription="line mark"/g)!.length).toBeGreaterThanOrEqual(3); // billing voice, chat; tech voice
    // The legend lists channels by their full names, without truncation.
    expect(svg).toContain('>voice</text>');
    expect(svg).toContain('>chat</text>');
    expect(svg).not.toContain('…');
  });

  it('without a window size reports the last complete day', async () => {
    const g = await buildFixture();
    try {
      const day = Date.parse('2026-01-05T00:00:00Z');
      // Day windows of 01-04, 01-05 and 01-06; the smallest windows (15m) end at 01-06 12:00.
      const rows = [
        kpiRow(day - DAY, day, 'billing', 'voice', 0.05),
        kpiRow(day, day + DAY, 'billing', 'voice', 0.06),
        kpiRow(day + DAY, day + 2 * DAY, 'billing', 'voice', 0.5),
        kpiRow(day + DAY + 11 * H + 45 * 60_000, day + DAY + 12 * H, 'billing', 'voice', 0.5),
      ];
      await g.connection.run(`INSERT INTO contact_kpis SELECT *, NULL AS taxonomy_version FROM (VALUES ${rows.join(',')})`);
      const report = await prepareKpiReport(g.connection, { queue: 'billing', channel: 'voice' });
      // 01-06 is not complete (the data end at 01-06 12:00): the report is of 01-05.
      expect(report.doc.subtitle).toBe('1d windows; the last complete window 2026-01-05T00:00:00Z to 2026-01-06T00:00:00Z');
      expect(report.baseName).toBe('kpi-abandon_rate-billing-voice-1d-2026-01-05T00-00-00Z');
      const table = report.doc.blocks.find((b) => b.type === 'table');
      expect(table?.type === 'table' ? table.rows[0]?.[4] : null).toBe('6.0%');
      // An explicit size still works, and also stops at the last complete window.
      const quarter = await prepareKpiReport(g.connection, { queue: 'billing', channel: 'voice', windowSize: '15m' });
      expect(quarter.doc.subtitle).toContain('2026-01-06T11:45:00Z to 2026-01-06T12:00:00Z');
    } finally {
      g.close();
    }
  });

  it("shows a queue that went quiet at the data's last complete window, empty, and says since when (not its last busy day as current)", async () => {
    const g = await buildFixture();
    try {
      const day = Date.parse('2026-03-01T00:00:00Z');
      // q2: one day of contacts; billing: five more days, then half a day of 15m windows.
      const rows = [
        kpiRow(day, day + DAY, 'q2', 'voice', 0.5),
        ...[0, 1, 2, 3, 4, 5].map((d) => kpiRow(day + d * DAY, day + (d + 1) * DAY, 'billing', 'voice', 0.05)),
        kpiRow(day + 6 * DAY + 11 * H + 45 * 60_000, day + 6 * DAY + 12 * H, 'billing', 'voice', 0.05),
      ];
      await g.connection.run(`INSERT INTO contact_kpis SELECT *, NULL AS taxonomy_version FROM (VALUES ${rows.join(',')})`);
      const report = await prepareKpiReport(g.connection, { queue: 'q2', windowSize: '1d' });
      expect(report.doc.subtitle).toBe('1d windows; the last complete window 2026-03-06T00:00:00Z to 2026-03-07T00:00:00Z');
      expect(report.doc.blocks[0]).toEqual({
        type: 'notice',
        level: 'warning',
        title: 'No contacts lately',
        text: "q2: no contacts since the window from 2026-03-01T00:00:00Z (the last with any); the data's last complete window is 2026-03-06T00:00:00Z to 2026-03-07T00:00:00Z.",
      });
      const table = report.doc.blocks.find((b) => b.type === 'table');
      expect(table?.type === 'table' ? table.rows : null).toEqual([]); // nothing in the latest window
      const one = await prepareKpiReport(g.connection, { queue: 'q2', windowSize: '1d', last: 1 });
      expect(one.doc.blocks.find((b) => b.type === 'heading')).toEqual({
        type: 'heading',
        text: 'abandon_rate in the 1 window of 1d from 2026-03-06T00:00:00Z to 2026-03-07T00:00:00Z',
      });
      // A queue with contacts up to the end has no such notice.
      const billing = await prepareKpiReport(g.connection, { queue: 'billing', windowSize: '1d' });
      expect(billing.doc.blocks.some((b) => b.type === 'notice')).toBe(false);
    } finally {
      g.close();
    }
  });
});

describe("the chart's text alternative", () => {
  it('counts the series without contacts in the latest window beside the latest values it lists', async () => {
    const g = await buildFixture();
    try {
      await g.connection.run(`DELETE FROM contact_kpis WHERE queue = 'tech' AND window_start = make_timestamptz($w::BIGINT * 1000)`, { w: W[3]! });
      const report = await prepareKpiReport(g.connection, {});
      const chart = report.doc.blocks.find((b) => b.type === 'chart');
      expect(chart?.type === 'chart' ? chart.alt : '').toBe(
        'abandon_rate for 3 queue/channel series over 4 windows; latest: billing / chat 4.0%; billing / voice 15.0% (1 series without contacts in the latest window)',
      );
    } finally {
      g.close();
    }
  });
});
