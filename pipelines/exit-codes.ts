import { CommanderError } from 'commander';
import { PulseError } from '../operators/errors.js';

/** Exit codes of SPEC section 2. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * The exit code for an error a command threw, after writing what a person needs to see: bad usage
 * and bad configuration are 2, everything else 1. Commander has already printed its own errors.
 */
export function exitCodeOf(error: unknown, writeErr: (text: string) => void): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof PulseError) {
    writeErr(`pulse: ${error.message}\n`);
    return error.code === 'CONFIG_INVALID' || error.code === 'USAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('CONFIG_')) {
    // Operator option validators and the alerting section throw their own typed errors with a
    // CONFIG_ code (e.g. a secret whose variable is unset, found when the receivers are built).
    writeErr(`pulse: configuration: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  writeErr(`pulse: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT_FAILURE;
}
