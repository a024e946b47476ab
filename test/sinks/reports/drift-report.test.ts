import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../../operators/alert.js';
import { reportCommand } from '../../../pipelines/commands/report.js';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import { loadAlert } from '../../../sinks/reports/alerts-data.js';
import { openReadOnly } from '../../../sinks/reports/db.js';
import { alertReportTarget, prepareAlertReport } from '../../../sinks/reports/alert-reports.js';
import { renderDriftReport } from '../../../sinks/reports/drift-report.js';
import { writePreparedReport } from '../../../sinks/reports/write.js';
import { HAS_CHROMIUM, launchChromium } from '../../helpers/chromium.js';

/**
 * Hand-made database: two weekly drift runs of six features, the second with the key feature
 * spend_per_customer drifted (dataset drift by the key rule, share 2/5 below 0.5), a rescore alert
 * and a tier migration for it, and customer_windows rows whose per-customer sums are worked out
 * by hand below.
 */
const DAY = 86_400_000;
const W0 = Date.parse('2026-01-05T00:00:00Z'); // a Monday
const week = (i: number) => W0 + i * 7 * DAY;
const ts = (ms: number) => `TIMESTAMPTZ '${new Date(ms).toISOString()}'`;
const RUN1 = 'drift-2026-01-12T00:00:00.000Z';
const RUN2 = 'drift-2026-01-19T00:00:00.000Z';
/** The statistics stored beside run 2's spend row (drift_metrics.statistics). */
const SPEND_STATISTICS = JSON.stringify({ psi: 0.07, ks_statistic: 0.5, ks_p_value: 0.4, wasserstein_norm: 0.37, reference_size: 3, current_size: 4 });

type Row = [feature: string, method: string, score: number | null, p: number | null, threshold: number | null, drifted: boolean];
const RUN1_ROWS: Row[] = [
  ['spend_per_customer', 'wasserstein_norm', 0.05, null, 0.1, false],
  ['transaction_channel', 'jensenshannon', 0.04, null, 0.1, false],
  ['transactions_per_customer', 'ks', 0.1, 0.6, 0.05, false],
  ['region', 'chisquare', 1.5, 0.7, 0.05, false],
  ['age_band', 'jensenshannon', 0.03, null, 0.1, false],
  ['value_tier', 'insufficient_data', null, null, null, false],
];
const RUN2_ROWS: Row[] = [
  ['age_band', 'jensenshannon', 0.02, null, 0.1, false],
  ['region', 'chisquare', 3.1, 0.2, 0.05, false],
  ['spend_per_customer', 'wasserstein_norm', 0.37, null, 0.1, true],
  ['transaction_channel', 'jensenshannon', 0.18, null, 0.1, true],
  ['transactions_per_customer', 'ks', 0.2, 0.3, 0.05, false],
  ['value_tier', 'insufficient_data', null, null, null, false],
];
/** Ranking of run 2 by hand: drifted by score/threshold (3.7, 1.8), then log p / log 0.05 for the tests
 * (region ln 0.2 / ln 0.05 = 0.537, transactions ln 0.3 / ln 0.05 = 0.402), then 0.02 / 0.1 = 0.2, then n/a. */
const RUN2_RANKING = ['spend_per_customer (key)', 'transaction_channel', 'region', 'transactions_per_customer', 'age_band', 'value_tier'];

/** [from, to, customers, revenue share] of the rescoring in run 2. */
const MIGRATIONS: Array<[string, string, number, number]> = [
  ['Gold', 'Gold', 1, 0.3],
  ['Gold', 'Silver', 1, 0.05],
  ['Silver', 'Silver', 2, 0.25],
  ['Silver', 'Gold', 1, 0.2],
  ['Bronze', 'Bronze', 5, 0.1],
  ['Bronze', 'Silver', 1, 0.05],
  ['none', 'Bronze', 2, 0.05],
  ['Silver', 'none', 1, 0.04],
];

/**
 * Daily windows [customer, day index from W0, spend, purchases]. Run 2 compares week 1 (reference)
 * with week 2 (current). By hand:
 *  - c1: reference 10 + 20 = 30 (3 purchases), current 50 + 40 = 90 (4 purchases);
 *  - c2: reference 5 (1), current nothing -> 0 (0);
 *  - c3: first seen in the current week: 100 (3); not known in the reference;
 *  - c4: only active in week 0 -> known in both, 0 in both;
 *  - c5: first seen in week 3 -> in neither.
 * Reference spend [30, 5, 0]: n 3, mean 11.67, median 5. Current [90, 0, 100, 0]: n 4, mean 47.50, median 45.
 */
