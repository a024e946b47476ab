import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { Alert } from '../../../operators/alert.js';
import { Router } from '../../../sinks/alerts/routing/router.js';
import { STATE_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import { promDeliveryMetrics } from '../../../sinks/alerts/metrics.js';
import { enqueueAlerts } from '../../../sinks/alerts/outbox.js';
import type { WebhookPayload } from '../../../sinks/alerts/payloads.js';
import type { Notification, Receiver } from '../../../sinks/alerts/types.js';
import { listOutbox } from '../../../sinks/alerts/outbox-admin.js';
import { SlackReceiver } from '../../../sinks/alerts/slack.js';
import { WebhookReceiver } from '../../../sinks/alerts/webhook.js';
import { DeliveryError } from '../../../sinks/alerts/errors.js';
import { DeliveryWorker, lastError } from '../../../sinks/alerts/worker.js';
import { captureServer, fakeClock, makeAlert, memoryDb } from './helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const S = 1000;
const M = 60 * S;
const H = 60 * M;

let closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

function routerFor(yamlRoute: string, receivers = ['hook']): Router {
  return Router.fromConfig(parse(yamlRoute), new Set(receivers));
}

async function enqueueTx(conn: DuckDBConnection, alerts: Alert[], router: Router, now: number): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  await enqueueAlerts(conn, alerts, router, now);
  await conn.run('COMMIT');
}

async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

const alertIds = (body: unknown): string[] => (body as WebhookPayload).alerts.map((a) => a.fingerprint).sort();

/** A worker on `conn` delivering to one webhook receiver `hook` at `url`, on the fake clock T0 unless told. */
function webhookWorker(
  conn: DuckDBConnection,
  router: Router,
  url: string,
  more: Partial<ConstructorParameters<typeof DeliveryWorker>[0]> = {},
): DeliveryWorker {
  return new DeliveryWorker({
    conn,
    router,
    receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url, timeoutMs: 10_000 })]]),
    clock: () => T0,
    ...more,
  });
}

describe('outbox enqueue', () => {
  it('writes one row per receiver inside the caller transaction; rollback leaves nothing; replays are no-ops', async () => {
    const { conn } = await memoryDb();
    const router = routerFor(
      `route: {receiver: hook, routes: [{matchers: ['kind="sales"'], receiver: mail, continue: true}, {matchers: ['severity="critical"'], receiver: hook}]}`,
      ['hook', 'mail'],
    );
    const a = makeAlert({ rule: 'SpendDrop', subject: 'c1', kind: 'sales', severity: 'critical' });
    const b = makeAlert({ rule: 'Info', subject: 'x', severity: 'info' });
    await conn.run('BEGIN TRANSACTION');
    await enqueueAlerts(conn, [a, b], router, T0);
    await conn.run('ROLLBACK');
    expect(await rows(conn, 'SELECT count(*)::INT AS n FROM pulse_outbox')).toEqual([{ n: 0 }]);

    await enqueueTx(conn, [a, b], router, T0);
    await enqueueTx(conn, [a, b], router, T0 + 5 * S); // replay after a crash: same ids
    const got = await rows(
      conn,
      `SELECT alert_id, receiver, status, attempts, epoch_ms(created_at)::BIGINT AS c FROM pulse_outbox ORDER BY alert_id, receiver`,
    );
    const expected = [
      { alert_id: a.alert_id, receiver: 'hook', status: 'pending', attempts: 0, c: BigInt(T0) },
      { alert_id: a.alert_id, receiver: 'mail', status: 'pending', attempts: 0, c: BigInt(T0) },
      { alert_id: b.alert_id, receiver: 'hook', status: 'pending', attempts: 0, c: BigInt(T0) },
    ].sort((x, y) => (x.alert_id + x.receiver).localeCompare(y.alert_id + y.receiver));
    expect(got).toEqual(expected);
  });
});

