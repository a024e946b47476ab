/**
 * How the console reaches the job's database. Inside a running job it takes turns with the
 * checkpoints through the job's queue (as the command API does) on a connection of its own; from
 * `pulse console --db FILE` it owns the file and serves one request's database work at a time.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SerialQueue } from '../sinks/serial-queue.js';

export interface ConsoleDatabase {
  /** Runs `work` on a connection; no other database work of the job runs meanwhile. */
  use<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
}

/** The console of a running job: connections made on demand, work in turn with the checkpoints. */
export function queuedDatabase(queue: SerialQueue, connect: () => Promise<DuckDBConnection>): ConsoleDatabase {
  return {
    use: (work) =>
      queue.run(async () => {
        const conn = await connect();
        try {
          await conn.run(`SET TimeZone = 'UTC'`);
          return await work(conn);
        } finally {
          conn.closeSync();
        }
      }),
  };
}

/**
 * The console of a database no job holds: one connection, one request's work at a time, in turn
 * with the other work of `queue` (the command API's, which `pulse cases` reaches it through: two
 * queues let a page's update and a command's update of one case collide in DuckDB).
 */
export function singleConnectionDatabase(conn: DuckDBConnection, queue = new SerialQueue()): ConsoleDatabase {
  return { use: (work) => queue.run(() => work(conn)) };
}
