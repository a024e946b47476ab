import { type FileHandle, open } from 'node:fs/promises';

/** Writes all of `text` at the end of the file, or throws (possibly after writing part of it). */
export type AppendText = (file: FileHandle, text: string) => Promise<void>;

/** `FileHandle.appendFile` writes again until every byte is in, or throws. */
export const appendAll: AppendText = (file, text) => file.appendFile(text);

/**
 * Appends `lines` (each ending in a newline) as lines of their own, or leaves the file as it was.
 * On a full disk (ENOSPC) part of them was written: a retry then appended after that fragment, on
 * the same line, a line no NDJSON reader could parse. (The alert file receiver and the rejects
 * files beside inputs both append so.)
 */
export async function appendWholeLines(path: string, lines: string, appendText: AppendText = appendAll): Promise<void> {
  // O_APPEND, read too: a line is never written over, and the last byte can be looked at.
  const file = await open(path, 'a+');
  try {
    const { size } = await file.stat();
    const text = (await endsInsideLine(file, size)) ? `\n${lines}` : lines;
    try {
      await appendText(file, text);
    } catch (error) {
      await file.truncate(size);
      throw error;
    }
  } finally {
    await file.close();
  }
}

/**
 * Whether the file's last line is unfinished: a process killed while writing, or a version before
 * the cut-back above on a full disk, left a fragment. The new lines then start on a line of their
 * own, so they can be parsed.
 */
async function endsInsideLine(file: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const { buffer } = await file.read(Buffer.alloc(1), 0, 1, size - 1);
  return buffer[0] !== NEWLINE;
}

const NEWLINE = 0x0a;
