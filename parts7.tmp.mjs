import { DuckDBInstance } from '@duckdb/node-api';
import { encodeStateValue } from '/work/wt-codec13/dist/operators/state-codec.js';
const db = await DuckDBInstance.create('/tmp/codec13/real.duckdb', { access_mode: 'READ_ONLY' });
const c = await db.connect();
const which = process.argv[2] ?? 'customer_shifts';
const r = await c.runAndReadAll(`SELECT CAST(value AS VARCHAR) FROM pulse_state WHERE operator='${which}' AND state='customers' LIMIT 10000`);
const vals = r.getRowsJS().map(([t]) => JSON.parse(t));
const dict = (v) => { if (Array.isArray(v)) v.forEach(dict); else if (v && typeof v === 'object') { const first = Object.keys(v)[0]; if (first !== undefined) { const x = v[first]; delete v[first]; v[first] = x; } for (const k in v) dict(v[k]); } };
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
function t(name, arr, f) { let best = 1e18; for (let p = 0; p < 5; p++) { const s = cpu(); for (const v of arr) f(v); best = Math.min(best, cpu() - s); } console.log(name, (best / arr.length).toFixed(2)); }
t('json parsed', vals, (v) => JSON.stringify(v));
t('codec parsed', vals, encodeStateValue);
vals.forEach(dict);
t('json dict', vals, (v) => JSON.stringify(v));
t('codec dict', vals, encodeStateValue);
