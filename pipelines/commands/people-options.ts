/**
 * Option values shared by the commands people use to work on cases and leads.
 */
import { userInfo } from 'node:os';
import { InvalidArgumentError } from 'commander';

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
