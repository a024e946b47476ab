import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../pipelines/commands/run.js';
import { query } from '../helpers/duckdb.js';
import { logLines, reportJobYaml, runPulseIn } from '../helpers/report-job.js';
import { sampleIn } from '../helpers/sample.js';

describe('reports of alerts in a job', () => {
  it('writes one report per alert, linked from the alert, showing the state it ended in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-alert-reports-'));
    const db = join(dir, 'pulse.duckdb');
    const reports = join(dir, 'reports');
    // Many checkpoints, so that alerts fire in one checkpoint and resolve in a later one.
    const config = join(dir, 'job.yaml');
    writeFileSync(config, readFileSync('pipelines/customer-analytics.yaml', 'utf8').replace('max_events: 1000000', 'max_events: 4000'));
    process.env['PULSE_LOG_LEVEL'] = 'silent';
    await runCommand({ config, input: [sampleIn(dir)], db, reports });

    const [alerts, requests] = await query(
      db,
      `SELECT alert_id, kind, rule, severity, status, labels->>'kpi' AS kpi, labels->>'queue' AS queue, annotations->>'report_path' AS report
         FROM alerts WHERE (labels->>'kpi') IS NOT NULL OR rule = 'SegmentationRescoreNeeded' OR kind = 'report'`,
      `SELECT alert_id, alert_status, status, renders FROM pulse_report_requests ORDER BY seq`,
    );
    expect(alerts!.filter((a) => a['kpi'] !== null).length).toBeGreaterThan(5);
    expect(alerts!.filter((a) => a['rule'] === 'SegmentationRescoreNeeded')).toHaveLength(1);
    const resolved = alerts!.filter((a) => a['status'] === 'resolved');
    expect(resolved.length).toBeGreaterThan(0);
    for (const alert of alerts!) {
      const report = String(alert['report']);
      if (alert['kind'] === 'report') {
        // The default job's scheduled scorecards, signals summaries and closed-loop reports: tables, no charts.
        expect(report).toMatch(/(scorecard|signals|closed-loop)-.*\.html$/);
        expect(readFileSync(report, 'utf8')).toContain(String(alert['rule']));
        continue;
      }
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
      else
        expect([
          ['done', 1],
          ['superseded', 0],
        ]).toContainEqual([request['status'], request['renders']]);
    }
    expect(new Set(requests!.map((r) => r['alert_id'])).size).toBe(alerts!.length);

    // Where checkpoints fall must not change the alerts: one checkpoint for the whole input (alerts
    // fire and resolve within it) gives the same rows, links included.
    const single = join(dir, 'single.duckdb');
    await runCommand({ config: 'pipelines/customer-analytics.yaml', input: [sampleIn(dir)], db: single, reports });
    const table = `SELECT alert_id, status, CAST(annotations AS VARCHAR) AS annotations FROM alerts ORDER BY alert_id`;
    expect((await query(single, table))[0]).toEqual((await query(db, table))[0]);
    expect(existsSync(join(reports, `${htmlFiles[0]!.replace(/\.html$/, '')}.md`))).toBe(true);
  }, 180_000);
});

describe('a report that cannot be written', () => {
  it('is logged and counted, and the job completes with the tables, links and deliveries of a run that wrote it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-report-failures-'));
    const config = reportJobYaml(
      dir,
      `alerting:
  receivers:
    - { name: ops, type: file, path: notifications.ndjson }
  route: { receiver: ops, group_by: [alertname, queue], group_wait: 0s, group_interval: 1s, repeat_interval: 4h }
`,
    );
    // Both runs write reports to `reports` in their own directory (equal relative links); in the
    // second, a directory stands where each report file goes, so no report can be written. (A
    // `reports` that is a file is refused before the job starts: output-dir.ts.)
    const input = sampleIn(dir);
    const run = (cwd: string) => runPulseIn(cwd, ['--config', config, '--input', input, '--db', 'pulse.duckdb', '--reports', 'reports'], { logLevel: 'info' });
    const good = join(dir, 'good');
    expect((await run(good)).code).toBe(0);
    const failing = join(dir, 'failing');
    for (const name of readdirSync(join(good, 'reports'))) mkdirSync(join(failing, 'reports', name), { recursive: true });
    const { code, stderr } = await run(failing);
    expect(code).toBe(0);

    const TABLES = [
      `SELECT alert_id, status, CAST(labels AS VARCHAR) AS labels, CAST(annotations AS VARCHAR) AS annotations FROM alerts ORDER BY alert_id`,
      `SELECT * FROM contact_kpis ORDER BY ALL`,
      `SELECT * FROM contact_reason_volumes ORDER BY ALL`,
      `SELECT * FROM drift_metrics ORDER BY ALL`,
      `SELECT customer_id, window_start, window_end, spend_total, CAST(usage AS VARCHAR) AS usage FROM customer_windows ORDER BY ALL`,
      `SELECT source, position, reason FROM dead_letters ORDER BY ALL`,
      `SELECT source, partition, "offset" FROM pulse_checkpoints ORDER BY ALL`,
      `SELECT alert_id, alert_status, receiver, status, payload->'alert'->'annotations'->>'report_path' AS link FROM pulse_outbox ORDER BY ALL`,
    ];
    const expected = await query(join(good, 'pulse.duckdb'), ...TABLES);
    expect(await query(join(failing, 'pulse.duckdb'), ...TABLES)).toEqual(expected);
    // The links were set at commit, before any report existed: here none ever did, yet every
    // reportable alert, its outbox rows and the delivered notifications carry them.
    const [alerts, outbox] = [expected[0]!, expected[7]!];
    const linked = alerts.filter((a) => JSON.parse(String(a['annotations'])).report_path !== undefined);
    expect(linked.length).toBeGreaterThan(5);
    for (const alert of linked) {
      const link = JSON.parse(String(alert['annotations'])).report_path as string;
      expect(outbox.filter((o) => o['alert_id'] === alert['alert_id']).every((o) => o['link'] === link && o['status'] === 'delivered')).toBe(true);
    }
    const delivered = readFileSync(join(failing, 'notifications.ndjson'), 'utf8');
    for (const alert of linked) expect(delivered).toContain(JSON.parse(String(alert['annotations'])).report_path as string);

    // Each failed report is logged with its alert id and the error (the unit tests read the counter).
    const [requests] = await query(
      join(failing, 'pulse.duckdb'),
      `SELECT alert_id, status, last_error FROM pulse_report_requests WHERE status <> 'superseded'`,
    );
    expect(requests!.length).toBeGreaterThan(5);
    expect(requests!.every((r) => r['status'] === 'failed' && /EISDIR|EEXIST|ENOTDIR/.test(String(r['last_error'])))).toBe(true);
    const failures = logLines(stderr).filter((l) => l['level'] === 50);
    expect(failures.map((l) => l['alert_id']).sort()).toEqual(requests!.map((r) => r['alert_id']).sort());
    expect(failures.every((l) => /EISDIR|EEXIST|ENOTDIR/.test(String(l['msg'])))).toBe(true);
  }, 300_000);
});
