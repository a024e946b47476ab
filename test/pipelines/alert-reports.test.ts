import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../pipelines/commands/run.js';
import { query } from '../helpers/duckdb.js';

describe('reports of alerts in a job', () => {
  it('writes one report per alert, linked from the alert, showing the state it ended in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-alert-reports-'));
    const db = join(dir, 'pulse.duckdb');
    const reports = join(dir, 'reports');
    // Many checkpoints, so that alerts fire in one checkpoint and resolve in a later one.
    const config = join(dir, 'job.yaml');
    writeFileSync(config, readFileSync('pipelines/customer-analytics.yaml', 'utf8').replace('max_events: 1000000', 'max_events: 4000'));
    process.env['PULSE_LOG_LEVEL'] = 'silent';
    await runCommand({ config, input: ['samples/events.ndjson'], db, reports });

    const [alerts, requests] = await query(
      db,
      `SELECT alert_id, rule, severity, status, labels->>'kpi' AS kpi, labels->>'queue' AS queue, annotations->>'report_path' AS report
         FROM alerts WHERE (labels->>'kpi') IS NOT NULL OR rule = 'SegmentationRescoreNeeded'`,
      `SELECT alert_id, alert_status, status, renders FROM pulse_report_requests ORDER BY seq`,
    );
    expect(alerts!.filter((a) => a['kpi'] !== null).length).toBeGreaterThan(5);
    expect(alerts!.filter((a) => a['rule'] === 'SegmentationRescoreNeeded')).toHaveLength(1);
    const resolved = alerts!.filter((a) => a['status'] === 'resolved');
    expect(resolved.length).toBeGreaterThan(0);
    for (const alert of alerts!) {
      const report = String(alert['report']);
      if (alert['kpi'] !== null) expect(report).toContain(`kpi-${String(alert['kpi'])}-${String(alert['queue'])}-`);
      else expect(report).toMatch(/drift-.*\.html$/);
      const html = readFileSync(report, 'utf8');
      expect(html).toContain('<svg');
      // The report shows the alert as it ended: the resolved ones were rendered again, as resolved.
      if (alert['kpi'] !== null) expect(html).toContain(`Alert ${String(alert['rule'])} (${String(alert['severity'])}, ${String(alert['status'])})`);
      else expect(html).toContain(`id ${String(alert['alert_id'])}`);
    }
    // One report per alert (HTML, Markdown; JSON for drift), not one per window or version.
    const htmlFiles = readdirSync(reports).filter((f) => f.endsWith('.html'));
    expect(htmlFiles.sort()).toEqual(alerts!.map((a) => String(a['report']).slice(reports.length + 1)).sort());
    // Every request was rendered once, or superseded by a later version of its alert that was.
    for (const request of requests!) {
      const final = alerts!.find((a) => a['alert_id'] === request['alert_id']);
      expect(final).toBeDefined();
      if (request['alert_status'] === final!['status']) expect([request['status'], request['renders']]).toEqual(['done', 1]);
      else expect([['done', 1], ['superseded', 0]]).toContainEqual([request['status'], request['renders']]);
    }
    expect(new Set(requests!.map((r) => r['alert_id'])).size).toBe(alerts!.length);

    // Where checkpoints fall must not change the alerts: one checkpoint for the whole input (alerts
    // fire and resolve within it) gives the same rows, links included.
    const single = join(dir, 'single.duckdb');
    await runCommand({ config: 'pipelines/customer-analytics.yaml', input: ['samples/events.ndjson'], db: single, reports });
    const table = `SELECT alert_id, status, CAST(annotations AS VARCHAR) AS annotations FROM alerts ORDER BY alert_id`;
    expect((await query(single, table))[0]).toEqual((await query(db, table))[0]);
    expect(existsSync(join(reports, `${htmlFiles[0]!.replace(/\.html$/, '')}.md`))).toBe(true);
  }, 180_000);
});
