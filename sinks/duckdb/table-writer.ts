import { BOOLEAN, DOUBLE, DuckDBDataChunk, VARCHAR, type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBVector } from '@duckdb/node-api';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { OutputColumns, OutputRow } from '../../operators/operator.js';

/**
 * How a column is staged for the appender and converted back in SQL. `interned`: a VARCHAR column
 * whose values repeat (customer ids), staged as the number of the value in a dictionary.
 */
type ColumnKind = 'varchar' | 'json' | 'double' | 'bigint' | 'boolean' | 'time' | 'interned';

interface Column {
  name: string;
  kind: ColumnKind;
}

const STAGE_TYPE: Record<ColumnKind, DuckDBType> = {
  varchar: VARCHAR,
  json: VARCHAR,
  double: DOUBLE,
  bigint: DOUBLE,
  boolean: BOOLEAN,
  time: DOUBLE,
  interned: DOUBLE,
};

/** DuckDB's vector size: the most rows a data chunk holds. */
const CHUNK_ROWS = 2048;
/**
 * Chunks appended between flushes: a flush (synchronous, on this thread) then takes tens of
 * milliseconds, not the hundreds that the appender's own flush at 204,800 rows or one at the end of
 * a large table takes, during which the worker threads' results wait.
 */
const FLUSH_CHUNKS = 16;

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

/**
 * Staged value back to the table's type. Times are staged as epoch ms; numbers stage NULL as NaN
 * (see fillNumbers), which no output holds otherwise: amounts are validated finite and JSON has
 * no NaN.
 */
function fromStage(column: Column, alias: string): string {
  const ref = `${alias}.${quote(column.name)}`;
  const number = `CASE WHEN isnan(${ref}) THEN NULL ELSE ${ref} END`;
  switch (column.kind) {
    case 'time':
      return `make_timestamptz(CAST(round(${number} * 1000) AS BIGINT))`;
    case 'json':
      return `CAST(${ref} AS JSON)`;
    case 'bigint':
      return `CAST(${number} AS BIGINT)`;
    case 'double':
      return number;
    // Already the value: TableWriter.resolveInterned replaced the number by it.
    default:
      return ref;
  }
}

function dictAlias(column: Column): string {
  return `d_${column.name.replace(/\W/g, '_')}`;
}

/**
 * The values of an interned column seen by this process, numbered, with a temporary table of the
 * same: a checkpoint passes each repeated value (a customer's id, in every one of its windows) to
 * DuckDB once, and then only its number. Each value costs the native client a call of its own,
 * the dearest part of staging a window row (bench/pipeline-bench.ts).
 */
class Dictionary {
  private readonly numbers = new Map<string, number>();

  constructor(readonly table: string) {}

