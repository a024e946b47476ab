import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { CustomerWindowRow } from '../../operators/customer-windows.js';
import type { OperatorOutput, OutputColumns, OutputKind, OutputRow } from '../../operators/operator.js';
import type { Rejection } from '../../operators/events.js';
import type { DedupChanges } from '../../operators/dedup.js';
import { PackedStateColumns, type PackedStateRows } from '../../operators/state-pack.js';
import type { PartitionPosition } from '../../sources/source.js';
import { PulseError, UsageError } from '../../operators/errors.js';
import { createOrUpgradeTables } from './migrate.js';
import { OUTPUT_TABLES_DDL, STATE_TABLES_DDL } from './schema.js';
import { TableWriter } from './table-writer.js';
import { writePosition } from './positions.js';

/** DuckDB's buffer pool limit unless the job sets one. */
// 256MB ran out in a checkpoint of the default job at a million customers x 1 day (writing
// customer_windows); 512MB completes it. A cap, not a reservation: small jobs use what they need.
export const DEFAULT_MEMORY_LIMIT = '512MB';

/** Which table each output kind goes to, and the key whose rows a newer row replaces. */
const OUTPUT_TABLES: Record<OutputKind, { table: string; keys: readonly string[] }> = {
  customer_window: { table: 'customer_windows', keys: ['customer_id', 'window_start', 'window_end'] },
  contact_kpi: { table: 'contact_kpis', keys: ['window_start', 'window_end', 'queue', 'channel'] },
  alert: { table: 'alerts', keys: ['alert_id'] },
  drift_metric: { table: 'drift_metrics', keys: [] },
  case: { table: 'cases', keys: ['case_id'] },
  lead: { table: 'leads', keys: ['lead_id'] },
  customer_segment: { table: 'customer_segments', keys: ['customer_id'] },
  segment_migration: { table: 'segment_migrations', keys: ['run_id', 'from_tier', 'to_tier'] },
  move_member: { table: 'move_members', keys: ['alert_id', 'customer_id', 'measure', 'rule'] },
  contact_reason_volume: { table: 'contact_reason_volumes', keys: ['window_start', 'window_end', 'queue', 'channel', 'reason'] },
};

/**
 * Joins the outputs of all operators by kind, keeping only the latest row per key: an alert that
 * fired and resolved within one checkpoint is written once, as resolved. Operators already
 * coalesce their own rows; this covers several operators (and several drains) of one kind. Column
 * outputs (customer windows, one per worker thread, of disjoint customers) go as they are.
 */
function coalesceOutputs(outputs: readonly OperatorOutput[]): Map<OutputKind, Array<OutputRow[] | OutputColumns>> {
  const byKind = new Map<OutputKind, OperatorOutput[]>();
  for (const output of outputs) {
    const ofKind = byKind.get(output.kind);
    if (ofKind) ofKind.push(output);
    else byKind.set(output.kind, [output]);
  }
  const coalesced = new Map<OutputKind, Array<OutputRow[] | OutputColumns>>();
  for (const [kind, ofKind] of byKind) {
    if (ofKind.every((output) => output.columns !== undefined)) {
      coalesced.set(
        kind,
        ofKind.map((output) => output.columns!),
      );
      continue;
    }
    const keys = OUTPUT_TABLES[kind].keys;
    // A loop, not push(...rows): a spread of a million rows exceeds the engine's argument limit.
    const rows: OutputRow[] = [];
    for (const output of ofKind) for (const row of output.rows) rows.push(row);
    if (keys.length === 0) {
      coalesced.set(kind, [rows]);
      continue;
    }
    const latest = new Map<string, OutputRow>();
    for (const row of rows) latest.set(keys.map((k) => String(row[k])).join('\u0000'), row);
    coalesced.set(kind, [[...latest.values()]]);
  }
  return coalesced;
}

/** A stored keyed-state entry (its value as JSON text). */
export interface StoredStateRow {
  operator: string;
  state: string;
  key: string;
  value: string;
  customer_id: string | null;
}

/** Everything one checkpoint makes durable, atomically. */
export interface CheckpointData {
  outputs: OperatorOutput[];
  rejections: Rejection[];
  /**
   * Changed keyed state (operators/state-pack.ts). The store empties this array as it stages it, so
   * that each block's memory can go once staged: at a million customers a checkpoint's packed state
   * is about half a gigabyte, which would otherwise be held until the commit. Read it before. A
   * promise when the state is still being packed: the outputs are staged meanwhile.
   */
  state: PackedStateRows[] | Promise<PackedStateRows[]>;
  /** New and expired duplicate-detector ids (one per worker thread). */
  dedup: DedupChanges[];
  positions: Array<{ source: string; partition: string; position: PartitionPosition }>;
  /** Customers whose owning source partition is new or changed since the previous checkpoint. */
  owners?: ReadonlyArray<{ customer_id: string; partition: string }>;
  /** Job-level values (watermark snapshot, ...), replaced by key. */
  jobState: Record<string, unknown>;
  /** Work inside the transaction before the outputs are written (may amend them). */
  beforeWrites?: (connection: DuckDBConnection) => Promise<void>;
  /** Extra writes that must commit with this checkpoint (e.g. the alert outbox). */
  extraWrites?: (connection: DuckDBConnection) => Promise<void>;
}

