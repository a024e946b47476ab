import { isUtf8 } from 'node:buffer';
import { RECORD_LIMIT_KEYS, UnreadableRecord } from '../operators/record-limits.js';

/** How much of a record that is too large the dead letter keeps (enough to see what it was). */
export const RAW_PREFIX_BYTES = 1024;

/** A record of `totalBytes` over the limit; `head` holds (at least) its first bytes. */
export function tooLarge(totalBytes: number, maxBytes: number, head: Buffer): UnreadableRecord {
  const prefix = head.subarray(0, Math.min(RAW_PREFIX_BYTES, maxBytes));
  return new UnreadableRecord(
    'too_large',
    `the record is ${totalBytes} bytes, more than ${RECORD_LIMIT_KEYS.maxRecordBytes} (${maxBytes}); raw holds its first ${prefix.length} bytes`,
    prefix.toString('utf8'),
  );
}

/**
 * A record whose bytes are not UTF-8 (RFC 8259 section 8.1: JSON text exchanged between systems
 * is UTF-8). Decoding it anyway would turn every invalid sequence into U+FFFD, so that two ids
 * that differ only in their invalid bytes would become the same id.
 */
export function notUtf8(bytes: Buffer): UnreadableRecord {
  return new UnreadableRecord(
    'invalid_json',
    'the record is not valid UTF-8 (its invalid bytes show as U+FFFD in raw); JSON text must be UTF-8',
    bytes.toString('utf8'),
  );
}

/** The text of one whole record (a Kafka message value), or why it cannot be read. */
export function recordText(bytes: Buffer, maxBytes: number): string | UnreadableRecord {
  if (bytes.length > maxBytes) return tooLarge(bytes.length, maxBytes, bytes);
  if (!isUtf8(bytes)) return notUtf8(bytes);
  return bytes.toString('utf8');
}
