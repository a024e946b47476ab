/**
 * The datasets of `bench/steady-buyers.py` (numpy, written apart from sources/generator), cached in
 * a directory: the steady customers of bench/steady-buyers.ts, or with a share of them changing once
 * (bench/changing-buyers.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const generator = fileURLToPath(new URL('../../bench/steady-buyers.py', import.meta.url));

/** Midnight UTC of the data's first day (`T0` of steady-buyers.py). */
export const FIRST_DAY_MS = Date.UTC(2026, 0, 1);
export const DAY_MS = 86_400_000;

export interface BuyersDataset {
  events: string;
  /** JSON lines {customer_id, day, kind} of the customers who change; only with `changes`. */
  truth: string | null;
}

/** With `changes`: the share of customers who change on their own, and of the others who move together (with a `move`). */
export interface ChangeShares {
  changing: number;
  moving: number;
}

/** steady-buyers.py's own: half the customers change, ten times a real month; 40% of the others move. */
export const DEFAULT_SHARES: ChangeShares = { changing: 0.5, moving: 0.4 };

/**
 * Generates the dataset unless `dir` has it already; with `move` (and `changes`), a share of the
 * customers who do not change on their own move together from the middle day (steady-buyers.py).
 */
export function buyersDataset(
  dir: string,
  pattern: string,
  customers: number,
  days: number,
  seed: number,
  changes: boolean,
  move?: string,
  shares: ChangeShares = DEFAULT_SHARES,
): BuyersDataset {
  const own = shares.changing === DEFAULT_SHARES.changing && shares.moving === DEFAULT_SHARES.moving;
  const sharesTag = changes && !own ? `-c${shares.changing}-m${shares.moving}` : '';
  const name = `${changes ? 'changing' : 'steady'}-${pattern}-${customers}c-${days}d-s${seed}${move ? `-move-${move}` : ''}${sharesTag}`;
  const events = join(dir, `${name}.ndjson`);
  const truth = changes ? join(dir, `${name}.truth.jsonl`) : null;
  if (!existsSync(events) || (truth !== null && !existsSync(truth))) {
    process.stderr.write(`generating ${events} ...\n`);
    const args = [generator, pattern, String(customers), String(days), String(seed)];
    if (truth !== null) args.push(truth, move ?? '-', String(shares.changing), String(shares.moving));
    writeFileSync(events, execFileSync('/usr/bin/python3', args, { maxBuffer: 1 << 30 }));
  }
  return { events, truth };
}
