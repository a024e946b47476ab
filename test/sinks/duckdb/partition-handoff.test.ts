import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyedState, keyIsCustomer } from '../../../operators/state.js';
import { packStateRows } from '../../../operators/state-pack.js';
import { PartitionHandoffDir } from '../../../sinks/duckdb/partition-handoff.js';
import { DuckDBStore, type CheckpointData } from '../../../sinks/duckdb/store.js';
import { query } from '../../helpers/duckdb.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);
const P0 = 'events/0';
const P1 = 'events/1';

function window(customer: string, startHour: number, spend: number): Record<string, string | number | object | null> {
  return {
    customer_id: customer,
    window_start: T0 + startHour * HOUR,
    window_end: T0 + (startHour + 1) * HOUR,
    spend_total: spend,
    spend_count: 1,
    spend_max: spend,
    refund_total: 0,
    usage_total: 0,
    usage: {},
    contacts: 0,
  };
}

/** A checkpoint with customer-keyed and population state, as the runner writes it. */
function checkpoint(parts: Partial<CheckpointData> & { state?: CheckpointData['state'] }): CheckpointData {
  return {
    outputs: [],
    rejections: [],
    state: [],
    dedup: [],
    positions: [],
    jobState: {},
    ...parts,
  };
}

/** `scoped`: population state scoped to a partition number, by state name (`partials@0`: moves with partition 0). */
function stateChanges(
  entries: Record<string, unknown>,
  population: Record<string, unknown>,
  scoped: Record<string, Record<string, unknown>> = {},
): CheckpointData['state'] {
  const customers = new KeyedState<unknown>(keyIsCustomer);
  for (const [key, value] of Object.entries(entries)) customers.set(key, value);
  const totals = new KeyedState<unknown>();
  for (const [key, value] of Object.entries(population)) totals.set(key, value);
  const states: Record<string, KeyedState<unknown>> = { customers, totals };
  for (const [name, values] of Object.entries(scoped)) {
    const state = new KeyedState<unknown>();
    for (const [key, value] of Object.entries(values)) state.set(key, value);
    states[name] = state;
  }
  return packStateRows('op', states);
}

const WINDOWS = `SELECT customer_id, (epoch_ms(window_start) - ${T0}) // ${HOUR} AS hour, spend_total FROM customer_windows ORDER BY ALL`;
const STATE = `SELECT state, key, CAST(value AS VARCHAR) AS value, customer_id FROM pulse_state ORDER BY ALL`;
const DEDUP = `SELECT event_id, partition FROM pulse_dedup ORDER BY ALL`;
const OWNERS = `SELECT customer_id, partition FROM pulse_partition_owners ORDER BY ALL`;
const POSITIONS = `SELECT partition, "offset" FROM pulse_checkpoints ORDER BY ALL`;

/** A member reading P0 (c1: a window closed long ago and an open one) and P1 (c2: an open window). */
function twoPartitions(): CheckpointData {
  return checkpoint({
    outputs: [{ kind: 'customer_window', rows: [window('c1', 0, 5), window('c1', 30, 7), window('c2', 30, 9)] }],
    state: stateChanges({ c1: { n: 1 }, c2: { n: 2 } }, { all: { n: 3 } }, { 'partials@0': { w: { n: 4 } }, 'partials@1': { w: { n: 5 } } }),
    dedup: [{ ids: ['e1', 'e2'], customers: [null, null], times: [T0, T0], partitions: [P0, P1], expiredBefore: Number.NEGATIVE_INFINITY }],
    positions: [
      { source: 'kafka', partition: P0, position: { offset: 10, resume: 10 } },
      { source: 'kafka', partition: P1, position: { offset: 20, resume: 20 } },
    ],
    owners: [
      { customer_id: 'c1', partition: P0 },
      { customer_id: 'c2', partition: P1 },
    ],
  });
}

/** Watermark at hour 31 with 1 h lateness: windows ending after hour 30 are open. */
const OPEN_AT_HOUR_31 = { allowedLatenessMs: HOUR, watermark: T0 + 31 * HOUR };

