import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { partitionStateSuffix } from '../../operators/partition-scoped-state.js';
import { TERMINAL_CASE_STATUSES } from '../../operators/service/case-status.js';
import type { PartitionPosition } from '../../sources/source.js';
import { inTransaction } from './transaction.js';
import { writePosition } from './positions.js';

/**
 * Moving one source partition's state between processes through a shared directory.
 *
 * A process that gives a partition up (a rebalance, a graceful stop) writes a snapshot of the
 * partition's state: the open windows and customer-keyed operator state of the customers whose
 * events came from it (`pulse_partition_owners`), its dedup ids, its position and its event-time
 * high mark, and the customers' open cases with their audit trail (the new owner watches their
 * deadlines, and people must close them where it sees it). The snapshot is Parquet files plus `manifest.json`, in a directory named after the
 * position and renamed into place only when complete, so a reader never sees half a snapshot. The
 * exporter then deletes what it exported from its own database, so each open window lives in one
 * database at a time. The next owner imports the newest snapshot when it is ahead of its own
 * position for that partition, and starts reading right after it.
 *
 * Population-level state (contact KPIs, drift periods, the shift detector's population clock)
 * does not move: each process keeps its own, over the partitions it reads; except the state of a
 * merging job scoped to the partition's number (operators/partition-scoped-state.ts: its cumulative
 * KPI accumulators, its drift closes and open drift periods, and the merges of the merge partition
 * of the same number), which moves with it.
 */

const MANIFEST = 'manifest.json';
/** Snapshots kept per partition: the newest, and one before it in case the newest is being read. */
const KEEP = 2;

export interface HandoffManifest {
  version: 1;
  source: string;
  partition: string;
  position: PartitionPosition;
  /** Highest event time read from the partition (-Infinity is stored as null). */
  maxEventTime: number | null;
  exportedAt: string;
  rows: { windows: number; state: number; dedup: number; customers: number; cases: number; caseEvents: number };
}

export interface HandoffSnapshot {
  dir: string;
  manifest: HandoffManifest;
}

/** What the exporter considers open: windows that a late event may still change. */
export interface OpenWindows {
  allowedLatenessMs: number;
  /** The exporter's job watermark; -Infinity exports every window of the partition's customers. */
  watermark: number;
}

