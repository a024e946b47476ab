import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { readArrowBatches } from './arrow-file.js';
import { fileFingerprint, stillStartsAs } from './file-fingerprint.js';
import { readNdjsonBatches, resumesAtFileByte } from './ndjson-file.js';
import { readParquetBatches } from './parquet-file.js';
import { SourceError } from '../operators/errors.js';
import type { RawValue } from '../operators/record-limits.js';
import type { PartitionPosition, RecordBatch, Source, SourceMessage } from './source.js';

export const STDIN = '-';

export interface FileSourceOptions {
  name: string;
  /** File paths; `-` is standard input. The format follows the extension. */
  paths: string[];
  /** Lines or rows per batch. */
  batchSize: number;
  /** Longest NDJSON line in bytes; a longer one is dead-lettered as `too_large`. */
  maxRecordBytes: number;
  /** How long a partial batch from stdin waits for more lines. */
  lingerMs: number;
  /** What `-` reads (process.stdin unless a test passes its own stream). */
  stdin?: Readable;
  /** The event time a record claims (NaN for none): files are read in the order of their batches' times. */
  timeOf?: (value: RawValue) => number;
  /** Told of a file whose first bytes differ from those at its checkpointed position: it is read from its start. */
  onReplaced?: (path: string) => void;
  /**
   * Told, as a sentence a person reads, of a file read from its start because it is shorter than
   * where it stopped, and of an NDJSON file's unfinished last line left for the next run.
   */
  onWarning?: (message: string) => void;
}

type FileFormat = 'ndjson' | 'arrow' | 'parquet';

export function fileFormat(path: string): FileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.parquet') return 'parquet';
  if (['.arrow', '.arrows', '.ipc', '.feather'].includes(extension)) return 'arrow';
  return 'ndjson';
}

/** One input being read: its next batch, waiting for its turn, and when that batch starts. */
interface FileReader {
  partition: string;
  /** Position among the paths: the turn goes to the first of equal `startsAt`. */
  index: number;
  /** Where this run starts reading it: the checkpointed position, or undefined for its start. */
  from: PartitionPosition | undefined;
  /** Open while the file is being read; a file not read yet is closed again after its first look. */
  iterator?: AsyncIterator<RecordBatch>;
  head?: RecordBatch;
  startsAt: number;
  /** True until its first batch of this run has been read. */
  first: boolean;
}

/**
 * Bounded input from files and stdin. Each file is a partition, and the next batch read is always
 * the one that starts earliest in event time, of the next batch of every file. So files split by
 * day are read one after the other, and files split by event type (transactions in one, contacts
 * in another) advance in event time together: none of them is judged late against the others,
 * and no file's later days are held in memory as early state while another file is still at its
 * first day. Each file says where its next batch starts (a `next` message): one not read yet holds
 * the watermark back from there.
 *
 * A file's first batch starts at the earliest time any of its records claims: that is where the
 * file holds the watermark from, and none of its records may be behind it (a sparse file's batch
 * can span days). Its later batches only decide the turn (a file read before holds the watermark
 * at its own progress), so they are judged by a few records: the first three that claim a time,
 * the middle and the last one. One record dated years ahead cannot send a file to the back. The
 * turn order depends only on each file's position, so a restart at the checkpointed positions
 * reads on in the order of an uninterrupted run (file batches hold a fixed number of lines). A
 * stop or `close` ends every read at once, one waiting on stdin included.
 */
export class FileSource implements Source {
  readonly name: string;
  readonly bounded = true;
  readonly partitions: readonly string[];
  private readonly paths: string[];
  private readonly options: FileSourceOptions;
  /** Aborted by `close`: ends reads still waiting (stdin), so a job that failed can exit. */
  private readonly closing = new AbortController();

  constructor(options: FileSourceOptions) {
    this.name = options.name;
    this.paths = options.paths.map((p) => (p === STDIN ? 'stdin' : resolve(p)));
    this.partitions = this.paths;
    this.options = options;
  }

  async *read(resumeFrom: ReadonlyMap<string, PartitionPosition>, stopSignal: AbortSignal): AsyncIterable<SourceMessage> {
    const signal = AbortSignal.any([stopSignal, this.closing.signal]);
    const readers: FileReader[] = this.paths.map((partition, index) => ({
      partition,
      index,
      from: this.stillTheSame(partition, resumeFrom.get(partition)),
      startsAt: Number.NEGATIVE_INFINITY,
      first: true,
    }));
    let active: FileReader[] = [];
    try {
      for (const reader of readers) {
        if (!(yield* this.readHead(reader, signal))) continue;
        active.push(reader);
        // Only where it starts is kept of a file waiting for its first turn (a year of daily files
        // would otherwise hold a batch of each): its batch is read again then. Stdin cannot be.
        if (this.paths.length > 1 && reader.partition !== 'stdin') await this.release(reader);
      }
      while (active.length > 0 && !signal.aborted) {
        const reader = earliest(active);
        const batch = reader.head ?? (await this.readAgain(reader, signal));
        if (batch !== undefined) {
          yield batch;
          reader.first = false;
        }
        if (!(yield* this.readHead(reader, signal))) active = active.filter((other) => other !== reader);
      }
    } finally {
      // Readers left mid-file (a stop, or the consumer gave up) release their files and stdin.
      await Promise.all(active.map((reader) => this.release(reader)));
    }
  }

  /** Closes a reader's file (or lets go of stdin); its next read opens it again at `from`. */
  private async release(reader: FileReader): Promise<void> {
    const iterator = reader.iterator;
    reader.iterator = undefined;
    reader.head = undefined;
    await iterator?.return?.();
  }