describe('delivery worker: grouping and timing with a fake clock', () => {
  it('group_wait, group_interval, resolved notifications and repeat_interval', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: [queue], group_wait: 30s, group_interval: 5m, repeat_interval: 1h}`);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: clock.now,
    });
    const A = makeAlert({ rule: 'AbandonHigh', subject: 'billing-a', labels: { alertname: 'AbandonHigh', queue: 'billing' } });
    const B = makeAlert({ rule: 'AslHigh', subject: 'billing-b', labels: { alertname: 'AslHigh', queue: 'billing' } });
    const C = makeAlert({ rule: 'AbandonHigh', subject: 'sales-c', labels: { alertname: 'AbandonHigh', queue: 'sales' } });
    const D = makeAlert({ rule: 'FcrLow', subject: 'billing-d', labels: { alertname: 'FcrLow', queue: 'billing' } });

    await enqueueTx(conn, [A, B, C], router, T0);
    clock.set(T0 + 30 * S - 1);
    await worker.tick();
    expect(srv.requests).toHaveLength(0); // group_wait not over

    clock.set(T0 + 30 * S);
    expect((await worker.tick()).sent).toBe(2);
    const first = new Map(srv.requests.map((r) => [(r.body as WebhookPayload).groupLabels.queue, r.body as WebhookPayload]));
    expect(alertIds(first.get('billing'))).toEqual([A.alert_id, B.alert_id].sort());
    expect(alertIds(first.get('sales'))).toEqual([C.alert_id]);
    expect(first.get('billing')?.status).toBe('firing');

    // A new alert in a notified group waits for group_interval after the last notification.
    clock.set(T0 + 60 * S);
    await enqueueTx(conn, [D], router, clock.now());
    await worker.tick();
    clock.set(T0 + 30 * S + 5 * M - 1);
    await worker.tick();
    expect(srv.requests).toHaveLength(2);
    clock.set(T0 + 30 * S + 5 * M);
    await worker.tick();
    expect(srv.requests).toHaveLength(3);
    expect(alertIds(srv.requests[2]?.body)).toEqual([D.alert_id]);

    // A resolves: sent as resolved one group_interval after the previous notification.
    clock.set(T0 + 400 * S);
    await enqueueTx(conn, [{ ...A, status: 'resolved', fired_at: A.fired_at + H }], router, clock.now());
    clock.set(T0 + 630 * S - 1);
    await worker.tick();
    expect(srv.requests).toHaveLength(3);
    clock.set(T0 + 630 * S);
    await worker.tick();
    const resolved = srv.requests[3]?.body as WebhookPayload;
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts).toEqual([expect.objectContaining({ status: 'resolved', fingerprint: A.alert_id, endsAt: new Date(A.fired_at + H).toISOString() })]);

    // Repeats: sales last notified at T0+30s, billing at T0+630s; repeat_interval 1h.
    clock.set(T0 + 30 * S + H - 1);
    await worker.tick();
    expect(srv.requests).toHaveLength(4);
    clock.set(T0 + 30 * S + H);
    await worker.tick();
    expect(srv.requests).toHaveLength(5);
    const salesRepeat = srv.requests[4]!;
    expect(alertIds(salesRepeat.body)).toEqual([C.alert_id]);
    expect(salesRepeat.headers['idempotency-key']).not.toBe(
      srv.requests.find((r) => (r.body as WebhookPayload).groupLabels.queue === 'sales')?.headers['idempotency-key'],
    );
    clock.set(T0 + 630 * S + H);
    await worker.tick();
    expect(srv.requests).toHaveLength(6);
    // Still firing in billing: B and D (A resolved).
    expect(alertIds(srv.requests[5]?.body)).toEqual([B.alert_id, D.alert_id].sort());
    const status = await rows(conn, `SELECT status, count(*)::INT AS n FROM pulse_outbox GROUP BY status`);
    expect(status).toEqual([{ status: 'delivered', n: 5 }]);
  });

  it('marks repeat notifications, so that e-mail does not attach their reports again', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const sent: Notification[] = [];
    const recorder: Receiver = { name: 'hook', type: 'webhook', send: async (n) => void sent.push(n) };
    const router = routerFor(`route: {receiver: hook, group_by: [queue], group_wait: 0s, group_interval: 5m, repeat_interval: 1h}`);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({ conn: wconn, router, receivers: new Map([['hook', recorder]]), clock: clock.now });
    await enqueueTx(conn, [makeAlert({ rule: 'AbandonHigh', subject: 'billing', labels: { alertname: 'AbandonHigh', queue: 'billing' } })], router, T0);
    await worker.tick();
    clock.set(T0 + H);
    await worker.tick();
    expect(sent.map((n) => n.repeat === true)).toEqual([false, true]);
  });

  it('deliveries queued for a receiver since removed or renamed go dead saying which, and how to deliver them', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const router = routerFor(`route: {receiver: old-hook, group_wait: 0s}`, ['old-hook']);
    await enqueueTx(conn, [makeAlert({ rule: 'AbandonHigh', subject: 'billing', labels: { alertname: 'AbandonHigh', queue: 'billing' } })], router, T0);
    // The job file now calls it new-hook: the queued rows still name old-hook.
    const renamed: Receiver = { name: 'new-hook', type: 'webhook', send: async () => undefined };
    const worker = new DeliveryWorker({ conn: wconn, router, receivers: new Map([['new-hook', renamed]]), clock: () => T0 });
    await worker.tick();
    const dead = await rows(conn, `SELECT receiver, status, last_error FROM pulse_outbox`);
    expect(dead).toEqual([
      {
        receiver: 'old-hook',
        status: 'dead',
        last_error:
          "receiver 'old-hook' is not in alerting.receivers any more (removed or renamed since these were queued): " +
          'define a receiver of that name again and run pulse outbox retry to deliver them',
      },
    ]);
  });

  it('an alert that fires and resolves before its group is notified is sent once, as resolved', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_wait: 10s}`);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: clock.now,
    });
    const a = makeAlert({ rule: 'Blip', subject: 'q' });
    await enqueueTx(conn, [a], router, T0);
    await enqueueTx(conn, [{ ...a, status: 'resolved' }], router, T0 + S);
    clock.set(T0 + 10 * S);
    await worker.tick();
    expect(srv.requests).toHaveLength(1);
    expect((srv.requests[0]?.body as WebhookPayload).alerts.map((x) => [x.fingerprint, x.status])).toEqual([[a.alert_id, 'resolved']]);
    expect(await rows(conn, `SELECT count(*)::INT AS n FROM pulse_outbox WHERE status = 'delivered'`)).toEqual([{ n: 2 }]);
  });

  it('inhibition and silences mute alerts (status muted), their resolutions too', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`
route: {receiver: hook, group_by: ['...'], group_wait: 0s}
inhibit_rules:
  - source_matchers: ['alertname="SegmentationRescoreNeeded"']
    target_matchers: ['alertname="CustomerDrift"']
    equal: [segment]
silences:
  - {matchers: ['queue="lab"'], ends_at: '2026-03-03T00:00:00Z', created_by: ops, comment: lab tests}
`);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: clock.now,
    });
    const source = makeAlert({ rule: 'SegmentationRescoreNeeded', subject: 'gold', labels: { alertname: 'SegmentationRescoreNeeded', segment: 'gold' } });
    const target = makeAlert({ rule: 'CustomerDrift', subject: 'c1', labels: { alertname: 'CustomerDrift', segment: 'gold' } });
    const otherSeg = makeAlert({ rule: 'CustomerDrift', subject: 'c2', labels: { alertname: 'CustomerDrift', segment: 'silver' } });
    const silenced = makeAlert({ rule: 'AbandonHigh', subject: 'lab', labels: { alertname: 'AbandonHigh', queue: 'lab' } });
    await enqueueTx(conn, [source, target, otherSeg, silenced], router, T0);
    const r = await worker.tick();
    expect(r.muted).toBe(2);
    const sent = srv.requests.flatMap((q) => alertIds(q.body)).sort();
    expect(sent).toEqual([source.alert_id, otherSeg.alert_id].sort());
    const muted = await rows(conn, `SELECT alert_id, last_error FROM pulse_outbox WHERE status = 'muted' ORDER BY alert_id`);
    expect(muted).toEqual(
      [
        { alert_id: target.alert_id, last_error: 'inhibited' },
        { alert_id: silenced.alert_id, last_error: 'silenced' },
      ].sort((x, y) => x.alert_id.localeCompare(y.alert_id)),
    );
    await enqueueTx(conn, [{ ...target, status: 'resolved' }], router, T0 + M);
    clock.set(T0 + M);
    await worker.tick();
    expect(srv.requests).toHaveLength(2);
    expect(await rows(conn, `SELECT status FROM pulse_outbox WHERE alert_id = '${target.alert_id}' AND alert_status = 'resolved'`)).toEqual([
      { status: 'muted' },
    ]);
  });
});

describe('delivery worker: receivers side by side', () => {
  it('a receiver that hangs holds back no other receiver, and is tried once a pass, not once per notification', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const router = routerFor(
      `route: {receiver: stuck, group_by: ['...'], group_wait: 0s, routes: [{matchers: ['kind=~".+"'], receiver: stuck, continue: true}, {matchers: ['kind=~".+"'], receiver: ok}]}`,
      ['stuck', 'ok'],
    );
    const alerts = Array.from({ length: 6 }, (_, i) =>
      makeAlert({ rule: 'AbandonHigh', subject: `q${i}`, labels: { alertname: 'AbandonHigh', queue: `q${i}` } }),
    );
    // The stuck receiver answers nothing until the other one has had every notification: with the
    // receivers one after the other (the stuck one's groups first) this pass would never end.
    const delivered: string[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let stuckCalls = 0;
    const stuck: Receiver = {
      name: 'stuck',
      type: 'webhook',
      send: async () => {
        stuckCalls++;
        await released;
        throw new DeliveryError('timeout', false, 'POST http://stuck timed out after 10000 ms');
      },
    };
    const ok: Receiver = {
      name: 'ok',
      type: 'webhook',
      send: async (n: Notification) => {
        delivered.push(...n.alerts.map((a) => a.labels['queue']!));
        if (delivered.length === alerts.length) release();
      },
    };
    await enqueueTx(conn, alerts, router, T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([
        ['stuck', stuck],
        ['ok', ok],
      ]),
      clock: () => T0,
    });
    const result = await worker.tick();
    expect(delivered.sort()).toEqual(alerts.map((_, i) => `q${i}`));
    expect(stuckCalls).toBe(1);
    expect(result).toMatchObject({ sent: alerts.length, failed: 1 });
    const pending = await rows(
      conn,
      `SELECT receiver, count(*)::INT AS n, max(attempts)::INT AS attempts FROM pulse_outbox WHERE status = 'pending' GROUP BY ALL`,
    );
    expect(pending).toEqual([{ receiver: 'stuck', n: alerts.length, attempts: 1 }]);
  });
});

