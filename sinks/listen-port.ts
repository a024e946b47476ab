/**
 * Ports the job and the console listen on, checked before anything is created. A port in use was
 * `listen EADDRINUSE` with a stack trace and exit 1, after the database file had been created;
 * it is a mistake in the command line or the job file: exit 2, saying which option to change.
 */
import { createServer } from 'node:net';
import { UsageError } from '../operators/errors.js';

/** The listen error of `port` as what to do about it (`option` names the setting), or the error itself. */
export function listenError(error: unknown, port: number, option: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new UsageError(`port ${port} is in use (another job, console or program listens on it): give ${option} another port, or stop what holds it`);
  }
  if (code === 'EACCES')
    return new UsageError(`port ${port} needs privileges this process does not have (ports below 1024): give ${option} a port of 1024 or more`);
  return error;
}

/** Throws a UsageError when `port` (on `host`, every address by default) cannot be listened on now. */
export async function checkPortFree(port: number, option: string, host?: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(error, port, option)));
    probe.listen({ port, ...(host === undefined ? {} : { host }), exclusive: true }, () => probe.close(() => resolve()));
  });
}
