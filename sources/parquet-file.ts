import { DuckDBInstance, JSDuckDBValueConverter } from '@duckdb/node-api';
import { SourceError } from '../operators/errors.js';
import { plainRecord } from './columnar-rows.js';
import type { PartitionPosition, RawRecord, RecordBatch } from './source.js';

/**
 * Reads a Parquet file with the event columns through DuckDB's Parquet reader (streamed, so large
 * files do not load whole). Positions are 1-based row numbers; a restart starts at the next row.
 */
export async function* readParquetBatches(
  partition: string,
  path: string,
  from: PartitionPosition | undefined,
  batchSize: number,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    const result = await connection
      .stream(
        `SELECT * FROM read_parquet($path, file_row_number = true)
       WHERE file_row_number >= $skip ORDER BY file_row_number`,
        { path, skip: from?.offset ?? 0 },
      )
      .catch((error: unknown) => {
        // DuckDB's message ends with the query and a caret under it: the first line is the problem.
        const problem = ((error as Error).message ?? String(error)).split('\n')[0];
        throw new SourceError(`${path}: not a readable Parquet file (${problem}); check that it was written completely`, { cause: error });
      });
    const names = result.columnNames();
    let records: RawRecord[] = [];
    let row = from?.offset ?? 0;
    for await (const rows of result.yieldConvertedRows(JSDuckDBValueConverter)) {
      if (signal.aborted) return;
      for (const values of rows) {
        const object: Record<string, unknown> = {};
        names.forEach((name, i) => {
          if (name !== 'file_row_number') object[name] = values[i];
        });
        row++;
        records.push({ offset: row, value: plainRecord(object) });
        if (records.length === batchSize) {
          yield { kind: 'records', partition, records, position: { offset: row, resume: row }, readAt: Date.now() };
          records = [];
        }
      }
    }
    if (records.length > 0) {
      yield { kind: 'records', partition, records, position: { offset: row, resume: row }, readAt: Date.now() };
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
