import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { firstOfJsonKey, jsonKey1, jsonString } from '../../operators/json-key.js';

describe('JSON list keys', () => {
  // Persisted state is stored under these keys: they must stay the JSON of the list, for any text.
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('', '"', '\\', 'a"b', 'a\\"', '\u2028', '\ud800', 'C-1'),
  );

  test('are what JSON.stringify writes', () => {
    fc.assert(
      fc.property(text, (first) => {
        expect(jsonString(first)).toBe(JSON.stringify(first));
        expect(jsonKey1(first)).toBe(JSON.stringify([first]));
      }),
      { numRuns: 3000 },
    );
  });

  test('give back their first element', () => {
    fc.assert(
      fc.property(text, text, (first, second) => {
        expect(firstOfJsonKey(JSON.stringify([first]))).toBe(first);
        expect(firstOfJsonKey(JSON.stringify([first, second]))).toBe(first);
      }),
      { numRuns: 3000 },
    );
    expect(firstOfJsonKey('["C-1","RET_CANCEL"]')).toBe('C-1');
    expect(firstOfJsonKey('["a\\"b","x"]')).toBe('a"b');
  });
});
