import { describe, expect, it } from 'vitest';
import { KeyedState } from '../../operators/state.js';
import { packStateRows, stateRowsOf } from '../../operators/state-pack.js';

const drainStateRows = (operator: string, states: Parameters<typeof packStateRows>[1]) => [...stateRowsOf(packStateRows(operator, states))];

describe('keyed state changes', () => {
  it("a deleted customer-keyed entry's row names its customer (a changelog routes the tombstone by it); population state's does not", () => {
    const perCustomer = new KeyedState<{ n: number }>((key) => key.split('|')[0]!);
    const population = new KeyedState<number>();
    perCustomer.set('c1|a', { n: 1 });
    perCustomer.set('c2|a', { n: 2 });
    population.set('p', 1);
    drainStateRows('op', { perCustomer, population });
    perCustomer.delete('c1|a');
    perCustomer.delete('absent');
    perCustomer.set('c2|a', { n: 3 });
    population.delete('p');
    expect(drainStateRows('op', { perCustomer, population })).toEqual([
      { operator: 'op', state: 'perCustomer', key: 'c1|a', value: null, customer_id: 'c1' },
      { operator: 'op', state: 'perCustomer', key: 'c2|a', value: '{"n":3}', customer_id: 'c2' },
      { operator: 'op', state: 'population', key: 'p', value: null, customer_id: null },
    ]);
    // Drained: nothing left over for the next checkpoint.
    expect(drainStateRows('op', { perCustomer, population })).toEqual([]);
  });
});

describe('keyed state reads and changes of the same key in a row', () => {
  const changed = (state: KeyedState<number>) => {
    const { upserts, deletes } = state.drainChanges();
    return { upserts: upserts.map(([key, value]) => `${key}=${value}`), deletes };
  };

  it('reads what the last set, delete or restore left, whichever key was read before', () => {
    const state = new KeyedState<number>();
    expect(state.get('a')).toBeUndefined();
    state.set('a', 1);
    expect(state.get('a')).toBe(1);
    state.set('b', 2);
    expect(state.get('a')).toBe(1);
    state.set('a', 3);
    expect(state.get('a')).toBe(3);
    state.delete('a');
    expect(state.get('a')).toBeUndefined();
    expect(state.has('a')).toBe(false);
    state.get('b');
    state.restore([['b', 5]]);
    expect(state.get('b')).toBe(5);
    expect(state.get('a')).toBeUndefined();
  });

  it('marks a key changed again after a drain, and keeps a restore unchanged', () => {
    const state = new KeyedState<number>();
    state.set('a', 1);
    state.touch('a');
    expect(changed(state)).toEqual({ upserts: ['a=1'], deletes: [] });
    // The same key as the last change before the drain: changed again, not taken for already marked.
    state.touch('a');
    expect(changed(state)).toEqual({ upserts: ['a=1'], deletes: [] });
    state.set('a', 2);
    state.delete('a');
    state.touch('b');
    state.set('b', 4);
    expect(changed(state)).toEqual({ upserts: ['b=4'], deletes: ['a'] });
    state.touch('c');
    state.restore([['c', 7]]);
    expect(changed(state)).toEqual({ upserts: [], deletes: [] });
    state.touch('c');
    expect(changed(state)).toEqual({ upserts: ['c=7'], deletes: [] });
  });
});
