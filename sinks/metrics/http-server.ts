import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthState {
  /** The process is alive and its loop turns. */
  healthy(): boolean;
  /** State restored and the source is being read. */
  ready(): boolean;
}

/** Serves `/metrics` (Prometheus text), `/healthz` and `/readyz` on the metrics port. */
export async function startMetricsServer(port: number, registry: Registry, health: HealthState): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
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