export interface StoredCheckpoint {
  positions: Map<string, Map<string, PartitionPosition>>;
  jobState: Record<string, unknown>;
}

/**
 * The DuckDB state store: output tables, operator state and source positions in one database
 * file, written by one checkpoint transaction at a time, so a crash at any point leaves either the
 * previous checkpoint or the new one, never a mixture.
 */
export class DuckDBStore {
  private readonly writers = new Map<string, TableWriter>();

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly memoryLimit: string,
  ) {}

  /**
   * `memoryLimit` bounds DuckDB's buffer pool (it spills to a temp directory beyond it); DuckDB's
   * own default is 80% of the machine's memory, which a co-located job cannot afford. The default
   * is small: a checkpoint's set-based statements need little, and what DuckDB takes for one is
   * not given back to the OS, so at a million customers 1GB added ~700 MB to the peak RSS for no
   * speed (bench/pipeline-bench.ts, issue 2).
   */
  static async open(path: string, options: { memoryLimit?: string } = {}): Promise<DuckDBStore> {
    const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    const instance = await DuckDBInstance.create(path, { memory_limit: memoryLimit });
    const connection = await instance.connect();
    try {
      await refuseForeignDatabase(connection, path);
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw error;
    }
    await connection.run(`SET TimeZone = 'UTC'`);
    await createOrUpgradeTables(connection, [...OUTPUT_TABLES_DDL, ...STATE_TABLES_DDL]);
    const store = new DuckDBStore(path, instance, connection, memoryLimit);
    for (const { table, keys } of Object.values(OUTPUT_TABLES)) {
      store.writers.set(table, await TableWriter.create(connection, table, keys, table === 'customer_windows' ? ['customer_id'] : []));
    }
    store.writers.set('dead_letters', await TableWriter.create(connection, 'dead_letters', []));
    // Changed keyed state replaces its stored value; a deleted entry is staged without one.
    store.writers.set('pulse_state', await TableWriter.create(connection, 'pulse_state', ['operator', 'state', 'key'], [], 'value'));
    store.writers.set('pulse_dedup', await TableWriter.create(connection, 'pulse_dedup', []));
    store.writers.set('pulse_partition_owners', await TableWriter.create(connection, 'pulse_partition_owners', ['customer_id']));
    return store;
  }

  async loadCheckpoint(): Promise<StoredCheckpoint> {
    const positions = new Map<string, Map<string, PartitionPosition>>();
    const rows = await this.connection.runAndReadAll(`SELECT source, partition, "offset", resume, fingerprint FROM pulse_checkpoints`);
    for (const row of rows.getRowObjectsJS()) {
      const source = String(row['source']);
      let bySource = positions.get(source);
      if (!bySource) positions.set(source, (bySource = new Map()));
      const fingerprint = row['fingerprint'];
      bySource.set(String(row['partition']), {
        offset: Number(row['offset']),
        resume: Number(row['resume']),
        ...(typeof fingerprint === 'string' ? { fingerprint } : {}),
      });
    }
    const jobState: Record<string, unknown> = {};
    const state = await this.connection.runAndReadAll(`SELECT key, CAST(value AS VARCHAR) AS value FROM pulse_job_state`);
    for (const row of state.getRowObjectsJS()) jobState[String(row['key'])] = JSON.parse(String(row['value']));
    return { positions, jobState };
  }

  /** Every stored keyed-state entry, value as JSON text (the runner hands each to its owner). */
  async loadStateRows(): Promise<StoredStateRow[]> {
    const reader = await this.connection.runAndReadAll(`SELECT operator, state, key, CAST(value AS VARCHAR) AS value, customer_id FROM pulse_state`);
    return reader.getRowsJS().map((row) => ({
      operator: String(row[0]),
      state: String(row[1]),
      key: String(row[2]),
      value: String(row[3]),
      customer_id: row[4] === null ? null : String(row[4]),
    }));
  }

  /** One operator state's entries, values parsed. */
  async loadOperatorState(operator: string, state: string): Promise<Array<[string, unknown]>> {
    const reader = await this.connection.runAndReadAll(
      `SELECT key, CAST(value AS VARCHAR) AS value FROM pulse_state WHERE operator = $operator AND state = $state`,
      { operator, state },
    );
    return reader.getRowObjectsJS().map((row) => [String(row['key']), JSON.parse(String(row['value']))]);
  }

  async loadOwners(): Promise<Array<[string, string]>> {
    const reader = await this.connection.runAndReadAll(`SELECT customer_id, partition FROM pulse_partition_owners`);
    return reader.getRowsJS().map((row) => [String(row[0]), String(row[1])]);
  }

  async loadDedup(): Promise<Array<[id: string, customer: string | null, ts: number]>> {
    const reader = await this.connection.runAndReadAll(`SELECT event_id, customer_id, ts FROM pulse_dedup`);
    return reader.getRowsJS().map((row) => [String(row[0]), row[1] === null ? null : String(row[1]), Number(row[2])]);
  }

  /** Customer windows still open at `watermark` (end + lateness after it): the windows operator's state. */
  async loadOpenWindows(watermark: number, allowedLatenessMs: number): Promise<CustomerWindowRow[]> {
    const rows = await this.loadRows(
      `SELECT customer_id, epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end,
              spend_total, spend_count, spend_max, refund_total, usage_total, CAST(usage AS VARCHAR) AS usage, contacts
       FROM customer_windows WHERE epoch_ms(window_end) + $lateness > $watermark`,
      { lateness: allowedLatenessMs, watermark: Number.isFinite(watermark) ? watermark : Number.MIN_SAFE_INTEGER },
    );
    return rows.map((row) => ({
      customer_id: String(row['customer_id']),
      window_start: Number(row['window_start']),
      window_end: Number(row['window_end']),
      spend_total: Number(row['spend_total']),
      spend_count: Number(row['spend_count']),
      spend_max: row['spend_max'] === null ? null : Number(row['spend_max']),
      refund_total: Number(row['refund_total']),
      usage_total: Number(row['usage_total']),
      usage: JSON.parse(String(row['usage'])) as Record<string, number>,
      contacts: Number(row['contacts']),
    }));
  }

  /** Rows of a table as plain objects with times as epoch ms and JSON parsed (for restores). */
  async loadRows(sql: string, params: Record<string, string | number> = {}): Promise<Array<Record<string, unknown>>> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
  }

  /** Writes one checkpoint in one transaction and resolves once it has committed. */
  async commitCheckpoint(data: CheckpointData): Promise<void> {
    const { committed } = await this.beginCheckpoint(data);
    await committed;
  }

  /**
   * Writes one checkpoint in one transaction, in two steps, and resolves after the first: every
   * row, state value and id is copied from the caller's objects into DuckDB staging tables
   * (operators may change their state again from then on). The returned `committed` settles once
   * DuckDB has moved the staged rows into their tables and committed: that SQL runs on DuckDB's
   * threads while the caller processes the next events. Do not use the connection before it
   * settles. If it rejects, nothing of this checkpoint is stored.
   */
  async beginCheckpoint(data: CheckpointData): Promise<{ committed: Promise<void> }> {
    const connection = this.connection;
    const step = { now: 'starting the transaction' };
    await connection.run('BEGIN TRANSACTION');
    try {
      step.now = 'running the sinks before the writes';
      if (data.beforeWrites) await data.beforeWrites(connection);
      const moves = await this.stageRows(connection, data, step);
      return { committed: this.finishCheckpoint(connection, data, moves) };
    } catch (error) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw this.checkpointFailed(step.now, error);
    }
  }

  /** Says which step of a checkpoint failed, and what to do when DuckDB ran out of memory. */
  private checkpointFailed(step: string, error: unknown): PulseError {
    const message = error instanceof Error ? error.message : String(error);
    const advice = /out of memory/i.test(message)
      ? ` DuckDB reached its memory limit (store.memory_limit, now ${this.memoryLimit}): raise it in the job file's store section.`
      : '';
    return new PulseError(
      'CHECKPOINT_FAILED',
      `a checkpoint failed while ${step}: ${message.split('\n')[0]} Nothing of it was stored; running the job again resumes from the previous checkpoint.${advice}`,
      { cause: error },
    );
  }

  /** Stages the checkpoint's rows; returns the writers whose staged rows are to be moved. */
  private async stageRows(connection: DuckDBConnection, data: CheckpointData, step: { now: string }): Promise<TableWriter[]> {
    const moves: TableWriter[] = [];
    const stage = async (table: string, rows: readonly OutputRow[] | OutputColumns): Promise<void> => {
      step.now = `staging rows for table ${table}`;
      const writer = this.writer(table);
      await writer.stage(connection, rows);
      moves.push(writer);
    };
    for (const [kind, parts] of coalesceOutputs(data.outputs)) for (const rows of parts) await stage(OUTPUT_TABLES[kind].table, rows);
    await stage(
      'dead_letters',
      data.rejections.map((r) => ({
        source: r.position.source,
        position: `${r.position.partition}:${r.position.offset}`,
        reason: r.reason,
        detail: r.detail,
        event_type: r.type,
        raw: r.raw,
      })),
    );
    step.now = 'staging operator state';
    await this.stageOperatorState(connection, await data.state);
    moves.push(this.writer('pulse_state'));
    for (const dedup of data.dedup) {
      const dedupColumns: Record<string, ArrayLike<string | number | null>> = {
        event_id: dedup.ids,
        ts: dedup.times,
        partition: dedup.partitions,
        customer_id: dedup.customers,
      };
      await stage('pulse_dedup', {
        length: dedup.ids.length,
        names: Object.keys(dedupColumns),
        column: (name) => dedupColumns[name] ?? new Array<null>(dedup.ids.length).fill(null),
      });
    }
    if (data.owners) await stage('pulse_partition_owners', data.owners);
    return moves;
  }

  /** The SQL half of a checkpoint: nothing here reads the caller's objects but `data`'s small values. */
  private async finishCheckpoint(connection: DuckDBConnection, data: CheckpointData, moves: TableWriter[]): Promise<void> {
    let step = 'deleting expired duplicate ids';
    try {
      // Every worker's detector expires at the same watermark; the earliest horizon is the safe one.
      const expiredBefore = Math.min(...data.dedup.map((d) => d.expiredBefore));
      if (Number.isFinite(expiredBefore)) {
        await connection.run(`DELETE FROM pulse_dedup WHERE ts < $before`, { before: expiredBefore });
      }
      for (const writer of moves) {
        step = `writing table ${writer.table}`;
        await writer.move(connection);
      }
      step = 'writing source positions and job state';
      for (const { source, partition, position } of data.positions) {
        await writePosition(connection, source, partition, position);
      }
      for (const [key, value] of Object.entries(data.jobState)) {
        await connection.run(`INSERT OR REPLACE INTO pulse_job_state VALUES ($key, $value)`, {
          key,
          value: JSON.stringify(value),
        });
      }
      step = "running the sinks' writes (cases, outbox, lead outcomes)";
      if (data.extraWrites) await data.extraWrites(connection);
      step = 'committing';
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw this.checkpointFailed(step, error);
    }
  }

  /** A second connection to the same database, for work outside the checkpoint transactions. */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return connection;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private writer(table: string): TableWriter {
    const writer = this.writers.get(table);
    if (!writer) throw new Error(`no writer for table '${table}'`);
    return writer;
  }

  /**
   * Stages changed keyed state: each changed entry with its new value, a deleted one without (the
   * writer deletes its stored value and writes none). One packed block at a time, taken out of
   * `blocks`: only that block's strings are decoded at once, and nothing holds a block once it is staged.
   */
  private async stageOperatorState(connection: DuckDBConnection, blocks: PackedStateRows[]): Promise<void> {
    const writer = this.writer('pulse_state');
    blocks.reverse();
    for (let block = blocks.pop(); block !== undefined; block = blocks.pop()) {
      const packed = new PackedStateColumns(block);
      const key = packed.keys();
      const columns: Record<string, ArrayLike<string | null>> = {
        operator: new Array<string>(block.length).fill(block.operator),
        state: new Array<string>(block.length).fill(block.state),
        key,
        value: packed.values(),
        customer_id: packed.customers(key),
      };
      await writer.stage(connection, { length: block.length, names: Object.keys(columns), column: (name) => columns[name]! });
    }
  }
}

/** The names of customer-pulse's tables. */
const PULSE_TABLES = new Set([...OUTPUT_TABLES_DDL, ...STATE_TABLES_DDL].map((ddl) => /TABLE IF NOT EXISTS (\w+)/.exec(ddl)?.[1]));

/**
 * Refuses a database that no job has written to (no checkpoints) and that holds tables of another
 * program: a new file, or one that only a command such as `pulse users add` has prepared, is fine.
 * A job or the console adds its tables to its database and changes them as it needs.
 */
export async function refuseForeignDatabase(connection: DuckDBConnection, path: string): Promise<void> {
  const reader = await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY table_name`);
  const tables = reader.getRowObjectsJS().map((row) => String(row['table_name']));
  const foreign = tables.includes('pulse_checkpoints') ? [] : tables.filter((table) => !PULSE_TABLES.has(table));
  if (foreign.length === 0) return;
  throw new UsageError(
    `${path} is a DuckDB database of another program (its tables ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''} ` +
      'are none of customer-pulse): a job adds its tables to its --db and changes them as it needs (a table of the same name as one ' +
      'of its own, such as alerts, takes new columns and rows), so give a new file or one a job wrote',
  );
}
