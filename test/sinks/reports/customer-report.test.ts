import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCustomerReport } from '../../../sinks/reports/customer-report.js';
import { ariaLabels, buildFixture, D0, DAY, SHIFT_DAY, SPEND } from './fixture.js';
import type { Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await buildFixture();
});
afterAll(() => fx.close());

describe('renderCustomerReport', () => {
  it('plots daily spend with the sales shift marked and lists the alerts', async () => {
    const paths = await renderCustomerReport(fx.connection, { outDir: join(fx.dir, 'cust'), customerId: 'c1' });
    expect(basename(paths.htmlPath)).toBe('customer-c1-1d-2026-01-06T00-00-00Z.html');
    const html = readFileSync(paths.htmlPath, 'utf8');
    const spendSvg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);
    const points = ariaLabels(spendSvg, 'point');
    expect(points).toHaveLength(SPEND.length);
    SPEND.forEach((spend, d) => {
      const day = new Date(D0 + d * DAY).toISOString().slice(0, 10);
      expect(points.find((l) => l.includes(day))).toContain(spend.toFixed(2));
    });
    // The shift is marked where it began (the alert's shift_start), not at the window it was found
    // in, a day later; the large refund's alert is no shift.
    const shift = new Date(D0 + SHIFT_DAY * DAY).toISOString().replace('.000Z', 'Z');
    expect(spendSvg).toMatch(new RegExp(`<line[^>]*aria-label="shift from ${shift}"`));
    expect(spendSvg.match(/aria-label="shift from/g)).toHaveLength(1);
    // Means before/after the shift, by hand: (100+110+90)/3 = 100, (250+260+240)/3 = 250 (from its
    // window, (100+110+90+250)/4 = 137.50 and (260+240)/2 = 250).
    expect(html).toContain(`<dt>first behaviour shift, from</dt><dd>${shift}</dd>`);
    expect(html).toContain('<dt>mean spend per active window before it</dt><dd>100.00</dd>');
    expect(html).toContain('<dt>mean spend per active window from it</dt><dd>250.00</dd>');
    expect(html).toContain('<dt>purchases</dt><dd>12</dd>');
    expect(html).toContain('<dt>total spend</dt><dd>1,050.00</dd>');
    expect(html).toMatch(/<td>sales<\/td><td>spend_shift<\/td><td>warning<\/td><td>firing<\/td><td>spend rose 2\.5x<\/td>/);
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(readFileSync(paths.markdownPath, 'utf8')).toContain('| 2026-01-05T00:00:00Z | sales | spend\\_shift | warning | firing | spend rose 2.5x |');
  });

  it('says which sizes exist or that the customer is unknown', async () => {
    await expect(renderCustomerReport(fx.connection, { outDir: fx.dir, customerId: 'c1', windowSize: '1h' })).rejects.toThrow(/sizes present: 1d/);
    await expect(renderCustomerReport(fx.connection, { outDir: fx.dir, customerId: 'nobody' })).rejects.toThrow(/no rows in customer_windows/);
  });
});
