/**
 * `reason_unknown_codes`: the contact-reason codes the active reason list did not know, per
 * channel, added to inside each checkpoint's transaction (exactly once with the records counted),
 * and listed on the console's reasons page so that a manager can map them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { UnknownReasonCount } from '../../operators/reason-mapping.js';

/** Adds a checkpoint's counts. */
export async function addUnknownReasonCounts(conn: DuckDBConnection, counts: readonly UnknownReasonCount[]): Promise<void> {
  if (counts.length === 0) return;
  const insert = await conn.prepare(
    `INSERT INTO reason_unknown_codes VALUES
       ($channel, $code, $count, make_timestamptz(CAST($first AS BIGINT) * 1000), make_timestamptz(CAST($last AS BIGINT) * 1000), $version)
     ON CONFLICT (channel, code) DO UPDATE SET
       count = reason_unknown_codes.count + excluded.count,
       first_seen = least(reason_unknown_codes.first_seen, excluded.first_seen),
       last_seen = greatest(reason_unknown_codes.last_seen, excluded.last_seen),
       taxonomy_version = greatest(reason_unknown_codes.taxonomy_version, excluded.taxonomy_version)`,
  );
  try {
    for (const c of counts) {
      insert.bind({ channel: c.channel, code: c.code, count: c.count, first: c.first_seen, last: c.last_seen, version: c.version });
      await insert.run();
    }
  } finally {
    insert.destroySync();
  }
}

export interface UnknownReasonRow {
  channel: string;
  code: string;
  count: number;
  first_seen: number;
  last_seen: number;
  /** The newest reason list the code was unknown to. */
  taxonomy_version: number;
}

/** The most frequent unknown codes first (at most `limit`). */
export async function unknownReasonCodes(conn: DuckDBConnection, limit = 200): Promise<UnknownReasonRow[]> {
  const reader = await conn.runAndReadAll(
    `SELECT channel, code, CAST(count AS DOUBLE) AS count, CAST(epoch_ms(first_seen) AS DOUBLE) AS first_seen,
            CAST(epoch_ms(last_seen) AS DOUBLE) AS last_seen, taxonomy_version
     FROM reason_unknown_codes ORDER BY count DESC, channel, code LIMIT $limit`,
    { limit },
  );
  return reader.getRowObjectsJS().map((row) => ({
    channel: String(row['channel']),
    code: String(row['code']),
    count: Number(row['count']),
    first_seen: Number(row['first_seen']),
    last_seen: Number(row['last_seen']),
    taxonomy_version: Number(row['taxonomy_version']),
  }));
}
