import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { PartitionPosition, RawRecord, RecordBatch } from './source.js';

const NEWLINE = 0x0a;

/**
 * Reads one NDJSON file (or stdin) as fixed-size batches of lines.
 *
 * Each line's position is its 1-based line number; the resume hint is the byte offset just after
 * it, so a restart seeks straight there. Batches always hold exactly `batchSize` lines (the last
 * may hold fewer) counted from the start of the input, which keeps the interleaving of several
 * files identical after a restart. Blank lines are skipped but counted.
 */
export async function* readNdjsonBatches(
  partition: string,
  input: { path: string } | { stream: Readable },
  from: PartitionPosition | undefined,
  batchSize: number,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  let line = from?.offset ?? 0;
  let byte = 0;
  let stream: Readable;
  if ('path' in input) {
    byte = from?.resume ?? 0;
    stream = createReadStream(input.path, { start: byte, highWaterMark: 1 << 20 });
  } else {
    // A stream cannot seek: skip the lines a previous run already processed.
    stream = input.stream;
  }
  const skipThrough = 'path' in input ? 0 : (from?.offset ?? 0);
  let pending: Buffer | null = null;
  let records: RawRecord[] = [];
  let linesInBatch = line % batchSize;

  const flush = (): RecordBatch => {
    const batch: RecordBatch = {
      kind: 'records',
      partition,
      records,
      position: { offset: line, resume: byte },
      readAt: Date.now(),
    };
    records = [];
    linesInBatch = 0;
    return batch;
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (signal.aborted) break;
    const buffer: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    let end = buffer.indexOf(NEWLINE, start);
    while (end !== -1) {
      line++;
      byte += end - start + 1;
      if (line > skipThrough) {
        const text = buffer.toString('utf8', start, end > start && buffer[end - 1] === 0x0d ? end - 1 : end);
        if (text.length > 0 && text.trim().length > 0) records.push({ offset: line, value: text });
        if (++linesInBatch === batchSize) yield flush();
      }
      start = end + 1;
      end = buffer.indexOf(NEWLINE, start);
    }
    pending = start < buffer.length ? buffer.subarray(start) : null;
  }
  if (pending && pending.length > 0 && !signal.aborted) {
    line++;
    byte += pending.length;
    const text = pending.toString('utf8').trim();
    if (line > skipThrough && text.length > 0) records.push({ offset: line, value: text });
  }
  if (records.length > 0 || linesInBatch > 0) yield flush();
}
