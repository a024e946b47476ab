import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { clipText, wellFormedText } from '../../operators/text-clip.js';

describe('clipText and wellFormedText', () => {
  test('a cut never splits a surrogate pair, keeps within the limit and is a prefix of the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 80 }), fc.constantFrom('…', '...', ''), (text, max, ellipsis) => {
        const clipped = clipText(text, max, ellipsis);
        expect(clipped.isWellFormed()).toBe(true);
        if (text.length <= max) {
          expect(clipped).toBe(text);
          return;
        }
        expect(clipped.length).toBeLessThanOrEqual(Math.max(max, ellipsis.length));
        expect(clipped.endsWith(ellipsis)).toBe(true);
        const kept = clipped.slice(0, clipped.length - ellipsis.length);
        expect(text.startsWith(kept)).toBe(true);
        // At most the one code unit of a pair is given up.
        expect(kept.length).toBeGreaterThanOrEqual(max - ellipsis.length - 1);
      }),
    );
  });

  test('hand-made cases: an emoji at the cut goes whole, one before it stays', () => {
    expect(clipText('ab\u{1F621}cd', 4)).toBe('ab…');
    expect(clipText('ab\u{1F621}cd', 5)).toBe('ab\u{1F621}…');
    expect(clipText('abcdef', 4, '')).toBe('abcd');
    expect(clipText('abc', 3)).toBe('abc');
  });

  test('lone surrogates in free text become U+FFFD; pairs are kept', () => {
    expect(wellFormedText('a\ud800b')).toBe('a\ufffdb');
    expect(wellFormedText('\udfffx')).toBe('\ufffdx');
    expect(wellFormedText('ok \u{1F600}')).toBe('ok \u{1F600}');
  });
});
