import { DuckDBInstance } from '@duckdb/node-api';
const [db, ...sqls] = process.argv.slice(2);
const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
const c = await inst.connect();
for (const sql of sqls) { const r = await c.runAndReadAll(sql); console.log(JSON.stringify(r.getRowsJS(), (k, v) => typeof v === 'bigint' ? Number(v) : v)); }
