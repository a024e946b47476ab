import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A copy of the bundled sample in `dir`, for a run of the job: the rejects file of a file input is
 * written beside it (`<input>.rejects.ndjson`), and runs of concurrent test files must not share one
 * in samples/.
 */
export function sampleIn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'events.ndjson');
  copyFileSync(join(process.cwd(), 'samples/events.ndjson'), path);
  return path;
}
