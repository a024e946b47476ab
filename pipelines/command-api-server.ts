import type { AddressInfo } from 'node:net';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Registry } from 'prom-client';
import { startMetricsServer } from '../sinks/metrics/http-server.js';
import { COMMAND_API_PATH, JobCommandApi } from './job-api.js';
import { newApiToken, publishApiAddress } from './job-api-address.js';
import { SerialQueue } from '../sinks/serial-queue.js';

/**
 * The command API (job-api.ts) of a process that holds a database but has no metrics port of its
 * own (`pulse console`): on a port of the system's choosing, with its address published beside
 * the database as a job publishes its own, so that `pulse cases` and the other database commands
 * run inside it instead of failing on DuckDB's lock.
 */
export async function serveCommandApi(options: {
  dbPath: string;
  reportsDir: string;
  connect: () => Promise<DuckDBConnection>;
  /** The commands' database work takes turns with the other work of this queue (the console's pages). */
  queue: SerialQueue;
}): Promise<{ close: () => Promise<void> }> {
  const api = new JobCommandApi(options);
  const token = newApiToken();
  const server = await startMetricsServer(0, new Registry(), { healthy: () => true, ready: () => true }, [
    { path: COMMAND_API_PATH, token, handle: (body) => api.handle(body) },
  ]);
  const unpublish = publishApiAddress(options.dbPath, (server.address() as AddressInfo).port, token);
  return {
    close: async () => {
      unpublish();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
