import { describe, expect, test } from 'vitest';
import { PeriodKeys, monthIndex } from '../../../operators/population-drift/periods.js';

describe('PeriodKeys', () => {
  test('month indexes at month and year boundaries, hand-computed (UTC year x 12 + month - 1)', () => {
    const keys = new PeriodKeys();
    const cases: Array<[string, number]> = [
      ['2024-01-31T23:59:59.999Z', 2024 * 12],
      ['2024-02-01T00:00:00.000Z', 2024 * 12 + 1],
      ['2024-02-29T23:59:59.999Z', 2024 * 12 + 1],
      ['2024-03-01T00:00:00.000Z', 2024 * 12 + 2],
      ['2023-12-31T23:59:59.999Z', 2023 * 12 + 11],
      ['2024-01-01T00:00:00.000Z', 2024 * 12],
      ['1969-12-31T23:59:59.999Z', 1969 * 12 + 11],
      ['1970-01-01T00:00:00.000Z', 1970 * 12],
      ['2024-01-15T12:00:00.000Z', 2024 * 12],
    ];
    for (const [iso, expected] of cases) expect(keys.month(Date.parse(iso)), iso).toBe(expected);
  });

  test('a cached month index is the index of the month asked for, whatever was asked before', () => {
    const keys = new PeriodKeys();
    const hour = 3_600_000;
    // Back and forth over two years in steps that hit every month edge region.
    const start = Date.parse('2023-11-30T00:00:00Z');
    const times: number[] = [];
    for (let t = start; t < start + 430 * 24 * hour; t += 7 * hour) times.push(t, t - 40 * 24 * hour, t + 1);
    for (const t of times) expect(keys.month(t)).toBe(monthIndex(t));
  });

  test('period keys are the starts as text', () => {
    const keys = new PeriodKeys();
    for (const start of [0, 604_800_000, 604_800_000, -604_800_000, 1_767_571_200_000]) expect(keys.period(start)).toBe(String(start));
  });
});
