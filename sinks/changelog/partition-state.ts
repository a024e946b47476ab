import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { deletePartitionState, partitionScope, type OpenWindows } from '../duckdb/partition-handoff.js';
import { inTransaction } from '../duckdb/transaction.js';
import type { PartitionPosition } from '../../sources/source.js';
import type { ChangelogEntry, DedupEntry, PartitionStateEntry, StateEntry, WindowEntry } from './records.js';
import { writePosition } from '../duckdb/positions.js';

/**
 * One source partition's customer state in the job's DuckDB database, as changelog entries: read
 * to publish it (a member whose database is ahead of the changelog), written to restore it.
 */

const WINDOW_COLUMNS = `customer_id, epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end, spend_total, spend_count,
  spend_max, refund_total, usage_total, CAST(usage AS VARCHAR) AS usage, contacts`;

/** The partition's customer-keyed state, open windows and event ids in this database. */
export async function readPartitionState(connection: DuckDBConnection, partition: string, open: OpenWindows): Promise<ChangelogEntry[]> {
  const scope = partitionScope(partition, open);
  const entries: ChangelogEntry[] = [];
  const state = await connection.runAndReadAll(
    `SELECT operator, state, key, CAST(value AS VARCHAR) AS value, customer_id FROM pulse_state WHERE ${scope.customerState}`,
  );
  for (const [operator, name, key, value, customer] of state.getRowsJS()) {
    const entry = { operator: String(operator), state: String(name), key: String(key), value: String(value) };
    // Without customer: the population state scoped to the partition's number (the scope selects no other).
    entries.push(customer === null ? { kind: 'partition_state', ...entry } : { kind: 'state', ...entry, customer: String(customer) });
  }
  const windows = await connection.runAndReadAll(`SELECT ${WINDOW_COLUMNS} FROM customer_windows WHERE ${scope.openWindows}`);
  for (const row of windows.getRowObjectsJS()) entries.push(windowEntry(plainRow(row)));
  const dedup = await connection.runAndReadAll(`SELECT event_id, customer_id, ts FROM pulse_dedup WHERE ${scope.dedup}`);
  for (const [id, customer, ts] of dedup.getRowsJS()) {
    entries.push({ kind: 'dedup', eventId: String(id), customer: customer === null ? null : String(customer), ts: Number(ts) });
  }
  return entries;
}

/** A customer window row (times in epoch ms, usage an object or its JSON text) as a changelog entry. */
export function windowEntry(row: Record<string, unknown>): WindowEntry {
  const usage = typeof row['usage'] === 'string' ? (JSON.parse(row['usage']) as unknown) : row['usage'];
  const customer = String(row['customer_id']);
  const windowStart = Number(row['window_start']);
  const windowEnd = Number(row['window_end']);
  return { kind: 'window', customer, windowStart, windowEnd, row: { ...row, customer_id: customer, window_start: windowStart, window_end: windowEnd, usage } };
}

/** DuckDB's JS values: BIGINTs as numbers. */
function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) out[name] = typeof value === 'bigint' ? Number(value) : value;
  return out;
}

/**
 * Replaces the partition's state in this database with `entries` (a changelog's state as of its
 * last marker) and sets the partition's position to the marker's, in one transaction: what this
 * database held of the partition before (an earlier ownership) is deleted first, as a hand-over
 * import does. Rows go through NDJSON files that DuckDB reads in bulk.
 */
