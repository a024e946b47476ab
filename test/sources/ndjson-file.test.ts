import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../operators/errors.js';
import { UnreadableRecord } from '../../operators/record-limits.js';
import { readNdjsonBatches, type NdjsonReadOptions } from '../../sources/ndjson-file.js';
import type { RecordBatch } from '../../sources/source.js';

const OPTIONS: NdjsonReadOptions = { batchSize: 100, maxRecordBytes: 1024, lingerMs: 50 };
const never = new AbortController().signal;

async function readAll(input: { path: string } | { stream: Readable }, options: Partial<NdjsonReadOptions> = {}): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const batch of readNdjsonBatches('p', input, undefined, { ...OPTIONS, ...options }, never)) batches.push(batch);
  return batches;
}

/** A stream that delivers `bytes` in chunks of `size` bytes. */
function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

function tempFile(bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pulse-ndjson-')), 'in.ndjson');
  writeFileSync(path, bytes);
  return path;
}

const lines = ['{"a":1}', '{"b":"ü"}', '{"c":3}'];
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('readNdjsonBatches', () => {
  it('skips a UTF-8 byte-order mark at the start of a file and counts its bytes in the resume offset', async () => {
    const text = Buffer.from(lines.join('\n') + '\n');
    const path = tempFile(Buffer.concat([BOM, text]));
    const [batch] = await readAll({ path });
    expect(batch!.records).toEqual(lines.map((value, i) => ({ offset: i + 1, value })));
    expect(batch!.position).toEqual({ offset: 3, resume: 3 + text.length });
    // Resuming after line 1 seeks past the mark and that line.
    const resumed: RecordBatch[] = [];
    const from = { offset: 1, resume: 3 + Buffer.byteLength(lines[0]!) + 1 };
    for await (const b of readNdjsonBatches('p', { path }, from, OPTIONS, never)) resumed.push(b);
    expect(resumed[0]!.records.map((r) => r.offset)).toEqual([2, 3]);
  });

  it('gives every batch the byte offset just past its last line, in whatever chunks the lines arrive', async () => {
    const text = ['{"n":1}', '', '{"n":"ü"}', '{"n":3}\r', '{"n":4}', '{"n":5}'].join('\n') + '\n';
    const ends: number[] = [];
    let offset = 0;
    for (const line of text.split('\n').slice(0, -1)) ends.push((offset += Buffer.byteLength(line) + 1));
    for (const size of [1, 3, 1024]) {
      const batches = await readAll({ stream: chunked(Buffer.from(text), size) }, { batchSize: 2 });
      expect(batches.map((b) => b.position)).toEqual([
        { offset: 2, resume: ends[1] },
        { offset: 4, resume: ends[3] },
        { offset: 6, resume: ends[5] },
      ]);
    }
  });

  it('skips a byte-order mark on stdin delivered one byte at a time, and only at the very start', async () => {
    const input = Buffer.concat([BOM, Buffer.from(`${lines[0]}\n`), BOM, Buffer.from(`${lines[1]}\n`)]);
    const [batch] = await readAll({ stream: chunked(input, 1) });
    expect(batch!.records[0]).toEqual({ offset: 1, value: lines[0] });
    // A mark in the middle is data: that line is not JSON and is refused downstream.
    expect(batch!.records[1]).toEqual({ offset: 2, value: `\ufeff${lines[1]}` });
  });

  it('hands over a line longer than the limit as too_large with a bounded prefix, and goes on with the next line', async () => {
    const long = `{"type":"usage","pad":"${'x'.repeat(5000)}"}`;
    const input = Buffer.from([lines[0], long, lines[1], `${long}\r`, lines[2]].join('\n') + '\n');
    for (const size of [7, 64, 1 << 16]) {
      const [batch] = await readAll({ stream: chunked(input, size) });
      const values = batch!.records.map((r) => r.value);
      expect(values.filter((v) => typeof v === 'string')).toEqual(lines);
      const refused = values.filter((v): v is UnreadableRecord => v instanceof UnreadableRecord);
      expect(refused.map((r) => r.reason)).toEqual(['too_large', 'too_large']);
      expect(refused[0]!.detail).toBe(`the record is ${long.length} bytes, more than limits.max_record_bytes (1024); raw holds its first 1024 bytes`);
      expect(refused[1]!.detail).toMatch(new RegExp(`is ${long.length + 1} bytes`)); // the CR counts
      expect(refused[0]!.raw).toBe(long.slice(0, 1024));
      expect(batch!.records.map((r) => r.offset)).toEqual([1, 2, 3, 4, 5]);
      expect(batch!.position).toEqual({ offset: 5, resume: input.length });
    }
  });

  it('skips a 200 MB line without holding it in memory', async () => {
    const block = Buffer.alloc(1 << 20, 0x61); // reused: the stream itself allocates nothing
    const blocks = 200;
    let peakExternal = 0;
    const stream = Readable.from(
      (function* () {
        yield Buffer.from('{"first":1}\n{"huge":"');
        for (let i = 0; i < blocks; i++) {
          peakExternal = Math.max(peakExternal, process.memoryUsage().arrayBuffers);
          yield block;
        }
        yield Buffer.from('"}\n{"last":1}\n');
      })(),
    );
    const before = process.memoryUsage().arrayBuffers;
    const batches = await readAll({ stream }, { maxRecordBytes: 1_048_576 });
    const records = batches.flatMap((b) => b.records);
    expect(records.map((r) => (typeof r.value === 'string' ? r.value : r.value instanceof UnreadableRecord ? r.value.reason : 'row'))).toEqual([
      '{"first":1}',
      'too_large',
      '{"last":1}',
    ]);
    expect((records[1]!.value as UnreadableRecord).detail).toMatch(new RegExp(`is ${blocks * (1 << 20) + 11} bytes`)); // + '{"huge":"' and '"}'
    expect(peakExternal - before).toBeLessThan(64 * (1 << 20));
  });

  it('refuses lines that are not UTF-8 instead of merging them into U+FFFD, and keeps the valid lines of the chunk', async () => {
    const id = (bytes: number[]): Buffer => Buffer.concat([Buffer.from('{"customer_id":"C'), Buffer.from(bytes), Buffer.from('"}')]);
    // Two ids that differ only in their invalid bytes, and a valid multibyte character split by every chunk size.
    const input = Buffer.concat([id([0xff]), Buffer.from('\n'), id([0xc3, 0x28]), Buffer.from('\n'), Buffer.from('{"customer_id":"Cü€😀"}\n')]);
    for (const size of [1, 2, 3, 5, 1024]) {
      const [batch] = await readAll({ stream: chunked(input, size) });
      const [first, second, third] = batch!.records.map((r) => r.value);
      expect(first).toBeInstanceOf(UnreadableRecord);
      expect(second).toBeInstanceOf(UnreadableRecord);
      expect((first as UnreadableRecord).reason).toBe('invalid_json');
      expect((first as UnreadableRecord).detail).toMatch(/not valid UTF-8/);
      expect(third).toBe('{"customer_id":"Cü€😀"}');
    }
  });

  it('on stdin hands over a partial batch after the linger while the producer keeps the pipe open', async () => {
    const stdin = new PassThrough();
    const iterator = readNdjsonBatches('stdin', { stream: stdin }, undefined, OPTIONS, never)[Symbol.asyncIterator]();
    stdin.write(`${lines[0]}\n${lines[1]}\n`);
    const first = await iterator.next();
    expect((first.value as RecordBatch).records.map((r) => r.value)).toEqual([lines[0], lines[1]]);
    expect(first.value!.position.offset).toBe(2);
    expect(stdin.writableEnded).toBe(false);
    stdin.write(`${lines[2]}\n`);
    const second = await iterator.next();
    expect(second.value!.records).toEqual([{ offset: 3, value: lines[2] }]);
    stdin.end();
    expect((await iterator.next()).done).toBe(true);
  });

  it('fills whole batches from a file, however slowly it is read (no linger)', async () => {
    const text = Array.from({ length: 25 }, (_, i) => `{"n":${i}}`).join('\n') + '\n';
    const batches = await readAll({ path: tempFile(Buffer.from(text)) }, { batchSize: 10, lingerMs: 0 });
    expect(batches.map((b) => b.records.length)).toEqual([10, 10, 5]);
  });

  it('stops a read waiting on stdin at once when the signal aborts, hands over the lines read and releases the stream', async () => {
    const stdin = new PassThrough();
    const abort = new AbortController();
    const iterator = readNdjsonBatches('stdin', { stream: stdin }, undefined, { ...OPTIONS, lingerMs: 3_600_000 }, abort.signal)[Symbol.asyncIterator]();
    stdin.write(`${lines[0]}\n{"partial":`);
    const pending = iterator.next();
    // Once the reader has taken the bytes (and a turn of the event loop has let it split them),
    // line 1 waits in a batch that the long linger would hold back.
    while (stdin.readableLength > 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    const last = await pending;
    expect(last.value!.records).toEqual([{ offset: 1, value: lines[0] }]);
    expect((await iterator.next()).done).toBe(true);
    expect(stdin.destroyed).toBe(true);
  });

  it('stops a file read when the signal aborts: the read in flight is dropped, not thrown (a stop of a file job exited 1)', async () => {
    // Large enough that a read is in flight when the signal aborts after the first batch.
    const line = JSON.stringify({ type: 'usage', event_id: 'E', ts: '2026-01-05T00:00:00Z', customer_id: 'C1', metric: 'm', quantity: 1 });
    const path = tempFile(Buffer.from(`${line}\n`.repeat(200_000)));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): number => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const abort = new AbortController();
      let batches = 0;
      for await (const batch of readNdjsonBatches('p', { path }, undefined, { ...OPTIONS, batchSize: 1000 }, abort.signal)) {
        batches++;
        expect(batch.records.length).toBeGreaterThan(0);
        abort.abort();
      }
      expect(batches).toBeLessThan(200);
      // A rejection left unhandled is reported after the turn of the event loop that dropped it.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  describe("a file's last line without a newline", () => {
    const record = (i: number): string =>
      JSON.stringify({ type: 'usage', event_id: `E${i}`, ts: '2026-01-05T00:00:00Z', customer_id: 'C1', metric: 'm', quantity: i });
    /** Every batch of a read of `path` from `from`, and the warnings it gave. */
    const readFile = async (path: string, from?: RecordBatch['position']): Promise<{ batches: RecordBatch[]; warnings: string[] }> => {
      const warnings: string[] = [];
      const batches: RecordBatch[] = [];
      const options = { ...OPTIONS, batchSize: 4, onWarning: (message: string) => warnings.push(message) };
      for await (const batch of readNdjsonBatches('p', { path }, from, options, never)) batches.push(batch);
      return { batches, warnings };
    };
    const offsetsAndValues = (batches: RecordBatch[]): Array<[number, unknown]> =>
      batches.flatMap((b) => b.records.map((r): [number, unknown] => [r.offset, r.value]));

    it('is left for the next run when it is not complete JSON (a writer mid-line), and read whole there once finished', async () => {
      const whole = Array.from({ length: 10 }, (_, i) => record(i + 1));
      const complete = whole.slice(0, 6).join('\n') + '\n';
      const path = tempFile(Buffer.from(complete + whole[6]!.slice(0, 30)));
      const first = await readFile(path);
      expect(offsetsAndValues(first.batches)).toEqual(whole.slice(0, 6).map((value, i) => [i + 1, value]));
      // Its checkpoint resumes at the start of the unfinished line 7, not past it.
      expect(first.batches.at(-1)!.position).toEqual({ offset: 6, resume: Buffer.byteLength(complete) });
      expect(first.warnings).toEqual([
        `${path}:7: the file's last line has no newline and is not a complete JSON value, as when a writer is still writing it: ` +
          'it is not read now; a later run over this same file reads it from its start once it is finished. If the file is final, correct that ' +
          'line or end it with a newline and run again over it (it is then refused as invalid_json if it is still not JSON): a run over other ' +
          'files never reads it, and an export that goes on in a new file loses the event',
      ]);
      // The writer finishes the line and writes more; the next run reads line 7 once, whole, and numbers on from it.
      appendFileSync(path, whole[6]!.slice(30) + '\n' + whole.slice(7).join('\n') + '\n');
      const second = await readFile(path, first.batches.at(-1)!.position);
      expect(offsetsAndValues(second.batches)).toEqual(whole.slice(6).map((value, i) => [i + 7, value]));
      expect(second.warnings).toEqual([]);
    });

    it('is read when it is a complete JSON value (a finished file whose writer left out the last newline)', async () => {
      const text = [record(1), record(2), record(3)].join('\n');
      const path = tempFile(Buffer.from(text));
      const { batches, warnings } = await readFile(path);
      expect(offsetsAndValues(batches)).toEqual([record(1), record(2), record(3)].map((value, i) => [i + 1, value]));
      expect(batches.at(-1)!.position).toEqual({ offset: 3, resume: Buffer.byteLength(text) });
      expect(warnings).toEqual([]);
    });

    it('ends stdin as it is (nothing more can come): a fragment is handed on, to be refused', async () => {
      const [batch] = await readAll({ stream: Readable.from([Buffer.from(`${record(1)}\n{"type":"us`)]) });
      expect(batch!.records).toEqual([
        { offset: 1, value: record(1) },
        { offset: 2, value: '{"type":"us' },
      ]);
    });
  });

  describe('a gzip-compressed or UTF-16 file', () => {
    // 3,000 lines, with a byte-order mark, blank and CRLF lines; compressed in two members, as
    // `cat a.gz b.gz` makes: the reader sees the text, whatever the file is named.
    const text = Buffer.concat([
      BOM,
      Buffer.from(
        Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? '' : i % 89 === 0 ? `{"n":${i}}\r` : `{"n":${i},"s":"ü${'x'.repeat(i % 50)}"}`)).join('\n') +
          '\n',
      ),
    ]);
    const half = Math.floor(text.length / 2);
    const plain = tempFile(text);
    const gz = tempFile(Buffer.concat([gzipSync(text.subarray(0, half)), gzipSync(text.subarray(half))]));
    const options = { ...OPTIONS, batchSize: 256 };
    const readFrom = async (path: string, from?: RecordBatch['position']): Promise<RecordBatch[]> => {
      const batches: RecordBatch[] = [];
      for await (const b of readNdjsonBatches('p', { path }, from, options, never)) batches.push(b);
      return batches.map((b) => ({ ...b, readAt: 0 }));
    };

    it('written in UTF-16 (little- or big-endian, after its byte-order mark) gives those of its text in UTF-8', async () => {
      const utf8 = text.subarray(BOM.length);
      const le = Buffer.from(utf8.toString('utf8'), 'utf16le');
      const be = Buffer.from(le).swap16();
      const expected = await readFrom(tempFile(utf8));
      for (const bytes of [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), Buffer.concat([Buffer.from([0xfe, 0xff]), be])]) {
        const path = tempFile(bytes);
        expect(await readFrom(path)).toEqual(expected);
        expect(await readFrom(path, expected[5]!.position)).toEqual(expected.slice(6));
      }
    });

    it('in UTF-16 refuses a line with a lone surrogate (two ids would become one), and keeps a pair split by a read', async () => {
      // The emoji's two code units straddle the reader's 1 MiB chunks: its high half ends the first.
      const broken = ['{"customer_id":"CX\uD800"}', '{"customer_id":"CX\uDBFF"}'];
      // Lines of 1,009 code units with their newline, then one padded up to the chunk's end (each under the 1,024-byte limit).
      const head = `\uFEFF${broken.join('\n')}\n`.length + '{"s":"'.length;
      const filler = Array.from({ length: Math.floor(((1 << 20) / 2 - 1 - head) / 1009) }, () => `{"p":"${'y'.repeat(1000)}"}`);
      const before = `\uFEFF${[...broken, ...filler].join('\n')}\n{"s":"`;
      const padding = 'x'.repeat(((1 << 20) - 2) / 2 - before.length);
      const lines = [...broken, ...filler, `{"s":"${padding}😀"}`, '{"customer_id":"Cü😀"}'];
      const le = Buffer.from(`\uFEFF${lines.join('\n')}\n`, 'utf16le');
      expect(le.subarray(1 << 20, (1 << 20) + 2).readUInt16LE(0)).toBe(0xde00); // the low half of 😀 starts the second chunk
      for (const bytes of [le, Buffer.from(le).swap16()]) {
        const records = (await readFrom(tempFile(bytes))).flatMap((b) => b.records.map((r) => r.value));
        expect(records).toHaveLength(lines.length);
        for (const broken of records.slice(0, 2)) {
          expect(broken).toBeInstanceOf(UnreadableRecord);
          expect((broken as UnreadableRecord).detail).toMatch(/not valid UTF-8/);
        }
        expect(records.slice(2)).toEqual(lines.slice(2));
      }
    });

    it('is told by more than its first two bytes: a UTF-8 file whose first line starts with FF FE or 1F 8B is read as UTF-8', async () => {
      const good = Array.from({ length: 3 }, (_, i) => `{"n":${i}}`).join('\n');
      for (const start of [
        [0xff, 0xfe, 0x41, 0x42],
        [0x1f, 0x8b, 0x41, 0x42],
      ]) {
        const records = (await readFrom(tempFile(Buffer.concat([Buffer.from(start), Buffer.from(`\n${good}\n`)])))).flatMap((b) =>
          b.records.map((r) => r.value),
        );
        expect(records).toHaveLength(4);
        expect(records[0]).toBeInstanceOf(UnreadableRecord);
        expect(records.slice(1)).toEqual(good.split('\n'));
      }
    });

    it('gives the records and positions of its text', async () => {
      const batches = await readFrom(gz);
      expect(batches.length).toBe(Math.ceil(3000 / 256));
      expect(batches).toEqual(await readFrom(plain));
    });

    it('resumes after a batch as the plain file does (its text read again up to there)', async () => {
      const all = await readFrom(plain);
      for (const at of [0, 4, all.length - 2]) expect(await readFrom(gz, all[at]!.position)).toEqual(all.slice(at + 1));
    });

    it('that is cut short fails with the file named and what to do', async () => {
      const whole = gzipSync(text);
      const cut = tempFile(whole.subarray(0, Math.floor(whole.length / 2)));
      const reading = readFrom(cut);
      await expect(reading).rejects.toThrow(SourceError);
      await expect(reading).rejects.toThrow(`${cut}: cannot decompress this gzip file`);
    });
  });
});