  /** The numbers of `values` (NaN for null); new values are added to the temporary table. */
  async number(connection: DuckDBConnection, values: ArrayLike<OutputRow[string]>, start: number, count: number): Promise<Float64Array> {
    const numbers = new Float64Array(count);
    const added: string[] = [];
    for (let i = 0; i < count; i++) {
      const value = values[start + i];
      if (value === null || value === undefined) {
        numbers[i] = Number.NaN;
        continue;
      }
      const text = typeof value === 'string' ? value : String(value);
      let n = this.numbers.get(text);
      if (n === undefined) {
        n = this.numbers.size;
        this.numbers.set(text, n);
        added.push(text);
      }
      numbers[i] = n;
    }
    if (added.length > 0) {
      const appender = await connection.createAppender(this.table, null, 'temp');
      try {
        const first = this.numbers.size - added.length;
        added.forEach((text, i) => {
          appender.appendDouble(first + i);
          appender.appendVarchar(text);
          appender.endRow();
        });
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    }
    return numbers;
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
    readonly table: string,
    private readonly columns: Column[],
    private readonly keys: readonly string[],
    private readonly stageTable: string,
    private readonly dictionaries: ReadonlyMap<string, Dictionary>,
    private readonly tombstoneColumn: string | undefined,
  ) {}

  /** True while rows are staged and not moved yet. */
  private staged = false;

  /**
   * `interned`: VARCHAR columns whose values repeat, staged by number (see Dictionary).
   * `tombstoneColumn`: a staged row whose value there is null deletes the stored row of its key and
   * is not written (with `keys`).
   */
  static async create(
    connection: DuckDBConnection,
    table: string,
    keys: readonly string[],
    interned: readonly string[] = [],
    tombstoneColumn?: string,
  ): Promise<TableWriter> {
    const reader = await connection.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = 'main' AND table_name = $table ORDER BY ordinal_position`,
      { table },
    );
    const columns = reader.getRowObjectsJS().map((row): Column => {
      const name = String(row['column_name']);
      return { name, kind: interned.includes(name) ? 'interned' : columnKind(String(row['data_type'])) };
    });
    if (columns.length === 0) throw new Error(`table '${table}' does not exist`);
    if (tombstoneColumn !== undefined && keys.length === 0) throw new Error(`table '${table}': a tombstone column needs key columns to delete by`);
    const stageTable = `pulse_stage_${table}`;
    const definition = columns.map((c) => `${quote(c.name)} ${STAGE_TYPE[c.kind].toString()}`).join(', ');
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${stageTable} (${definition})`);
    const dictionaries = new Map<string, Dictionary>();
    for (const column of columns.filter((c) => c.kind === 'interned')) {
      const dict = new Dictionary(`pulse_dict_${table}_${column.name.replace(/\W/g, '_')}`);
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${dict.table} (idx DOUBLE, value VARCHAR)`);
      dictionaries.set(column.name, dict);
    }
    return new TableWriter(table, columns, keys, stageTable, dictionaries, tombstoneColumn);
  }

  /** Writes rows, given as objects or column by column. */
  async write(connection: DuckDBConnection, data: readonly OutputRow[] | OutputColumns): Promise<void> {
    await this.stage(connection, data);
    await this.move(connection);
  }

  /**
   * Copies rows into the staging table: after this, nothing of `data` is read again, so its owner
   * may change it. May be called several times before `move`.
   */
  async stage(connection: DuckDBConnection, data: readonly OutputRow[] | OutputColumns): Promise<void> {
    if (data.length === 0) return;
    const columns = await this.internColumns(connection, isColumns(data) ? data : columnsOfRows(data));
    const appender = await connection.createAppender(this.stageTable, null, 'temp');
    try {
      await this.appendChunks(appender, columns);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    this.staged = true;
  }

  /** Moves the staged rows into the table (replacing rows of the same key, or deleting them: tombstones) in set-based SQL. */
  async move(connection: DuckDBConnection): Promise<void> {
    if (!this.staged) return;
    this.staged = false;
    const source = await this.resolveInterned(connection);
    const select = this.columns.map((c) => fromStage(c, 's')).join(', ');
    if (this.keys.length > 0) {
      const byKey = this.keys
        .map((key) => {
          const column = this.columns.find((c) => c.name === key)!;
          return `t.${quote(key)} = ${fromStage(column, 's')}`;
        })
        .join(' AND ');
      await connection.run(`DELETE FROM ${quote(this.table)} t USING ${source} s WHERE ${byKey}`);
    }
    const written = this.tombstoneColumn === undefined ? '' : ` WHERE s.${quote(this.tombstoneColumn)} IS NOT NULL`;
    await connection.run(`INSERT INTO ${quote(this.table)} SELECT ${select} FROM ${source} s${written}`);
    await connection.run(`DELETE FROM ${this.stageTable}`);
    if (source !== this.stageTable) await connection.run(`DROP TABLE ${source}`);
  }

  /**
   * The staged rows with each interned number replaced by its value, as a table of its own: joining
   * the dictionary inside the DELETE made DuckDB plan a three-way join that ran for minutes and ran
   * out of memory once the table held a few hundred thousand customers' windows.
   */
  private async resolveInterned(connection: DuckDBConnection): Promise<string> {
    if (this.dictionaries.size === 0) return this.stageTable;
    const resolved = `${this.stageTable}_resolved`;
    const select = this.columns.map((c) => (c.kind === 'interned' ? `${dictAlias(c)}.value AS ${quote(c.name)}` : `s.${quote(c.name)}`)).join(', ');
    const joins = this.columns
      .filter((c) => c.kind === 'interned')
      .map((c) => ` LEFT JOIN ${this.dictionaries.get(c.name)!.table} ${dictAlias(c)} ON ${dictAlias(c)}.idx = s.${quote(c.name)}`)
      .join('');
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${resolved} AS SELECT ${select} FROM ${this.stageTable} s${joins}`);
    return resolved;
  }

