import { existsSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../operators/errors.js';

/**
 * Refuses an output directory that cannot be one before anything is written: the path, or the
 * nearest part of it that exists, is a file, or a directory this user may not write in (a
 * read-only file system). A `--reports` that named a file, or was on a read-only mount, let the job
 * run to its end with every report failing (and exit 0); `report --out FILE` ended in a stack trace.
 */
export function checkOutputDir(option: string, dir: string): void {
  const wanted = resolve(dir);
  for (let path = wanted; ; path = dirname(path)) {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return requireWritable(option, dir, path);
      const which = path === wanted ? 'is a file' : `is inside ${path}, which is a file`;
      throw new UsageError(`${option} ${dir} ${which}, not a directory; give a directory (it is created when missing)`);
    }
    if (dirname(path) === path) return;
  }
}

/**
 * `existing` (the nearest existing part of `dir`) takes new directories, or `dir` is refused. Tried
 * by making and removing one, not by `access`: root passes `access` on a read-only sysfs or a
 * mount the kernel refuses writes to, and the reports then failed one by one during the run.
 */
function requireWritable(option: string, dir: string, existing: string): void {
  try {
    rmdirSync(mkdtempSync(join(existing, '.pulse-write-check-')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'no access';
    const why = code === 'EROFS' ? 'is on a read-only file system' : `cannot be written by this user (${code})`;
    const where = existing === resolve(dir) ? `${option} ${dir}` : `${option} ${dir}: ${existing}, where it would be created,`;
    throw new UsageError(`${where} ${why}; give a directory this job can write`);
  }
}
