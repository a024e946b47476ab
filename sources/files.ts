import { extname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { readArrowBatches } from './arrow-file.js';
import { readNdjsonBatches } from './ndjson-file.js';
import { readParquetBatches } from './parquet-file.js';
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
}

type FileFormat = 'ndjson' | 'arrow' | 'parquet';

export function fileFormat(path: string): FileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.parquet') return 'parquet';
  if (['.arrow', '.arrows', '.ipc', '.feather'].includes(extension)) return 'arrow';
  return 'ndjson';
}

/**
 * Bounded input from files and stdin. Each file is a partition; all files are read together, one
 * batch from each in turn, so that files split by event type (transactions in one, contacts in
 * another) advance in event time together and none of them is judged late against the others.
 * Because file batches hold a fixed number of lines, the turn order after a restart is the same as
 * in an uninterrupted run: the next file is the one that has completed the fewest batches (stdin,
 * which hands on partial batches after its linger, cannot be replayed anyway). A stop or `close`
 * ends every read at once, one waiting on stdin included.
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
    const readers = this.paths.map((partition) => ({
      partition,
      batchesDone: Math.ceil((resumeFrom.get(partition)?.offset ?? 0) / this.options.batchSize),
      iterator: this.open(partition, resumeFrom.get(partition), signal),
    }));
    // Round-robin in a deterministic order, starting with the reader that is furthest behind.
    readers.sort((a, b) => a.batchesDone - b.batchesDone || this.paths.indexOf(a.partition) - this.paths.indexOf(b.partition));
    let active = readers;
    try {
      while (active.length > 0 && !signal.aborted) {
        const stillActive: typeof readers = [];
        for (const reader of active) {
          const next = await reader.iterator.next();
          if (next.done) {
            // A reader that was stopped has not reached its end: it must go on holding the watermark.
            if (!signal.aborted) yield { kind: 'end', partition: reader.partition };
            continue;
          }
          yield next.value;
          stillActive.push(reader);
        }
        active = stillActive;
      }
    } finally {
      // Readers left mid-file (a stop, or the consumer gave up) release their files and stdin.
      await Promise.all(active.map((reader) => reader.iterator.return?.()));
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private open(partition: string, from: PartitionPosition | undefined, signal: AbortSignal): AsyncIterator<RecordBatch> {
    const { batchSize, maxRecordBytes, lingerMs } = this.options;
    if (partition === 'stdin') {
      return readNdjsonBatches(partition, { stream: this.options.stdin ?? process.stdin }, from, { batchSize, maxRecordBytes, lingerMs }, signal);
    }
    switch (fileFormat(partition)) {
      case 'arrow':
        return readArrowBatches(partition, partition, from, batchSize, signal);
      case 'parquet':
        return readParquetBatches(partition, partition, from, batchSize, signal);
      default:
        return readNdjsonBatches(partition, { path: partition }, from, { batchSize, maxRecordBytes, lingerMs }, signal);
    }
  }
}
