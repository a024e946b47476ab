import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StoreLockedError } from '../operators/errors.js';
import { checkExistingDatabase, checkJobDatabasePath, explainOpenError } from '../sinks/duckdb/database-path.js';
import { DuckDBStore, refuseForeignDatabase } from '../sinks/duckdb/store.js';

/**
 * DuckDB's lock conflict becomes an error that says what to do; anything else is rethrown. A lock
 * is retried for `waitMs` first: commands such as `pulse cases list` hold the file for a moment.
 */
async function withLockMessage<T>(path: string, open: () => Promise<T>, waitMs = 0): Promise<T> {
  const giveUpAt = Date.now() + waitMs;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (!/lock/i.test((error as Error).message)) throw explainOpenError(path, error);
      if (Date.now() >= giveUpAt) throw new StoreLockedError(path, error);
      await sleep(LOCK_RETRY_MS);
    }
  }
}

const LOCK_RETRY_MS = 200;
/**
 * How long a starting job waits for its file: a command run at the moment the job starts (before
 * the job publishes its API address, so the command opens the file itself) must not stop the job.
 */
const JOB_LOCK_WAIT_MS = 10_000;

/** Opens the job's DuckDB file as the job's state store (`memoryLimit`: DuckDB's, e.g. `512MB`). */
export function openStore(path: string, options: { memoryLimit?: string } = {}): Promise<DuckDBStore> {
  checkJobDatabasePath(path);
  return withLockMessage(path, () => DuckDBStore.open(path, options), JOB_LOCK_WAIT_MS);
}

/**
 * Opens a job's DuckDB file for a command that works on it directly (e.g. `pulse cases`); it must
 * exist, and be customer-pulse's: the commands add their tables (cases, leads, users) to the file,
 * which in another program's database was a change nobody asked for, and then "no cases match".
 * `connect` gives more connections to it (`pulse console` serves the command API beside its pages).
 */
export function openDatabase(path: string): Promise<{ connection: DuckDBConnection; connect: () => Promise<DuckDBConnection>; close: () => void }> {
  checkExistingDatabase(path);
  return withLockMessage(path, async () => {
    const instance = await DuckDBInstance.create(path);
    const connect = async (): Promise<DuckDBConnection> => {
      const connection = await instance.connect();
      await connection.run(`SET TimeZone = 'UTC'`);
      return connection;
    };
    const connection = await connect();
    const close = (): void => {
      connection.closeSync();
      instance.closeSync();
    };
    await refuseForeignDatabase(connection, path).catch((error: unknown) => {
      close();
      throw error;
    });
    return { connection, connect, close };
  });
}
