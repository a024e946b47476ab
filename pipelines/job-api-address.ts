import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../operators/errors.js';

/**
 * How a running job's command API is found and entered: `<db>.api.json` beside its database holds
 * the address and a token made for this run of the job. The file is readable by the job's user
 * only (mode 0600); the API refuses requests without the token, so being able to reach the port
 * (any local process, or a web page in a local browser) is not enough.
 */
export interface ApiAddress {
  url: string;
  pid: number;
  db: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token: string;
}

/** Where a job serving `dbPath` says how to reach it. */
export function apiAddressFile(dbPath: string): string {
  return `${resolve(dbPath)}.api.json`;
}

/** A new random token for one run of a job. */
export function newApiToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes the address file (mode 0600); returns a function that removes it (when the job stops). */
export function publishApiAddress(dbPath: string, port: number, token: string): () => void {
  const file = apiAddressFile(dbPath);
  const address: ApiAddress = { url: `http://127.0.0.1:${port}`, pid: process.pid, db: resolve(dbPath), token };
  // A file left by a job that was killed may have other permissions: start from a new one.
  rmSync(file, { force: true });
  writeFileSync(file, `${JSON.stringify(address)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return () => rmSync(file, { force: true });
}

/** The published address of the job holding `dbPath`, or undefined when none is published. */
export function readApiAddress(dbPath: string): ApiAddress | undefined {
  const file = apiAddressFile(dbPath);
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` + `run the command as the user that runs the job`,
    );
  }
  const address = JSON.parse(text) as Partial<ApiAddress>;
  if (typeof address.url !== 'string' || typeof address.token !== 'string') {
    throw new UsageError(`${file} is not the address file of a running job (no url or token); if no job runs on ${dbPath}, delete it`);
  }
  // A job killed outright (SIGKILL, a lost machine) could not remove its file: with its process
  // gone, the file says nothing, and the command opens the database itself.
  if (typeof address.pid === 'number' && !processRuns(address.pid)) {
    rmSync(file, { force: true });
    return undefined;
  }
  return address as ApiAddress;
}

/** Whether a process `pid` runs (EPERM: it does, as another user). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
