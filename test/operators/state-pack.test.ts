import { describe, expect, it } from 'vitest';
import { KeyedState, keyIsCustomer, type StateRow } from '../../operators/state.js';
import { packedTransferables, packStateRows, stateRowsOf, type PackedStateRows } from '../../operators/state-pack.js';

/** Customer-keyed state with the given entries set, and `gone` set then deleted. */
function customers(entries: Record<string, unknown>, gone: string[] = []): KeyedState<unknown> {
  const state = new KeyedState<unknown>(keyIsCustomer);
  for (const key of gone) state.set(key, 0);
  state.drainChanges();
  for (const key of gone) state.delete(key);
  for (const [key, value] of Object.entries(entries)) state.set(key, value);
  return state;
}

const row = (state: string, key: string, value: string | null, customer_id: string | null): StateRow => ({ operator: 'op', state, key, value, customer_id });

describe('packStateRows', () => {
  it('packs nothing when nothing changed', () => {
    expect(packStateRows('op', {})).toEqual([]);
    expect(packStateRows('op', { a: new KeyedState<unknown>() })).toEqual([]);
  });

  it('round-trips deletes, customer-keyed, population and other-customer entries, with text beyond ASCII', () => {
    const byCase = new KeyedState<{ customer: string }>((_key, value) => value.customer);
    byCase.set('case-1', { customer: 'c-ß' });
    const population = new KeyedState<unknown>();
    population.set('total', { n: 3 });
    const blocks = packStateRows('op', {
      people: customers({ 'c-é': { name: 'Zoë 😀', note: 'a "quoted" \\ text' }, c2: [1, null, 2.5] }, ['c-gone']),
      cases: byCase as KeyedState<unknown>,
      population,
    });
    expect([...stateRowsOf(blocks)]).toEqual([
      row('people', 'c-gone', null, 'c-gone'), // a delete names its customer: a state changelog routes the tombstone by it
      row('people', 'c-é', '{"name":"Zoë 😀","note":"a \\"quoted\\" \\\\ text"}', 'c-é'),
      row('people', 'c2', '[1,null,2.5]', 'c2'),
      row('cases', 'case-1', '{"customer":"c-ß"}', 'c-ß'),
      row('population', 'total', '{"n":3}', null),
    ]);
    // The text holds each key, value and other customer once, as UTF-8.
    const people = blocks.find((b) => b.state === 'people')!;
    const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');
    expect(people.text.byteLength).toBe(utf8('c-gone') + utf8('c-é{"name":"Zoë 😀","note":"a \\"quoted\\" \\\\ text"}') + utf8('c2[1,null,2.5]'));
  });

  it('closes a block at the row limit: two and one, and one row per block', () => {
    const values = { a: 1, b: 2, c: 3 };
    const twos = packStateRows('op', { s: customers(values) }, { rows: 2, bytes: 1 << 20 });
    expect(twos.map((b) => b.length)).toEqual([2, 1]);
    expect([...stateRowsOf(twos)].map((r) => [r.key, r.value])).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
    const ones = packStateRows('op', { s: customers(values) }, { rows: 1, bytes: 1 << 20 });
    expect(ones.map((b) => [b.length, b.text.byteLength])).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it('closes a block once its text reaches the byte limit, and never mixes two states in a block', () => {
    const long = 'x'.repeat(100);
    const blocks = packStateRows('op', { s: customers({ a: long, b: long, c: 'short' }), t: customers({ d: 1 }) }, { rows: 100, bytes: 150 });
    // a (1 + 102 bytes) stays under 150; b takes the first block past it; c starts the next.
    expect(blocks.map((b) => [b.state, b.length])).toEqual([
      ['s', 2],
      ['s', 1],
      ['t', 1],
    ]);
  });

  it('drains: a second pack holds only what changed since', () => {
    const state = customers({ a: 1, b: 2 });
    packStateRows('op', { s: state });
    state.set('b', 3);
    expect([...stateRowsOf(packStateRows('op', { s: state }))]).toEqual([row('s', 'b', '3', 'b')]);
  });

  it('gives each block exact-size buffers of its own, which survive a transfer to another thread', () => {
    const blocks = packStateRows('op', { s: customers({ a: { v: 1 }, b: { v: 2 }, c: { v: 3 } }) }, { rows: 2, bytes: 1 << 20 });
    const buffers = packedTransferables(blocks);
    expect(new Set(buffers).size).toBe(blocks.length * 3);
    for (const block of blocks) expect(block.text.buffer.byteLength).toBe(block.text.byteLength);
    const expected = [...stateRowsOf(blocks)];
    const moved = structuredClone(blocks, { transfer: buffers }) as PackedStateRows[];
    expect(blocks[0]!.text.byteLength).toBe(0); // detached: moved, not copied
    expect([...stateRowsOf(moved)]).toEqual(expected);
  });
});
