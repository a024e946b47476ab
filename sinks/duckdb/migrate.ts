import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

interface ColumnDefinition {
  table: string;
  column: string;
  type: string;
}

async function columnsOf(connection: DuckDBConnection): Promise<ColumnDefinition[]> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = 'main' ORDER BY table_name, ordinal_position`,
  );
  return reader.getRows().map(([table, column, type]) => ({ table: String(table), column: String(column), type: String(type) }));
}

/**
 * Creates the tables of `ddl` that are missing, and adds to existing tables the columns this
 * version defines and an older version's database file lacks. `CREATE TABLE IF NOT EXISTS` alone
 * leaves an old table as it was, and the appender-based writers would then write rows without the
 * new columns. Added columns are nullable (rows written before have no value for them). Returns
 * the columns added, as `table.column`.
 */
export async function createOrUpgradeTables(connection: DuckDBConnection, ddl: readonly string[]): Promise<string[]> {
  for (const statement of ddl) await connection.run(statement);
  // The tables as this version defines them, read back from a scratch database.
  const scratch = await DuckDBInstance.create(':memory:');
  const definitions = await scratch.connect();
  let wanted: ColumnDefinition[];
  try {
    for (const statement of ddl) await definitions.run(statement);
    wanted = await columnsOf(definitions);
  } finally {
    definitions.closeSync();
    scratch.closeSync();
  }
  const present = new Set((await columnsOf(connection)).map((c) => `${c.table}.${c.column}`));
  const added: string[] = [];
  for (const { table, column, type } of wanted) {
    if (present.has(`${table}.${column}`)) continue;
    await connection.run(`ALTER TABLE "${table}" ADD COLUMN "${column}" ${type}`);
    added.push(`${table}.${column}`);
  }
  return added;
}