const DAILY: Array<[string, number, number, number]> = [
  ['c1', 8, 10, 1],
  ['c1', 10, 20, 2],
  ['c1', 15, 50, 2],
  ['c1', 17, 40, 2],
  ['c2', 9, 5, 1],
  ['c3', 16, 100, 3],
  ['c4', 2, 7, 1],
  ['c5', 22, 999, 9],
];

interface Db {
  dir: string;
  path: string;
  connection: DuckDBConnection;
  close(): void;
}

async function buildDriftDb(): Promise<Db> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-drift-report-'));
  const path = join(dir, 'pulse.duckdb');
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  for (const ddl of OUTPUT_TABLES_DDL) await connection.run(ddl);
  const metricRows = [...RUN1_ROWS.map((r) => [RUN1, 0, 1, ...r] as const), ...RUN2_ROWS.map((r) => [RUN2, 1, 2, ...r] as const)].map(
    ([run, ref, cur, feature, method, score, p, threshold, drifted]) =>
      `('${run}', '${feature}', '${method}', ${score ?? 'NULL'}, ${p ?? 'NULL'}, ${threshold ?? 'NULL'}, ${drifted},
        ${ts(week(ref))}, ${ts(week(ref + 1))}, ${ts(week(cur))}, ${ts(week(cur + 1))},
        ${run === RUN2 && feature === 'spend_per_customer' ? `'${SPEND_STATISTICS}'` : 'NULL'})`,
  );
  await connection.run(
    `INSERT INTO drift_metrics (run_id, feature, method, score, p_value, threshold, drifted, reference_start, reference_end, current_start, current_end, statistics) VALUES ${metricRows.join(',\n')}`,
  );
  await connection.run(`INSERT INTO segment_migrations VALUES ${MIGRATIONS.map(([f, t, n, s]) => `('${RUN2}', '${f}', '${t}', ${n}, ${s})`).join(', ')}`);
  const windows = DAILY.map(([c, d, spend, n]) => `('${c}', ${ts(W0 + d * DAY)}, ${ts(W0 + (d + 1) * DAY)}, ${spend}, ${n}, ${spend}, 0, 0, '{}', 0)`);
  // An hourly row inside the current week that must not be summed on top of the daily ones.
  windows.push(`('c1', ${ts(W0 + 15 * DAY)}, ${ts(W0 + 15 * DAY + 3_600_000)}, 5000, 1, 5000, 0, 0, '{}', 0)`);
  await connection.run(`INSERT INTO customer_windows VALUES ${windows.join(',\n')}`);
  const annotations = {
    summary: 'Customer population drifted in 2026-01-19 period: segmentation rescored',
    description: '2 of 5 features drifted (share 0.400, threshold 0.5); key features drifted: spend_per_customer',
    share: '0.4',
    share_threshold: '0.5',
    drifted_features: 'spend_per_customer,transaction_channel',
    key_features_drifted: 'spend_per_customer',
    run_id: RUN2,
  };
  await connection.run(`INSERT INTO alerts VALUES
    ('a-rescore', 'analytic', 'SegmentationRescoreNeeded', 'warning', NULL, ${ts(week(2))}, ${ts(week(3))},
     '{"alertname":"SegmentationRescoreNeeded","kind":"analytic","severity":"warning"}', '${JSON.stringify(annotations)}', 'firing'),
    ('a-other', 'analytic', 'BillingAbandonRateHigh', 'critical', NULL, ${ts(week(2))}, ${ts(week(2))}, '{}', '{}', 'firing')`);
  let open = true;
  return {
    dir,
    path,
    connection,
    close() {
      if (!open) return;
      open = false;
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** aria-labels of the SVG marks of one role inside the n-th chart of a page. */
function chartLabels(html: string, index: number, role: string): string[] {
  const svgs = html.split('<figure class="chart"').slice(1);
  const svg = svgs[index] ?? '';
  const labels: string[] = [];
  for (const m of svg.matchAll(/<(?:path|line|rect|text)\b[^>]*>/g)) {
    if (m[0].includes(`aria-roledescription="${role}"`)) labels.push(/aria-label="([^"]*)"/.exec(m[0])?.[1] ?? '');
  }
  return labels;
}

function fromTooltip(label: string): string {
  return label.slice(label.indexOf('period: '));
}

function chartTitles(html: string): string[] {
  return [...html.matchAll(/<figure class="chart"[^>]*><figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1] as string);
}

function tableRows(html: string, caption: string): string[][] {
  const start = html.indexOf(`<caption>${caption}`);
  const table = html.slice(start, html.indexOf('</table>', start));
  return [...table.matchAll(/<tr>(.*?)<\/tr>/g)]
    .map((m) => [...(m[1] as string).matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1] as string))
    .filter((r) => r.length > 0);
}

