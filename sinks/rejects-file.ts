import { appendFile } from 'node:fs/promises';
import type { Rejection } from '../operators/events.js';

/**
 * Appends rejected records of file inputs to `<input>.rejects.ndjson` beside each file, one JSON
 * object per line, so whoever produced the file can see and fix what was refused. The
 * `dead_letters` table is the authoritative copy; this file is written after each checkpoint
 * commits, so it never lists a record the table does not.
 */
export async function appendRejectsFiles(rejections: readonly Rejection[]): Promise<void> {
  const byFile = new Map<string, string[]>();
  for (const r of rejections) {
    if (r.position.partition === 'stdin' || !r.position.partition.startsWith('/')) continue;
    const path = rejectsPath(r.position.partition);
    let lines = byFile.get(path);
    if (!lines) byFile.set(path, (lines = []));
    lines.push(JSON.stringify({ line: r.position.offset, reason: r.reason, detail: r.detail, type: r.type, raw: r.raw }) + '\n');
  }
  for (const [path, lines] of byFile) await appendFile(path, lines.join(''));
}

export function rejectsPath(inputPath: string): string {
  return inputPath.replace(/\.(ndjson|jsonl|json|arrow|arrows|ipc|feather|parquet)$/i, '') + '.rejects.ndjson';
}

/** True for a file `appendRejectsFiles` writes: never input (its lines are refused records with their reasons). */
export function isRejectsFile(path: string): boolean {
  return path.toLowerCase().endsWith('.rejects.ndjson');
}
