/**
 * Keyed-state encode and decode on real checkpoint rows (issue 13: cheap checkpoints): reads the
 * `pulse_state` rows of a finished job's database and, per operator state, prints the CPU
 * microseconds per row of plain `JSON.stringify` / `JSON.parse` (how every value was stored before
 * operators/state-codec.ts) and of `encodeStateValue` / `decodeStateValue` (encoding includes writing
 * the text as UTF-8 into a buffer, as `packStateRows` does), the stored bytes per row
 * both ways, and checks that every value comes back exactly (bit for bit) from the codec's text.
 *
 *   npm run build && node dist/bench/state-codec.js --db bench/.data/bench-default.duckdb [--repeats 5]
 *
 * The database is any a job wrote, e.g. the `bench-default.duckdb` that `pipeline-bench --job
 * default` leaves in its `--dir` (30,000 customers after 28 days). It is copied first, so a job may
 * still have it open. Times are process CPU time, the least of `--repeats` passes.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { decodeStateValue, encodeStateValue } from '../operators/state-codec.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, repeats: { type: 'string', default: '5' } } });
if (values.db === undefined)
  throw new Error('--db is required: a job database with pulse_state rows (e.g. pipeline-bench --job default leaves bench-default.duckdb)');
const repeats = Number(values.repeats);

const dir = mkdtempSync(join(tmpdir(), 'pulse-state-codec-'));
const rows = new Map<string, string[]>();
try {
  copyFileSync(values.db, join(dir, 'copy.duckdb'));
  const instance = await DuckDBInstance.create(join(dir, 'copy.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(`SELECT operator || '.' || state, CAST(value AS VARCHAR) FROM pulse_state ORDER BY ALL`);
  for (const [name, text] of reader.getRowsJS()) {
    const list = rows.get(String(name)) ?? [];
    list.push(String(text));
    rows.set(String(name), list);
  }
  connection.closeSync();
  instance.closeSync();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** CPU microseconds per item of `work` over `items`, the least of the passes. */
function perItem<T>(items: readonly T[], work: (item: T) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let pass = 0; pass < repeats; pass++) {
    const started = cpuMicros();
    for (const item of items) sink += work(item) === undefined ? 0 : 1;
    best = Math.min(best, cpuMicros() - started);
  }
  if (sink < 0) throw new Error('unreachable');
  return best / items.length;
}

/** Where an encoded text goes, as in packStateRows: written as UTF-8 into a block's buffer (a concatenated string is flattened there). */
const block = Buffer.allocUnsafe(1 << 20);
const written = (text: string): number => block.write(text, 0, 'utf8');

const bytes = (texts: readonly string[]): number => texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / texts.length;
const round = (x: number): number => +x.toFixed(2);

const table: Array<Record<string, number | string>> = [];
let total = { rows: 0, jsonEncode: 0, codecEncode: 0, jsonDecode: 0, codecDecode: 0 };
for (const [name, texts] of [...rows].sort((a, b) => b[1].length - a[1].length)) {
  const parsed = texts.map((text) => JSON.parse(text) as unknown);
  const encoded = parsed.map((value) => encodeStateValue(value));
  const inexact = parsed.filter((value, i) => !isDeepStrictEqual(decodeStateValue(encoded[i]!), value)).length;
  if (inexact > 0) throw new Error(`${name}: ${inexact} of ${parsed.length} values did not come back exactly`);
  const figures = {
    jsonEncode: perItem(parsed, (value) => written(JSON.stringify(value))),
    codecEncode: perItem(parsed, (value) => written(encodeStateValue(value))),
    jsonDecode: perItem(texts, (text) => JSON.parse(text) as unknown),
    codecDecode: perItem(encoded, decodeStateValue),
  };
  table.push({
    state: name,
    rows: texts.length,
    json_bytes: round(bytes(texts)),
    codec_bytes: round(bytes(encoded)),
    json_encode_us: round(figures.jsonEncode),
    codec_encode_us: round(figures.codecEncode),
    json_decode_us: round(figures.jsonDecode),
    codec_decode_us: round(figures.codecDecode),
  });
  total = {
    rows: total.rows + texts.length,
    jsonEncode: total.jsonEncode + figures.jsonEncode * texts.length,
    codecEncode: total.codecEncode + figures.codecEncode * texts.length,
    jsonDecode: total.jsonDecode + figures.jsonDecode * texts.length,
    codecDecode: total.codecDecode + figures.codecDecode * texts.length,
  };
}
console.table(table);
console.log(
  `all ${total.rows} rows, CPU s per full drain: encode JSON ${round(total.jsonEncode / 1e6)} -> codec ${round(total.codecEncode / 1e6)}; ` +
    `decode JSON ${round(total.jsonDecode / 1e6)} -> codec ${round(total.codecDecode / 1e6)}; every value exact`,
);
