import type { Rejection } from '../operators/events.js';
import { appendWholeLines, type AppendText } from './append-lines.js';

/**
 * Appends rejected records of file inputs to `<input>.rejects.ndjson` beside each file, one JSON
 * object per line, so whoever produced the file can see and fix what was refused. The
 * `dead_letters` table is the authoritative copy; this file is written after each checkpoint
 * commits, so it never lists a record the table does not. Where a file cannot be written (an input
 * on a read-only share, a full disk) `onFailed` is told once, with the first record it misses, and
 * the run goes on without that file: every record is committed by then, and a run that failed on
 * it (at the end of its input, on a full disk with a stack trace) had lost nothing but the file's
 * copy. A failed append is cut back off the file, so it ends with whole lines.
 */
export function rejectsFilesWriter(
  onFailed: (path: string, error: Error, firstMissing: Rejection) => void,
  appendText?: AppendText,
): (rejections: readonly Rejection[]) => Promise<void> {
  const failed = new Set<string>();
  return async (rejections) => {
    const byFile = new Map<string, { lines: string[]; first: Rejection }>();
    for (const r of rejections) {
      if (r.position.partition === 'stdin' || !r.position.partition.startsWith('/')) continue;
      const path = rejectsPath(r.position.partition);
      if (failed.has(path)) continue;
      let file = byFile.get(path);
      if (!file) byFile.set(path, (file = { lines: [], first: r }));
      file.lines.push(JSON.stringify({ line: r.position.offset, reason: r.reason, detail: r.detail, type: r.type, raw: r.raw }) + '\n');
    }
    for (const [path, { lines, first }] of byFile) {
      try {
        await appendWholeLines(path, lines.join(''), appendText);
      } catch (error) {
        failed.add(path);
        onFailed(path, error as Error, first);
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
