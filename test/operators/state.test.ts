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
