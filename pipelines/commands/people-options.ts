/**
 * Option values and plumbing shared by the commands people use to work on cases, leads and outcomes.
 */
import { userInfo } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidArgumentError } from 'commander';
import type { OpenDatabase } from './database-access.js';

/** Where a people's command prints, and its environment and wall clock (epoch ms); injectable for tests. */
export interface PeopleCommandIO {
  write?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/** `io` with the process's stdout, environment and clock where it leaves them out. */
export function peopleIO(io: PeopleCommandIO): Required<PeopleCommandIO> {
  return { write: io.write ?? ((text: string) => void process.stdout.write(text)), env: io.env ?? process.env, now: io.now ?? Date.now };
}

/** Runs `work` on the database at a path, its tables made sure by `ensure` first; the connection is given back after. */
export function withDatabase(
  open: OpenDatabase,
  ensure: (connection: DuckDBConnection) => Promise<void>,
): <T>(dbPath: string, work: (connection: DuckDBConnection) => Promise<T>) => Promise<T> {
  return async (dbPath, work) => {
    const { connection, close } = await open(dbPath);
    try {
      await ensure(connection);
      return await work(connection);
    } finally {
      await close();
    }
  };
}

/** A `--limit`-style value: a whole number >= 1. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
}

/** A `--value`-style amount: a number >= 0. */
export function amount(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be an amount >= 0, e.g. 1200 or 99.5');
  return n;
}

/** Who makes a change when `--actor` is not given: $USER, else the account name. */
export function defaultActor(env: NodeJS.ProcessEnv): string {
  if (env['USER']) return env['USER'];
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
