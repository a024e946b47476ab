import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { type Alert, stableAlertId } from '../../../operators/alert.js';
import type { Notification } from '../../../sinks/alerts/types.js';
import { OUTPUT_TABLES_DDL, STATE_TABLES_DDL } from '../../../sinks/duckdb/schema.js';

export interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A real HTTP server on 127.0.0.1 that records requests; `status` decides the answer. */
export async function captureServer(status: (req: Captured, n: number) => number = () => 200): Promise<{
  url: string;
  requests: Captured[];
  server: Server;
  close: () => Promise<void>;
}> {
  const requests: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const captured: Captured = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text ? (JSON.parse(text) as unknown) : null,
      };
      requests.push(captured);
      const code = status(captured, requests.length);
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(code < 300 ? 'ok' : `error ${code}`);
    });
  });
  return { ...(await listenLocally(server)), requests, server };
}

/**
 * Starts `server` (HTTP or plain TCP) on a free port of 127.0.0.1. `close` ends its connections
 * too: fetch keeps them open for reuse, and a close that waits for them waits for ever.
 */
export async function listenLocally(server: NetServer): Promise<{ port: number; url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    return closed;
  };
  return { port, url: `http://127.0.0.1:${port}`, close };
}

export async function memoryDb(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection; worker: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  for (const ddl of [...OUTPUT_TABLES_DDL, ...STATE_TABLES_DDL]) await conn.run(ddl);
  const worker = await instance.connect();
  return { instance, conn, worker };
}

export function makeAlert(over: Partial<Alert> & { rule: string; subject: string }): Alert {
  const windowStart = over.window_start ?? Date.parse('2026-03-02T00:00:00Z');
  const { subject, ...rest } = over;
  return {
    alert_id: stableAlertId(over.rule, windowStart, subject),
    kind: 'service',
    severity: 'warning',
    customer_id: null,
    window_start: windowStart,
    fired_at: windowStart + 3_600_000,
    labels: { alertname: over.rule },
    annotations: { summary: `${over.rule} on ${subject}` },
    status: 'firing',
    ...rest,
  };
}

/** A clock the test moves by hand. */
export function fakeClock(start: number): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}

/** A notification of one firing billing alert, as a receiver gets it. */
export function oneAlertNotification(receiver: string, idempotencyKey: string): Notification {
  return {
    receiver,
    groupKey: '{}:{queue="billing"}',
    groupLabels: { queue: 'billing' },
    status: 'firing',
    idempotencyKey,
    externalURL: 'http://pulse.local:9464',
    alerts: [
      {
        alertId: 'a1',
        status: 'firing',
        labels: { alertname: 'AbandonRateHigh', queue: 'billing', alert_id: 'a1' },
        annotations: { summary: 'Abandon rate high' },
        startsAt: '2026-03-02T01:00:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        customerId: null,
      },
    ],
  };
}
