import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StoreLockedError } from '../operators/errors.js';
import { DuckDBStore } from '../sinks/duckdb/store.js';

/** DuckDB's lock conflict becomes an error that says what to do; anything else is rethrown. */
async function withLockMessage<T>(path: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (/lock/i.test((error as Error).message)) throw new StoreLockedError(path, error);
    throw error;
  }
}

/** Opens the job's DuckDB file as the job's state store (`memoryLimit`: DuckDB's, e.g. `512MB`). */
export function openStore(path: string, options: { memoryLimit?: string } = {}): Promise<DuckDBStore> {
  return withLockMessage(path, () => DuckDBStore.open(path, options));
}

/** Opens a job's DuckDB file for a command that works on it directly (e.g. `pulse cases`). */
export function openDatabase(path: string): Promise<{ connection: DuckDBConnection; close: () => void }> {
  return withLockMessage(path, async () => {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return {
      connection,
      close: () => {
        connection.closeSync();
        instance.closeSync();
      },
    };
  });
}