let db: Db;
beforeAll(async () => {
  db = await buildDriftDb();
});
afterAll(() => db.close());

const GENERATED = new Date('2026-02-01T00:00:00Z');

describe('renderDriftReport', () => {
  it('puts the verdict, the share and a recommendation on top of the latest run', async () => {
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'latest'), generatedAt: GENERATED });
    expect(basename(paths.htmlPath)).toBe('drift-2026-01-19t00-00-00-000z.html');
    const html = readFileSync(paths.htmlPath, 'utf8');
    const notice = html.slice(html.indexOf('<section class="notice alert"'), html.indexOf('</section>'));
    expect(notice).toContain('Dataset drift: YES. 2 of 5 features drifted (40.0%; threshold 50.0%); key feature spend_per_customer drifted');
    // Mean spend 35 / 3 = 11.67 -> 190 / 4 = 47.50: +307%.
    expect(notice).toContain('Rescore the segmentation models');
    expect(notice).toContain(
      'From the reference to the current period: spend per customer up 307% (mean 11.67 to 47.50) and channel mix changed. Segments and scores',
    );
    // Customers that changed tier: 1 + 1 + 1 + 2 + 1 (off-diagonal cells, new and lost included).
    expect(notice).toContain('6 customers changed tier');
    expect(html).toContain('<dt>drifted features</dt><dd>2 of 5 evaluated (40.0%)</dd>');
    expect(html).toContain('<dt>not evaluated (too little data)</dt><dd>value_tier</dd>');
    expect(html).toContain('<dt>reference period</dt><dd>2026-01-12T00:00:00Z to 2026-01-19T00:00:00Z</dd>');
    expect(html).toContain('<dt>alert</dt><dd>SegmentationRescoreNeeded (warning, firing), id a-rescore</dd>');
  });

  it("states each drifted feature's change as its alert does, over every customer, where the alert has it", async () => {
    // The charts' data leaves out customers without a window in a period; the alert's figures are
    // the job's over the whole population (a tester's report and alert disagreed: +38% and +39.5%).
    const rescore = (await loadAlert(db.connection, 'a-rescore')) as Alert;
    const changes = { spend_per_customer: { of: 'mean', baseline: 12, current: 45 }, transaction_channel: { of: 'web', baseline: 0.4, current: 0.6 } };
    const alert = { ...rescore, annotations: { ...rescore.annotations, changes: JSON.stringify(changes) } };
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'stated'), generatedAt: GENERATED, alert });
    const html = readFileSync(paths.htmlPath, 'utf8');
    const notice = html.slice(html.indexOf('<section class="notice alert"'), html.indexOf('</section>'));
    expect(notice).toContain('spend per customer up 275% (mean 12.00 to 45.00) and channel mix changed (web 40.0% to 60.0%)');
  });

  it('ranks the features by how far past the threshold they are, with the stored numbers', async () => {
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'rank'), runId: RUN2, generatedAt: GENERATED });
    const html = readFileSync(paths.htmlPath, 'utf8');
    const rows = tableRows(html, 'One row per feature');
    expect(rows.map((r) => r[1])).toEqual(RUN2_RANKING);
    // The other statistics of a row (SPEC section 7); a row written before they were stored has none.
    expect(rows[0]).toEqual([
      '1',
      'spend_per_customer (key)',
      'wasserstein_norm',
      '0.3700',
      'n/a',
      '&gt;= 0.1000',
      '3.70x',
      'yes',
      'PSI 0.0700, KS D 0.5000, KS p 0.4000, W1 normalised 0.3700, n 3 / 4',
    ]);
    expect(rows[1]).toEqual(['2', 'transaction_channel', 'jensenshannon', '0.1800', 'n/a', '&gt;= 0.1000', '1.80x', 'yes', 'n/a']);
    expect(rows[2]).toEqual(['3', 'region', 'chisquare', '3.1000', '0.2000', 'p &lt; 0.0500', '0.54x', 'no', 'n/a']);
    expect(rows[3]).toEqual(['4', 'transactions_per_customer', 'ks', '0.2000', '0.3000', 'p &lt;= 0.0500', '0.40x', 'no', 'n/a']);
    expect(rows[5]).toEqual(['6', 'value_tier', 'insufficient_data', 'n/a', 'n/a', 'n/a', 'n/a', 'no', 'n/a']);
    const json = JSON.parse(readFileSync(paths.jsonPath, 'utf8')) as {
      verdict: { dataset_drift: boolean; share: number; drifted_features: string[] };
      features: Array<{ feature: string; rank: number }>;
    };
    expect(json.verdict.dataset_drift).toBe(true);
    expect(json.verdict.share).toBe(0.4);
    expect(json.features.map((f) => f.feature)).toEqual(RUN2_RANKING.map((f) => f.replace(' (key)', '')));
  });

  it('overlays reference and current per-customer distributions rebuilt from the daily windows', async () => {
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'dist'), generatedAt: GENERATED });
    const html = readFileSync(paths.htmlPath, 'utf8');
    expect(tableRows(html, 'spend_per_customer: spend per customer')).toEqual([
      ['reference', '3', '11.67', '5.00'],
      ['current', '4', '47.50', '45.00'],
    ]);
    // Purchases: reference [3, 1, 0] mean 1.33 median 1; current [4, 0, 3, 0] mean 1.75 median 1.5.
    expect(tableRows(html, 'transactions_per_customer: purchases per customer')).toEqual([
      ['reference', '3', '1.33', '1.00'],
      ['current', '4', '1.75', '1.50'],
    ]);
    const titles = chartTitles(html);
    const spendChart = titles.indexOf('spend_per_customer: share of customers per bin, reference vs current');
    // Bins by hand: p99 of [0,0,0,5,30,90,100] = 90 + 0.94 x 10 = 99.4; 99.4 / 30 = 3.31 -> width 5;
    // 20 bins [0,5), [5,10), ..., [95, inf). Non-empty bars only: 0 -> bin 0, 5 -> bin 1, 30 -> bin 6, 90 -> bin 18, 100 -> bin 19.
    // Vega prefixes the tooltip fields with the x/y channels; compare from the tooltip on.
    const bars = chartLabels(html, spendChart, 'bar')
      .map(fromTooltip)
      .filter((l) => !/customers: 0;/.test(l));
    expect(bars.sort()).toEqual(
      [
        'period: current; bin: &gt;= 95; customers: 1; share: 25.0%',
        'period: current; bin: 0 to &lt; 5; customers: 2; share: 50.0%',
        'period: current; bin: 90 to &lt; 95; customers: 1; share: 25.0%',
        'period: reference; bin: 0 to &lt; 5; customers: 1; share: 33.3%',
        'period: reference; bin: 30 to &lt; 35; customers: 1; share: 33.3%',
        'period: reference; bin: 5 to &lt; 10; customers: 1; share: 33.3%',
      ].sort(),
    );
    expect(chartLabels(html, spendChart, 'bar')).toHaveLength(40);
    // Purchases: p99 of [0,0,0,1,3,3,4] = 3.94; whole-number bins 0, 1, 2, >= 3.
    const purchases = chartLabels(html, titles.indexOf('transactions_per_customer: share of customers per bin, reference vs current'), 'bar');
    expect(
      purchases
        .map(fromTooltip)
        .filter((l) => !/customers: 0;/.test(l))
        .sort(),
    ).toEqual(
      [
        'period: current; bin: &gt;= 3; customers: 2; share: 50.0%',
        'period: current; bin: 0; customers: 2; share: 50.0%',
        'period: reference; bin: &gt;= 3; customers: 1; share: 33.3%',
        'period: reference; bin: 0; customers: 1; share: 33.3%',
        'period: reference; bin: 1; customers: 1; share: 33.3%',
      ].sort(),
    );
    expect(html).toContain('Not shown: transaction_channel, region, age_band, value_tier.');
  });

  it('draws the tier migration as a heat map and sums segment sizes before and after', async () => {
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'mig'), generatedAt: GENERATED });
    const html = readFileSync(paths.htmlPath, 'utf8');
    const heat = chartLabels(html, chartTitles(html).indexOf(`Tier migration, run ${RUN2}: customers (share of revenue)`), 'rect mark');
    expect(heat).toHaveLength(MIGRATIONS.length);
    for (const [from, to, n, share] of MIGRATIONS) {
      const cell = heat.filter((l) => l.includes(`from: ${from}; to: ${to};`));
      expect(cell).toHaveLength(1);
      expect(cell[0]).toContain(`customers: ${n};`);
      expect(cell[0]).toContain(`revenue share: ${(share * 100).toFixed(1)}%`);
    }
    // Before: Gold 1+1, Silver 2+1+1 (one lost), Bronze 5+1. After: Gold 1+1, Silver 1+2+1, Bronze 5+2.
    // Revenue after: Gold .30+.20, Silver .05+.25+.05, Bronze .10+.05. Former members now: Gold .35, Silver .45, Bronze .15.
    expect(tableRows(html, 'Segment sizes and revenue share before and after the rescoring')).toEqual([
      ['Gold', '2', '2', '+0', '50.0%', '35.0%', '0.0%'],
      ['Silver', '4', '4', '+0', '35.0%', '45.0%', '4.0%'],
      ['Bronze', '6', '7', '+1', '15.0%', '15.0%', '0.0%'],
    ]);
  });

  it('plots each feature against its threshold over all runs', async () => {
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'hist'), generatedAt: GENERATED });
    const html = readFileSync(paths.htmlPath, 'utf8');
    const titles = chartTitles(html);
    const spend = titles.indexOf('spend_per_customer: wasserstein_norm score per run vs threshold');
    const points = chartLabels(html, spend, 'point');
    expect(points).toHaveLength(2);
    expect(points[0]).toContain('value: 0.05;');
    expect(points[0]).toContain('verdict: stable;');
    expect(points[0]).toContain('period: 2026-01-12T00:00:00Z; method: wasserstein_norm; threshold: 0.1000');
    expect(points[1]).toContain('value: 0.37;');
    expect(points[1]).toContain('verdict: drifted;');
    expect(points[1]).toContain('period: 2026-01-19T00:00:00Z; method: wasserstein_norm; threshold: 0.1000');
    // One horizontal threshold rule (not one tick per run).
    const spendSvg = html.split('<figure class="chart"')[spend + 1] ?? '';
    expect(spendSvg.match(/<line[^>]*aria-label="threshold 0.1"/g)).toHaveLength(1);
    expect(/<line[^>]*aria-label="threshold 0.1"[^>]*x2="-?(\d+)" y2="0"/.exec(spendSvg)?.[1]).toBe('760');
    const region = chartLabels(html, titles.indexOf('region: p-value per run vs threshold'), 'point');
    expect(region.map((l) => /value: ([\d.]+);/.exec(l)?.[1])).toEqual(['0.7', '0.2']);
    expect(html).toContain('value_tier: no evaluated run yet.');
    expect(titles).toHaveLength(2 + 1 + 5);
    expect(html).toContain('Drift over runs (2 runs)');
    const markdown = readFileSync(paths.markdownPath, 'utf8');
    expect(markdown).toContain('| 1 | spend\\_per\\_customer (key) | wasserstein\\_norm | 0.3700 | n/a | &gt;= 0.1000 | 3.70x | yes |');
  });

  it('reports no dataset drift for the earlier run and points to the latest rescoring', async () => {
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'run1'), runId: RUN1, generatedAt: GENERATED });
    const html = readFileSync(paths.htmlPath, 'utf8');
    expect(html).toContain('Dataset drift: no. 0 of 5 features drifted (0.0%; threshold 50.0%)');
    expect(html).toContain('No action needed');
    expect(html).toContain(`The latest rescoring is run ${RUN2}`);
    expect(html).not.toContain('<dt>alert</dt>');
    // Its history ends at its own run, whenever it is rendered (the later run is not in it).
    expect(html).toContain('Drift over runs (1 run)');
  });

  it('refuses an unknown run with the runs it has', async () => {
    await expect(renderDriftReport(db.connection, { outDir: db.dir, runId: 'nope' })).rejects.toThrow(/no drift run "nope".*drift-2026-01-19/);
  });

  it('explains the rescore alert only, named after its run, with the JSON beside it', async () => {
    const rescore = (await loadAlert(db.connection, 'a-rescore')) as Alert;
    const other = (await loadAlert(db.connection, 'a-other')) as Alert;
    expect(alertReportTarget(other)).toBeNull();
    const target = alertReportTarget(rescore);
    expect(target).toEqual({ kind: 'drift', baseName: 'drift-2026-01-19t00-00-00-000z' });
    const paths = await writePreparedReport(await prepareAlertReport(db.connection, target!, rescore), join(db.dir, 'alert'));
    expect(basename(paths.htmlPath)).toBe('drift-2026-01-19t00-00-00-000z.html');
    expect(JSON.parse(readFileSync(paths.jsonPath!, 'utf8')).alert_id).toBe('a-rescore');
  });
});

