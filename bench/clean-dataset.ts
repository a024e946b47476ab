import { existsSync, mkdirSync, renameSync } from 'node:fs';
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
    // Under a temporary name until complete: an interrupted bench must not leave a short file that
    // the next one takes for the dataset.
    const partial = `${events}.partial`;
    await generate({ out: partial, customers, days, seed, malformedRate: 0, lateRate: 0, truthPath: `${events}.truth.json` });
    renameSync(partial, events);
  }
  return events;
}
