import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../operators/errors.js';

/**
 * Refuses an output directory that cannot be one before anything is written: the path, or the
 * nearest part of it that exists, is a file. A `--reports` that named a file let the job run to
 * its end with every report failing (and exit 0); `report --out FILE` ended in a stack trace.
 */
export function checkOutputDir(option: string, dir: string): void {
  const wanted = resolve(dir);
  for (let path = wanted; ; path = dirname(path)) {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return;
      const which = path === wanted ? 'is a file' : `is inside ${path}, which is a file`;
      throw new UsageError(`${option} ${dir} ${which}, not a directory; give a directory (it is created when missing)`);
    }
    if (dirname(path) === path) return;
  }
}
