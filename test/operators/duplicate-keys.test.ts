import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { repeatedKey } from '../../operators/duplicate-keys.js';

/** JSON text of `value` with white space drawn from `spaces` around every token, `repeat` keys written twice. */
function write(value: unknown, spaces: () => string, repeat?: { key: string; twin: unknown }): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => spaces() + write(item, spaces, repeat) + spaces()).join(',')}]`;
  const pairs = Object.entries(value).map(([key, item]) => `${spaces()}${JSON.stringify(key)}${spaces()}:${spaces()}${write(item, spaces, repeat)}`);
  if (repeat !== undefined && Object.hasOwn(value, repeat.key)) pairs.push(`${JSON.stringify(repeat.key)}${spaces()}:${JSON.stringify(repeat.twin)}`);
  return `{${pairs.join(',')}${spaces()}}`;
}

/** White space drawn from a seed: mostly none, as producers write it, sometimes a space or a line end. */
function spacesFrom(seed: number): () => string {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return ['', '', '', ' ', '\n', ' \t'][state % 6]!;
  };
}

// Keys that trip a naive reader: a quote and a colon inside, escapes, the empty key, `__proto__`.
const key = fc.oneof(fc.string(), fc.constantFrom('":', 'a":"b', '\\', '"', '', '__proto__', 'amount', '\u2028'));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 0 }), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
})).object;

describe('repeatedKey', () => {
  test('finds nothing in JSON whose objects name each key once, however it is spaced', () => {
    fc.assert(
      fc.property(json, fc.integer(), (value, seed) => {
        const text = write(value, spacesFrom(seed));
        expect(repeatedKey(text, JSON.parse(text))).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  test('finds a key written twice in one object, at any depth, spaced or not', () => {
    const withKey = json.chain((value) => {
      const keys: string[] = [];
      const collect = (v: unknown): void => {
        if (v === null || typeof v !== 'object') return;
        if (!Array.isArray(v)) keys.push(...Object.keys(v));
        for (const item of Object.values(v)) collect(item);
      };
      collect(value);
      return keys.length === 0 ? fc.constant(undefined) : fc.tuple(fc.constant(value), fc.constantFrom(...keys));
    });
    fc.assert(
      fc.property(withKey, fc.integer(), fc.jsonValue({ maxDepth: 1 }), (picked, seed, twin) => {
        fc.pre(picked !== undefined);
        const [value, repeated] = picked!;
        const text = write(value, spacesFrom(seed), { key: repeated, twin });
        // Only the picked key is written twice (in every object that has it).
        expect(repeatedKey(text, JSON.parse(text))).toBe(repeated);
      }),
      { numRuns: 2000 },
    );
  });

  test('takes a key escaped one way and written plainly the other as one key, as JSON.parse does', () => {
    const text = '{"channel":"web","\\u0063hannel":"app"}';
    expect(JSON.parse(text)).toEqual({ channel: 'app' });
    expect(repeatedKey(text, JSON.parse(text))).toBe('channel');
  });

  test('reads a repeat of the last key at the end of a nested object and of the top one', () => {
    const text = '{"a":{"b":1,"c":{"d":[{"e":1,"e":2}]}},"f":"\\":"}';
    expect(repeatedKey(text, JSON.parse(text))).toBe('e');
    const top = '{"a":1,"b":{"a":2},"a":3}';
    expect(repeatedKey(top, JSON.parse(top))).toBe('a');
  });
});