export async function replacePartitionState(
  connection: DuckDBConnection,
  target: { source: string; partition: string; position: PartitionPosition; open: OpenWindows },
  entries: readonly ChangelogEntry[],
): Promise<void> {
  const { source, partition, position, open } = target;
  const dir = mkdtempSync(join(tmpdir(), 'pulse-changelog-'));
  try {
    const file = (name: string, rows: readonly unknown[]): string => {
      const path = join(dir, `${name}.ndjson`);
      writeFileSync(path, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
      return `'${path.replaceAll("'", "''")}'`;
    };
    const states = entries.filter((e): e is StateEntry => e.kind === 'state');
    const partitionStates = entries.filter((e): e is PartitionStateEntry => e.kind === 'partition_state');
    const windows = entries.filter((e): e is WindowEntry => e.kind === 'window');
    const dedup = entries.filter((e): e is DedupEntry => e.kind === 'dedup');
    const customers = new Set<string>([...states.map((e) => e.customer), ...windows.map((e) => e.customer)]);
    const stateFile = file('state', [
      ...states.map((e) => ({ operator: e.operator, state: e.state, key: e.key, value: e.value, customer_id: e.customer })),
      ...partitionStates.map((e) => ({ operator: e.operator, state: e.state, key: e.key, value: e.value, customer_id: null })),
    ]);
    const windowFile = file(
      'windows',
      windows.map((e) => ({ ...e.row, usage: JSON.stringify(e.row['usage'] ?? {}) })),
    );
    const dedupFile = file(
      'dedup',
      dedup.map((e) => ({ event_id: e.eventId, ts: e.ts, customer_id: e.customer })),
    );
    const ownerFile = file(
      'owners',
      [...customers].map((customer_id) => ({ customer_id })),
    );
    await inTransaction(connection, async () => {
      await deletePartitionState(connection, source, partition, open);
      // Customers new to this partition may have stale rows here from an earlier ownership elsewhere.
      await connection.run(
        `DELETE FROM pulse_state WHERE customer_id IN (SELECT customer_id FROM read_json(${ownerFile}, columns = {customer_id: 'VARCHAR'}))`,
      );
      await connection.run(
        `DELETE FROM customer_windows t USING read_json(${windowFile}, columns = {customer_id: 'VARCHAR', window_start: 'BIGINT', window_end: 'BIGINT'}) s
         WHERE t.customer_id = s.customer_id AND epoch_ms(t.window_start) = s.window_start AND epoch_ms(t.window_end) = s.window_end`,
      );
      await connection.run(
        `DELETE FROM pulse_partition_owners WHERE customer_id IN (SELECT customer_id FROM read_json(${ownerFile}, columns = {customer_id: 'VARCHAR'}))`,
      );
      if (states.length + partitionStates.length > 0) {
        await connection.run(
          `INSERT INTO pulse_state SELECT operator, state, key, value::JSON, customer_id
           FROM read_json(${stateFile}, columns = {operator: 'VARCHAR', state: 'VARCHAR', key: 'VARCHAR', value: 'VARCHAR', customer_id: 'VARCHAR'})`,
        );
      }
      if (windows.length > 0) {
        await connection.run(
          `INSERT INTO customer_windows BY NAME
           SELECT customer_id, make_timestamptz(window_start * 1000) AS window_start, make_timestamptz(window_end * 1000) AS window_end,
                  spend_total, spend_count, spend_max, refund_total, usage_total, usage::JSON AS usage, contacts
           FROM read_json(${windowFile}, columns = {customer_id: 'VARCHAR', window_start: 'BIGINT', window_end: 'BIGINT', spend_total: 'DOUBLE',
             spend_count: 'BIGINT', spend_max: 'DOUBLE', refund_total: 'DOUBLE', usage_total: 'DOUBLE', usage: 'VARCHAR', contacts: 'BIGINT'})`,
        );
      }
      if (dedup.length > 0) {
        await connection.run(
          `INSERT INTO pulse_dedup BY NAME SELECT event_id, ts, $partition AS partition, customer_id
           FROM read_json(${dedupFile}, columns = {event_id: 'VARCHAR', ts: 'BIGINT', customer_id: 'VARCHAR'})`,
          { partition },
        );
      }
      if (customers.size > 0) {
        await connection.run(
          `INSERT INTO pulse_partition_owners SELECT customer_id, $partition FROM read_json(${ownerFile}, columns = {customer_id: 'VARCHAR'})`,
          { partition },
        );
      }
      await writePosition(connection, source, partition, position);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
