import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { clipText, wellFormedText } from '../../operators/text-clip.js';

describe('clipText and wellFormedText', () => {
  test('a cut never splits a grapheme cluster, keeps within the limit, is a prefix of the text and gives up no more than it must', () => {
    const graphemes = (text: string): string[] => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((g) => g.segment);
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
        // It ends where a cluster ends, and the next cluster would not have fitted.
        const clusters = graphemes(text);
        let at = 0;
        let next = 0;
        while (at < kept.length) at += clusters[next++]!.length;
        expect(at).toBe(kept.length);
        expect(kept.length + clusters[next]!.length).toBeGreaterThan(Math.max(0, max - ellipsis.length));
      }),
    );
  });

  test('hand-made cases: an emoji at the cut goes whole, one before it stays', () => {
    expect(clipText('ab\u{1F621}cd', 4)).toBe('ab…');
    expect(clipText('ab\u{1F621}cd', 5)).toBe('ab\u{1F621}…');
    expect(clipText('abcdef', 4, '')).toBe('abcd');
    expect(clipText('abc', 3)).toBe('abc');
  });

  test('hand-made cases: a letter keeps its combining mark, an emoji sequence goes whole', () => {
    // "Café" with the accent as its own code point (U+0301), as macOS and some exports write it.
    expect(clipText('Cafe\u0301 au lait', 6)).toBe('Cafe\u0301…');
    expect(clipText('Cafe\u0301 au lait', 5)).toBe('Caf…');
    // A family emoji: four people joined by zero-width joiners, 11 code units.
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';
    expect(clipText(`ok ${family} ok`, 10)).toBe('ok …');
    expect(clipText(`ok ${family} ok`, 15)).toBe(`ok ${family}…`);
  });

  test('lone surrogates in free text become U+FFFD; pairs are kept', () => {
    expect(wellFormedText('a\ud800b')).toBe('a\ufffdb');
    expect(wellFormedText('\udfffx')).toBe('\ufffdx');
    expect(wellFormedText('ok \u{1F600}')).toBe('ok \u{1F600}');
  });
});
