import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCustomerReport } from '../../../sinks/reports/customer-report.js';
import type { Alert } from '../../../operators/alert.js';
import { loadAlert } from '../../../sinks/reports/alerts-data.js';
import { alertReportTarget, prepareAlertReport } from '../../../sinks/reports/alert-reports.js';
import { renderKpiReport } from '../../../sinks/reports/kpi-report.js';
import { writePreparedReport } from '../../../sinks/reports/write.js';
import { ABANDON, buildFixture } from './fixture.js';
import type { Fixture } from './fixture.js';
import { HAS_CHROMIUM, launchChromium } from '../../helpers/chromium.js';

let fx: Fixture;
let browser: Browser;

beforeAll(async () => {
  fx = await buildFixture();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  fx?.close();
});

/** Opens a report offline and returns what the page logged, failed to load, and its chart marks. */
async function open(htmlPath: string) {
  const context = await browser.newContext({ offline: true });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  const result = await page.evaluate(() => {
    const svgs = [...document.querySelectorAll('figure.chart svg')];
    return {
      charts: svgs.length,
      sizes: svgs.map((s) => s.getBoundingClientRect().width),
      points: svgs.map((s) => [...s.querySelectorAll('[aria-roledescription="point"]')].map((p) => p.getAttribute('aria-label') ?? '')),
      rules: [...document.querySelectorAll('svg line[aria-label]')].map((l) => l.getAttribute('aria-label')),
    };
  });
  await context.close();
  return { problems, requests, ...result };
}

describe.skipIf(!HAS_CHROMIUM)('reports in headless Chromium', () => {
  it('KPI report: loads offline without errors, chart shows every plotted window and the threshold', async () => {
    const paths = await renderKpiReport(fx.connection, { outDir: join(fx.dir, 'b'), queue: 'billing', channel: 'voice', threshold: 0.1 });
    const page = await open(paths.htmlPath);
    expect(page.problems).toEqual([]);
    expect(page.requests).toEqual([pathToFileURL(paths.htmlPath).href]); // nothing but the file itself
    expect(page.charts).toBe(1);
    expect(page.sizes[0]).toBeGreaterThan(300);
    const expected = (ABANDON['billing/voice'] as number[]).map((r) => `${(r * 100).toFixed(1)}%`);
    expect(page.points[0]).toHaveLength(expected.length);
    expected.forEach((value, i) => expect(page.points[0]?.[i]).toContain(value));
    expect(page.rules).toContain('threshold 0.1');
  });

  it('customer report: loads offline without errors, two charts with the shift rule', async () => {
    const paths = await renderCustomerReport(fx.connection, { outDir: join(fx.dir, 'b'), customerId: 'c1' });
    const page = await open(paths.htmlPath);
    expect(page.problems).toEqual([]);
    expect(page.charts).toBe(2);
    expect(page.points.map((p) => p.length)).toEqual([6, 6]);
    expect(page.rules).toContain('shift from 2026-01-04T00:00:00Z');
  });

  it('KPI alert reports: the alert box is coloured by severity while firing and green once resolved (computed styles)', async () => {
    const firing = (await loadAlert(fx.connection, 'a-kpi')) as Alert;
    const colours: Record<string, string> = {};
    for (const [name, alert] of [
      ['critical', firing],
      ['warning', { ...firing, severity: 'warning' }],
      ['info', { ...firing, severity: 'info' }],
      ['resolved', { ...firing, status: 'resolved' }],
    ] as Array<[string, Alert]>) {
      const paths = await writePreparedReport(await prepareAlertReport(fx.connection, alertReportTarget(alert)!, alert), join(fx.dir, `sev-${name}`));
      const context = await browser.newContext({ offline: true });
      const page = await context.newPage();
      await page.goto(pathToFileURL(paths.htmlPath).href, { waitUntil: 'load' });
      colours[name] = await page.evaluate(() => getComputedStyle(document.querySelector('section.notice') as Element).borderLeftColor);
      await context.close();
    }
    expect(colours).toEqual({
      critical: 'rgb(192, 57, 43)', // #c0392b red
      warning: 'rgb(214, 137, 16)', // #d68910 amber
      info: 'rgb(76, 120, 168)', // #4c78a8 blue: info is not red
      resolved: 'rgb(30, 132, 73)', // #1e8449 green
    });
  });

  it('KPI report of all queues: one panel per queue, each with its own lines', async () => {
    const paths = await renderKpiReport(fx.connection, { outDir: join(fx.dir, 'panels') });
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    await page.goto(pathToFileURL(paths.htmlPath).href, { waitUntil: 'load' });
    const panels = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart svg g.mark-group.cell > g')].map(
        (cell) => cell.querySelectorAll('[aria-roledescription="line mark"]').length,
      ),
    );
    await context.close();
    expect(panels).toEqual([2, 1]); // billing: voice and chat; tech: voice
  });
});
