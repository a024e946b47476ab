import { extname, resolve } from 'node:path';
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
 * Because batches hold a fixed number of lines, the turn order after a restart is the same as in
 * an uninterrupted run: the next file is the one that has completed the fewest batches.
 */
export class FileSource implements Source {
  readonly name: string;
  readonly bounded = true;
  private readonly paths: string[];
  private readonly batchSize: number;

  constructor(options: FileSourceOptions) {
    this.name = options.name;
    this.paths = options.paths.map((p) => (p === STDIN ? 'stdin' : resolve(p)));
    this.batchSize = options.batchSize;
  }

  async *read(resumeFrom: ReadonlyMap<string, PartitionPosition>, signal: AbortSignal): AsyncIterable<SourceMessage> {
    const readers = this.paths.map((partition) => ({
      partition,
      batchesDone: Math.ceil((resumeFrom.get(partition)?.offset ?? 0) / this.batchSize),
      iterator: this.open(partition, resumeFrom.get(partition), signal),
    }));
    // Round-robin in a deterministic order, starting with the reader that is furthest behind.
    readers.sort((a, b) => a.batchesDone - b.batchesDone || this.paths.indexOf(a.partition) - this.paths.indexOf(b.partition));
    let active = readers;
    while (active.length > 0 && !signal.aborted) {
      const stillActive: typeof readers = [];
      for (const reader of active) {
        const next = await reader.iterator.next();
        if (next.done) {
          yield { kind: 'end', partition: reader.partition };
          continue;
        }
        yield next.value;
        stillActive.push(reader);
      }
      active = stillActive;
    }
  }

  async close(): Promise<void> {}

  private open(partition: string, from: PartitionPosition | undefined, signal: AbortSignal): AsyncIterator<RecordBatch> {
    if (partition === 'stdin') {
      return readNdjsonBatches(partition, { stream: process.stdin }, from, this.batchSize, signal);
    }
    switch (fileFormat(partition)) {
      case 'arrow':
        return readArrowBatches(partition, partition, from, this.batchSize, signal);
      case 'parquet':
        return readParquetBatches(partition, partition, from, this.batchSize, signal);
      default:
        return readNdjsonBatches(partition, { path: partition }, from, this.batchSize, signal);
    }
  }
}
