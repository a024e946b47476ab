import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { listenError } from '../listen-port.js';

export interface HealthState {
  /** The process is alive and its loop turns. */
  healthy(): boolean;
  /** State restored and the source is being read. */
  ready(): boolean;
}

/**
 * A JSON endpoint beside the metrics: `POST path` with a JSON body and `Authorization: Bearer
 * <token>`, answered with JSON.
 */
export interface JsonEndpoint {
  path: string;
  token: string;
  handle(body: unknown): Promise<unknown>;
}

const MAX_BODY_BYTES = 1 << 20;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain' });
  response.end(text);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Why a request may not use an endpoint that changes data, or undefined when it may. Loopback
 * callers only (the metrics port is open to scrapers); a browser's request is refused by its
 * Origin (the CLI sends none), by a Host that is not this loopback port (DNS rebinding), and by a
 * content type other than JSON (a page's "simple" cross-origin POST is text/plain or a form); and
 * the caller must show the token the job published for its own user.
 */
function refusal(endpoint: JsonEndpoint, request: IncomingMessage, port: number): [number, string] | undefined {
  if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) return [403, 'only local callers may use this endpoint'];
  if (request.method !== 'POST') return [405, `use POST ${endpoint.path}`];
  if (request.headers.origin !== undefined) return [403, `requests from web pages (Origin ${request.headers.origin}) are refused`];
  const host = request.headers.host ?? '';
  if (!LOOPBACK_HOSTS.some((name) => host === `${name}:${port}`)) return [403, `Host '${host}' is not this job's loopback address`];
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return [415, 'the body must be JSON (Content-Type: application/json)'];
  const auth = request.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ') || !sameSecret(auth.slice('Bearer '.length), endpoint.token)) {
    return [401, "missing or wrong token: the pulse command reads it from the job's <db>.api.json"];
  }
  return undefined;
}

function serveJson(endpoint: JsonEndpoint, request: IncomingMessage, response: ServerResponse, port: number): void {
  const refused = refusal(endpoint, request, port);
  if (refused) {
    request.resume();
    return sendText(response, refused[0], `${refused[1]}\n`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_BODY_BYTES) return sendText(response, 413, `the body is larger than ${MAX_BODY_BYTES} bytes\n`);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      return sendText(response, 400, `the body is not JSON: ${(error as Error).message}\n`);
    }
    endpoint
      .handle(body)
      .then((result) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(result));
      })
      .catch((error: Error) => sendText(response, 500, `${error.message}\n`));
  });
}

/**
 * Serves `/metrics` (Prometheus text), `/healthz` and `/readyz` on the metrics port, and the
 * given JSON endpoints (a running job's command API).
 */
export async function startMetricsServer(port: number, registry: Registry, health: HealthState, endpoints: readonly JsonEndpoint[] = []): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const endpoint = endpoints.find((e) => e.path === path);
    if (endpoint) return serveJson(endpoint, request, response, (server.address() as AddressInfo).port);
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'Content-Type': registry.contentType });
          response.end(text);
        })
        .catch((error: Error) => {
          response.writeHead(500, { 'Content-Type': 'text/plain' });
          response.end(`metrics collection failed: ${error.message}\n`);
        });
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? health.healthy() : health.ready();
      response.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
      response.end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain' });
    response.end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, port, '--metrics-port (metrics.port)')));
    server.listen(port, () => resolve());
  });
  return server;
}
