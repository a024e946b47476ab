import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { OutputRow } from '../../operators/operator.js';

/** How a column is staged for the appender and converted back in SQL. */
type ColumnKind = 'varchar' | 'json' | 'double' | 'bigint' | 'boolean' | 'time';

interface Column {
  name: string;
  kind: ColumnKind;
}

const STAGE_TYPE: Record<ColumnKind, string> = {
  varchar: 'VARCHAR', json: 'VARCHAR', double: 'DOUBLE', bigint: 'DOUBLE', boolean: 'BOOLEAN', time: 'DOUBLE',
};

function columnKind(dataType: string): ColumnKind {
  if (dataType === 'TIMESTAMP WITH TIME ZONE') return 'time';
  if (dataType === 'JSON') return 'json';
  if (dataType === 'DOUBLE') return 'double';
  if (dataType === 'BIGINT' || dataType === 'INTEGER') return 'bigint';
  if (dataType === 'BOOLEAN') return 'boolean';
  return 'varchar';
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Staged value back to the table's type (times are staged as epoch ms). */
function fromStage(column: Column, alias: string): string {
  const ref = `${alias}.${quote(column.name)}`;
  switch (column.kind) {
    case 'time': return `make_timestamptz(CAST(round(${ref} * 1000) AS BIGINT))`;
    case 'json': return `CAST(${ref} AS JSON)`;
    case 'bigint': return `CAST(${ref} AS BIGINT)`;
    default: return ref;
  }
}

/**
 * Writes output rows into one table through DuckDB's appender (never row-by-row INSERTs).
 *
 * Rows go into a temporary staging table with the same columns (times as epoch-ms doubles, JSON as
 * text, so the appender needs no per-value object allocation), then one set-based statement moves
 * them: with key columns, rows replace earlier rows of the same key (a revised window); without,
 * they are appended. Run inside the checkpoint transaction so it commits or rolls back with it.
 */
export class TableWriter {
  private constructor(
    private readonly table: string,
    private readonly columns: Column[],
    private readonly keys: readonly string[],
    private readonly stage: string,
  ) {}

  static async create(connection: DuckDBConnection, table: string, keys: readonly string[]): Promise<TableWriter> {
    const reader = await connection.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = 'main' AND table_name = $table ORDER BY ordinal_position`,
      { table },
    );
    const columns = reader.getRowObjectsJS().map((row) => ({
      name: String(row['column_name']),
      kind: columnKind(String(row['data_type'])),
    }));
    if (columns.length === 0) throw new Error(`table '${table}' does not exist`);
    const stage = `pulse_stage_${table}`;
    const definition = columns.map((c) => `${quote(c.name)} ${STAGE_TYPE[c.kind]}`).join(', ');
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${stage} (${definition})`);
    return new TableWriter(table, columns, keys, stage);
  }

  async write(connection: DuckDBConnection, rows: readonly OutputRow[]): Promise<void> {
    if (rows.length === 0) return;
    const appender = await connection.createAppender(this.stage, null, 'temp');
    try {
      for (const row of rows) this.appendRow(appender, row);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const select = this.columns.map((c) => fromStage(c, 's')).join(', ');
    if (this.keys.length > 0) {
      const byKey = this.keys
        .map((key) => {
          const column = this.columns.find((c) => c.name === key)!;
          return `t.${quote(key)} = ${fromStage(column, 's')}`;
        })
        .join(' AND ');
      await connection.run(`DELETE FROM ${quote(this.table)} t USING ${this.stage} s WHERE ${byKey}`);
    }
    await connection.run(`INSERT INTO ${quote(this.table)} SELECT ${select} FROM ${this.stage} s`);
    await connection.run(`DELETE FROM ${this.stage}`);
  }

  private appendRow(appender: DuckDBAppender, row: OutputRow): void {
    for (const column of this.columns) {
      const value = row[column.name];
      if (value === null || value === undefined) {
        appender.appendNull();
        continue;
      }
      switch (column.kind) {
        case 'varchar':
          appender.appendVarchar(String(value));
          break;
        case 'json':
          appender.appendVarchar(typeof value === 'string' ? value : JSON.stringify(value));
          break;
        case 'boolean':
          appender.appendBoolean(Boolean(value));
          break;
        default:
          appender.appendDouble(Number(value));
      }
    }
    appender.endRow();
  }
}
