import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routingKey, shardOf } from '../../../pipelines/shards/routing.js';

/** What the key must be: the decoder's reading of the record (JSON.parse), never a guess. */
function expectedKey(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  if (typeof record['customer_id'] === 'string') return record['customer_id'];
  return record['customer_id'] == null && typeof record['event_id'] === 'string' ? record['event_id'] : null;
}

describe('routing key', () => {
  it.each([
    ['plain', '{"type":"transaction","event_id":"e1","ts":1,"customer_id":"C1","amount":3}', 'C1'],
    ['spaces around the colon', '{ "customer_id" : "C2" , "event_id":"e"}', 'C2'],
    ['unknown caller: the event id', '{"type":"contact","event_id":"e3","customer_id":null}', 'e3'],
    ['the key only in a nested object', '{"meta":{"customer_id":"X"},"event_id":"e4"}', 'e4'],
    ['a nested one before the top-level one', '{"meta":{"customer_id":"X"},"customer_id":"C5"}', 'C5'],
    ['duplicate keys: JSON.parse keeps the last', '{"customer_id":"A","x":1,"customer_id":"B"}', 'B'],
    ['the key spelled with an escape', '{"customer\\u005fid":"C6","event_id":"e"}', 'C6'],
    ['an escaped duplicate after the plain key', '{"customer_id":"A","customer\\u005fid":"B"}', 'B'],
    ['escapes in the value', '{"customer_id":"C\\"7"}', 'C"7'],
    ['the key text inside a string value', '{"text":"my \\"customer_id\\": \\"Z\\"","customer_id":"C8"}', 'C8'],
    ['the key as a value', '{"field":"customer_id","customer_id":"C9"}', 'C9'],
    ['an array', '[{"customer_id":"C1"}]', null],
    ['a number customer (refused by the decoder anyway)', '{"customer_id":5,"event_id":"e"}', null],
  ])('%s', (_name, text, key) => {
    expect(expectedKey(text)).toBe(key);
    expect(routingKey(text)).toBe(key);
  });

  it('sends text that is not JSON somewhere (any shard refuses it), the same place every time', () => {
    const text = 'not json {"customer_id":"C1"';
    expect(expectedKey(text)).toBeNull();
    expect(routingKey(text)).toBe(routingKey(text));
  });

  it('equals JSON.parse for generated records of every shape', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean());
    const key = fc.oneof(fc.constantFrom('customer_id', 'event_id', 'type', 'ts', 'text'), fc.string());
    const value = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: 'small' }, scalar, tie('object'), fc.array(tie('any'), { maxLength: 3 })),
      object: fc.dictionary(key, tie('any'), { maxKeys: 5 }),
    })).any;
    const record = fc.record(
      { customer_id: fc.oneof(fc.string(), fc.constant(null)), event_id: fc.string(), extra: fc.dictionary(key, value, { maxKeys: 4 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(record, fc.boolean(), (r, spread) => {
        const { extra, ...fields } = r;
        const text = JSON.stringify(spread ? { ...extra, ...fields } : { ...fields, extra });
        expect(routingKey(text)).toBe(expectedKey(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('spreads keys over the shards and is stable', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[shardOf(`C${String(i).padStart(6, '0')}`, 3)]! += 1;
    for (const n of counts) expect(n).toBeGreaterThan(9_000);
    expect(shardOf('C000123', 4)).toBe(shardOf('C000123', 4));
    expect(shardOf(null, 4)).toBe(0);
    expect(shardOf('anything', 1)).toBe(0);
  });
});
