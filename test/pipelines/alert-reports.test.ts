import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../pipelines/commands/run.js';
import { query } from '../helpers/duckdb.js';

describe('reports for firing alerts', () => {
  it('writes a KPI report when a threshold rule fires and links it from the alert', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-alert-reports-'));
    const db = join(dir, 'pulse.duckdb');
    const reports = join(dir, 'reports');
    // Many checkpoints, so that alerts fire in one checkpoint and resolve in a later one.
    const config = join(dir, 'job.yaml');
    writeFileSync(config, readFileSync('pipelines/customer-analytics.yaml', 'utf8').replace('max_events: 1000000', 'max_events: 4000'));
    process.env['PULSE_LOG_LEVEL'] = 'silent';
    await runCommand({ config, input: ['samples/events.ndjson'], db, reports });

    const [rows] = await query(db, `
      SELECT rule, labels->>'kpi' AS kpi, labels->>'queue' AS queue, annotations->>'report_path' AS report
      FROM alerts WHERE kind = 'analytic' AND (labels->>'kpi') IS NOT NULL`);
    expect(rows!.length).toBeGreaterThan(5);
    const [checkpoints] = await query(db, `SELECT count(*) AS n FROM alerts WHERE status = 'resolved'`);
    expect(Number(checkpoints![0]!['n'])).toBeGreaterThan(0);
    for (const row of rows!) {
      const report = String(row['report']);
      expect(existsSync(report)).toBe(true);
      // The file is about this alert's KPI and queue.
      expect(report).toContain(`kpi-${String(row['kpi'])}-${String(row['queue'])}-`);
      const html = readFileSync(report, 'utf8');
      expect(html).toContain('<svg');
      expect(html).toContain(String(row['rule']));
    }
    // The dataset-drift alert links the analytics director's drift report.
    const [rescore] = await query(db, `SELECT annotations->>'report_path' AS report FROM alerts WHERE rule = 'SegmentationRescoreNeeded'`);
    expect(rescore!.length).toBe(1);
    const drift = String(rescore![0]!['report']);
    expect(drift).toMatch(/drift-.*\.html$/);
    expect(readFileSync(drift, 'utf8')).toContain('<svg');

    // Where checkpoints fall must not change the alerts: one checkpoint for the whole input (alerts
    // fire and resolve within it) gives the same rows, links included.
    const single = join(dir, 'single.duckdb');
    await runCommand({ config: 'pipelines/customer-analytics.yaml', input: ['samples/events.ndjson'], db: single, reports });
    const table = `SELECT alert_id, status, CAST(annotations AS VARCHAR) AS annotations FROM alerts ORDER BY alert_id`;
    expect((await query(single, table))[0]).toEqual((await query(db, table))[0]);
  }, 180_000);
});