describe('delivery worker: outcomes written as sends finish', () => {
  /** Two receivers, `fast` and `held`, each getting every alert of one group. */
  async function twoReceivers(): Promise<{ conn: DuckDBConnection; wconn: DuckDBConnection; router: Router }> {
    const { conn, worker: wconn } = await memoryDb();
    const router = routerFor(
      `route: {receiver: held, group_wait: 0s, routes: [{matchers: ['kind=~".+"'], receiver: held, continue: true}, {matchers: ['kind=~".+"'], receiver: fast}]}`,
      ['held', 'fast'],
    );
    await enqueueTx(
      conn,
      Array.from({ length: 3 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` })),
      router,
      T0,
    );
    return { conn, wconn, router };
  }

  it("a receiver that answers at once has its outcome written while another's send is still held", async () => {
    const { conn, wconn, router } = await twoReceivers();
    // The outcome write for `fast`: resolved once the UPDATE marking rows delivered has run (the only
    // UPDATE setting that status: a pass's reads mention it too).
    let fastWritten: () => void = () => undefined;
    const written = new Promise<void>((resolve) => (fastWritten = resolve));
    const run = wconn.run.bind(wconn);
    vi.spyOn(wconn, 'run').mockImplementation(async (sql, values) => {
      const result = await run(sql, values);
      if (sql.startsWith("UPDATE pulse_outbox SET status = 'delivered'")) fastWritten();
      return result;
    });
    // `held` answers only when the test says so: a webhook taking seconds, or hanging until its timeout.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: Receiver = { name: 'held', type: 'webhook', send: () => released };
    let fastSends = 0;
    const fast: Receiver = { name: 'fast', type: 'file', send: async () => void fastSends++ };
    const worker = heldAndFast(wconn, router, held, fast);
    const pass = worker.tick();
    await written;
    const byReceiver = `SELECT receiver, status, count(*)::INT AS n, max(attempts)::INT AS attempts FROM pulse_outbox GROUP BY ALL ORDER BY ALL`;
    expect(await rows(conn, byReceiver)).toEqual([
      { receiver: 'fast', status: 'delivered', n: 3, attempts: 1 },
      { receiver: 'held', status: 'pending', n: 3, attempts: 0 },
    ]);
    // The job is killed now and restarts: it sends `held` again (its outcome is not written), never `fast`.
    const restarted = new DeliveryWorker({ conn, router, receivers: new Map([['fast', fast]]), clock: () => T0 });
    expect(await restarted.drain({ timeoutMs: 0, receiver: 'fast' })).toMatchObject({ sent: 0, pending: 0 });
    expect(fastSends).toBe(1);
    release();
    expect(await pass).toMatchObject({ sent: 2, delivered: 6, pending: 0 });
    expect(await rows(conn, byReceiver)).toEqual([
      { receiver: 'fast', status: 'delivered', n: 3, attempts: 1 },
      { receiver: 'held', status: 'delivered', n: 3, attempts: 1 },
    ]);
  });

  /** A worker delivering to `held` and `fast` (the receivers of `twoReceivers`' routes). */
  function heldAndFast(wconn: DuckDBConnection, router: Router, held: Receiver, fast: Receiver): DeliveryWorker {
    return new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([
        ['held', held],
        ['fast', fast],
      ]),
      clock: () => T0,
    });
  }

  it('an outcome that cannot be written fails the pass (no unhandled rejection from the writes going on beside the sends)', async () => {
    const { wconn, router } = await twoReceivers();
    let writeFailed: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (writeFailed = resolve));
    const run = wconn.run.bind(wconn);
    vi.spyOn(wconn, 'run').mockImplementation(async (sql, values) => {
      if (!sql.startsWith("UPDATE pulse_outbox SET status = 'delivered'")) return run(sql, values);
      writeFailed();
      throw new Error('disk full');
    });
    // `held` answers after `fast`'s write has failed and an event-loop turn has passed, in which an
    // unhandled rejection would be reported.
    const held: Receiver = { name: 'held', type: 'webhook', send: () => failed.then(() => new Promise<void>((resolve) => setImmediate(resolve))) };
    const fast: Receiver = { name: 'fast', type: 'file', send: async () => undefined };
    const worker = heldAndFast(wconn, router, held, fast);
    await expect(worker.tick()).rejects.toThrow('disk full');
  });
});

describe('delivery worker: a slow receiver', () => {
  it('sends for about 5 s a pass and leaves the rest for the next, when other receivers wait on the pass', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const router = routerFor(
      `route: {receiver: slow, group_by: ['...'], group_wait: 0s, group_interval: 0s, routes: [{matchers: ['kind=~".+"'], receiver: slow, continue: true}, {matchers: ['kind=~".+"'], receiver: ok}]}`,
      ['slow', 'ok'],
    );
    // Monotonic time moves only when the slow receiver is called: each of its sends takes 4 s (under any timeout).
    let monotonic = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => monotonic);
    closers.push(() => now.mockRestore());
    // The slow receiver's first send answers once the other has had all of its (a real one is that much slower).
    let okSends = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowSends: number[] = [];
    const slow: Receiver = {
      name: 'slow',
      type: 'webhook',
      send: async (n: Notification) => {
        await released;
        monotonic += 4_000;
        slowSends.push(n.alerts.length);
      },
    };
    const ok: Receiver = {
      name: 'ok',
      type: 'webhook',
      send: async () => {
        if (++okSends === 5) release();
      },
    };
    await enqueueTx(
      conn,
      Array.from({ length: 5 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` })),
      router,
      T0,
    );
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([
        ['slow', slow],
        ['ok', ok],
      ]),
      clock: () => T0,
    });
    // Two sends (0 s and 4 s into the pass), then the third would start 8 s in: left for the next pass.
    expect(await worker.tick()).toMatchObject({ sent: 5 + 2 });
    expect(slowSends).toHaveLength(2);
    await worker.tick();
    await worker.tick();
    expect(slowSends).toHaveLength(5);
    expect(await rows(conn, `SELECT count(*)::INT AS n FROM pulse_outbox WHERE status = 'pending'`)).toEqual([{ n: 0 }]);
  });
});

