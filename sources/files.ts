import { extname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { readArrowBatches } from './arrow-file.js';
import { fileFingerprint, stillStartsAs } from './file-fingerprint.js';
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
  /** Told of a file whose first bytes differ from those at its checkpointed position: it is read from its start. */
  onReplaced?: (path: string) => void;
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
    const readers = this.paths.map((partition) => {
      const from = this.stillTheSame(partition, resumeFrom.get(partition));
      return {
        partition,
        batchesDone: Math.ceil((from?.offset ?? 0) / this.options.batchSize),
        iterator: this.open(partition, from, signal),
      };
    });
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

  /** `from`, or undefined (read from the start) when the file at that path is no longer the one it was taken of. */
  private stillTheSame(partition: string, from: PartitionPosition | undefined): PartitionPosition | undefined {
    if (partition === 'stdin' || from?.fingerprint === undefined || stillStartsAs(partition, from.fingerprint)) return from;
    this.options.onReplaced?.(partition);
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
        return readNdjsonBatches(path, { path }, from, { batchSize, maxRecordBytes, lingerMs }, signal);
    }
  }
}

/** The batches of a file, each position carrying the file's fingerprint (file-fingerprint.ts). */
async function* withFingerprint(batches: AsyncGenerator<RecordBatch>, fingerprint: string): AsyncGenerator<RecordBatch> {
  try {
    for await (const batch of batches) yield { ...batch, position: { ...batch.position, fingerprint } };
  } finally {
    await batches.return(undefined);
  }
}
