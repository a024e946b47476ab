import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * An in-memory DuckDB over a generated NDJSON file: the independent oracle of these tests.
 * Lines are loaded with their 1-based line numbers; `ev` holds every valid-JSON line with its
 * event time in epoch ms (RFC 3339 strings and epoch numbers both, `queued_at` for contacts).
 */
export class Oracle {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly db: DuckDBConnection,
  ) {}

  static async open(ndjsonPath: string): Promise<Oracle> {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const o = new Oracle(instance, db);
    await db.run(`SET TimeZone = 'UTC'`);
    await db.run(`CREATE MACRO to_ms(x) AS CASE
        WHEN x IS NULL OR json_type(x) = 'NULL' THEN NULL
        WHEN json_type(x) IN ('UBIGINT', 'BIGINT') THEN x::BIGINT
        ELSE epoch_ms((x->>'$')::TIMESTAMPTZ) END`);
    await db.run(`CREATE TABLE raw AS
      SELECT unnest(string_split(content, chr(10))) AS line,
             generate_subscripts(string_split(content, chr(10)), 1) AS ln
      FROM read_text('${ndjsonPath}')`);
    await db.run(`DELETE FROM raw WHERE line = ''`);
    await db.run(`CREATE TABLE ev AS
      SELECT ln, line, j, j->>'type' AS type, j->>'event_id' AS event_id, j->>'customer_id' AS customer_id,
             to_ms(coalesce(j->'ts', j->'queued_at')) AS ms
      FROM (SELECT ln, line, line::JSON AS j FROM raw WHERE json_valid(line))`);
    return o;
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.db.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** First row, with bigint values turned into numbers. */
  async one(sql: string): Promise<Record<string, number | string | null>> {
    const [row] = await this.rows(sql);
    if (row === undefined) throw new Error(`no row from: ${sql}`);
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : (v as number | string | null)]));
  }

  close(): void {
    this.db.closeSync();
    this.instance.closeSync();
  }
}
