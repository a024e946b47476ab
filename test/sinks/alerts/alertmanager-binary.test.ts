import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerReceiver } from '../../../sinks/alerts/alertmanager.js';
import { deliveredAlert } from '../../../sinks/alerts/outbox.js';
import type { Notification } from '../../../sinks/alerts/types.js';
import { DeliveryWorker } from '../../../sinks/alerts/worker.js';
import { enqueueAlerts } from '../../../sinks/alerts/outbox.js';
import { buildReceivers } from '../../../sinks/alerts/registry.js';
import { deliverySettings, parseAlertingConfig } from '../../../sinks/alerts/config.js';
import { stopPeer } from '../../helpers/peer-process.js';
import { makeAlert, memoryDb } from './helpers.js';
import { freePort } from '../../../bench/free-port.js';

const BINARY = '/usr/bin/prometheus-alertmanager';
const available = existsSync(BINARY);
if (!available) console.warn(`SKIP: ${BINARY} is missing (apt-get install prometheus-alertmanager) - Alertmanager v2 test not run`);

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL: string;
  status: { state: string };
}

describe.skipIf(!available)('Alertmanager v2 API against the real binary', () => {
  let proc: ChildProcess;
  let base: string;
  let dir: string;
  let log = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-am-'));
    writeFileSync(join(dir, 'am.yml'), 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = spawn(
      BINARY,
      [`--config.file=${join(dir, 'am.yml')}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.path=${join(dir, 'data')}`, '--cluster.listen-address='],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`alertmanager did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(() => stopPeer(proc, dir));

  it('accepts the postable alerts; GET /api/v2/alerts shows them with alertname, annotations and startsAt', async () => {
    const now = Date.now();
    const alert = makeAlert({
      rule: 'AbandonRateHigh',
      subject: 'billing/voice',
      severity: 'critical',
      window_start: now - 3_600_000,
      fired_at: now - 60_000,
      labels: { queue: 'billing', channel: 'voice' }, // no alertname: the receiver path must add it
      annotations: { summary: 'Abandon rate 21% (baseline 5%)', current: '0.21', report_url: 'http://pulse/r/1' },
    });
    const other = makeAlert({ rule: 'AbandonRateHigh', subject: 'sales/chat', fired_at: now - 30_000, labels: { queue: 'sales' } });
    const n: Notification = {
      receiver: 'am',
      groupKey: 'g',
      groupLabels: {},
      status: 'firing',
      alerts: [deliveredAlert(alert), deliveredAlert(other)],
      idempotencyKey: 'k',
      externalURL: '',
    };
    const receiver = new AlertmanagerReceiver({ name: 'am', url: base, timeoutMs: 5000 });
    await receiver.send(n);
    await receiver.send(n); // a re-send (at-least-once) must not create a duplicate

    const res = await fetch(`${base}/api/v2/alerts`);
    expect(res.status).toBe(200);
    const got = (await res.json()) as GettableAlert[];
    expect(got).toHaveLength(2);
    const mine = got.find((a) => a.labels.alert_id === alert.alert_id);
    expect(mine?.labels).toEqual({
      alertname: 'AbandonRateHigh',
      queue: 'billing',
      channel: 'voice',
      kind: 'service',
      severity: 'critical',
      alert_id: alert.alert_id,
    });
    expect(mine?.annotations).toEqual(alert.annotations);
    expect(Date.parse(mine?.startsAt ?? '')).toBe(alert.fired_at);
    expect(mine?.generatorURL).toBe('http://pulse/r/1');
    expect(mine?.status.state).toBe('active');

    // Resolving: Alertmanager stops listing it as an active alert.
    const resolved = deliveredAlert({ ...alert, status: 'resolved', fired_at: now - 1000 });
    await receiver.send({ ...n, status: 'resolved', alerts: [resolved] });
    const after = (await (await fetch(`${base}/api/v2/alerts`)).json()) as GettableAlert[];
    expect(after.map((a) => a.labels.alert_id)).toEqual([other.alert_id]);
  });

  it('end to end: YAML config -> outbox in a transaction -> worker -> Alertmanager', async () => {
    const { config, router } = parseAlertingConfig({
      receivers: [{ name: 'am', type: 'alertmanager', url: base }],
      route: { receiver: 'am', group_by: ['queue'], group_wait: '0s' },
    });
    const settings = deliverySettings(config.delivery);
    const { conn, worker: wconn } = await memoryDb();
    const now = Date.now();
    const alerts = ['q1', 'q2', 'q3'].map((q) =>
      makeAlert({ rule: 'ServiceLevelLow', subject: q, fired_at: now - 5000, window_start: now - 3_600_000, labels: { queue: q } }),
    );
    await conn.run('BEGIN TRANSACTION');
    await enqueueAlerts(conn, alerts, router, now);
    await conn.run('COMMIT');
    const worker = new DeliveryWorker({ conn: wconn, router, receivers: buildReceivers(config.receivers, settings), settings });
    expect((await worker.tick()).sent).toBe(3);
    const got = (await (await fetch(`${base}/api/v2/alerts?filter=alertname%3D%22ServiceLevelLow%22`)).json()) as GettableAlert[];
    expect(got.map((a) => a.labels.alert_id).sort()).toEqual(alerts.map((a) => a.alert_id).sort());
    expect(got.every((a) => a.labels.alertname === 'ServiceLevelLow' && a.status.state === 'active')).toBe(true);
  });
});
