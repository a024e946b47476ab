import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyedState, keyIsCustomer } from '../../../operators/state.js';
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
});
