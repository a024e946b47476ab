import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../pipelines/commands/run.js';
import { query } from '../helpers/duckdb.js';
import { sampleIn } from '../helpers/sample.js';

describe('pulse run with alerting', () => {
  it('routes the alerts of the run through the outbox to a receiver, each alert id once per status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-delivery-'));
    const notifications = join(dir, 'notifications.ndjson');
    const config = join(dir, 'job.yaml');
    copyFileSync('pipelines/customer-analytics.yaml', config);
    writeFileSync(
      config,
      `${readFileSync(config, 'utf8')}
alerting:
  receivers:
    - { name: ops, type: file, path: ${JSON.stringify(notifications)} }
  route: { receiver: ops, group_by: [alertname, queue], group_wait: 0s, group_interval: 1s, repeat_interval: 4h }
`,
    );
    const db = join(dir, 'pulse.duckdb');
    process.env['PULSE_LOG_LEVEL'] = 'silent';
    await runCommand({ config, input: [sampleIn(dir)], db });

    const [alerts, outbox] = await query(db, `SELECT alert_id, status FROM alerts`, `SELECT alert_id, status FROM pulse_outbox`);
    expect(alerts!.length).toBeGreaterThan(5);
    expect(outbox!.every((row) => row['status'] === 'delivered')).toBe(true);
    const delivered = readFileSync(notifications, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            version: string;
            alerts: Array<{ status: string; labels: Record<string, string> }>;
          },
      );
    expect(delivered.every((n) => n.version === '4')).toBe(true);
    const sent = delivered.flatMap((n) => n.alerts.map((a) => `${a.labels['alert_id']}:${a.status}`));
    // Every alert in the table reached the receiver in its final status, and nothing twice.
    for (const alert of alerts!) expect(sent).toContain(`${String(alert['alert_id'])}:${String(alert['status'])}`);
    expect(new Set(sent).size).toBe(sent.length);
  }, 60_000);
});
