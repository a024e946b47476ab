import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WATERMARK_KEY, type WatermarkSnapshot } from '../../operators/watermark.js';
import { loadJobConfig } from '../../pipelines/job-config.js';
import { WINDOW_SIZES_SINCE_KEY, windowSizesSince } from '../../pipelines/window-sizes-since.js';

const T = Date.UTC(2026, 0, 6, 13, 17);
const dir = mkdtempSync(join(tmpdir(), 'pulse-windows-since-'));

/** The operators of a job of these operator blocks (YAML list items). */
function jobOperators(blocks: string) {
  const path = join(dir, 'job.yaml');
  writeFileSync(
    path,
    `name: since
source: files
sources:
  files: { type: files, paths: ['/nonexistent.ndjson'] }
operators:
${blocks}
`,
  );
  return loadJobConfig(path).operators;
}

/** The operators of a job with one customer_windows operator of these windows, and `name`. */
const operators = (windows: string, name = 'customer_windows') =>
  jobOperators(`  - type: customer_windows
    name: ${name}
    windows: ${windows}
  - { type: customer_shifts, window: 1d }`);

/** A checkpoint's watermark that has read events up to `newest` on one of two partitions. */
const watermark = (newest: number): WatermarkSnapshot => ({
  current: newest - 300_000,
  partitions: { a: { maxEventTime: newest - 9_000, ended: true }, b: { maxEventTime: newest, ended: true } },
});

describe('when each customer_windows size came into the job', () => {
  it('a database without a record (new, or from an older version) has every size from the start', () => {
    const ops = operators('[{ size: 1h }, { size: 1d, slide: 6h }]');
    expect(windowSizesSince({}, ops)).toEqual({ since: { customer_windows: { '1h': null, '1d/6h': null } }, added: [] });
    expect(windowSizesSince({ [WATERMARK_KEY]: watermark(T) }, ops).added).toEqual([]);
  });

  it('a size added after events were read starts after the newest of them; the stored ones keep theirs, removed ones are dropped', () => {
    const stored = { customer_windows: { '1h': null, '1d': T - 86_400_000, '7d': null } };
    const { since, added } = windowSizesSince(
      { [WATERMARK_KEY]: watermark(T), [WINDOW_SIZES_SINCE_KEY]: stored },
      operators('[{ size: 60m }, { size: 24h }, { size: 1d, slide: 6h }]'),
    );
    expect(since).toEqual({ customer_windows: { '1h': null, '1d': T - 86_400_000, '1d/6h': T } });
    expect(added).toEqual([{ operator: 'customer_windows', window: '1d/6h', firstStart: Date.UTC(2026, 0, 6, 18) }]);
  });

  it('an operator renamed keeps the sizes it had: its windows are the rows of the same table, which it goes on with', () => {
    const stored = { customer_windows: { '1h': null, '1d': T - 86_400_000 } };
    const renamed = windowSizesSince({ [WATERMARK_KEY]: watermark(T), [WINDOW_SIZES_SINCE_KEY]: stored }, operators('[{ size: 1h }, { size: 1d }]', 'cw_v2'));
    expect(renamed).toEqual({ since: stored, added: [] });
  });

  it('an operator type taken out of the job keeps its sizes, so that brought back (nothing read without it) it goes on uncut', () => {
    const stored = { customer_windows: { '1h': null }, contact_kpis: { '1d': null, '15m': T - 86_400_000 } };
    const { since, added } = windowSizesSince({ [WATERMARK_KEY]: watermark(T), [WINDOW_SIZES_SINCE_KEY]: stored }, operators('[{ size: 1h }]'));
    expect(since).toEqual(stored);
    expect(added).toEqual([]);
  });

  it('a contact_kpis renamed counts its sizes as added: it keeps its windows in its state, by name, so they start empty', () => {
    const stored = { contact_kpis: { '1h': null } };
    const { since, added } = windowSizesSince(
      { [WATERMARK_KEY]: watermark(T), [WINDOW_SIZES_SINCE_KEY]: stored },
      jobOperators('  - { type: contact_kpis, name: kpis_v2, window_sizes: [1h] }'),
    );
    expect(since).toEqual({ contact_kpis: { '1h': null }, kpis_v2: { '1h': T } });
    expect(added).toEqual([{ operator: 'kpis_v2', window: '1h', firstStart: Date.UTC(2026, 0, 6, 14) }]);
  });

  it('a size added before any event was read starts with the data', () => {
    const empty: WatermarkSnapshot = { current: null, partitions: { a: { maxEventTime: null, ended: false } } };
    const { since, added } = windowSizesSince(
      { [WATERMARK_KEY]: empty, [WINDOW_SIZES_SINCE_KEY]: { customer_windows: { '1h': null } } },
      operators('[{ size: 1h }, { size: 1d }]'),
    );
    expect(since).toEqual({ customer_windows: { '1h': null, '1d': null } });
    expect(added).toEqual([]);
  });
});
