import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../sinks/alerts/errors.js';
import { MAX_REDIRECTS } from '../../../sinks/alerts/http.js';
import type { Notification } from '../../../sinks/alerts/types.js';
import { WebhookReceiver } from '../../../sinks/alerts/webhook.js';
import { captureServer, listenLocally, oneAlertNotification } from './helpers.js';

/**
 * Receivers that answer badly: an endless error page, a redirect loop, a peer that does not
 * speak HTTP. Each is a real server on 127.0.0.1.
 */

const notification: Notification = oneAlertNotification('ops', 'k-1');

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers) await c();
  closers = [];
});

/** The send's error; fails the test when the send succeeds or throws something else. */
async function deliveryError(url: string, over: { bearerToken?: string; timeoutMs?: number } = {}): Promise<DeliveryError> {
  const err = await new WebhookReceiver({ name: 'ops', url, timeoutMs: 20_000, ...over }).send(notification).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

/** An HTTP server answering every request with `answer`; it is closed after the test. */
async function httpServer(answer: (res: ServerResponse, path: string) => void): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(req.url ?? '');
    req.resume();
    req.on('end', () => answer(res, req.url ?? ''));
  });
  const { url, close } = await listenLocally(server);
  closers.push(close);
  return { url, requests };
}

describe('error answers', () => {
  it('quotes the start of an endless error body, and closes the connection instead of reading on', async () => {
    let connectionClosed!: Promise<void>;
    const srv = await httpServer((res) => {
      connectionClosed = new Promise((resolve) => res.on('close', resolve));
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write('upstream database is down; ');
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // As fast as the client takes it, and never ends.
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const err = await deliveryError(srv.url);
    expect(err.reason).toBe('http_5xx');
    expect(err.message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+ answered HTTP 500: upstream database is down; x+$/);
    expect(err.message.length).toBeLessThan(400);
    await connectionClosed;
  });

  it('still quotes a short error body whole, a character split between two writes included', async () => {
    const body = Buffer.from('Wartung läuft 🚧 bitte später');
    const splitInsideEmoji = body.indexOf(Buffer.from('🚧')) + 2;
    const srv = await httpServer((res) => {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.write(body.subarray(0, splitInsideEmoji), () => res.end(body.subarray(splitInsideEmoji)));
    });
    const err = await deliveryError(srv.url);
    expect(err.reason).toBe('http_5xx');
    expect(err.message).toMatch(/answered HTTP 503: Wartung läuft 🚧 bitte später$/);
  });
});

describe('redirects', () => {
  it('stops a redirect loop after a few POSTs and says it looks like one', async () => {
    const srv = await httpServer((res, path) => {
      res.writeHead(307, { location: path });
      res.end();
    });
    const err = await deliveryError(`${srv.url}/hook`);
    expect(err.reason).toBe('network');
    expect(err.message).toContain(`was redirected more than ${MAX_REDIRECTS} times`);
    expect(err.message).toContain("a redirect loop? Check the receiver's URL");
    expect(srv.requests).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('follows one 308 with the payload, and does not hand the bearer token to another origin', async () => {
    const target = await captureServer();
    closers.push(target.close);
    const srv = await httpServer((res) => {
      res.writeHead(308, { location: `${target.url}/moved` });
      res.end();
    });
    await new WebhookReceiver({ name: 'ops', url: `${srv.url}/hook`, bearerToken: 's3cret-token', timeoutMs: 20_000 }).send(notification);
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]).toMatchObject({ method: 'POST', url: '/moved', body: { groupKey: '{}:{queue="billing"}' } });
    expect(target.requests[0]!.headers.authorization).toBeUndefined();
    expect(target.requests[0]!.headers['idempotency-key']).toBe('k-1');
  });

  it('does not follow a 302, which would turn the POST into a GET without the notification', async () => {
    const target = await captureServer();
    closers.push(target.close);
    const srv = await httpServer((res) => {
      res.writeHead(302, { location: `${target.url}/login` });
      res.end();
    });
    const err = await deliveryError(srv.url);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain(`answered HTTP 302, a redirect to ${target.url} not followed`);
    expect(err.message).toContain("set the receiver's URL to the address it redirects to");
    expect(target.requests).toHaveLength(0);
  });
});

describe('peers that do not speak HTTP', () => {
  it("quotes the parser's complaint and its code, and says what to check", async () => {
    const server = createTcpServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n'));
    const { url, close } = await listenLocally(server);
    closers.push(close);
    const err = await deliveryError(url);
    expect(err.reason).toBe('network');
    expect(err.message).toContain('failed: Response does not match the HTTP/1.1 protocol (Expected HTTP/) (HPE_INVALID_CONSTANT)');
    expect(err.message).toContain("check the URL's port, and whether it should be https://");
  });

  it('says an https:// URL points at a plain-HTTP port', async () => {
    const srv = await captureServer();
    closers.push(srv.close);
    const err = await deliveryError(srv.url.replace('http:', 'https:'));
    expect(err.reason).toBe('network');
    expect(err.message).toContain('wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)');
    expect(err.message).toContain('the peer does not speak TLS');
  });
});
