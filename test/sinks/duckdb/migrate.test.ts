import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createOrUpgradeTables } from '../../../sinks/duckdb/migrate.js';
import { OUTPUT_TABLES_DDL, STATE_TABLES_DDL } from '../../../sinks/duckdb/schema.js';

describe('opening a database written by an older version', () => {
  it('adds the columns this version defines, keeps the rows, and is a no-op the second time', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    // pulse_state and pulse_dedup as they were before state was partitioned, with a row each.
    await connection.run(`CREATE TABLE pulse_state (operator VARCHAR NOT NULL, state VARCHAR NOT NULL, key VARCHAR NOT NULL, value JSON NOT NULL)`);
    await connection.run(`CREATE TABLE pulse_dedup (event_id VARCHAR NOT NULL, ts BIGINT NOT NULL)`);
    await connection.run(`INSERT INTO pulse_state VALUES ('op', 'customers', 'c1', '{"n":1}')`);
    await connection.run(`INSERT INTO pulse_dedup VALUES ('e1', 5)`);

    const ddl = [...OUTPUT_TABLES_DDL, ...STATE_TABLES_DDL];
    expect(await createOrUpgradeTables(connection, ddl)).toEqual(['pulse_dedup.partition', 'pulse_dedup.customer_id', 'pulse_state.customer_id']);
    const rows = await connection.runAndReadAll(
      `SELECT s.key, s.customer_id, d.event_id, d.partition, d.customer_id AS id_customer FROM pulse_state s, pulse_dedup d`,
    );
    expect(rows.getRowObjectsJS()).toEqual([{ key: 'c1', customer_id: null, event_id: 'e1', partition: null, id_customer: null }]);
    const types = await connection.runAndReadAll(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE column_name IN ('customer_id', 'partition')
       AND table_name IN ('pulse_state', 'pulse_dedup') ORDER BY ALL`,
    );
    expect(types.getRowObjectsJS()).toEqual([
      { table_name: 'pulse_dedup', column_name: 'customer_id', data_type: 'VARCHAR' },
      { table_name: 'pulse_dedup', column_name: 'partition', data_type: 'VARCHAR' },
      { table_name: 'pulse_state', column_name: 'customer_id', data_type: 'VARCHAR' },
    ]);
    // Every other table was created whole.
    const tables = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_schema = 'main'`);
    expect(tables.getRowObjectsJS()[0]!['n']).toBe(ddl.filter((d) => /CREATE TABLE/.test(d)).length);
    expect(await createOrUpgradeTables(connection, ddl)).toEqual([]);
    connection.closeSync();
    instance.closeSync();
  });
});
