import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { outboxCommand } from '../../pipelines/commands/outbox.js';
import { runCommand } from '../../pipelines/commands/run.js';
import { openDatabase } from '../../pipelines/open-store.js';
import { openOutboxSender } from '../../pipelines/outbox-sender.js';
import { SinkError } from '../../operators/errors.js';
import { listOutbox, retryDead } from '../../sinks/alerts/outbox-admin.js';
import { CLI } from './kafka-helpers.js';
import { sampleIn } from '../helpers/sample.js';

/** A webhook receiver on loopback; `status()` decides each answer, `received` lists `alert_id:status` taken. */
async function receiver(status: () => number): Promise<{ url: string; received: string[]; close: () => Promise<void> }> {
  const received: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const code = status();
      if (code === 200) {
        const payload = JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> };
        for (const alert of payload.alerts) received.push(`${alert.labels['alert_id']}:${alert.status}`);
      }
      response.writeHead(code).end(code === 200 ? '' : 'refused');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The default job with a webhook receiver; `delivery` is the YAML of `alerting.delivery`. */
function jobWithReceiver(dir: string, url: string, delivery: string): string {
  const config = join(dir, 'job.yaml');
  writeFileSync(
    config,
    `${readFileSync('pipelines/customer-analytics.yaml', 'utf8')}
alerting:
  receivers:
    - { name: hook, type: webhook, url: "${url}" }
  route: { receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s, repeat_interval: 4h }
  delivery: ${delivery}
`,
  );
  return config;
}

async function outboxRows(db: string, status: 'dead' | 'pending' | 'delivered') {
  const handle = await openDatabase(db);
  try {
    return await listOutbox(handle.connection, { status, limit: 10_000 });
  } finally {
    handle.close();
  }
}

/** Runs `pulse outbox ...` in this process; returns what it printed, or throws what it threw. */
async function outbox(...args: string[]): Promise<string> {
  let printed = '';
  await outboxCommand(openDatabase, openOutboxSender, (text) => void (printed += text)).parseAsync(args, { from: 'user' });
  return printed;
}

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});
process.env['PULSE_LOG_LEVEL'] = 'silent';
afterAll(() => void delete process.env['PULSE_LOG_LEVEL']);

describe('undelivered alerts, seen and sent by a person', () => {
  it('a receiver that refuses (HTTP 400) leaves dead deliveries; after a fix, retry + the next run deliver each once', async () => {
    let accept = false;
    const hook = await receiver(() => (accept ? 200 : 400));
    cleanups.push(hook.close);
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outbox-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // A generous drain timeout: the run ends as soon as nothing is pending, however busy the machine.
    const config = jobWithReceiver(dir, hook.url, '{ max_attempts: 2, backoff: { base: 10ms, max: 20ms }, drain_timeout: 10m }');
    const db = join(dir, 'pulse.duckdb');
    const input = sampleIn(dir);
    const run = () => runCommand({ config, input: [input], db, reports: join(dir, 'reports') });

    // Every notification is refused for good: the run does not end before each has gone dead.
    expect((await run()).alertsPending).toBe(0);
    const dead = await outboxRows(db, 'dead');
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.every((d) => d.last_error !== null && d.last_error.includes('400'))).toBe(true);
    expect(await outboxRows(db, 'pending')).toEqual([]);
    expect(await outboxRows(db, 'delivered')).toEqual([]);

    accept = true;
    const handle = await openDatabase(db);
    expect(await retryDead(handle.connection, {}, Date.now())).toBe(dead.length);
    handle.close();
    // The second run reads nothing new (the input is checkpointed) and sends the queue before it ends.
    expect((await run()).alertsPending).toBe(0);
    expect(await outboxRows(db, 'dead')).toEqual([]);
    expect(await outboxRows(db, 'pending')).toEqual([]);
    // Like Alertmanager, a notification carries each alert's current state: an alert that fired and
    // resolved while the receiver was refusing is sent once, as resolved.
    const resolved = new Set(dead.filter((d) => d.alert_status === 'resolved').map((d) => d.alert_id));
    const expected = dead
      .filter((d) => d.alert_status === 'resolved' || !resolved.has(d.alert_id))
      .map((d) => `${d.alert_id}:${d.alert_status}`)
      .sort();
    expect([...new Set(hook.received)].sort()).toEqual(expected);
    expect(hook.received.length).toBe(new Set(hook.received).size);
  }, 240_000);

  it('a receiver that is down: the run waits up to drain_timeout, says how many are pending, and `pulse outbox send` delivers them later', async () => {
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    cleanups.push(hook.close);
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outbox-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const input = join(dir, 'events.ndjson');
    writeFileSync(input, readFileSync('samples/events.ndjson', 'utf8').split('\n').slice(0, 20_000).join('\n') + '\n');
    // 503 is retried; many attempts allowed, so the deliveries stay pending when the drain gives up.
    const config = jobWithReceiver(dir, hook.url, '{ max_attempts: 1000, backoff: { base: 50ms, max: 200ms }, drain_timeout: 1s }');
    const db = join(dir, 'pulse.duckdb');

    // The job runs as its own process (its log and summary are what a person sees); the receiver
    // answers from this one.
    const job = spawn(process.execPath, [CLI, 'run', '--config', config, '--input', input, '--db', db, '--reports', join(dir, 'reports')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PULSE_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    job.stderr!.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => job.on('exit', resolve));
    expect(code, stderr).toBe(0);
    const pending = await outboxRows(db, 'pending');
    expect(pending.length).toBeGreaterThan(0);
    // Every delivery tried was refused with 503; the notifications of reports rendered at the end of
    // the input may not have been tried within the 1s drain, and stay pending untried.
    expect(pending.some((p) => p.attempts > 0)).toBe(true);
    expect(pending.filter((p) => p.attempts > 0 && !p.last_error?.includes('503'))).toEqual([]);
    // With why they wait: the receiver's last error.
    expect(stderr).toMatch(
      new RegExp(
        `${pending.length} alert deliveries are still pending after the 1s drain timeout \\(hook: ${pending.length}, last error: POST \\S+ answered HTTP 503`,
      ),
    );
    expect(stderr).toContain(
      `${pending.length} alert deliveries are still pending in the outbox; send them with: pulse outbox send --db ${db} --config ${config}`,
    );

    // Still down: the command tries, reports what is left, and exits 1; nothing is lost.
    const failed = outbox('send', '--db', db, '--config', config, '--timeout', '1s');
    await expect(failed).rejects.toBeInstanceOf(SinkError);
    expect(await outboxRows(db, 'pending')).toHaveLength(pending.length);

    up = true;
    const printed = await outbox('send', '--db', db, '--config', config, '--receiver', 'hook', '--timeout', '10m');
    expect(printed).toContain(`delivered ${pending.length} deliveries`);
    expect(printed).not.toContain('still pending');
    expect(await outboxRows(db, 'pending')).toEqual([]);
    const resolved = new Set(pending.filter((d) => d.alert_status === 'resolved').map((d) => d.alert_id));
    const expected = pending.filter((d) => d.alert_status === 'resolved' || !resolved.has(d.alert_id)).map((d) => `${d.alert_id}:${d.alert_status}`);
    expect([...hook.received].sort()).toEqual(expected.sort());

    await expect(outbox('send', '--db', db)).rejects.toThrow(/needs --config JOB\.yaml/);
    await expect(outbox('send', '--db', db, '--config', config, '--receiver', 'nope')).rejects.toThrow(/no such receiver; the job's receivers are hook/);
  }, 240_000);
});