  /** `data` with each interned column replaced by the numbers of its values. */
  private async internColumns(connection: DuckDBConnection, data: OutputColumns): Promise<OutputColumns> {
    if (this.dictionaries.size === 0) return data;
    const numbered = new Map<string, Float64Array>();
    for (const [name, dict] of this.dictionaries) numbered.set(name, await dict.number(connection, data.column(name), 0, data.length));
    return { length: data.length, names: data.names, column: (name) => numbered.get(name) ?? data.column(name) };
  }

  /**
   * Appends the rows as data chunks, one column at a time: about 1.7x faster than row-by-row
   * `append*` + `endRow` for window rows. Each column kind has its own fill loop, so that every
   * `setItem` call site sees one vector class and V8 inlines it: one shared loop over all vector
   * classes boxed every double it passed (1 GB of garbage for 1.35M events).
   *
   * The event loop gets a turn after each chunk: a checkpoint is staged while the worker threads
   * go on with the next batches (pipelines/runner.ts), and their results are taken and the next
   * batch is sent between chunks, not after the whole table (up to a second of appending).
   */
  private async appendChunks(appender: DuckDBAppender, data: OutputColumns): Promise<void> {
    const values = this.columns.map((column) => data.column(column.name));
    const chunk = DuckDBDataChunk.create(this.columns.map((c) => STAGE_TYPE[c.kind]));
    for (let start = 0, chunks = 1; start < data.length; start += CHUNK_ROWS, chunks++) {
      const count = Math.min(CHUNK_ROWS, data.length - start);
      chunk.reset();
      chunk.rowCount = count;
      this.columns.forEach(({ kind }, index) => {
        const vector = chunk.getColumnVector(index);
        const column = values[index]!;
        if (kind === 'varchar' || kind === 'json') fillStrings(vector as DuckDBVector<string>, column, start, count, kind);
        else if (kind === 'boolean') fillBooleans(vector as DuckDBVector<boolean>, column, start, count);
        else fillNumbers(vector as DuckDBVector<number>, column, start, count);
        vector.flush();
      });
      appender.appendDataChunk(chunk);
      if (chunks % FLUSH_CHUNKS === 0) appender.flushSync();
      await nextTurn();
    }
  }
}

/**
 * A DOUBLE staging vector. NULL is staged as NaN (fromStage turns it back): marking an item
 * invalid makes the client library keep a validity mask it then updates with BigInt arithmetic
 * for every later item of the chunk.
 */
function fillNumbers(vector: DuckDBVector<number>, column: ArrayLike<OutputRow[string]>, start: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const value = column[start + i];
    vector.setItem(i, typeof value === 'number' ? value : value === null || value === undefined ? Number.NaN : Number(value));
  }
}

function fillStrings(vector: DuckDBVector<string>, column: ArrayLike<OutputRow[string]>, start: number, count: number, kind: 'varchar' | 'json'): void {
  for (let i = 0; i < count; i++) {
    const value = column[start + i];
    if (value === null || value === undefined) vector.setItem(i, null);
    else if (typeof value === 'string') vector.setItem(i, value);
    else vector.setItem(i, kind === 'json' ? JSON.stringify(value) : String(value));
  }
}

function fillBooleans(vector: DuckDBVector<boolean>, column: ArrayLike<OutputRow[string]>, start: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const value = column[start + i];
    vector.setItem(i, value === null || value === undefined ? null : Boolean(value));
  }
}

function isColumns(data: readonly OutputRow[] | OutputColumns): data is OutputColumns {
  return !Array.isArray(data);
}

function columnsOfRows(rows: readonly OutputRow[]): OutputColumns {
  return { length: rows.length, names: Object.keys(rows[0] ?? {}), column: (name) => rows.map((row) => row[name] ?? null) };
}
