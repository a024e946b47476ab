import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../sources/generator/index.js';

/**
 * The generator's events for `customers` x `days` without malformed or late records (their paths
 * have tests of their own), cached in `dir` by size and seed so that benches share one file.
 */
export async function cleanDataset(dir: string, customers: number, days: number, seed: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const events = join(dir, `events-${customers}c-${days}d-s${seed}.ndjson`);
  if (!existsSync(events)) {
    process.stderr.write(`generating ${events} ...\n`);
    await generate({ out: events, customers, days, seed, malformedRate: 0, lateRate: 0, truthPath: `${events}.truth.json` });
  }
  return events;
}
