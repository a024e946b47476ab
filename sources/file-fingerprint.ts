/**
 * What a files source keeps of each file's identity beside its position: the length and SHA-1 of
 * its first bytes (up to 64 KiB). A position is a line or row number, so a file replaced by another
 * under the same path (today's export written over yesterday's) would resume at yesterday's line
 * count and skip as many of the new file's lines without a word. A file that only grew (lines
 * appended) keeps its first bytes and goes on where it stopped. 64 KiB rather than a line's worth:
 * an Arrow file starts with its schema, the same in every export, and data comes after it.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const FINGERPRINT_BYTES = 64 * 1024;

/** `<length>:<SHA-1 hex>` of the file's first bytes, as they are now. */
export function fileFingerprint(path: string): string {
  return withFile(path, (fd) => {
    const length = Math.min(fstatSync(fd).size, FINGERPRINT_BYTES);
    return `${length}:${sha1OfStart(fd, length)}`;
  });
}

/** Whether the file still starts with the bytes `fingerprint` was taken of (an unreadable fingerprint counts as the same). */
export function stillStartsAs(path: string, fingerprint: string): boolean {
  const [length, digest] = fingerprint.split(':');
  const bytes = Number(length);
  if (!Number.isInteger(bytes) || bytes < 0 || digest === undefined) return true;
  return withFile(path, (fd) => fstatSync(fd).size >= bytes && sha1OfStart(fd, bytes) === digest);
}

function sha1OfStart(fd: number, length: number): string {
  const start = Buffer.alloc(length);
  const read = readSync(fd, start, 0, length, 0);
  return createHash('sha1').update(start.subarray(0, read)).digest('hex');
}

function withFile<T>(path: string, use: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}
