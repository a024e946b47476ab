import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendBounded, appendExact, insertExact, keepNewest } from '../../operators/state-list.js';

/** What a bounded list is: every value appended so far, the newest `max` of them, oldest first. */
function newestOf(values: readonly number[], max: number): number[] {
  return values.slice(Math.max(0, values.length - max));
}

describe('state lists', () => {
  it('a bounded list holds the newest values, oldest first, whatever its starting length', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), fc.array(fc.double(), { maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (start, appended, max) => {
        let list = [...start];
        for (const value of appended) list = appendBounded(list, value, max);
        // A list longer than the bound (state written with a larger ring) is cut at its first append.
        const expected = appended.length === 0 ? start : newestOf([...start, ...appended], max);
        expect(list).toEqual(expected);
      }),
    );
  });

  it('rotates a full list in place and copies any other, so a caller must keep the returned list', () => {
    const full = [1, 2, 3];
    expect(appendBounded(full, 4, 3)).toBe(full);
    expect(full).toEqual([2, 3, 4]);

    const short = [1, 2];
    const grown = appendBounded(short, 3, 3);
    expect(grown).not.toBe(short);
    expect(short).toEqual([1, 2]);
    expect(grown).toEqual([1, 2, 3]);
  });

  it('appends and inserts into new lists, leaving the old one as it was', () => {
    const list = [1, 3];
    expect(appendExact(list, 4)).toEqual([1, 3, 4]);
    expect(insertExact(list, 1, 2)).toEqual([1, 2, 3]);
    expect(insertExact(list, 0, 0)).toEqual([0, 1, 3]);
    expect(list).toEqual([1, 3]);
  });

  it('keeps the newest entries in a new list, and the list itself when it has no more', () => {
    const list = [1, 2, 3, 4];
    expect(keepNewest(list, 2)).toEqual([3, 4]);
    expect(keepNewest(list, 4)).toBe(list);
    expect(keepNewest(list, 9)).toBe(list);
    expect(list).toEqual([1, 2, 3, 4]);
  });
});
