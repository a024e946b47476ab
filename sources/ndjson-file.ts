import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { type Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SourceError } from '../operators/errors.js';
import { isHighSurrogate } from '../operators/text-clip.js';
import { firstBytes } from './file-fingerprint.js';
import type { UnreadableRecord } from '../operators/record-limits.js';
import { RAW_PREFIX_BYTES, notUtf8, tooLarge } from './record-bytes.js';
import type { PartitionPosition, RawRecord, RecordBatch } from './source.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface NdjsonReadOptions {
  /** Lines per batch. */
  batchSize: number;
  /** Longest line in bytes (without its newline); a longer one becomes a `too_large` dead letter. */
  maxRecordBytes: number;
  /**
   * Streams (stdin) only: how long a partial batch waits for more lines before it is handed on,
   * counted from its first line. Files are read as fast as the disk allows, in whole batches.
   */
  lingerMs: number;
  /** Files only: told, as a sentence a person reads, of a last line left for the next run (see `readNdjsonBatches`). */
  onWarning?: (message: string) => void;
}

/**
 * Reads one NDJSON file (or stdin) as batches of lines.
 *
 * Each line's position is its 1-based line number; the resume hint is the byte offset just after
 * it, so a restart seeks straight there (stdin cannot seek: its lines are numbered on from the
 * checkpoint). File batches hold exactly `batchSize` lines (the last may hold fewer) counted from
 * the start of the input, which keeps the interleaving of several files identical after a
 * restart; on stdin a partial batch is handed on after `lingerMs`, so that a producer that keeps
 * the pipe open sees its last lines processed. Blank lines are skipped but counted.
 *
 * A file compressed with gzip, or written in UTF-16 with a byte-order mark (recognised by its first
 * bytes, whatever its name), is read as its text in UTF-8: positions are those of that text, and a
 * restart reads it again up to its resume offset, since such a file cannot seek to it.
 *
 * What cannot be a record becomes an `UnreadableRecord` at its position, for the dead letters: a
 * line longer than `maxRecordBytes` (skipped through to its newline without being held in
 * memory; a prefix is kept) and a line that is not UTF-8. A UTF-8 byte-order mark at the very
 * start of the input is skipped. When `signal` aborts, reading stops at once (a read waiting on
 * stdin included); the lines already read are handed on as a last partial batch.
 *
 * A file's last line without a newline is read only when it is a complete JSON value (a complete
 * export whose writer left out the last newline). Otherwise it is most likely a line a writer is
 * still writing (a growing export flushed mid-line): it is left out, the resume offset stays at its
 * start, and `onWarning` says so, so that the next run reads it whole once it is finished. Read
 * then, its first half became one dead letter and its second half another, and the event was lost.
 * On stdin the end of the input is final: such a line is read, and refused if it is not JSON.
 */
export async function* readNdjsonBatches(
  partition: string,
  input: { path: string } | { stream: Readable },
  from: PartitionPosition | undefined,
  options: NdjsonReadOptions,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  const path = 'path' in input ? input.path : undefined;
  const startByte = path === undefined ? 0 : (from?.resume ?? 0);
  const encoding = path === undefined ? 'utf8' : encodingOf(path);
  const stream = 'stream' in input ? input.stream : openText(input.path, encoding, startByte);
  const lines = new NdjsonBatcher(partition, options, from?.offset ?? 0, startByte);
  const lingerMs = path === undefined ? options.lingerMs : Number.POSITIVE_INFINITY;
  const received = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  // A compressed or re-encoded file cannot seek: its text is read again from the start, up to where it resumes.
  const chunks = path === undefined || encoding === 'utf8' ? received : skipBytes(utf8Text(received, path, encoding), startByte);
  const ready: RecordBatch[] = [];
  let ended = false;
  let warning: string | undefined;
  let read: Promise<IteratorResult<Buffer>> | undefined;
  try {
    for (;;) {
      read ??= chunks.next();
      const since = lines.partialSince;
      const next = await nextChunk(read, signal, since === undefined ? undefined : since + lingerMs);
      if (next === STOPPED) break;
      if (next === LINGERED) {
        yield lines.takeBatch();
        continue;
      }
      read = undefined;
      if (next.done) {
        ended = true;
        // The end of stdin is final; a file may still be being written.
        if (path !== undefined) warning = unfinishedLineWarning(path, lines.leaveUnfinishedLine());
        lines.end(ready);
      } else {
        lines.push(next.value, ready);
      }
      for (const batch of ready) yield batch;
      ready.length = 0;
      if (ended) {
        // Said once the last batch has been taken: a files source that only looked at a file's first
        // batch (and reads it again when its turn comes) would otherwise say it twice.
        if (warning !== undefined) options.onWarning?.(warning);
        return;
      }
    }
    // Stopped: the complete lines read so far are processed before the final checkpoint.
    if (lines.partialSince !== undefined) yield lines.takeBatch();
  } finally {
    // A read still pending (stdin waiting for its producer) keeps the process alive until the
    // stream is destroyed; an async iterator's return() would wait for that read first. Destroyed,
    // the stream fails that read (a premature close): nobody waits for it any more, and left
    // unhandled it ended a stop of a file input with a stack trace and exit 1.
    if (!ended) {
      read?.catch(() => undefined);
      stream.destroy();
    }
  }
}

