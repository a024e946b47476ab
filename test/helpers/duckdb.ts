import { DuckDBInstance } from '@duckdb/node-api';

/** Runs queries against a database file (or :memory:) and returns rows as plain JS objects. */
export async function query(path: string, ...sql: string[]): Promise<Array<Array<Record<string, unknown>>>> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    const results: Array<Array<Record<string, unknown>>> = [];
    for (const statement of sql) {
      const reader = await connection.runAndReadAll(statement);
      results.push(reader.getRowObjectsJS() as Array<Record<string, unknown>>);
    }
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