describe.skipIf(!HAS_CHROMIUM)('drift report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads offline without errors; the charts hold the data', async () => {
    const paths = await renderDriftReport(db.connection, { outDir: join(db.dir, 'browser'), generatedAt: GENERATED });
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(paths.htmlPath).href, { waitUntil: 'load' });
    const seen = await page.evaluate(() => {
      const figures = [...document.querySelectorAll('figure.chart')];
      const labels = (f: Element, role: string) => [...f.querySelectorAll(`[aria-roledescription="${role}"]`)].map((e) => e.getAttribute('aria-label') ?? '');
      return {
        widths: figures.map((f) => f.querySelector('svg')?.getBoundingClientRect().width ?? 0),
        bars: figures.map((f) => labels(f, 'bar').length),
        rects: figures.map((f) => labels(f, 'rect mark')),
        points: figures.map((f) => labels(f, 'point')),
        verdict: document.querySelector('section.notice.alert h2')?.textContent ?? '',
      };
    });
    await context.close();
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(paths.htmlPath).href]);
    expect(seen.verdict).toMatch(/^Dataset drift: YES\. 2 of 5 features drifted \(40\.0%/);
    expect(seen.widths).toHaveLength(8);
    for (const w of seen.widths) expect(w).toBeGreaterThan(300);
    expect(seen.bars.slice(0, 2)).toEqual([40, 8]); // 20 spend bins and 4 purchase bins, both periods
    expect(seen.rects[2]).toHaveLength(MIGRATIONS.length);
    expect(seen.rects[2]?.find((l) => l.includes('from: none; to: Bronze;'))).toMatch(/customers: 2;.*revenue share: 5\.0%/);
    expect(seen.points.slice(3).map((p) => p.length)).toEqual([2, 2, 2, 2, 2]);
  });
});