/** After P0 left: c1's closed window, P1's state (partition-scoped population state too) and the population state stay; nothing of P0 else. */
async function expectOnlyP1StateLeft(path: string): Promise<void> {
  const [windows, state, dedup, owners, positions] = await query(path, WINDOWS, STATE, DEDUP, OWNERS, POSITIONS);
  expect(windows).toEqual([
    { customer_id: 'c1', hour: 0n, spend_total: 5 },
    { customer_id: 'c2', hour: 30n, spend_total: 9 },
  ]);
  expect(state).toEqual([
    { state: 'customers', key: 'c2', value: '{"n":2}', customer_id: 'c2' },
    { state: 'partials@1', key: 'w', value: '{"n":5}', customer_id: null },
    { state: 'totals', key: 'all', value: '{"n":3}', customer_id: null },
  ]);
  expect(dedup).toEqual([{ event_id: 'e2', partition: P1 }]);
  expect(owners).toEqual([{ customer_id: 'c2', partition: P1 }]);
  expect(positions).toEqual([{ partition: P1, offset: 20n }]);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-handoff-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('partition hand-over through a shared directory', () => {
  it("exports one partition's open windows, customer state, dedup ids and position, and deletes exactly those", async () => {
    const a = await DuckDBStore.open(join(dir, 'a.duckdb'));
    await a.commitCheckpoint(twoPartitions());
    const handoff = new PartitionHandoffDir(join(dir, 'handoff'));
    const manifest = await handoff.export(a.connection, 'kafka', P0, { offset: 10, resume: 10 }, T0 + 31 * HOUR, OPEN_AT_HOUR_31);
    // State: c1's entry and partition 0's scoped population entry.
    expect(manifest.rows).toEqual({ windows: 1, state: 2, dedup: 1, customers: 1, cases: 0, caseEvents: 0 });
    expect(manifest.maxEventTime).toBe(T0 + 31 * HOUR);
    a.close();
    await expectOnlyP1StateLeft(join(dir, 'a.duckdb'));
  });

  it('imports a snapshot over stale copies of the same customers and takes over the position', async () => {
    const a = await DuckDBStore.open(join(dir, 'a.duckdb'));
    await a.commitCheckpoint(
      checkpoint({
        outputs: [{ kind: 'customer_window', rows: [window('c1', 30, 7)] }],
        state: stateChanges({ c1: { n: 11 } }, {}, { 'partials@0': { w: { n: 12 } } }),
        dedup: [{ ids: ['e1'], customers: [null], times: [T0], partitions: [P0], expiredBefore: Number.NEGATIVE_INFINITY }],
        positions: [{ source: 'kafka', partition: P0, position: { offset: 42, resume: 42 } }],
        owners: [{ customer_id: 'c1', partition: P0 }],
      }),
    );
    const handoff = new PartitionHandoffDir(join(dir, 'handoff'));
    await handoff.export(a.connection, 'kafka', P0, { offset: 42, resume: 42 }, T0, { allowedLatenessMs: HOUR, watermark: Number.NEGATIVE_INFINITY });
    a.close();

    // B owned P0 earlier: its copies of c1 are stale; its own c3 (P1) must stay untouched.
    const b = await DuckDBStore.open(join(dir, 'b.duckdb'));
    await b.commitCheckpoint(
      checkpoint({
        outputs: [{ kind: 'customer_window', rows: [window('c1', 30, 1), window('c3', 30, 4)] }],
        state: stateChanges({ c1: { n: 0 }, c3: { n: 3 } }, { all: { n: 9 } }, { 'partials@0': { w: { n: 0 }, old: { n: 1 } }, 'partials@1': { w: { n: 3 } } }),
        dedup: [{ ids: ['e0', 'e3'], customers: [null, null], times: [T0, T0], partitions: [P0, P1], expiredBefore: Number.NEGATIVE_INFINITY }],
        positions: [{ source: 'kafka', partition: P0, position: { offset: 5, resume: 5 } }],
        owners: [
          { customer_id: 'c1', partition: P0 },
          { customer_id: 'c3', partition: P1 },
        ],
      }),
    );
    const snapshot = handoff.newest('kafka', P0);
    expect(snapshot?.manifest.position.offset).toBe(42);
    await handoff.import(b.connection, snapshot!);
    b.close();

    const [windows, state, dedup, owners, positions] = await query(join(dir, 'b.duckdb'), WINDOWS, STATE, DEDUP, OWNERS, POSITIONS);
    expect(windows).toEqual([
      { customer_id: 'c1', hour: 30n, spend_total: 7 },
      { customer_id: 'c3', hour: 30n, spend_total: 4 },
    ]);
    // Partition 0's scoped population state is the snapshot's (the stale `old` entry gone); partition 1's stays.
    expect(state).toEqual([
      { state: 'customers', key: 'c1', value: '{"n":11}', customer_id: 'c1' },
      { state: 'customers', key: 'c3', value: '{"n":3}', customer_id: 'c3' },
      { state: 'partials@0', key: 'w', value: '{"n":12}', customer_id: null },
      { state: 'partials@1', key: 'w', value: '{"n":3}', customer_id: null },
      { state: 'totals', key: 'all', value: '{"n":9}', customer_id: null },
    ]);
    expect(dedup).toEqual([
      { event_id: 'e1', partition: P0 },
      { event_id: 'e3', partition: P1 },
    ]);
    expect(owners).toEqual([
      { customer_id: 'c1', partition: P0 },
      { customer_id: 'c3', partition: P1 },
    ]);
    expect(positions).toEqual([{ partition: P0, offset: 42n }]);
  });

  it("discard() drops a lost partition's state like an export does, and writes no snapshot", async () => {
    const a = await DuckDBStore.open(join(dir, 'a.duckdb'));
    await a.commitCheckpoint(twoPartitions());
    const handoff = new PartitionHandoffDir(join(dir, 'handoff'));
    await handoff.discard(a.connection, 'kafka', P0, OPEN_AT_HOUR_31);
    a.close();
    expect(handoff.newest('kafka', P0)).toBeUndefined();
    await expectOnlyP1StateLeft(join(dir, 'a.duckdb'));
  });

  it("moves the customers' open cases with their audit trail (renumbered after the new owner's events); closed ones stay", async () => {
    const caseRow = (id: string, customer: string, status: string): Record<string, string | number | null> => ({
      case_id: id,
      alert_id: `alert-${id}`,
      customer_id: customer,
      category: 'complaint',
      severity: 'high',
      status,
      team: 'care',
      opened_at: T0,
      due_at: T0 + 24 * HOUR,
      closed_at: status === 'closed' ? T0 + HOUR : null,
    });
    const event = (seq: number, id: string, action: string): string =>
      `(${seq}, '${id}', make_timestamptz(${T0 * 1000}), 'tester', '${action}', NULL, NULL, NULL, NULL, NULL, NULL, true)`;
    const a = await DuckDBStore.open(join(dir, 'a.duckdb'));
    await a.commitCheckpoint(
      checkpoint({
        outputs: [{ kind: 'case', rows: [caseRow('k-open', 'c1', 'in_progress'), caseRow('k-done', 'c1', 'closed'), caseRow('k-other', 'c2', 'open')] }],
        positions: [{ source: 'kafka', partition: P0, position: { offset: 7, resume: 7 } }],
        owners: [
          { customer_id: 'c1', partition: P0 },
          { customer_id: 'c2', partition: P1 },
        ],
      }),
    );
    await a.connection.run(
      `INSERT INTO case_events VALUES ${event(1, 'k-open', 'open')}, ${event(2, 'k-done', 'open')}, ${event(3, 'k-open', 'update')}, ${event(4, 'k-other', 'open')}`,
    );
    const handoff = new PartitionHandoffDir(join(dir, 'handoff'));
    const manifest = await handoff.export(a.connection, 'kafka', P0, { offset: 7, resume: 7 }, T0, { allowedLatenessMs: HOUR, watermark: T0 });
    expect(manifest.rows).toMatchObject({ cases: 1, caseEvents: 2 });
    a.close();
    const CASES = `SELECT case_id, status FROM cases ORDER BY ALL`;
    const EVENTS = `SELECT seq, case_id, action FROM case_events ORDER BY seq`;
    const [casesA, eventsA] = await query(join(dir, 'a.duckdb'), CASES, EVENTS);
    expect(casesA).toEqual([
      { case_id: 'k-done', status: 'closed' },
      { case_id: 'k-other', status: 'open' },
    ]);
    expect(eventsA).toEqual([
      { seq: 2n, case_id: 'k-done', action: 'open' },
      { seq: 4n, case_id: 'k-other', action: 'open' },
    ]);

    const b = await DuckDBStore.open(join(dir, 'b.duckdb'));
    await b.connection.run(`INSERT INTO case_events VALUES ${event(1, 'k-b', 'open')}, ${event(5, 'k-b', 'close')}`);
    await handoff.import(b.connection, handoff.newest('kafka', P0)!);
    b.close();
    const [casesB, eventsB] = await query(join(dir, 'b.duckdb'), CASES, EVENTS);
    expect(casesB).toEqual([{ case_id: 'k-open', status: 'in_progress' }]);
    expect(eventsB).toEqual([
      { seq: 1n, case_id: 'k-b', action: 'open' },
      { seq: 5n, case_id: 'k-b', action: 'close' },
      { seq: 6n, case_id: 'k-open', action: 'open' },
      { seq: 7n, case_id: 'k-open', action: 'update' },
    ]);
  });

  it('newest() ignores snapshots still being written; old snapshots are pruned to the newest two', async () => {
    const store = await DuckDBStore.open(join(dir, 'a.duckdb'));
    const handoff = new PartitionHandoffDir(join(dir, 'handoff'));
    expect(handoff.newest('kafka', P0)).toBeUndefined();
    for (const offset of [3, 17, 250]) {
      await handoff.export(store.connection, 'kafka', P0, { offset, resume: offset }, T0, { allowedLatenessMs: HOUR, watermark: T0 });
    }
    store.close();
    const partitionDir = join(dir, 'handoff', 'kafka', encodeURIComponent(P0));
    expect(readdirSync(partitionDir).sort()).toEqual(['00000000000000000017', '00000000000000000250']);
    // A crashed exporter leaves a directory without a manifest (named like a snapshot, in the worst case).
    mkdirSync(join(partitionDir, '00000000000000009999'));
    expect(handoff.newest('kafka', P0)?.manifest.position.offset).toBe(250);
  });
});
