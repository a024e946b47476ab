import { describe, expect, it } from 'vitest';
import { Rng } from '../../../sources/generator/rng.js';
import { TimeStyle, wallClock } from '../../../sources/generator/time-format.js';

describe('time formats', () => {
  it('wallClock equals Date#toISOString without the Z, across days, years and leap days', () => {
    const rng = new Rng(1);
    const base = Date.parse('2023-12-30T00:00:00Z');
    for (let i = 0; i < 5000; i++) {
      const ms = base + Math.floor(rng.float() * 800 * 86_400_000);
      expect(wallClock(ms)).toBe(new Date(ms).toISOString().slice(0, -1));
    }
    expect(wallClock(Date.parse('2024-02-29T23:59:59.999Z'))).toBe('2024-02-29T23:59:59.999');
  });

  it('every style denotes the same instant (Date.parse oracle) and all three styles occur', () => {
    const rng = new Rng(2);
    const style = new TimeStyle();
    const kinds = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const ms = Date.parse('2026-01-05T00:00:00Z') + Math.floor(rng.float() * 60 * 86_400_000);
      style.draw(rng);
      const text = style.format(ms);
      const value = JSON.parse(text) as number | string;
      if (typeof value === 'number') {
        kinds.add('epoch');
        expect(value).toBe(ms);
      } else {
        kinds.add(value.endsWith('Z') ? 'zulu' : 'offset');
        expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/);
        expect(Date.parse(value)).toBe(ms);
      }
    }
    expect([...kinds].sort()).toEqual(['epoch', 'offset', 'zulu']);
  });
});
