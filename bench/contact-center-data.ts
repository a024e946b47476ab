/**
 * The dataset of `bench/contact-center.py` (written apart from sources/generator: half the events
 * are contacts), cached in a directory by size and seed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const generator = fileURLToPath(new URL('../../bench/contact-center.py', import.meta.url));

export function contactCenterDataset(dir: string, customers: number, days: number, seed: number): string {
  mkdirSync(dir, { recursive: true });
  const events = join(dir, `contact-center-${customers}c-${days}d-s${seed}.ndjson`);
  if (!existsSync(events)) {
    process.stderr.write(`generating ${events} ...\n`);
    // Under a temporary name until complete, as cleanDataset does.
    const partial = `${events}.partial`;
    writeFileSync(partial, execFileSync('/usr/bin/python3', [generator, String(customers), String(days), String(seed)], { maxBuffer: 2 ** 31 - 1 }));
    renameSync(partial, events);
  }
  return events;
}
