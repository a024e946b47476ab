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
  writeErr(`pulse: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT_FAILURE;
}