describe('delivery worker: failures', () => {
  const quickRoute = `route: {receiver: hook, group_by: ['...'], group_wait: 0s, group_interval: 0s}`;

  it.each([
    ['120', 120_000],
    ['999999999', 24 * 3_600_000],
  ])('a receiver that answers 429 with Retry-After %s is tried again only then (a day at most)', async (header, waitMs) => {
    const { conn, worker: wconn } = await memoryDb();
    const { createServer } = await import('node:http');
    let calls = 0;
    const srv = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        res.writeHead(429, { 'retry-after': header });
        res.end('slow down');
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const { port } = srv.address() as import('node:net').AddressInfo;
    const router = routerFor(quickRoute);
    const clock = fakeClock(T0);
    const worker = webhookWorker(wconn, router, `http://127.0.0.1:${port}/`, {
      clock: clock.now,
      random: () => 0.5,
      settings: { maxAttempts: 10, backoffBaseMs: 1000, backoffMaxMs: 3000 },
    });
    await enqueueTx(conn, [makeAlert({ rule: 'R', subject: 's1', labels: { alertname: 'R' } })], router, T0);
    expect((await worker.tick()).failed).toBe(1);
    const [row] = await listOutbox(conn);
    expect(row!.next_attempt_at).toBe(T0 + waitMs);
    expect(row!.last_error).toContain('retry after');
    clock.set(T0 + waitMs - 1);
    expect((await worker.tick()).failed).toBe(0);
    expect(calls).toBe(1);
    // Without the header the backoff decides: 0.5 x 1 s.
    expect(waitMs).toBeGreaterThan(500);
  });

  it('a receiver that is down, then up: nothing lost, backoff with full jitter, failures counted', async () => {
    const { conn, worker: wconn } = await memoryDb();
    // Bind and release a port: the receiver is "down" (connection refused) at that address.
    const probe = await captureServer();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const registry = new Registry();
    const router = routerFor(quickRoute);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 })]]),
      clock: clock.now,
      random: () => 0.5,
      metrics: promDeliveryMetrics(registry),
      settings: { maxAttempts: 10, backoffBaseMs: 1000, backoffMaxMs: 3000 },
    });
    const alerts = [1, 2, 3, 4].map((i) => makeAlert({ rule: 'R', subject: `s${i}`, labels: { alertname: 'R', n: String(i) } }));
    await enqueueTx(conn, alerts, router, T0);
    // Full jitter with random()=0.5: delays 0.5*min(3000, 1000*2^(n-1)) = 500, 1000, 1500, 1500 ms.
    const expectedNext = [T0 + 500, T0 + 500 + 1000, T0 + 1500 + 1500, T0 + 3000 + 1500];
    for (let attempt = 0; attempt < 4; attempt++) {
      const r = await worker.tick();
      expect(r.failed).toBe(4);
      const next = await rows(conn, `SELECT DISTINCT epoch_ms(next_attempt_at)::BIGINT AS t, attempts FROM pulse_outbox`);
      expect(next).toEqual([{ t: BigInt(expectedNext[attempt]!), attempts: attempt + 1 }]);
      // Not due a millisecond before the backoff ends.
      clock.set(expectedNext[attempt]! - 1);
      expect((await worker.tick()).failed).toBe(0);
      clock.set(expectedNext[attempt]!);
    }
    expect((await registry.getMetricsAsJSON()).find((m) => m.name === 'pulse_alert_outbox_depth')?.values[0]?.value).toBe(4);

    // Receiver comes back on the same port.
    const { createServer } = await import('node:http');
    const received: Array<{ key: string; ids: string[] }> = [];
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ key: String(req.headers['idempotency-key']), ids: alertIds(JSON.parse(body)) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const r = await worker.tick();
    expect(r.sent).toBe(4);
    expect(received.flatMap((x) => x.ids).sort()).toEqual(alerts.map((a) => a.alert_id).sort());
    // One-alert notifications carry `alert_id:status` as their idempotency key.
    expect(received.map((x) => x.key).sort()).toEqual(alerts.map((a) => `${a.alert_id}:firing`).sort());
    expect(await rows(conn, `SELECT status, attempts, count(*)::INT AS n FROM pulse_outbox GROUP BY ALL`)).toEqual([
      { status: 'delivered', attempts: 5, n: 4 },
    ]);
    const metrics = await registry.getMetricsAsJSON();
    const failures = metrics.find((m) => m.name === 'pulse_alert_delivery_failures_total')?.values;
    expect(failures).toEqual([{ value: 16, labels: { receiver_type: 'webhook', reason: 'network' } }]);
    expect(metrics.find((m) => m.name === 'pulse_alert_outbox_depth')?.values[0]?.value).toBe(0);
  });

  it('permanent failures (HTTP 400) go to dead at once; exhausted attempts go to dead; both counted', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer((req) => ((req.body as WebhookPayload).alerts[0]?.labels.kind === 'sales' ? 400 : 500));
    closers.push(srv.close);
    const registry = new Registry();
    const router = routerFor(quickRoute);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: clock.now,
      random: () => 0,
      metrics: promDeliveryMetrics(registry),
      settings: { maxAttempts: 3 },
    });
    const bad = makeAlert({ rule: 'Bad', subject: 'x', kind: 'sales' });
    const flaky = makeAlert({ rule: 'Flaky', subject: 'y', kind: 'service' });
    await enqueueTx(conn, [bad, flaky], router, T0);
    await worker.tick();
    await worker.tick();
    await worker.tick();
    await worker.tick(); // nothing left to try
    expect(srv.requests.filter((r) => alertIds(r.body)[0] === bad.alert_id)).toHaveLength(1);
    expect(srv.requests.filter((r) => alertIds(r.body)[0] === flaky.alert_id)).toHaveLength(3);
    const dead = await rows(conn, `SELECT alert_id, status, attempts, last_error FROM pulse_outbox ORDER BY attempts`);
    expect(dead.map((d) => [d.alert_id, d.status, d.attempts])).toEqual([
      [bad.alert_id, 'dead', 1],
      [flaky.alert_id, 'dead', 3],
    ]);
    expect(String(dead[0]?.last_error)).toMatch(/HTTP 400/);
    const metrics = await registry.getMetricsAsJSON();
    const byLabels = (name: string): Record<string, number> =>
      Object.fromEntries((metrics.find((m) => m.name === name)?.values ?? []).map((v) => [`${v.labels.receiver_type}/${v.labels.reason}`, v.value]));
    expect(byLabels('pulse_alert_delivery_failures_total')).toEqual({ 'webhook/http_4xx': 1, 'webhook/http_5xx': 3 });
    expect(byLabels('pulse_alert_delivery_dead_total')).toEqual({ 'webhook/http_4xx': 1, 'webhook/attempts_exhausted': 1 });
    // What a run says at its end.
    expect(await worker.stillDeadDeliveries()).toBe(2);
  });

  it('pulse_alert_delivery_dead_total counts the alerts given up (outbox rows), as pulse_alerts_delivered_total counts those delivered', async () => {
    const { conn, worker: wconn } = await memoryDb();
    // Sales notifications are refused (400), service ones fail until they run out of attempts, analytic ones go through.
    const status = { sales: 400, service: 500, analytic: 200 } as Record<string, number>;
    const srv = await captureServer((req) => status[(req.body as WebhookPayload).alerts[0]?.labels.kind ?? ''] ?? 200);
    closers.push(srv.close);
    const registry = new Registry();
    const router = routerFor(`route: {receiver: hook, group_by: [kind], group_wait: 0s, group_interval: 0s}`);
    const worker = webhookWorker(wconn, router, srv.url, { random: () => 0, metrics: promDeliveryMetrics(registry), settings: { maxAttempts: 2 } });
    const alerts = (kind: Alert['kind'], n: number): Alert[] => Array.from({ length: n }, (_, i) => makeAlert({ rule: 'R', subject: `${kind}-${i}`, kind }));
    await enqueueTx(conn, [...alerts('sales', 2), ...alerts('service', 3), ...alerts('analytic', 4)], router, T0);
    await worker.tick();
    await worker.tick();
    // One notification per kind: the group of 2 refused, the group of 3 out of attempts, the group of 4 delivered.
    expect(await rows(conn, `SELECT status, count(*)::INT AS n FROM pulse_outbox GROUP BY status ORDER BY status`)).toEqual([
      { status: 'dead', n: 5 },
      { status: 'delivered', n: 4 },
    ]);
    const metrics = await registry.getMetricsAsJSON();
    const values = (name: string): Record<string, number> =>
      Object.fromEntries((metrics.find((m) => m.name === name)?.values ?? []).map((v) => [Object.values(v.labels).join('/'), v.value]));
    expect(values('pulse_alert_delivery_dead_total')).toEqual({ 'webhook/http_4xx': 2, 'webhook/attempts_exhausted': 3 });
    expect(values('pulse_alerts_delivered_total')).toEqual({ webhook: 4 });
  });

  it('a run counts the deliveries that went dead in it and are dead still: not those requeued and delivered, nor dead rows of an earlier run', async () => {
    const { conn, worker: wconn } = await memoryDb();
    let up = false;
    const srv = await captureServer(() => (up ? 200 : 500));
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: ['...'], group_wait: 0s, group_interval: 0s}`);
    const settings = { maxAttempts: 1 };
    const earlier = makeAlert({ rule: 'Earlier', subject: 'e' });
    await enqueueTx(conn, [earlier], router, T0);
    await webhookWorker(wconn, router, srv.url, { settings }).tick(); // an earlier run: its delivery went dead

    const worker = webhookWorker(wconn, router, srv.url, { settings });
    const [a, b, c] = ['a', 'b', 'c'].map((subject) => makeAlert({ rule: 'R', subject }));
    await enqueueTx(conn, [a!, b!, c!], router, T0);
    await worker.tick();
    expect(await rows(conn, `SELECT count(*)::INT AS n FROM pulse_outbox WHERE status = 'dead'`)).toEqual([{ n: 4 }]);
    expect(await worker.stillDeadDeliveries()).toBe(3);
    // The receiver is fixed and two are requeued through the running job (pulse outbox retry): they go out.
    up = true;
    expect(await worker.requeueDead({ alertId: a!.alert_id })).toBe(1);
    expect(await worker.requeueDead({ alertId: b!.alert_id })).toBe(1);
    expect((await worker.tick()).delivered).toBe(2);
    expect(await worker.stillDeadDeliveries()).toBe(1);
  });

  it('no credential reaches last_error or pulse outbox list, even when the receiver echoes the request', async () => {
    const { conn, worker: wconn } = await memoryDb();
    // A receiver that refuses and quotes what it got: the Authorization header and the URL.
    const echo = (await import('node:http')).createServer((req, res) => {
      req.resume();
      res
        .writeHead(req.url?.includes('/services/') ? 403 : 401)
        .end(`denied: Authorization: ${req.headers.authorization ?? '-'}; url ${req.url}; full http://127.0.0.1${req.url}`);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => echo.close(() => resolve())));
    const base = `http://127.0.0.1:${(echo.address() as import('node:net').AddressInfo).port}`;
    const hookPath = '/hooks/T0/B0/p4th-s3cret-0123456789';
    const slackUrl = `${base}/services/T1/B1/xoxb-slack-s3cret-0123456789`;
    const router = routerFor(
      `route: {receiver: hook, group_wait: 0s, routes: [{matchers: ['kind=~".+"'], receiver: hook, continue: true}, {matchers: ['kind=~".+"'], receiver: chat}]}`,
      ['hook', 'chat'],
    );
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map<string, Receiver>([
        ['hook', new WebhookReceiver({ name: 'hook', url: `${base}${hookPath}`, bearerToken: 'tok-s3cret-value', timeoutMs: 10_000 })],
        ['chat', new SlackReceiver({ name: 'chat', url: slackUrl, timeoutMs: 10_000 })],
      ]),
      clock: () => T0,
    });
    await enqueueTx(conn, [makeAlert({ rule: 'R', subject: '1' })], router, T0);
    expect((await worker.tick()).dead).toBe(2);
    const stored = (await rows(conn, `SELECT receiver, last_error FROM pulse_outbox ORDER BY receiver`)).map((r) => String(r.last_error));
    const listed = (await listOutbox(conn, { status: 'dead' })).map((r) => String(r.last_error));
    for (const text of [...stored, ...listed]) {
      for (const secret of ['tok-s3cret-value', 'p4th-s3cret', 'xoxb', 'slack-s3cret', '/hooks/', '/services/']) expect(text).not.toContain(secret);
    }
    expect(stored).toEqual([
      `POST ${base} answered HTTP 403: denied: Authorization: [redacted]; url [redacted]; full http://127.0.0.1[redacted]`,
      `POST ${base} answered HTTP 401: denied: Authorization: [redacted]; url [redacted]; full http://127.0.0.1[redacted]`,
    ]);
  });

  it('a crash between send and mark-delivered re-sends the same alerts with the same key after restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outbox-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'pulse.duckdb');
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_wait: 0s}`);
    const alerts = [makeAlert({ rule: 'A', subject: '1' }), makeAlert({ rule: 'B', subject: '2' })];

    const db1 = await DuckDBInstance.create(path);
    const c1 = await db1.connect();
    for (const ddl of STATE_TABLES_DDL) await c1.run(ddl);
    await enqueueTx(c1, alerts, router, T0);
    const w1conn = await db1.connect();
    const webhook = new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 });
    // The process "dies" right after the receiver accepted the notification.
    const crashing: Receiver = {
      name: 'hook',
      type: 'webhook',
      async send(n: Notification) {
        await webhook.send(n);
        w1conn.closeSync();
      },
    };
    const w1 = new DeliveryWorker({ conn: w1conn, router, receivers: new Map([['hook', crashing]]), clock: () => T0 });
    await expect(w1.tick()).rejects.toThrow();
    expect(srv.requests).toHaveLength(1);
    c1.closeSync();
    db1.closeSync();

    const db2 = await DuckDBInstance.create(path);
    const c2 = await db2.connect();
    const w2 = new DeliveryWorker({ conn: c2, router, receivers: new Map([['hook', webhook]]), clock: () => T0 + S });
    await w2.tick();
    expect(srv.requests).toHaveLength(2);
    const [before, after] = srv.requests;
    expect(after?.headers['idempotency-key']).toBe(before?.headers['idempotency-key']);
    expect(alertIds(after?.body)).toEqual(alertIds(before?.body));
    expect(alertIds(after?.body)).toEqual(alerts.map((a) => a.alert_id).sort());
    expect(await rows(c2, `SELECT status, count(*)::INT AS n FROM pulse_outbox GROUP BY status`)).toEqual([{ status: 'delivered', n: 2 }]);
    await w2.tick();
    expect(srv.requests).toHaveLength(2);
    c2.closeSync();
    db2.closeSync();
  });
});

describe('delivery worker: run-time silences and the polling loop', () => {
  it('a silence stored with addSilence mutes matching alerts until it ends or is expired', async () => {
    const { addSilence, expireSilence } = await import('../../../sinks/alerts/silences.js');
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: ['...'], group_wait: 0s}`);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: clock.now,
    });
    const id = await addSilence(conn, { matchers: ['queue=~"lab|test"'], ends_at: '2026-03-02T09:00:00Z', created_by: 'ops', comment: 'tests' });
    const lab = makeAlert({ rule: 'R', subject: 'lab1', labels: { alertname: 'R', queue: 'lab' } });
    const prod = makeAlert({ rule: 'R', subject: 'prod', labels: { alertname: 'R', queue: 'billing' } });
    await enqueueTx(conn, [lab, prod], router, T0);
    expect((await worker.tick()).muted).toBe(1);
    expect(srv.requests.flatMap((r) => alertIds(r.body))).toEqual([prod.alert_id]);
    // After the silence ends (09:00), a new lab alert goes out.
    const lab2 = makeAlert({ rule: 'R', subject: 'lab2', labels: { alertname: 'R', queue: 'lab' } });
    clock.set(Date.parse('2026-03-02T09:00:00Z'));
    await enqueueTx(conn, [lab2], router, clock.now());
    await worker.tick();
    expect(srv.requests.flatMap((r) => alertIds(r.body))).toEqual([prod.alert_id, lab2.alert_id]);
    // Expiring works the same way.
    const id2 = await addSilence(conn, { matchers: ['queue="x"'], ends_at: '2027-01-01T00:00:00Z', created_by: 'ops', comment: 'c' });
    expect(id2).not.toBe(id);
    await expireSilence(conn, id2, clock.now());
    const x = makeAlert({ rule: 'R', subject: 'x', labels: { alertname: 'R', queue: 'x' } });
    await enqueueTx(conn, [x], router, clock.now());
    await worker.tick();
    expect(srv.requests.flatMap((r) => alertIds(r.body))).toEqual([prod.alert_id, lab2.alert_id, x.alert_id]);
    await expect(addSilence(conn, { matchers: ['bad matcher'], ends_at: '2027-01-01T00:00:00Z', created_by: 'o', comment: 'c' })).rejects.toThrow(
      /^silences\[0\]\.matchers\[0\]: invalid matcher 'bad matcher'/,
    );
    await expect(addSilence(conn, { matchers: ['a="b"'], ends_at: 'later', created_by: 'o', comment: 'c' })).rejects.toThrow(
      /^silences\[0\]\.ends_at: "later" is not valid; expected an RFC 3339 time/,
    );
  });

  it('a stored silence that no longer parses (a JavaScript-only regex from before RE2) mutes nothing and is reported once', async () => {
    const { addSilence } = await import('../../../sinks/alerts/silences.js');
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: ['...'], group_wait: 0s}`);
    const errors: unknown[] = [];
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: fakeClock(T0).now,
      onError: (e) => errors.push(e),
    });
    // A row as the JavaScript engine let addSilence store it: RE2 refuses the look-ahead.
    await conn.run(
      `INSERT INTO pulse_silences (silence_id, matchers, starts_at, ends_at, created_by, comment)
       VALUES ('old1', '["queue=~\\"(?!billing).*\\""]'::JSON, NULL, '2027-01-01T00:00:00Z'::TIMESTAMPTZ, 'ops', 'before RE2')`,
    );
    await addSilence(conn, { matchers: ['queue="lab"'], ends_at: '2027-01-01T00:00:00Z', created_by: 'ops', comment: 'still read' });
    const lab = makeAlert({ rule: 'R', subject: 'lab', labels: { alertname: 'R', queue: 'lab' } });
    const other = makeAlert({ rule: 'R', subject: 'other', labels: { alertname: 'R', queue: 'retention' } });
    await enqueueTx(conn, [lab, other], router, T0);
    const first = await worker.tick();
    // The readable silence still mutes; the unreadable one mutes nothing, and delivery goes on.
    expect(first.muted).toBe(1);
    expect(srv.requests.flatMap((r) => alertIds(r.body))).toEqual([other.alert_id]);
    const other2 = makeAlert({ rule: 'R', subject: 'other2', labels: { alertname: 'R', queue: 'retention' } });
    await enqueueTx(conn, [other2], router, T0);
    await worker.tick();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(
      /^RoutingConfigError: pulse_silences \(silence old1\): this stored silence mutes nothing: pulse_silences\[0\]\.matchers\[0\]: invalid regular expression in 'queue=~"\(\?!billing\)\.\*"': invalid or unsupported Perl syntax: `\(\?!`.*expire it/,
    );
  });

  it('drain() with no time to wait is one pass that sends pending groups at once, ignoring group_wait and backoff', async () => {
    const { conn, worker: wconn } = await memoryDb();
    let fail = true;
    const srv = await captureServer(() => (fail ? 503 : 200));
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_wait: 1h}`);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: () => T0,
      settings: { backoffBaseMs: H, backoffMaxMs: H },
      random: () => 0.99,
    });
    const a = makeAlert({ rule: 'End', subject: '1' });
    await enqueueTx(conn, [a], router, T0);
    expect((await worker.tick()).sent + (await worker.tick()).failed).toBe(0);
    expect((await worker.drain({ timeoutMs: 0 })).failed).toBe(1);
    fail = false;
    expect((await worker.tick()).sent).toBe(0); // backing off for ~1h
    expect((await worker.drain({ timeoutMs: 0 })).sent).toBe(1);
    expect(srv.requests.map((r) => alertIds(r.body))).toEqual([[a.alert_id], [a.alert_id]]);
  });

  it('start() polls on real timers until stop()', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_wait: 0s}`);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      settings: { pollIntervalMs: 20 },
    });
    worker.start();
    await enqueueTx(conn, [makeAlert({ rule: 'Live', subject: '1' })], router, Date.now());
    const deadline = Date.now() + 5000;
    while (srv.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    expect(srv.requests).toHaveLength(1);
    expect(await rows(conn, `SELECT status FROM pulse_outbox`)).toEqual([{ status: 'delivered' }]);
  });
});

describe('delivery worker: draining at the end of a run', () => {
  const quickRoute = `route: {receiver: hook, group_by: [alertname], group_wait: 1h, group_interval: 1h}`;

  it('drain() sends now, retries until the receiver takes everything, and says nothing is pending', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer((_req, n) => (n <= 2 ? 503 : 200));
    closers.push(srv.close);
    const router = routerFor(quickRoute);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 10_000 })]]),
      settings: { backoffBaseMs: 5, backoffMaxMs: 20, pollIntervalMs: 5 },
    });
    const alerts = [makeAlert({ rule: 'A', subject: '1' }), makeAlert({ rule: 'A', subject: '2' }), makeAlert({ rule: 'B', subject: '3' })];
    await enqueueTx(conn, alerts, router, Date.now());
    // group_wait is an hour: only a drain sends these now. Its deadline is far beyond what the
    // retries need; it returns as soon as nothing is pending.
    const result = await worker.drain({ timeoutMs: 120_000 });
    expect(result).toMatchObject({ pending: 0, delivered: 3, dead: 0, timedOut: false, pendingByReceiver: {} });
    // Two groups (A, B): both refused once, then both taken.
    expect(srv.requests).toHaveLength(4);
    const delivered = new Set(srv.requests.slice(2).flatMap((r) => alertIds(r.body)));
    expect([...delivered].sort()).toEqual(alerts.map((a) => a.alert_id).sort());
    expect(await rows(conn, `SELECT status, count(*)::INT AS n FROM pulse_outbox GROUP BY status`)).toEqual([{ status: 'delivered', n: 3 }]);
  });

  it('drain() gives up at its deadline and leaves the deliveries pending (not dead) for the next run', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer(() => 503);
    closers.push(srv.close);
    const router = routerFor(quickRoute);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 10_000 })]]),
      settings: { backoffBaseMs: 10, backoffMaxMs: 50, pollIntervalMs: 10, maxAttempts: 1000 },
    });
    await enqueueTx(conn, [makeAlert({ rule: 'A', subject: '1' }), makeAlert({ rule: 'B', subject: '2' })], router, Date.now());
    const result = await worker.drain({ timeoutMs: 200 });
    expect(result).toMatchObject({ pending: 2, delivered: 0, dead: 0, timedOut: true, pendingByReceiver: { hook: 2 } });
    expect(result.failed).toBeGreaterThanOrEqual(2);
    // Why they wait, said beside the count (a full disk under a file receiver said nothing but "pending").
    expect(result.lastErrorByReceiver['hook']).toMatch(/503/);
    expect(lastError(result, 'hook')).toMatch(/^, last error: .*503/);
    expect(lastError(result, 'other')).toBe('');
    expect(await rows(conn, `SELECT status, count(*)::INT AS n FROM pulse_outbox GROUP BY status`)).toEqual([{ status: 'pending', n: 2 }]);
  });

  it('drain() gives no delivery up for running out of attempts: it keeps the last attempt for the next run, whose worker makes it', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const sends = new Map<string, number>();
    const flaky: Receiver = {
      name: 'hook',
      type: 'webhook',
      send: async (n) => {
        sends.set(n.alerts[0]!.alertId, (sends.get(n.alerts[0]!.alertId) ?? 0) + 1);
        throw new DeliveryError('network', false, 'connect ECONNREFUSED 127.0.0.1:9');
      },
    };
    const router = routerFor(`route: {receiver: hook, group_by: ['...'], group_wait: 1h}`);
    // Backoff far shorter than the drain: before, the drain spent every attempt and the rows went dead.
    const settings = { maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 5, pollIntervalMs: 5 };
    const worker = () => new DeliveryWorker({ conn: wconn, router, receivers: new Map([['hook', flaky]]), settings });
    const alerts = ['a', 'b'].map((subject) => makeAlert({ rule: 'R', subject }));
    await enqueueTx(conn, alerts, router, Date.now());
    const statuses = () => rows(conn, `SELECT status, attempts, count(*)::INT AS n FROM pulse_outbox GROUP BY ALL ORDER BY ALL`);

    // The end of a run: two of the three attempts, then it stops early, the deliveries pending.
    const started = performance.now();
    const first = await worker().drain({ timeoutMs: 30_000 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(first).toMatchObject({ dead: 0, pending: 2, timedOut: false, pendingByReceiver: { hook: 2 } });
    expect([...sends.values()]).toEqual([2, 2]);
    expect(await statuses()).toEqual([{ status: 'pending', attempts: 2, n: 2 }]);

    // The next run's end (or pulse outbox send) sends each once more, and still gives none up.
    expect(await worker().drain({ timeoutMs: 30_000 })).toMatchObject({ dead: 0, pending: 2, timedOut: false });
    expect([...sends.values()]).toEqual([3, 3]);
    expect(await statuses()).toEqual([{ status: 'pending', attempts: 3, n: 2 }]);

    // The next run's worker: one alert's receiver is back, the other's attempt fails and gives it up.
    await new Promise((resolve) => setTimeout(resolve, 20)); // past the backoff
    let calls = 0;
    flaky.send = async (n) => {
      calls++;
      if (n.alerts[0]!.alertId !== alerts[0]!.alert_id) throw new DeliveryError('network', false, 'connect ECONNREFUSED 127.0.0.1:9');
    };
    expect(await worker().tick()).toMatchObject({ sent: 1, dead: 1, pending: 0 });
    expect(calls).toBe(2);
    expect(await statuses()).toEqual([
      { status: 'dead', attempts: 4, n: 1 },
      { status: 'delivered', attempts: 4, n: 1 },
    ]);
  });

  it('drain() sends no group after its deadline, however many groups one pass holds', async () => {
    const { conn, worker: wconn } = await memoryDb();
    // Monotonic time moves only when the receiver is called: each refused send takes 1 s.
    let monotonic = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => monotonic);
    closers.push(() => now.mockRestore());
    let sends = 0;
    const refusing: Receiver = {
      name: 'hook',
      type: 'webhook',
      send: async () => {
        sends++;
        monotonic += 1000;
        throw new DeliveryError('network', false, 'connection refused');
      },
    };
    const router = routerFor(`route: {receiver: hook, group_by: ['...']}`);
    const worker = new DeliveryWorker({ conn: wconn, router, receivers: new Map([['hook', refusing]]), clock: () => T0, settings: { maxAttempts: 1000 } });
    const alerts = Array.from({ length: 20 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` }));
    await enqueueTx(conn, alerts, router, T0);
    const result = await worker.drain({ timeoutMs: 5000 });
    // One group per alert; the pass stops at the 5 s deadline instead of trying all twenty.
    expect(sends).toBe(5);
    expect(result).toMatchObject({ failed: 5, pending: 20, timedOut: true, pendingByReceiver: { hook: 20 } });
    expect(await rows(conn, `SELECT count(*)::INT AS n FROM pulse_outbox WHERE attempts = 1`)).toEqual([{ n: 5 }]);
  });

  it('delivered_at is when the receiver took the notification, not when the pass began', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const clock = fakeClock(T0);
    // A slow receiver: each send takes 8 s of the fake clock.
    const slow: Receiver = {
      name: 'hook',
      type: 'webhook',
      send: async () => {
        clock.advance(8_000);
      },
    };
    const router = routerFor(`route: {receiver: hook, group_by: ['...']}`);
    const worker = new DeliveryWorker({ conn: wconn, router, receivers: new Map([['hook', slow]]), clock: clock.now });
    await enqueueTx(conn, [makeAlert({ rule: 'R', subject: 'a' }), makeAlert({ rule: 'R', subject: 'b' })], router, T0);
    await worker.drain({ timeoutMs: 0 });
    const times = await rows(conn, `SELECT epoch_ms(delivered_at) - ${T0} AS after FROM pulse_outbox ORDER BY delivered_at`);
    expect(times.map((r) => Number(r.after))).toEqual([8_000, 16_000]);
  });

  it('a pass reads at most 5,000 pending rows, oldest first; a drain goes on until the rest are sent', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const sizes: number[] = [];
    const counting: Receiver = {
      name: 'hook',
      type: 'webhook',
      send: async (n) => {
        sizes.push(n.alerts.length);
      },
    };
    const router = routerFor(`route: {receiver: hook, group_by: [alertname]}`);
    const worker = new DeliveryWorker({ conn: wconn, router, receivers: new Map([['hook', counting]]), clock: () => T0 });
    const alerts = Array.from({ length: 6_000 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` }));
    await enqueueTx(conn, alerts, router, T0);
    const result = await worker.drain({ timeoutMs: 60_000 });
    // One group: a notification of the first 5,000 alerts, then one of the other 1,000.
    expect(sizes).toEqual([5_000, 1_000]);
    expect(result).toMatchObject({ delivered: 6_000, pending: 0, timedOut: false });
  });

  it('one pass over more groups than one write of outcomes holds marks every notification: delivered, retried or dead', async () => {
    const { conn, worker: wconn } = await memoryDb();
    // 600 groups (one per alert): the outcomes go out in several writes of several statements.
    const srv = await captureServer((req) => {
      const id = alertIds(req.body)[0]!;
      return id.endsWith('0') ? 400 : id.endsWith('1') ? 503 : 200;
    });
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: ['...'], group_wait: 0s}`);
    const worker = webhookWorker(wconn, router, srv.url, { random: () => 0.5 });
    const alerts = Array.from({ length: 600 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` }));
    await enqueueTx(conn, alerts, router, T0);
    const result = await worker.tick();
    expect(srv.requests).toHaveLength(600);
    // Each alert's own outcome, by the last character of its id (hex: 16 values).
    const expected = (status: string): number =>
      alerts.filter((a) => (a.alert_id.endsWith('0') ? 'dead' : a.alert_id.endsWith('1') ? 'pending' : 'delivered') === status).length;
    expect(result).toMatchObject({ sent: expected('delivered'), dead: expected('dead'), failed: expected('pending'), pending: expected('pending') });
    expect(
      await rows(conn, `SELECT status, count(*)::INT AS n, min(attempts) AS lo, max(attempts) AS hi FROM pulse_outbox GROUP BY status ORDER BY status`),
    ).toEqual(['dead', 'delivered', 'pending'].map((status) => ({ status, n: expected(status), lo: 1, hi: 1 })));
    expect(
      await rows(
        conn,
        `SELECT count(*)::INT AS n FROM pulse_outbox WHERE status = 'pending' AND next_attempt_at <= ${`make_timestamptz(${T0}::BIGINT * 1000)`}`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(await rows(conn, `SELECT count(*)::INT AS n FROM pulse_alert_groups`)).toEqual([{ n: expected('delivered') }]);
  });

  it('a poll with nothing due reads no delivery: a receiver that is down costs no work a poll while its deliveries back off', async () => {
    const { conn, worker: wconn } = await memoryDb();
    let up = false;
    const srv = await captureServer(() => (up ? 200 : 503));
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: ['...'], group_wait: 0s, group_interval: 1m, repeat_interval: 1h}`);
    const clock = fakeClock(T0);
    const worker = webhookWorker(wconn, router, srv.url, { clock: clock.now, random: () => 0.5, settings: { backoffBaseMs: M, backoffMaxMs: M } });
    await enqueueTx(
      conn,
      Array.from({ length: 50 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` })),
      router,
      T0,
    );
    expect(await worker.tick()).toMatchObject({ failed: 50, pending: 50 });
    // Every delivery backs off for half a minute: the next polls read no payload and send nothing.
    const statements: string[] = [];
    const run = wconn.runAndReadAll.bind(wconn);
    const spy = vi.spyOn(wconn, 'runAndReadAll').mockImplementation((sql, ...rest) => (statements.push(sql), run(sql, ...rest)));
    closers.push(() => spy.mockRestore());
    clock.advance(20 * S);
    expect(await worker.tick()).toMatchObject({ sent: 0, failed: 0, pending: 50 });
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((sql) => /SELECT alert_id, alert_status, receiver, group_key, payload/.test(sql))).toEqual([]);
    expect(srv.requests).toHaveLength(50);
    // Once the retries are due the poll sends again, and a delivered group repeats after repeat_interval.
    up = true;
    clock.advance(20 * S);
    expect(await worker.tick()).toMatchObject({ sent: 50, delivered: 50, pending: 0 });
    clock.advance(30 * M);
    expect(await worker.tick()).toMatchObject({ sent: 0 });
    clock.advance(31 * M);
    expect(await worker.tick()).toMatchObject({ sent: 50 });
    expect(srv.requests).toHaveLength(150);
  });

  it('stop() ends the pass in progress before its next group: the end of a run does not wait for a whole pass', async () => {
    const { conn, worker: wconn } = await memoryDb();
    let sends = 0;
    let stopping: Promise<void> | undefined;
    const router = routerFor(`route: {receiver: hook, group_by: ['...'], group_wait: 0s}`);
    const refusing: Receiver = {
      name: 'hook',
      type: 'webhook',
      send: async () => {
        // The run ends while the polling worker is at its third group of twenty.
        if (++sends === 3) stopping = worker.stop();
        throw new DeliveryError('network', false, 'connection refused');
      },
    };
    const worker = new DeliveryWorker({ conn: wconn, router, receivers: new Map([['hook', refusing]]), clock: () => T0, settings: { maxAttempts: 1000 } });
    await enqueueTx(
      conn,
      Array.from({ length: 20 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` })),
      router,
      T0,
    );
    const result = await worker.tick();
    await stopping;
    expect(sends).toBe(3);
    expect(result).toMatchObject({ failed: 3, pending: 20 });
  });

  it('a notification of many alerts writes its key on every one of them, and only them', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer(() => 503);
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: [kind], group_wait: 0s}`);
    const worker = webhookWorker(wconn, router, srv.url);
    // 2,500 firing alerts, and the resolution of ten of them, in one group (more ids than one statement binds).
    const alerts = Array.from({ length: 2500 }, (_, i) => makeAlert({ rule: 'R', subject: `s${i}` }));
    const resolved = alerts.slice(0, 10).map((a) => ({ ...a, status: 'resolved' as const }));
    await enqueueTx(conn, [...alerts, ...resolved], router, T0);
    await enqueueTx(conn, [makeAlert({ rule: 'Other', subject: 'x', kind: 'sales' })], router, T0);
    expect((await worker.drain({ timeoutMs: 0 })).failed).toBe(2);
    const keys = await rows(
      conn,
      `SELECT count(*)::INT AS n, count(DISTINCT notification_key)::INT AS keys, count(*) FILTER (WHERE notification_key IS NULL)::INT AS without
         FROM pulse_outbox GROUP BY group_key ORDER BY n`,
    );
    expect(keys).toEqual([
      { n: 1, keys: 1, without: 0 },
      { n: 2510, keys: 1, without: 0 },
    ]);
    expect(await rows(conn, `SELECT count(DISTINCT notification_key)::INT AS n FROM pulse_outbox`)).toEqual([{ n: 2 }]);
  });

  it('every notification in flight in a group is retried in one pass, not one per pass', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: [kind], group_wait: 0s}`);
    const worker = webhookWorker(wconn, router, srv.url);
    const alerts = [1, 2, 3].map((i) => makeAlert({ rule: 'R', subject: `s${i}` }));
    await enqueueTx(conn, alerts, router, T0);
    // Three notifications of the same group were cut short (a crash between the key and the send).
    for (const [i, alert] of alerts.entries()) {
      await conn.run(`UPDATE pulse_outbox SET notification_key = 'k${i}' WHERE alert_id = '${alert.alert_id}'`);
    }
    const result = await worker.drain({ timeoutMs: 0 });
    expect(result).toMatchObject({ sent: 3, delivered: 3, pending: 0 });
    expect(srv.requests.map((r) => r.headers['idempotency-key']).sort()).toEqual(['k0', 'k1', 'k2']);
  });

  it('requeueDead() clears the old notification keys: the requeued rows of a group go out as one notification', async () => {
    const { conn, worker: wconn } = await memoryDb();
    let refuse = true;
    const srv = await captureServer(() => (refuse ? 400 : 200));
    closers.push(srv.close);
    const router = routerFor(`route: {receiver: hook, group_by: [kind], group_wait: 0s, group_interval: 0s}`);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 10_000 })]]),
      clock: clock.now,
    });
    const alerts = [1, 2].map((i) => makeAlert({ rule: 'R', subject: `s${i}` }));
    await enqueueTx(conn, [alerts[0]!], router, T0);
    await worker.tick();
    clock.advance(S);
    await enqueueTx(conn, [alerts[1]!], router, clock.now());
    await worker.tick();
    expect(await rows(conn, `SELECT count(DISTINCT notification_key)::INT AS keys, min(status) AS status FROM pulse_outbox`)).toEqual([
      { keys: 2, status: 'dead' },
    ]);
    refuse = false;
    expect(await worker.requeueDead({ receiver: 'hook' })).toBe(2);
    expect((await worker.drain({ timeoutMs: 0 })).sent).toBe(1);
    expect(alertIds(srv.requests.at(-1)?.body)).toEqual(alerts.map((a) => a.alert_id).sort());
  });
});

