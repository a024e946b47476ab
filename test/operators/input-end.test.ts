import { describe, expect, it } from 'vitest';
import { completeAtInputEnd } from '../../operators/input-end.js';

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
});
