import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertmanagerReceiver } from '../../../sinks/alerts/alertmanager.js';
import { DeliveryError } from '../../../sinks/alerts/errors.js';
import { retryAfter } from '../../../sinks/alerts/http.js';
import { FileReceiver } from '../../../sinks/alerts/file.js';
import { SlackReceiver } from '../../../sinks/alerts/slack.js';
import type { Notification } from '../../../sinks/alerts/types.js';
import { WebhookReceiver } from '../../../sinks/alerts/webhook.js';
import { captureServer } from './helpers.js';

const notification: Notification = {
  receiver: 'ops',
  groupKey: '{}/{kind="service"}:{queue="billing"}',
  groupLabels: { queue: 'billing' },
  status: 'firing',
  idempotencyKey: 'k-123',
  externalURL: 'http://pulse.local:9464',
  alerts: [
    {
      alertId: 'a1',
      status: 'firing',
      labels: { alertname: 'AbandonRateHigh', queue: 'billing', severity: 'critical', alert_id: 'a1' },
      annotations: { summary: 'Abandon rate high', baseline: '0.05', current: '0.21' },
      startsAt: '2026-03-02T01:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://pulse.local:9464/alerts/a1',
      customerId: null,
    },
    {
      alertId: 'a2',
      status: 'resolved',
      labels: { alertname: 'AbandonRateHigh', queue: 'billing', severity: 'warning', alert_id: 'a2' },
      annotations: { summary: 'Abandon rate high', baseline: '0.05', current: '0.04' },
      startsAt: '2026-03-02T00:00:00.000Z',
      endsAt: '2026-03-02T02:00:00.000Z',
      generatorURL: '',
      customerId: null,
    },
  ],
};

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers) await c();
  closers = [];
});

describe('webhook receiver', () => {
  it("posts exactly Alertmanager's webhook JSON with Idempotency-Key and bearer token", async () => {
    const srv = await captureServer();
    closers.push(srv.close);
    await new WebhookReceiver({ name: 'ops', url: `${srv.url}/hook`, bearerToken: 's3cret', timeoutMs: 2000 }).send(notification);
    expect(srv.requests).toHaveLength(1);
    const req = srv.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook');
    expect(req.headers['idempotency-key']).toBe('k-123');
    expect(req.headers.authorization).toBe('Bearer s3cret');
    expect(req.headers['content-type']).toBe('application/json');
    // Hand-written expected document (Alertmanager 0.25 webhook, version 4).
    expect(req.body).toEqual({
      version: '4',
      groupKey: '{}/{kind="service"}:{queue="billing"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'ops',
      groupLabels: { queue: 'billing' },
      commonLabels: { alertname: 'AbandonRateHigh', queue: 'billing' },
      commonAnnotations: { summary: 'Abandon rate high', baseline: '0.05' },
      externalURL: 'http://pulse.local:9464',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'AbandonRateHigh', queue: 'billing', severity: 'critical', alert_id: 'a1' },
          annotations: { summary: 'Abandon rate high', baseline: '0.05', current: '0.21' },
          startsAt: '2026-03-02T01:00:00.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://pulse.local:9464/alerts/a1',
          fingerprint: 'a1',
        },
        {
          status: 'resolved',
          labels: { alertname: 'AbandonRateHigh', queue: 'billing', severity: 'warning', alert_id: 'a2' },
          annotations: { summary: 'Abandon rate high', baseline: '0.05', current: '0.04' },
          startsAt: '2026-03-02T00:00:00.000Z',
          endsAt: '2026-03-02T02:00:00.000Z',
          generatorURL: '',
          fingerprint: 'a2',
        },
      ],
    });
  });

  it.each([
    [400, 'http_4xx', true],
    [404, 'http_4xx', true],
    [408, 'http_408', false],
    [429, 'http_429', false],
    [500, 'http_5xx', false],
    [503, 'http_5xx', false],
  ])('HTTP %d is %s, permanent=%s', async (status, reason, permanent) => {
    const srv = await captureServer(() => status);
    closers.push(srv.close);
    const err = await new WebhookReceiver({ name: 'ops', url: srv.url, timeoutMs: 2000 }).send(notification).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).reason).toBe(reason);
    expect((err as DeliveryError).permanent).toBe(permanent);
  });

  it('reads Retry-After as seconds or as a date (RFC 9110), and ignores what is neither', () => {
    const now = Date.parse('2026-03-02T08:00:00Z');
    expect(retryAfter('120', now)).toBe(120_000);
    expect(retryAfter(' 0 ', now)).toBe(0);
    expect(retryAfter('Mon, 02 Mar 2026 08:01:30 GMT', now)).toBe(90_000);
    expect(retryAfter('Mon, 02 Mar 2026 07:00:00 GMT', now)).toBe(0);
    expect(retryAfter(null, now)).toBeUndefined();
    expect(retryAfter('soon', now)).toBeUndefined();
    expect(retryAfter('-5', now)).toBeUndefined();
  });

  it('times out a receiver that does not answer, and reports a closed port as a network error', async () => {
    const srv = await captureServer();
    srv.server.removeAllListeners('request');
    srv.server.on('request', () => undefined); // never answers
    closers.push(async () => {
      srv.server.closeAllConnections();
      await srv.close();
    });
    const started = Date.now();
    const err = (await new WebhookReceiver({ name: 'ops', url: srv.url, timeoutMs: 300 }).send(notification).catch((e: unknown) => e)) as DeliveryError;
    expect(err.reason).toBe('timeout');
    expect(err.permanent).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);

    const closed = await captureServer();
    await closed.close();
    const err2 = (await new WebhookReceiver({ name: 'ops', url: closed.url, timeoutMs: 1000 }).send(notification).catch((e: unknown) => e)) as DeliveryError;
    expect(err2.reason).toBe('network');
    expect(err2.message).toMatch(/ECONNREFUSED/);
  });
});