const TABLES = {
  windows: 'customer_windows.parquet',
  state: 'pulse_state.parquet',
  dedup: 'pulse_dedup.parquet',
  owners: 'pulse_partition_owners.parquet',
  cases: 'cases.parquet',
  caseEvents: 'case_events.parquet',
} as const;

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export class PartitionHandoffDir {
  constructor(readonly root: string) {}

  /** The newest complete snapshot of a partition, or undefined. Synchronous: rebalance callbacks use it. */
  newest(source: string, partition: string): HandoffSnapshot | undefined {
    const dir = this.partitionDir(source, partition);
    if (!existsSync(dir)) return undefined;
    const complete = readdirSync(dir)
      .filter((name) => /^\d{20}$/.test(name) && existsSync(join(dir, name, MANIFEST)))
      .sort();
    const newest = complete.at(-1);
    if (newest === undefined) return undefined;
    const path = join(dir, newest);
    return { dir: path, manifest: JSON.parse(readFileSync(join(path, MANIFEST), 'utf8')) as HandoffManifest };
  }

  /**
   * Writes the partition's state as a snapshot, then deletes it (and the partition's position) from
   * this database in one transaction. Call right after a checkpoint, while the partition is still held.
   */
  async export(
    connection: DuckDBConnection,
    source: string,
    partition: string,
    position: PartitionPosition,
    maxEventTime: number,
    open: OpenWindows,
  ): Promise<HandoffManifest> {
    const dir = this.partitionDir(source, partition);
    mkdirSync(dir, { recursive: true });
    const staging = join(dir, `.staging-${process.pid}-${Date.now()}`);
    mkdirSync(staging);
    const scope = partitionScope(partition, open);
    const rows = { windows: 0, state: 0, dedup: 0, customers: 0, cases: 0, caseEvents: 0 };
    const copies: Array<[keyof typeof rows, string, string]> = [
      ['windows', TABLES.windows, `SELECT * FROM customer_windows WHERE ${scope.openWindows}`],
      ['state', TABLES.state, `SELECT * FROM pulse_state WHERE ${scope.customerState}`],
      ['dedup', TABLES.dedup, `SELECT * FROM pulse_dedup WHERE ${scope.dedup}`],
      ['customers', TABLES.owners, `SELECT * FROM pulse_partition_owners WHERE ${scope.owners}`],
      ['cases', TABLES.cases, `SELECT * FROM cases WHERE ${scope.openCases}`],
      ['caseEvents', TABLES.caseEvents, `SELECT * FROM case_events WHERE ${scope.openCaseEvents}`],
    ];
    for (const [counter, file, select] of copies) {
      const reader = await connection.runAndReadAll(`COPY (${select}) TO ${sqlString(join(staging, file))} (FORMAT parquet)`);
      rows[counter] = Number(reader.getRows()[0]?.[0] ?? 0);
    }
    const manifest: HandoffManifest = {
      version: 1,
      source,
      partition,
      position,
      maxEventTime: Number.isFinite(maxEventTime) ? maxEventTime : null,
      exportedAt: new Date().toISOString(),
      rows,
    };
    writeFileSync(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const final = join(dir, String(position.offset).padStart(20, '0'));
    rmSync(final, { recursive: true, force: true });
    renameSync(staging, final);
    this.prune(dir);
    await this.discard(connection, source, partition, open);
    return manifest;
  }

  /**
   * Deletes the partition's state (what `export` writes) and position from this database in one
   * transaction, without writing a snapshot: for a partition the group took away before this
   * member could hand it over (a lost session); its next owner continues from the last snapshot.
   */
  async discard(connection: DuckDBConnection, source: string, partition: string, open: OpenWindows): Promise<void> {
    await inTransaction(connection, () => deletePartitionState(connection, source, partition, open));
  }

  /**
   * Loads a snapshot into this database in one transaction: its rows replace this database's rows
   * of the same windows, customers and partition (stale copies from an earlier ownership), and its
   * position becomes this database's position for the partition.
   */
  async import(connection: DuckDBConnection, snapshot: HandoffSnapshot): Promise<void> {
    const file = (name: string): string => `read_parquet(${sqlString(join(snapshot.dir, name))})`;
    const { source, partition, position } = snapshot.manifest;
    await inTransaction(connection, async () => {
      await connection.run(
        `DELETE FROM customer_windows t USING ${file(TABLES.windows)} s
         WHERE t.customer_id = s.customer_id AND t.window_start = s.window_start AND t.window_end = s.window_end`,
      );
      await connection.run(`INSERT INTO customer_windows BY NAME SELECT * FROM ${file(TABLES.windows)}`);
      await connection.run(`DELETE FROM pulse_state WHERE customer_id IN (SELECT customer_id FROM ${file(TABLES.owners)})`);
      // The partition-scoped population state of an earlier ownership here is replaced too.
      await connection.run(`DELETE FROM pulse_state WHERE ${partitionStateScope(partition)}`);
      await connection.run(`INSERT INTO pulse_state BY NAME SELECT * FROM ${file(TABLES.state)}`);
      await connection.run(`DELETE FROM pulse_dedup WHERE partition = ${sqlString(partition)}`);
      await connection.run(`INSERT INTO pulse_dedup BY NAME SELECT * FROM ${file(TABLES.dedup)}`);
      await connection.run(`DELETE FROM pulse_partition_owners t USING ${file(TABLES.owners)} s WHERE t.customer_id = s.customer_id`);
      await connection.run(`INSERT INTO pulse_partition_owners BY NAME SELECT * FROM ${file(TABLES.owners)}`);
      await connection.run(`DELETE FROM cases t USING ${file(TABLES.cases)} s WHERE t.case_id = s.case_id`);
      await connection.run(`INSERT INTO cases BY NAME SELECT * FROM ${file(TABLES.cases)}`);
      // Audit events are numbered per database: renumber after this database's last one, in order.
      await connection.run(`DELETE FROM case_events WHERE case_id IN (SELECT case_id FROM ${file(TABLES.cases)})`);
      await connection.run(
        `INSERT INTO case_events BY NAME
         SELECT * REPLACE ((SELECT coalesce(max(seq), 0) FROM case_events) + row_number() OVER (ORDER BY seq) AS seq)
         FROM ${file(TABLES.caseEvents)}`,
      );
      await writePosition(connection, source, partition, position);
    });
  }

  private partitionDir(source: string, partition: string): string {
    return join(this.root, encodeURIComponent(source), encodeURIComponent(partition));
  }

  private prune(dir: string): void {
    const snapshots = readdirSync(dir)
      .filter((name) => /^\d{20}$/.test(name))
      .sort();
    for (const old of snapshots.slice(0, -KEEP)) rmSync(join(dir, old), { recursive: true, force: true });
  }
}

/**
 * Deletes a partition's state (what `PartitionHandoffDir.export` writes) and position, in the
 * caller's transaction: also used where the state moves through a changelog topic instead.
 */
export async function deletePartitionState(connection: DuckDBConnection, source: string, partition: string, open: OpenWindows): Promise<void> {
  const scope = partitionScope(partition, open);
  await connection.run(`DELETE FROM customer_windows WHERE ${scope.openWindows}`);
  await connection.run(`DELETE FROM pulse_state WHERE ${scope.customerState}`);
  await connection.run(`DELETE FROM pulse_dedup WHERE ${scope.dedup}`);
  await connection.run(`DELETE FROM case_events WHERE ${scope.openCaseEvents}`);
  await connection.run(`DELETE FROM cases WHERE ${scope.openCases}`);
  // Last: the statements above find the partition's customers here.
  await connection.run(`DELETE FROM pulse_partition_owners WHERE ${scope.owners}`);
  await connection.run(`DELETE FROM pulse_checkpoints WHERE source = ${sqlString(source)} AND partition = ${sqlString(partition)}`);
}

/** The WHERE clauses that select one partition's share of each table. */
export function partitionScope(
  partition: string,
  open: OpenWindows,
): Record<'openWindows' | 'customerState' | 'partitionState' | 'dedup' | 'owners' | 'openCases' | 'openCaseEvents', string> {
  const owners = `partition = ${sqlString(partition)}`;
  const customers = `customer_id IN (SELECT customer_id FROM pulse_partition_owners WHERE ${owners})`;
  const partitionState = partitionStateScope(partition);
  // Same test as the runner's restore of open windows.
  const watermark = Number.isFinite(open.watermark) ? open.watermark : Number.MIN_SAFE_INTEGER;
  const openCases = `${customers} AND status NOT IN (${[...TERMINAL_CASE_STATUSES].map(sqlString).join(', ')})`;
  return {
    openCases,
    openCaseEvents: `case_id IN (SELECT case_id FROM cases WHERE ${openCases})`,
    openWindows: `${customers} AND epoch_ms(window_end) + ${open.allowedLatenessMs} > ${watermark}`,
    /** Its customers' keyed state and the population state scoped to its number. */
    customerState: `(${customers} OR (${partitionState}))`,
    partitionState,
    dedup: owners,
    owners,
  };
}

/** The `pulse_state` rows of the population state scoped to the partition's number (a Kafka partition `topic/n`; none for other sources). */
function partitionStateScope(partition: string): string {
  const match = /\/(\d+)$/.exec(partition);
  return match ? `customer_id IS NULL AND ends_with(state, ${sqlString(partitionStateSuffix(Number(match[1])))})` : 'false';
}