describe('delivery worker: resolve_timeout', () => {
  it('an unresolved firing alert stops repeating and inhibiting after resolve_timeout', async () => {
    const { conn, worker: wconn } = await memoryDb();
    const srv = await captureServer();
    closers.push(srv.close);
    const router = routerFor(`
route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1m, repeat_interval: 1h}
inhibit_rules:
  - {source_matchers: ['alertname="Outage"'], target_matchers: ['alertname="Drift"']}
`);
    const clock = fakeClock(T0);
    const worker = new DeliveryWorker({
      conn: wconn,
      router,
      receivers: new Map([['hook', new WebhookReceiver({ name: 'hook', url: srv.url, timeoutMs: 2000 })]]),
      clock: clock.now,
      settings: { resolveTimeoutMs: 90 * M },
    });
    const outage = makeAlert({ rule: 'Outage', subject: 'all' });
    await enqueueTx(conn, [outage], router, T0);
    await worker.tick();
    const drift1 = makeAlert({ rule: 'Drift', subject: 'c1' });
    clock.set(T0 + 80 * M);
    await enqueueTx(conn, [drift1], router, clock.now());
    expect((await worker.tick()).muted).toBe(1); // outage still counts as firing at 80 min
    clock.set(T0 + H);
    await worker.tick(); // repeat of the outage at 1h
    expect(srv.requests.map((r) => alertIds(r.body))).toEqual([[outage.alert_id], [outage.alert_id]]);
    clock.set(T0 + 2 * H);
    const drift2 = makeAlert({ rule: 'Drift', subject: 'c2' });
    await enqueueTx(conn, [drift2], router, clock.now());
    await worker.tick(); // outage is past resolve_timeout: no repeat, no inhibition
    clock.set(T0 + 3 * H);
    await worker.tick();
    // Only drift2 repeats (delivered at 2h, repeat_interval 1h); the outage does not.
    expect(srv.requests.map((r) => alertIds(r.body))).toEqual([[outage.alert_id], [outage.alert_id], [drift2.alert_id], [drift2.alert_id]]);
  });
});
