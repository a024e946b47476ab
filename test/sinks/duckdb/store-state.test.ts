import { mkdtempSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyedState, keyIsCustomer } from '../../../operators/state.js';
import { decodeStateValue } from '../../../operators/state-codec.js';
import { packStateRows } from '../../../operators/state-pack.js';
import { DuckDBStore, type CheckpointData } from '../../../sinks/duckdb/store.js';

function checkpoint(state: CheckpointData['state']): CheckpointData {
  return { outputs: [], rejections: [], state, dedup: [], positions: [], jobState: {} };
}

const STORED = `SELECT operator, state, key, CAST(value AS VARCHAR) AS value, customer_id FROM pulse_state ORDER BY ALL`;

/** Packed state goes into pulse_state block by block, replacing and deleting stored values. */
describe('DuckDBStore: operator state of a checkpoint', () => {
  it('stores upserts and deletes spread over one-row blocks, and lets go of each block once staged', async () => {
    const store = await DuckDBStore.open(join(mkdtempSync(join(tmpdir(), 'pulse-store-state-')), 'state.duckdb'));
    try {
      const customers = new KeyedState<unknown>(keyIsCustomer);
      const totals = new KeyedState<unknown>();
      customers.set('c1', { n: 1 });
      customers.set('c2', { n: 2 });
      customers.set('c3', { n: 3 });
      totals.set('all', 6);
      const first = checkpoint(packStateRows('op', { customers, totals }, { rows: 1, bytes: 1024 }));
      expect(first.state).toHaveLength(4);
      await store.commitCheckpoint(first);
      expect(first.state).toEqual([]);

      // Second checkpoint: c1 changes, c2 goes, c3 and the total stay as stored.
      customers.set('c1', { n: 10 });
      customers.delete('c2');
      await store.commitCheckpoint(checkpoint(packStateRows('op', { customers, totals }, { rows: 1, bytes: 1024 })));
      const rows = await store.connection.runAndReadAll(STORED);
      expect(rows.getRowObjectsJS()).toEqual([
        { operator: 'op', state: 'customers', key: 'c1', value: '{"n":10}', customer_id: 'c1' },
        { operator: 'op', state: 'customers', key: 'c3', value: '{"n":3}', customer_id: 'c3' },
        { operator: 'op', state: 'totals', key: 'all', value: '6', customer_id: null },
      ]);
    } finally {
      store.close();
    }
  });

  it('gives back packed doubles bit for bit, beside a plain-JSON row an earlier version stored', async () => {
    const store = await DuckDBStore.open(join(mkdtempSync(join(tmpdir(), 'pulse-store-state-')), 'state.duckdb'));
    try {
      await store.connection.run(`INSERT INTO pulse_state VALUES ('op', 'customers', 'old', '{"sums":[21.75,58.730000000000004]}', 'old')`);
      const customers = new KeyedState<unknown>(keyIsCustomer);
      const value = { v: [0.1 + 0.2, -0, Number.NaN, 1769775814491], mu: Number.POSITIVE_INFINITY, n: [1, 2], name: '\u0001x' };
      customers.set('new', value);
      await store.commitCheckpoint(checkpoint(packStateRows('op', { customers })));
      const stored = new Map((await store.loadStateRows()).map((row) => [row.key, decodeStateValue(row.value)]));
      expect(isDeepStrictEqual(stored.get('new'), value)).toBe(true);
      expect(stored.get('old')).toStrictEqual({ sums: [21.75, 58.730000000000004] });
    } finally {
      store.close();
    }
  });
});
