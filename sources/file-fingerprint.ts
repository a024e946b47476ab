/**
 * What a files source keeps of each file's identity beside its position: the length and SHA-1 of
 * its first bytes (up to 64 KiB). A position is a line or row number, so a file replaced by another
 * under the same path (today's export written over yesterday's) would resume at yesterday's line
 * count and skip as many of the new file's lines without a word. A file that only grew (lines
 * appended) keeps its first bytes and goes on where it stopped. 64 KiB rather than a line's worth:
 * an Arrow file starts with its schema, the same in every export, and data comes after it.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const FINGERPRINT_BYTES = 64 * 1024;

/** The file's first `length` bytes, or all of them when it is shorter. */
export function firstBytes(path: string, length: number): Buffer {
  const start = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    return start.subarray(0, readSync(fd, start, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/** `<length>:<SHA-1 hex>` of the file's first bytes, as they are now. */
export function fileFingerprint(path: string): string {
  const start = firstBytes(path, FINGERPRINT_BYTES);
  return `${start.length}:${sha1(start)}`;
}

/** Whether the file still starts with the bytes `fingerprint` was taken of (an unreadable fingerprint counts as the same). */
export function stillStartsAs(path: string, fingerprint: string): boolean {
  const [length, digest] = fingerprint.split(':');
  const bytes = Number(length);
  if (!Number.isInteger(bytes) || bytes < 0 || digest === undefined) return true;
  const start = firstBytes(path, bytes);
  return start.length === bytes && sha1(start) === digest;
}

function sha1(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}
