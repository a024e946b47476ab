import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionPosition } from '../../sources/source.js';

/** Stores where a source partition stands (`pulse_checkpoints`), inside the caller's transaction. */
export async function writePosition(connection: DuckDBConnection, source: string, partition: string, position: PartitionPosition): Promise<void> {
  await connection.run(
    `INSERT OR REPLACE INTO pulse_checkpoints (source, partition, "offset", resume, updated_at, fingerprint)
     VALUES ($source, $partition, $offset, $resume, now(), $fingerprint)`,
    { source, partition, offset: position.offset, resume: position.resume, fingerprint: position.fingerprint ?? null },
  );
}