/** What a person is told of a file's last line left for the next run; undefined when there is none. */
function unfinishedLineWarning(path: string, line: number | undefined): string | undefined {
  if (line === undefined) return undefined;
  return (
    `${path}:${line}: the file's last line has no newline and is not a complete JSON value, as when a writer is still writing it: ` +
    'it is not read now; a later run over this same file reads it from its start once it is finished. If the file is final, correct that ' +
    'line or end it with a newline and run again over it (it is then refused as invalid_json if it is still not JSON): a run over other ' +
    'files never reads it, and an export that goes on in a new file loses the event'
  );
}

/**
 * Whether a file's resume offset is a byte offset in the file as stored (plain UTF-8), so that its
 * size can be compared with it; a compressed or UTF-16 file's offset is one in its decoded text.
 */
export function resumesAtFileByte(path: string): boolean {
  return encodingOf(path) === 'utf8';
}

/** How a file's text is stored: UTF-8, compressed with gzip, or UTF-16 (what Windows tools call "Unicode"). */
type FileEncoding = 'utf8' | 'gzip' | 'utf16le' | 'utf16be';

/**
 * The file's encoding by its first bytes (whatever its name: `events.ndjson.gz`, an export without
 * the suffix): gzip's magic with its only compression method (deflate), or a UTF-16 byte-order
 * mark followed by an ASCII character (an NDJSON file starts with `{` or white space). Two bytes
 * alone were not enough: a UTF-8 file whose first (broken) line began with FF FE was read whole
 * as UTF-16, one record of mojibake.
 */
function encodingOf(path: string): FileEncoding {
  const [first, second, third, fourth] = firstBytes(path, 4);
  if (first === 0x1f && second === 0x8b && third === 0x08) return 'gzip';
  if (first === 0xff && second === 0xfe && (third === undefined || fourth === 0x00)) return 'utf16le';
  if (first === 0xfe && second === 0xff && (third === undefined || third === 0x00)) return 'utf16be';
  return 'utf8';
}

/** The file's bytes as stored, from `startByte` when they can be read from there (plain UTF-8). */
function openText(path: string, encoding: FileEncoding, startByte: number): Readable {
  if (encoding === 'gzip') return gunzipped(path);
  return createReadStream(path, encoding === 'utf8' ? { start: startByte, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
}

/** The text of a compressed or UTF-16 file as UTF-8 bytes, from its start. */
function utf8Text(chunks: AsyncIterator<Buffer>, path: string, encoding: Exclude<FileEncoding, 'utf8'>): AsyncIterator<Buffer> {
  return encoding === 'gzip' ? namingFile(chunks, path) : utf8From(chunks, encoding);
}

/**
 * UTF-16 text, after its byte-order mark, as UTF-8 bytes. A lone surrogate becomes the three bytes
 * of its code point (ED A0 80 for U+D800), which are not UTF-8: its line is refused as the UTF-8
 * reader refuses any invalid line. A decoder's U+FFFD instead made ids that differ only in their
 * broken character the same id (two customers merged, without a trace).
 */
async function* utf8From(chunks: AsyncIterator<Buffer>, encoding: 'utf16le' | 'utf16be'): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let atStart = true;
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    let bytes = pending.length > 0 ? Buffer.concat([pending, next.value]) : next.value;
    if (atStart && bytes.length >= 2) {
      bytes = bytes.subarray(2); // the byte-order mark
      atStart = false;
    }
    // Whole code units only, and a high surrogate waits for the chunk that may hold its low half.
    let end = bytes.length - (bytes.length % 2);
    if (end >= 2 && isHighSurrogate(codeUnit(bytes, end - 2, encoding))) end -= 2;
    pending = Buffer.from(bytes.subarray(end));
    if (end > 0) yield utf8Bytes(utf16Text(bytes.subarray(0, end), encoding));
  }
  // What is left: a final high surrogate alone, or a last byte of half a code unit (a file cut
  // short), which goes on as 0xFF, a byte no UTF-8 holds, so that its line is refused.
  if (pending.length === 0) return;
  const whole = pending.length - (pending.length % 2);
  const text = utf8Bytes(utf16Text(pending.subarray(0, whole), encoding));
  yield whole < pending.length ? Buffer.concat([text, Buffer.from([0xff])]) : text;
}