describe('a DuckDB file that is not a customer-pulse database', () => {
  it("is a usage error naming the file, not DuckDB's missing-table message", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-not-pulse-'));
    const path = join(dir, 'other.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE invoices (id INTEGER)');
    connection.closeSync();
    instance.closeSync();
    await expect(openReadOnly(path)).rejects.toMatchObject({
      code: 'USAGE',
      message: `${path} is not a customer-pulse database (it has no customer_windows table); give the --db a job wrote`,
    });
  });
});

describe('pulse report drift', () => {
  it('on a database without a drift run: a usage error (exit 2) saying how many periods a run needs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-drift-empty-'));
    const instance = await DuckDBInstance.create(join(dir, 'empty.duckdb'));
    const connection = await instance.connect();
    for (const ddl of OUTPUT_TABLES_DDL) await connection.run(ddl);
    try {
      await expect(renderDriftReport(connection, { outDir: join(dir, 'out') })).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining(
          'a drift run needs the warm-up periods (population_drift.warmup_periods, 1 by default), a reference and a current period',
        ),
      });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('writes the report of the requested run and prints its paths', async () => {
    db.close(); // the command opens the file itself, read-only
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      await reportCommand().parseAsync(['drift', '--db', db.path, '--out', join(db.dir, 'cli'), '--run', RUN1], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    const lines = printed.join('').trim().split('\n');
    expect(lines.map((p) => basename(p))).toEqual(['drift-2026-01-12t00-00-00-000z.html', 'drift-2026-01-12t00-00-00-000z.md']);
    expect(existsSync(join(db.dir, 'cli', 'drift-2026-01-12t00-00-00-000z.json'))).toBe(true);
  });
});
