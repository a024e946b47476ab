import { StoreLockedError } from '../operators/errors.js';
import { DuckDBStore } from '../sinks/duckdb/store.js';

/** Opens the job's DuckDB file, turning DuckDB's lock conflict into an error that says what to do. */
export async function openStore(path: string): Promise<DuckDBStore> {
  try {
    return await DuckDBStore.open(path);
  } catch (error) {
    if (/lock/i.test((error as Error).message)) throw new StoreLockedError(path, error);
    throw error;
  }
}
