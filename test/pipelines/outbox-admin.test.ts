import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../pipelines/commands/run.js';
import { openDatabase } from '../../pipelines/open-store.js';
import { listOutbox, retryDead } from '../../sinks/alerts/outbox-admin.js';

describe('dead deliveries, seen and requeued by a person', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('a receiver that refuses (HTTP 400) leaves dead deliveries; after a fix, retry + the next run deliver them once', async () => {
    let accept = false;
    const received: string[] = [];
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (!accept) {
          response.writeHead(400).end('bad request');
          return;
        }
        const payload = JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> };
        for (const alert of payload.alerts) received.push(`${alert.labels['alert_id']}:${alert.status}`);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;

    const dir = mkdtempSync(join(tmpdir(), 'pulse-outbox-'));
    const config = join(dir, 'job.yaml');
    copyFileSync('pipelines/customer-analytics.yaml', config);
    writeFileSync(config, `${readFileSync(config, 'utf8')}
alerting:
  receivers:
    - { name: hook, type: webhook, url: "http://127.0.0.1:${port}/alerts" }
  route: { receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s, repeat_interval: 4h }
  delivery: { max_attempts: 2, backoff: { base: 10ms, max: 20ms } }
`);
    const db = join(dir, 'pulse.duckdb');
    process.env['PULSE_LOG_LEVEL'] = 'silent';
    await runCommand({ config, input: ['samples/events.ndjson'], db, reports: join(dir, 'reports') });

    let handle = await openDatabase(db);
    const dead = await listOutbox(handle.connection, { status: 'dead', limit: 10_000 });
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.every((d) => d.last_error !== null && d.last_error.includes('400'))).toBe(true);
    expect(await listOutbox(handle.connection, { status: 'delivered' })).toEqual([]);
    // A delivery can still be pending when the run stops (its worker stops between attempts, more
    // likely on a busy machine); the next run's worker sends it like the requeued ones.
    const undelivered = [...dead, ...(await listOutbox(handle.connection, { status: 'pending', limit: 10_000 }))];
    accept = true;
    expect(await retryDead(handle.connection, {}, Date.now())).toBe(dead.length);
    handle.close();

    // The second run reads nothing new (the input is checkpointed) but its worker sends the queue.
    await runCommand({ config, input: ['samples/events.ndjson'], db, reports: join(dir, 'reports') });
    handle = await openDatabase(db);
    const stillDead = await listOutbox(handle.connection, { status: 'dead', limit: 10_000 });
    const pending = await listOutbox(handle.connection, { status: 'pending', limit: 10_000 });
    handle.close();
    expect(stillDead).toEqual([]);
    expect(pending).toEqual([]);
    // Like Alertmanager, a notification carries each alert's current state: an alert that fired and
    // resolved while the receiver was refusing is sent once, as resolved.
    const resolved = new Set(undelivered.filter((d) => d.alert_status === 'resolved').map((d) => d.alert_id));
    const expected = undelivered
      .filter((d) => d.alert_status === 'resolved' || !resolved.has(d.alert_id))
      .map((d) => `${d.alert_id}:${d.alert_status}`)
      .sort();
    expect([...new Set(received)].sort()).toEqual(expected);
    expect(received.length).toBe(new Set(received).size);
  }, 120_000);
});