function codeUnit(bytes: Buffer, at: number, encoding: 'utf16le' | 'utf16be'): number {
  return encoding === 'utf16le' ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at);
}

/** Code units as a JavaScript string, lone surrogates kept (Node's `utf16le` keeps them). */
function utf16Text(units: Buffer, encoding: 'utf16le' | 'utf16be'): string {
  return encoding === 'utf16le' ? units.toString('utf16le') : Buffer.from(units).swap16().toString('utf16le');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` as UTF-8, each lone surrogate as the (invalid) three bytes of its code point. */
function utf8Bytes(text: string): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (const match of text.matchAll(LONE_SURROGATE)) {
    const unit = match[0].charCodeAt(0);
    parts.push(Buffer.from(text.slice(from, match.index), 'utf8'), Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]));
    from = match.index + 1;
  }
  if (parts.length === 0) return Buffer.from(text, 'utf8');
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

/** The file's decompressed text (concatenated gzip members included); destroying it closes the file. */
function gunzipped(path: string): Readable {
  // The error reaches the reader through the returned stream (see `namingFile`).
  return pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), createGunzip(), () => undefined);
}

/** The chunks of `chunks`, a failure to decompress them reported as the file's, with what to do. */
async function* namingFile(chunks: AsyncIterator<Buffer>, path: string): AsyncGenerator<Buffer> {
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SourceError(
        `${path}: cannot decompress this gzip file (${reason}): it is cut short, damaged, or has bytes after its compressed data; ` +
          `check that it was written completely, or decompress it yourself (gzip -d reads what comes before bytes it cannot, with a warning)`,
        {
          cause: error,
        },
      );
    }
    if (next.done) return;
    yield next.value;
  }
}

/** The chunks of `chunks` after their first `bytes` bytes. */
async function* skipBytes(chunks: AsyncIterator<Buffer>, bytes: number): AsyncGenerator<Buffer> {
  let left = bytes;
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    const chunk = next.value;
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

const STOPPED = Symbol('stopped');
const LINGERED = Symbol('lingered');

/** The pending read's result, or STOPPED when `signal` aborts, or LINGERED at `deadline` (epoch ms). */
function nextChunk(
  read: Promise<IteratorResult<Buffer>>,
  signal: AbortSignal,
  deadline: number | undefined,
): Promise<IteratorResult<Buffer> | typeof STOPPED | typeof LINGERED> {
  if (signal.aborted) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      settle();
      resolve(STOPPED);
    };
    signal.addEventListener('abort', onAbort);
    if (deadline !== undefined && Number.isFinite(deadline)) {
      timer = setTimeout(
        () => {
          settle();
          resolve(LINGERED);
        },
        Math.max(0, deadline - Date.now()),
      );
    }
    read.then(
      (result) => {
        settle();
        resolve(result);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/**
 * Splits NDJSON bytes into records and batches; no I/O. Lines are handed to `push` in chunks of
 * any size (a line may span chunks); whole batches are appended to the caller's list.
 */
export class NdjsonBatcher {
  /** Lines seen (the last one's number). */
  private line: number;
  /** Input bytes consumed through the end of the last complete line. */
  private byte: number;
  /** The start of a line whose newline has not arrived yet. */
  private pending: Buffer | null = null;
  /** A line longer than the limit, being skipped: its first bytes and its length so far. */
  private skipping: { head: Buffer; bytes: number } | null = null;
  /** True until the first bytes of the input have been seen (a byte-order mark may start it). */
  private atStart: boolean;
  private records: RawRecord[] = [];
  private linesInBatch: number;
  /** When the current batch got its first line (epoch ms); undefined while it is empty. */
  partialSince: number | undefined;

  constructor(
    private readonly partition: string,
    private readonly options: Pick<NdjsonReadOptions, 'batchSize' | 'maxRecordBytes'>,
    firstLine: number,
    firstByte: number,
  ) {
    this.line = firstLine;
    this.byte = firstByte;
    this.atStart = firstByte === 0;
    this.linesInBatch = firstLine % options.batchSize;
  }

  push(chunk: Buffer, out: RecordBatch[]): void {
    let buffer = chunk;
    let start = 0;
    if (this.skipping) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        this.skipping.bytes += chunk.length;
        this.byte += chunk.length;
        return;
      }
      this.skipping.bytes += newline;
      this.byte += newline + 1;
      this.completeSkipped(out);
      start = newline + 1;
    } else if (this.pending) {
      buffer = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    if (this.atStart) {
      if (buffer.length < BOM.length && BOM.subarray(0, buffer.length).equals(buffer)) {
        this.pending = buffer; // maybe the start of a byte-order mark: wait for more bytes
        return;
      }
      this.atStart = false;
      if (buffer.subarray(0, BOM.length).equals(BOM)) {
        start = BOM.length;
        this.byte += BOM.length;
      }
    }
    // One native check for all complete lines; lines are checked one by one only if it fails.
    const lastNewline = buffer.lastIndexOf(NEWLINE);
    const allUtf8 = lastNewline < start || isUtf8(buffer.subarray(start, lastNewline + 1));
    for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
      this.completeLine(buffer, start, end, 1, allUtf8, out);
      start = end + 1;
    }
    const rest = buffer.length - start;
    if (rest > this.options.maxRecordBytes) {
      this.skipping = { head: Buffer.from(buffer.subarray(start, start + RAW_PREFIX_BYTES)), bytes: rest };
      this.byte += rest;
    } else if (rest > 0) {
      this.pending = buffer.subarray(start);
    }
  }

  /**
   * The input has ended with a last line that has no newline and is not a complete JSON value (nor
   * blank): it is left out, neither counted nor consumed, so that the resume offset stays at its
   * start. Returns its line number, or undefined when there is no such line. A line over the limit
   * is not left out: it is refused as too large whatever its end.
   */
  leaveUnfinishedLine(): number | undefined {
    if (this.pending === null || isCompleteLine(this.pending)) return undefined;
    this.pending = null;
    return this.line + 1;
  }

  /** The input has ended: its last line may lack a newline, and the last batch may be partial. */
  end(out: RecordBatch[]): void {
    if (this.skipping) {
      this.completeSkipped(out);
    } else if (this.pending) {
      const last = this.pending;
      this.pending = null;
      this.completeLine(last, 0, last.length, 0, false, out);
    }
    if (this.partialSince !== undefined) out.push(this.takeBatch());
  }

  /** The lines collected so far as a batch (possibly partial); the next batch starts empty. */
  takeBatch(): RecordBatch {
    const batch: RecordBatch = {
      kind: 'records',
      partition: this.partition,
      records: this.records,
      position: { offset: this.line, resume: this.byte },
      readAt: Date.now(),
    };
    this.records = [];
    this.linesInBatch = 0;
    this.partialSince = undefined;
    return batch;
  }

  /**
   * Line `[start, end)` of `buffer` is complete; `newlineBytes` (1, or 0 for a last line without
   * one) follow it. Both count before the line joins a batch, whose resume offset must be past it.
   */
  private completeLine(buffer: Buffer, start: number, end: number, newlineBytes: number, knownUtf8: boolean, out: RecordBatch[]): void {
    this.line++;
    this.byte += end - start + newlineBytes;
    const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    let value: string | UnreadableRecord | undefined;
    if (end - start > this.options.maxRecordBytes) {
      value = tooLarge(end - start, this.options.maxRecordBytes, buffer.subarray(start, end));
    } else if (!knownUtf8 && !isUtf8(buffer.subarray(start, stop))) {
      value = notUtf8(buffer.subarray(start, stop));
    } else {
      const text = buffer.toString('utf8', start, stop);
      if (text.trim().length > 0) value = text;
    }
    this.add(value, out);
  }

  private completeSkipped(out: RecordBatch[]): void {
    const { head, bytes } = this.skipping!;
    this.skipping = null;
    this.line++;
    this.add(tooLarge(bytes, this.options.maxRecordBytes, head), out);
  }

  /** Counts the current line into the batch; `value` undefined: a blank line. */
  private add(value: string | UnreadableRecord | undefined, out: RecordBatch[]): void {
    this.partialSince ??= Date.now();
    if (value !== undefined) this.records.push({ offset: this.line, value });
    if (++this.linesInBatch === this.options.batchSize) out.push(this.takeBatch());
  }
}

/** Whether a line is blank or a whole JSON value (a fragment of a record is neither). */
function isCompleteLine(line: Buffer): boolean {
  const text = line.toString('utf8');
  if (text.trim().length === 0) return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
