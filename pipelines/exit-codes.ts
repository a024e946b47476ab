import { CommanderError } from 'commander';
import { PulseError, type ErrorKind } from '../operators/errors.js';

/** Exit codes of SPEC section 2. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad usage and bad configuration are the person's to fix (2); a run that failed is 1. */
const EXIT_BY_KIND: Readonly<Record<ErrorKind, number>> = { config: EXIT_USAGE, usage: EXIT_USAGE, failure: EXIT_FAILURE };

/**
 * The exit code for an error a command threw, after writing what a person needs to see. Commander
 * has already printed its own errors; anything that is not a PulseError is a bug, shown with its stack.
 */
export function exitCodeOf(error: unknown, writeErr: (text: string) => void): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof PulseError) {
    writeErr(`pulse: ${error.message}\n`);
    return EXIT_BY_KIND[error.kind];
  }
  const path = pathError(error);
  if (path !== undefined) {
    writeErr(`pulse: ${path}\n`);
    return EXIT_FAILURE;
  }
  writeErr(`pulse: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT_FAILURE;
}

/** What a path a person gave cannot be: Node's codes for them, in words. */
const PATH_PROBLEMS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'on a read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of it is not a directory',
  EEXIST: 'already exists (as a file where a directory is needed, or the other way round)',
};

/**
 * The message of a file-system error on a path (a directory where a file is written, one without
 * write permission): the path and the problem, not a stack. It is a failure of the run (exit 1):
 * the paths given on the command line are checked before anything starts (output-dir.ts).
 */
function pathError(error: unknown): string | undefined {
  const e = error as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof e?.code !== 'string' || typeof e.path !== 'string') return undefined;
  const problem = PATH_PROBLEMS[e.code];
  if (problem === undefined) return undefined;
  return `cannot ${typeof e.syscall === 'string' ? e.syscall : 'use'} ${e.path}: ${e.code} (${problem}); check the path and its permissions`;
}