describe('alertmanager v2 receiver (shape)', () => {
  it('posts postable alerts to /api/v2/alerts', async () => {
    const srv = await captureServer();
    closers.push(srv.close);
    await new AlertmanagerReceiver({ name: 'am', url: `${srv.url}/`, timeoutMs: 2000 }).send(notification);
    const req = srv.requests[0]!;
    expect(req.url).toBe('/api/v2/alerts');
    expect(req.body).toEqual([
      {
        labels: { alertname: 'AbandonRateHigh', queue: 'billing', severity: 'critical', alert_id: 'a1' },
        annotations: { summary: 'Abandon rate high', baseline: '0.05', current: '0.21' },
        startsAt: '2026-03-02T01:00:00.000Z',
        generatorURL: 'http://pulse.local:9464/alerts/a1',
      },
      {
        labels: { alertname: 'AbandonRateHigh', queue: 'billing', severity: 'warning', alert_id: 'a2' },
        annotations: { summary: 'Abandon rate high', baseline: '0.05', current: '0.04' },
        startsAt: '2026-03-02T00:00:00.000Z',
        endsAt: '2026-03-02T02:00:00.000Z',
      },
    ]);
  });
});

describe('slack and file receivers', () => {
  it('slack gets {text, blocks} with the numbers', async () => {
    const srv = await captureServer();
    closers.push(srv.close);
    await new SlackReceiver({ name: 'sl', url: `${srv.url}/services/T/B/X`, timeoutMs: 2000 }).send(notification);
    const body = srv.requests[0]!.body as { text: string; blocks: Array<{ type: string; fields?: Array<{ text: string }> }> };
    expect(body.text).toBe('[FIRING] AbandonRateHigh (1 firing, 1 resolved)');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section']);
    expect(body.blocks[1]!.fields!.map((f) => f.text)).toEqual(['*baseline*\n0.05', '*current*\n0.21']);
  });

  it('slack text from events cannot mention the channel or disguise a link', async () => {
    const srv = await captureServer();
    closers.push(srv.close);
    const hostile = {
      ...notification,
      alerts: [
        {
          ...notification.alerts[0]!,
          labels: { ...notification.alerts[0]!.labels, alertname: 'Complaint <!channel>' },
          annotations: {
            summary: 'Customer <!channel> says <https://evil.example|Click here> & more',
            description: 'comment: <@U024BE7LH> <!here> a > b',
            link: 'https://evil.example/x|Your invoice>',
          },
          customerId: '<!everyone>',
        },
      ],
    };
    await new SlackReceiver({ name: 'sl', url: `${srv.url}/services/T/B/X`, timeoutMs: 2000 }).send(hostile);
    const body = srv.requests[0]!.body as { text: string; blocks: Array<{ type: string; text: { text: string }; fields?: Array<{ text: string }> }> };
    const mrkdwn = [body.text, body.blocks[1]!.text.text, ...body.blocks[1]!.fields!.map((f) => f.text)];
    expect(body.text).toBe('[FIRING] Complaint &lt;!channel&gt; (1 firing)');
    expect(body.blocks[1]!.text.text).toBe(
      '*FIRING*: Customer &lt;!channel&gt; says &lt;https://evil.example|Click here&gt; &amp; more\ncomment: &lt;@U024BE7LH&gt; &lt;!here&gt; a &gt; b',
    );
    // A link is shown as the URL it goes to, which cannot end early.
    expect(body.blocks[1]!.fields).toEqual([
      { type: 'mrkdwn', text: '*link*\n<https://evil.example/x%7CYour%20invoice%3E|https://evil.example/x|Your invoice&gt;>' },
    ]);
    for (const text of mrkdwn) expect(text.replace(/<https:\/\/evil\.example\/x%7CYour%20invoice%3E\|[^<>]*>/, '')).not.toMatch(/[<>]/);
    // The header is plain_text (Slack shows it as it is).
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '[FIRING] Complaint <!channel> (1 firing)' } });
  });

  it('file appends one NDJSON line per notification', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-file-'));
    const path = join(dir, 'sub', 'alerts.ndjson');
    const r = new FileReceiver({ name: 'f', path });
    await r.send(notification);
    await r.send({ ...notification, idempotencyKey: 'k-456' });
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const parsed = lines.slice(0, 2).map((l) => JSON.parse(l) as { version: string; idempotencyKey: string; alerts: unknown[] });
    expect(parsed.map((p) => p.idempotencyKey)).toEqual(['k-123', 'k-456']);
    expect(parsed[0]!.version).toBe('4');
    expect(parsed[0]!.alerts).toHaveLength(2);
  });
});
