import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { TableWriter } from '../../../sinks/duckdb/table-writer.js';

const DDL = `CREATE TABLE t (
  id VARCHAR NOT NULL, ts TIMESTAMPTZ, n BIGINT, x DOUBLE, ok BOOLEAN, doc JSON
)`;

async function tableWith(write: (writer: TableWriter, connection: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<void>, tombstoneColumn?: string) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  await connection.run(DDL);
  const writer = await TableWriter.create(connection, 't', ['id'], [], tombstoneColumn);
  await write(writer, connection);
  const reader = await connection.runAndReadAll(`SELECT id, epoch_ms(ts) AS ts, n, x, ok, CAST(doc AS VARCHAR) AS doc FROM t ORDER BY id`);
  const rows = reader.getRowObjectsJS();
  connection.closeSync();
  instance.closeSync();
  return rows;
}

describe('TableWriter', () => {
  it('writes rows with nulls in every kind of column, and replaces rows by key', async () => {
    // 3,000 rows: more than one data chunk (2,048 rows), with nulls in both chunks.
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: `k${String(i).padStart(4, '0')}`,
      ts: i % 7 === 0 ? null : Date.UTC(2026, 0, 5) + i * 1000,
      n: i % 5 === 0 ? null : i * 3,
      x: i % 3 === 0 ? null : i / 4,
      ok: i % 11 === 0 ? null : i % 2 === 0,
      doc: i % 13 === 0 ? null : { i, tag: `t${i % 4}` },
    }));
    const stored = await tableWith(async (writer, connection) => {
      await writer.write(connection, rows);
      // A second write of one key replaces its row.
      await writer.write(connection, [{ id: 'k0001', ts: null, n: 7, x: null, ok: true, doc: 'null' }]);
    });
    expect(stored).toHaveLength(3000);
    const expected = rows.map((r) => ({
      id: r.id,
      ts: r.ts === null ? null : BigInt(r.ts),
      n: r.n === null ? null : BigInt(r.n),
      x: r.x,
      ok: r.ok,
      doc: r.doc === null ? null : JSON.stringify(r.doc),
    }));
    expected[1] = { id: 'k0001', ts: null, n: 7n, x: null, ok: true, doc: 'null' };
    expect(stored).toEqual(expected);
  });

  it('with a tombstone column, a staged row without its value deletes the stored row of its key and is not written', async () => {
    const stored = await tableWith(async (writer, connection) => {
      await writer.write(connection, [
        { id: 'kept', n: 1, doc: { v: 1 } },
        { id: 'replaced', n: 2, doc: { v: 2 } },
        { id: 'deleted', n: 3, doc: { v: 3 } },
      ]);
      // One checkpoint's changes, staged in two parts before one move.
      await writer.stage(connection, [
        { id: 'replaced', n: 20, doc: { v: 20 } },
        { id: 'deleted', n: null, doc: null },
      ]);
      await writer.stage(connection, [
        { id: 'never-stored', n: null, doc: null },
        { id: 'new', n: 4, doc: { v: 4 } },
      ]);
      await writer.move(connection);
    }, 'doc');
    expect(stored.map((r) => [r['id'], r['n'], r['doc']])).toEqual([
      ['kept', 1n, '{"v":1}'],
      ['new', 4n, '{"v":4}'],
      ['replaced', 20n, '{"v":20}'],
    ]);
  });

  it('takes numeric columns as Float64Arrays in which NaN is null', async () => {
    const stored = await tableWith(async (writer, connection) => {
      const columns: Record<string, ArrayLike<string | number | null>> = {
        id: ['a', 'b', 'c'],
        ts: Float64Array.of(Date.UTC(2026, 0, 5), Number.NaN, 0),
        n: Float64Array.of(Number.NaN, 2, -3),
        x: Float64Array.of(1.5, Number.NaN, -0.25),
      };
      await writer.write(connection, { length: 3, names: Object.keys(columns), column: (name) => columns[name] ?? [null, null, null] });
    });
    expect(stored).toEqual([
      { id: 'a', ts: BigInt(Date.UTC(2026, 0, 5)), n: null, x: 1.5, ok: null, doc: null },
      { id: 'b', ts: null, n: 2n, x: null, ok: null, doc: null },
      { id: 'c', ts: 0n, n: -3n, x: -0.25, ok: null, doc: null },
    ]);
  });
});
