import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../operators/alert.js';
import { loadAlert } from '../../../sinks/reports/alerts-data.js';
import { alertReportTarget, prepareAlertReport } from '../../../sinks/reports/alert-reports.js';
import { parseThreshold, renderKpiReport } from '../../../sinks/reports/kpi-report.js';
import { writePreparedReport } from '../../../sinks/reports/write.js';
import { ABANDON, ariaLabels, buildFixture, W } from './fixture.js';
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
    const reasonRows = [...reasons.matchAll(/<tr><td>([a-z_]+)<\/td><td class="num">(\d+)<\/td><td class="num">([\d.]+)<\/td><td class="num">([^<]+)<\/td><td class="num">([^<]+)<\/td>/g)].map((m) => m.slice(1));
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
    for (const text of ['<dt>current</dt><dd>0.15</dd>', '<dt>baseline</dt><dd>0.08</dd>', '<dt>change</dt><dd>+87.5%</dd>', '<dt>threshold</dt><dd>&gt; 0.1</dd>']) {
      expect(top).toContain(text);
    }
    expect(top).toContain('(critical, firing)');
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
