/**
 * `pulse console --db FILE`: the web console over a database no job is running on (a running job
 * serves its own console on `--console-port` / `console.port`). Runs until SIGINT or SIGTERM.
 */
import { resolve } from 'node:path';
import { StoreLockedError, UsageError } from '../../operators/errors.js';
import { requireDuration } from '../../operators/duration.js';
import { singleConnectionDatabase } from '../../console/database.js';
import { createOrUpgradeTables } from '../../sinks/duckdb/migrate.js';
import { OUTPUT_TABLES_DDL, STATE_TABLES_DDL } from '../../sinks/duckdb/schema.js';
import { openDatabase } from '../open-store.js';
import { serveCommandApi } from '../command-api-server.js';
import { SerialQueue } from '../../sinks/serial-queue.js';

export interface ConsoleCommandOptions {
  db: string;
  port: number;
  host: string;
  baseUrl?: string;
  reports?: string;
  dueSoon: string;
}

export async function consoleCommand(options: ConsoleCommandOptions, signal?: AbortSignal): Promise<void> {
  let dueSoonMs: number;
  try {
    dueSoonMs = requireDuration(options.dueSoon);
  } catch (error) {
    throw new UsageError(`--due-soon: ${(error as Error).message}`);
  }
  if (options.baseUrl !== undefined && !/^https?:\/\/\S+$/.test(options.baseUrl)) {
    throw new UsageError(`--base-url must be an http:// or https:// address; got '${options.baseUrl}'`);
  }
  const opened = await openDatabase(options.db).catch((error: unknown) => {
    if (error instanceof StoreLockedError) {
      throw new UsageError(`${error.message} A running job serves the console itself: start it with --console-port N (or console.port in its YAML).`);
    }
    throw error;
  });
  // The console's pages and the commands that reach the file through it take turns on it.
  const queue = new SerialQueue();
  try {
    // A database written by an older version may lack the users table (or newer columns).
    await createOrUpgradeTables(opened.connection, [...OUTPUT_TABLES_DDL, ...STATE_TABLES_DDL]);
    // `pulse cases`, `pulse users` and the other database commands reach the file through the
    // console while it holds it, as they reach a running job (SPEC section 2: never a lock error);
    // served before the web server starts, so that a command in the console's first seconds finds it.
    const api = await serveCommandApi({ dbPath: options.db, reportsDir: resolve(options.reports ?? 'reports'), connect: opened.connect, queue });
    // The web server and its templates load only for a console (about 60 ms of each start).
    const { startConsole } = await import('../../console/server.js');
    const server = await startConsole({
      db: singleConnectionDatabase(opened.connection, queue),
      port: options.port,
      host: options.host,
      dueSoonMs,
      ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl.replace(/\/+$/, '') }),
      ...(options.reports === undefined ? {} : { reportsDir: options.reports }),
    }).catch(async (error: unknown) => {
      await api.close();
      throw error;
    });
    process.stderr.write(`pulse console: serving ${options.db} at ${server.url} (stop with Ctrl-C)\n`);
    try {
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        signal?.addEventListener('abort', stop, { once: true });
      });
    } finally {
      await api.close();
      await server.close();
    }
  } finally {
    opened.close();
  }
}