  /** The first batch of a file that was released after its first look (undefined if it is empty since). */
  private async readAgain(reader: FileReader, signal: AbortSignal): Promise<RecordBatch | undefined> {
    if (!existsSync(reader.partition)) {
      throw new SourceError(
        `${reader.partition} was moved or deleted while the job waited for its turn to read it; the job stops at its last checkpoint: ` +
          'put the file back and run the job again',
      );
    }
    reader.iterator = this.open(reader.partition, reader.from, signal);
    const next = await reader.iterator.next();
    return next.done ? undefined : next.value;
  }

  /**
   * Reads a reader's next batch into `head` and says when it starts; false, after its `end`, when
   * the file has ended. A reader that was stopped has not reached its end: it gets no `end`, and
   * goes on holding the watermark.
   */
  private async *readHead(reader: FileReader, signal: AbortSignal): AsyncGenerator<SourceMessage, boolean> {
    reader.iterator ??= this.open(reader.partition, reader.from, signal);
    const next = await reader.iterator.next();
    if (next.done) {
      reader.head = undefined;
      if (!signal.aborted) yield { kind: 'end', partition: reader.partition };
      return false;
    }
    reader.head = next.value;
    // One input never waits for another: no turn to decide, nothing to parse twice, nothing to say.
    if (this.paths.length === 1) return true;
    reader.startsAt = batchStart(next.value, this.options.timeOf, reader.first);
    yield { kind: 'next', partition: reader.partition, eventTime: reader.startsAt };
    return true;
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  /** `from`, or undefined (read from the start) when the file at that path is no longer the one it was taken of. */
  private stillTheSame(partition: string, from: PartitionPosition | undefined): PartitionPosition | undefined {
    if (partition === 'stdin' || from === undefined) return from;
    if (from.fingerprint !== undefined && !stillStartsAs(partition, from.fingerprint)) {
      this.options.onReplaced?.(partition);
      return undefined;
    }
    // The first bytes only tell a file that starts the same: one truncated, or replaced by a shorter
    // export of the same beginning, resumed silently mid-line or past its end, and lines written
    // there later were never read.
    const size = statSync(partition).size;
    if (!resumesAtByte(partition) || size >= from.resume) return from;
    this.options.onWarning?.(
      `${partition} is ${size} bytes, shorter than the ${from.resume} bytes the last run read of it: it was truncated or replaced, ` +
        'and is read from its start; the records in it that were counted before are refused (as duplicates by their event id, or as late)',
    );
    return undefined;
  }

  private open(partition: string, from: PartitionPosition | undefined, signal: AbortSignal): AsyncIterator<RecordBatch> {
    const { batchSize, maxRecordBytes, lingerMs } = this.options;
    if (partition === 'stdin') {
      return readNdjsonBatches(partition, { stream: this.options.stdin ?? process.stdin }, from, { batchSize, maxRecordBytes, lingerMs }, signal);
    }
    const fingerprint = fileFingerprint(partition);
    return withFingerprint(this.openFile(partition, from, signal), fingerprint);
  }

  private openFile(path: string, from: PartitionPosition | undefined, signal: AbortSignal): AsyncGenerator<RecordBatch> {
    const { batchSize, maxRecordBytes, lingerMs } = this.options;
    switch (fileFormat(path)) {
      case 'arrow':
        return readArrowBatches(path, path, from, batchSize, signal);
      case 'parquet':
        return readParquetBatches(path, path, from, batchSize, signal);
      default:
        return readNdjsonBatches(path, { path }, from, { batchSize, maxRecordBytes, lingerMs, onWarning: this.options.onWarning }, signal);
    }
  }
}

/** Whether the file's checkpointed `resume` is a byte offset in it as stored (Arrow and Parquet files resume at a row). */
function resumesAtByte(path: string): boolean {
  return fileFormat(path) === 'ndjson' && resumesAtFileByte(path);
}

/** The reader whose next batch starts earliest; the first path of equal ones. */
function earliest(readers: readonly FileReader[]): FileReader {
  return readers.reduce((best, reader) =>
    reader.startsAt < best.startsAt || (reader.startsAt === best.startsAt && reader.index < best.index) ? reader : best,
  );
}

/**
 * When a batch starts: the earliest time any of its records claims (`whole`), or of a few of them
 * (the first three that claim one, the middle and the last record); -Infinity when none does (it
 * goes first, and holds the watermark wherever it stands).
 */
function batchStart(batch: RecordBatch, timeOf: ((value: RawValue) => number) | undefined, whole: boolean): number {
  const { records } = batch;
  if (timeOf === undefined || records.length === 0) return Number.NEGATIVE_INFINITY;
  let start = Number.POSITIVE_INFINITY;
  const claim = (i: number): boolean => {
    const time = timeOf(records[i]!.value);
    if (time < start) start = time;
    return Number.isFinite(time);
  };
  if (whole) {
    for (let i = 0; i < records.length; i++) claim(i);
  } else {
    for (let i = 0, claimed = 0; i < records.length && claimed < 3; i++) if (claim(i)) claimed++;
    claim(records.length >> 1);
    claim(records.length - 1);
  }
  return Number.isFinite(start) ? start : Number.NEGATIVE_INFINITY;
}

/** The batches of a file, each position carrying the file's fingerprint (file-fingerprint.ts). */
async function* withFingerprint(batches: AsyncGenerator<RecordBatch>, fingerprint: string): AsyncGenerator<RecordBatch> {
  try {
    for await (const batch of batches) yield { ...batch, position: { ...batch.position, fingerprint } };
  } finally {
    await batches.return(undefined);
  }
}
