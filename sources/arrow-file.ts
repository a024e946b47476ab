import { createReadStream } from 'node:fs';
import { SourceError } from '../operators/errors.js';
import { plainRecord } from './columnar-rows.js';
import type { PartitionPosition, RawRecord, RecordBatch } from './source.js';

/**
 * Reads an Arrow IPC file or stream with the event columns; each row's position is its 1-based row
 * number. Arrow cannot seek to a row, so a restart skips the rows already processed.
 */
export async function* readArrowBatches(
  partition: string,
  path: string,
  from: PartitionPosition | undefined,
  batchSize: number,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  try {
    yield* readRows(partition, path, from, batchSize, signal);
  } catch (error) {
    // apache-arrow's errors on a file that is not Arrow IPC (a TypeError deep in its reader) say
    // nothing a person can act on.
    throw new SourceError(
      `${path}: not a readable Arrow IPC file or stream (${(error as Error).message}); check that it was written completely, as Arrow IPC (not Feather v1 or Parquet)`,
      { cause: error },
    );
  }
}

async function* readRows(
  partition: string,
  path: string,
  from: PartitionPosition | undefined,
  batchSize: number,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  const skipThrough = from?.offset ?? 0;
  // Loaded here, not with the module: every `pulse` command imports the sources (apache-arrow took about 70 ms of each start).
  const { RecordBatchReader } = await import('apache-arrow');
  const reader = await RecordBatchReader.from(createReadStream(path));
  let row = 0;
  let records: RawRecord[] = [];
  for await (const batch of reader) {
    if (signal.aborted) return;
    for (const value of batch) {
      row++;
      if (row <= skipThrough || value === null) continue;
      records.push({ offset: row, value: plainRecord(value.toJSON() as Record<string, unknown>) });
      if (records.length === batchSize) {
        yield { kind: 'records', partition, records, position: { offset: row, resume: row }, readAt: Date.now() };
        records = [];
      }
    }
  }
  if (records.length > 0) {
    yield { kind: 'records', partition, records, position: { offset: row, resume: row }, readAt: Date.now() };
  }
}
