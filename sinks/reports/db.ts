import { formatDuration, positiveDuration } from '../../operators/duration.js';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { StoreLockedError, UsageError } from '../../operators/errors.js';
import { checkExistingDatabase, explainOpenError } from '../duckdb/database-path.js';

export type Params = Record<string, DuckDBValue>;

/**
 * Runs a query and returns plain rows. BIGINT values arrive as bigint; callers read them with
 * `num`/`numOrNull`, and timestamps are selected as `epoch_ms(...)` so the session time zone never
 * matters.
 */
export async function queryRows(connection: DuckDBConnection, sql: string, params: Params = {}, cache?: ReadCache): Promise<Array<Record<string, unknown>>> {
  if (cache !== undefined) return cache.rows(connection, sql, params);
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
}

/**
 * Query results shared by reports read one after another (pipelines/report-queue.ts keeps one until
 * the next checkpoint commits): reads that do not depend on a report's own alert (the window sizes
 * present, the first window of a queue) run once instead of once a report, a fifth of a KPI
 * report's reading time. Results are as the database held them at the first read; a read that
 * failed is not kept.
 */
export class ReadCache {
  private readonly results = new Map<string, Promise<Array<Record<string, unknown>>>>();

  rows(connection: DuckDBConnection, sql: string, params: Params): Promise<Array<Record<string, unknown>>> {
    const key = `${sql}\u0000${JSON.stringify(params, (_name, value: unknown) => (typeof value === 'bigint' ? String(value) : value))}`;
    let result = this.results.get(key);
    if (result === undefined) {
      result = queryRows(connection, sql, params);
      this.results.set(key, result);
      result.catch(() => this.results.delete(key));
    }
    return result;
  }
}

export function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'bigint' ? Number(value) : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function num(value: unknown): number {
  return numOrNull(value) ?? 0;
}

export function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

/** Parses a window size such as `15m`, `1h`, `1d` into milliseconds. */
export function parseWindowSize(text: string): number {
  const ms = positiveDuration(text);
  if (ms === null) throw new UsageError(`window size "${text}" is not valid: use a number and a unit, e.g. 15m, 1h or 1d`);
  return ms;
}

/** Formats a window size in ms as the largest whole unit: 900000 -> `15m`. */
export const formatWindowSize = formatDuration;

/** The window sizes (ms) present in a table, smallest first. `where` filters rows (may use params). */
export async function windowSizes(connection: DuckDBConnection, table: string, where = 'TRUE', params: Params = {}, cache?: ReadCache): Promise<number[]> {
  const rows = await queryRows(
    connection,
    `SELECT DISTINCT epoch_ms(window_end) - epoch_ms(window_start) AS size_ms FROM ${table} WHERE ${where} ORDER BY size_ms`,
    params,
    cache,
  );
  return rows.map((r) => num(r.size_ms));
}

/** A read-only connection to a database file that the caller closes with `close()`. */
export interface ReadOnlyDatabase {
  connection: DuckDBConnection;
  close(): void;
}

/**
 * Opens a DuckDB file read-only for on-demand reports. A running job holds the file's lock; then
 * this throws StoreLockedError, whose message says to stop the job or use its HTTP API.
 */
export async function openReadOnly(path: string): Promise<ReadOnlyDatabase> {
  checkExistingDatabase(path);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (error) {
    if (/lock/i.test((error as Error).message)) throw new StoreLockedError(path, error);
    throw explainOpenError(path, error);
  }
  const connection = await instance.connect();
  // Another program's DuckDB file: say so, rather than DuckDB's "Table with name ... does not exist!" and a caret.
  const pulseTables = await connection.runAndReadAll(`SELECT 1 FROM duckdb_tables() WHERE table_name = 'customer_windows'`);
  if (pulseTables.getRows().length === 0) {
    connection.closeSync();
    instance.closeSync();
    throw new UsageError(`${path} is not a customer-pulse database (it has no customer_windows table); give the --db a job wrote`);
  }
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
