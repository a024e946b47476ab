import { describe, expect, it } from 'vitest';
import { completeAtInputEnd, windowsOpenAtInputEnd } from '../../operators/input-end.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const D = Date.UTC(2026, 2, 11);

describe('what the end of a bounded input completes', () => {
  it('a day whose last hour the events reached; not one cut in the morning', () => {
    expect(completeAtInputEnd(D, D + DAY, D + 23 * HOUR)).toBe(true);
    expect(completeAtInputEnd(D, D + DAY, D + 23 * HOUR - 1)).toBe(false);
    expect(completeAtInputEnd(D, D + DAY, D + 11 * HOUR)).toBe(false);
  });

  it('a short window whose last quarter the events reached', () => {
    const quarterHour = 15 * 60_000;
    expect(completeAtInputEnd(D, D + quarterHour, D + quarterHour - quarterHour / 4)).toBe(true);
    expect(completeAtInputEnd(D, D + quarterHour, D + quarterHour / 2)).toBe(false);
  });

  it('names the windows of each size the input ended in', () => {
    // 11:57 is past the last quarter of the 11:00 hour (11:45) and of the 11:45 quarter hour (11:56:15).
    expect(windowsOpenAtInputEnd([DAY, HOUR, 15 * 60_000, DAY], D + 11 * HOUR + 57 * 60_000)).toEqual([{ sizeMs: DAY, start: D }]);
    expect(windowsOpenAtInputEnd([DAY, HOUR], D + 11 * HOUR + 30 * 60_000)).toEqual([
      { sizeMs: HOUR, start: D + 11 * HOUR },
      { sizeMs: DAY, start: D },
    ]);
    expect(windowsOpenAtInputEnd([DAY], Number.NEGATIVE_INFINITY)).toEqual([]);
  });
});
