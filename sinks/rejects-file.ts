import { appendFile } from 'node:fs/promises';
import type { Rejection } from '../operators/events.js';

/** Errors that say the file cannot be written where the input lies (a read-only share or mount). */
const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Appends rejected records of file inputs to `<input>.rejects.ndjson` beside each file, one JSON
 * object per line, so whoever produced the file can see and fix what was refused. The
 * `dead_letters` table is the authoritative copy; this file is written after each checkpoint
 * commits, so it never lists a record the table does not. Where it cannot be written (an input
 * on a read-only share) `onUnwritable` is told once per file and the run goes on: it failed at
 * the end of the input before, after every record had been committed.
 */
export function rejectsFilesWriter(onUnwritable: (path: string, error: Error) => void): (rejections: readonly Rejection[]) => Promise<void> {
  const unwritable = new Set<string>();
  return async (rejections) => {
    const byFile = new Map<string, string[]>();
    for (const r of rejections) {
      if (r.position.partition === 'stdin' || !r.position.partition.startsWith('/')) continue;
      const path = rejectsPath(r.position.partition);
      if (unwritable.has(path)) continue;
      let lines = byFile.get(path);
      if (!lines) byFile.set(path, (lines = []));
      lines.push(JSON.stringify({ line: r.position.offset, reason: r.reason, detail: r.detail, type: r.type, raw: r.raw }) + '\n');
    }
    for (const [path, lines] of byFile) {
      try {
        await appendFile(path, lines.join(''));
      } catch (error) {
        if (!UNWRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
        unwritable.add(path);
        onUnwritable(path, error as Error);
      }
    }
  };
}

export function rejectsPath(inputPath: string): string {
  return inputPath.replace(/\.(ndjson|jsonl|json|arrow|arrows|ipc|feather|parquet)$/i, '') + '.rejects.ndjson';
}

/** True for a file `rejectsFilesWriter` writes: never input (its lines are refused records with their reasons). */
export function isRejectsFile(path: string): boolean {
  return path.toLowerCase().endsWith('.rejects.ndjson');
}
