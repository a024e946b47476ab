import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthState {
  /** The process is alive and its loop turns. */
  healthy(): boolean;
  /** State restored and the source is being read. */
  ready(): boolean;
}

/** A JSON endpoint beside the metrics: `POST path` with a JSON body, answered with JSON. */
export interface JsonEndpoint {
  path: string;
  handle(body: unknown): Promise<unknown>;
}

const MAX_BODY_BYTES = 1 << 20;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain' });
  response.end(text);
}

/** Loopback callers only: the endpoint may change data, and the metrics port is open to scrapers. */
function serveJson(endpoint: JsonEndpoint, request: IncomingMessage, response: ServerResponse): void {
  if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) return sendText(response, 403, 'only local callers may use this endpoint\n');
  if (request.method !== 'POST') return sendText(response, 405, `use POST ${endpoint.path}\n`);
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
export async function startMetricsServer(
  port: number,
  registry: Registry,
  health: HealthState,
  endpoints: readonly JsonEndpoint[] = [],
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const endpoint = endpoints.find((e) => e.path === path);
    if (endpoint) return serveJson(endpoint, request, response);
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
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}
