/**
 * Versions of the contact-reason taxonomy in `reason_taxonomy_versions`: each save (an import, an
 * edit on the console) adds a whole new version, checked first; versions are never changed, so a
 * row can name the version it used. The newest version is the active one.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkTaxonomy, type Taxonomy } from '../../operators/reason-taxonomy.js';
import { createOrUpgradeTables } from '../duckdb/migrate.js';
import { STATE_TABLES_DDL } from '../duckdb/schema.js';
import { inTransaction } from '../duckdb/transaction.js';

export interface TaxonomyVersion {
  version: number;
  created_at: number;
  created_by: string;
  comment: string;
  taxonomy: Taxonomy;
}

const TAXONOMY_DDL = STATE_TABLES_DDL.filter((ddl) => ddl.includes('TABLE IF NOT EXISTS reason_taxonomy_versions ('));

/** Creates the table when a database has none yet (written by an older version). */
export async function ensureTaxonomyTable(conn: DuckDBConnection): Promise<void> {
  await createOrUpgradeTables(conn, TAXONOMY_DDL);
}

/** Checks and saves `taxonomy` as the next version; returns its number. */
export async function saveTaxonomyVersion(conn: DuckDBConnection, taxonomy: unknown, who: { actor: string; at: number }, comment: string): Promise<number> {
  const checked = checkTaxonomy(taxonomy, 'the reason list');
  await ensureTaxonomyTable(conn);
  return inTransaction(conn, async () => {
    const reader = await conn.runAndReadAll(
      `INSERT INTO reason_taxonomy_versions
       SELECT coalesce(max(version), 0) + 1, make_timestamptz(CAST($at AS BIGINT) * 1000), $actor, $comment, $taxonomy
       FROM reason_taxonomy_versions RETURNING version`,
      { at: who.at, actor: who.actor, comment, taxonomy: JSON.stringify(checked) },
    );
    return Number(reader.getRowsJS()[0]![0]);
  });
}

const COLUMNS = `version, CAST(epoch_ms(created_at) AS DOUBLE) AS created_at, created_by, comment, CAST(taxonomy AS VARCHAR) AS taxonomy`;

/** The given version, or the active (newest) one; undefined when there is none. */
export async function taxonomyVersion(conn: DuckDBConnection, version?: number): Promise<TaxonomyVersion | undefined> {
  await ensureTaxonomyTable(conn);
  const reader =
    version === undefined
      ? await conn.runAndReadAll(`SELECT ${COLUMNS} FROM reason_taxonomy_versions ORDER BY version DESC LIMIT 1`)
      : await conn.runAndReadAll(`SELECT ${COLUMNS} FROM reason_taxonomy_versions WHERE version = $version`, { version });
  const row = reader.getRowObjectsJS()[0];
  return row === undefined ? undefined : toVersion(row);
}

/**
 * The number of the active (newest) version, undefined when none was saved: what a running job
 * checks at every checkpoint, so it is one cheap query on a table the job's store created.
 */
export async function activeTaxonomyNumber(conn: DuckDBConnection): Promise<number | undefined> {
  const reader = await conn.runAndReadAll(`SELECT max(version) FROM reason_taxonomy_versions`);
  const newest = reader.getRowsJS()[0]![0];
  return newest === null ? undefined : Number(newest);
}

/** Every version, newest first, without their reasons. */
export async function taxonomyVersions(conn: DuckDBConnection): Promise<Array<Omit<TaxonomyVersion, 'taxonomy'>>> {
  await ensureTaxonomyTable(conn);
  const reader = await conn.runAndReadAll(`SELECT ${COLUMNS} FROM reason_taxonomy_versions ORDER BY version DESC`);
  return reader.getRowObjectsJS().map((row) => {
    const { taxonomy: _reasons, ...rest } = toVersion(row);
    return rest;
  });
}

function toVersion(row: Record<string, unknown>): TaxonomyVersion {
  return {
    version: Number(row['version']),
    created_at: Number(row['created_at']),
    created_by: String(row['created_by']),
    comment: String(row['comment']),
    taxonomy: JSON.parse(String(row['taxonomy'])) as Taxonomy,
  };
}
