import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeTimestamp, formatEpochMs, parseTimestamp } from '../../operators/timestamp.js';

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** The oracle: V8's date arithmetic on the components (setUTCFullYear keeps the years 0-99 as such). */
function instant(parts: {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  offsetMinutes: number;
}): number {
  const date = new Date(0);
  date.setUTCFullYear(parts.year, parts.month - 1, parts.day);
  date.setUTCHours(parts.hour, parts.minute, parts.second, parts.millis);
  return date.getTime() - parts.offsetMinutes * 60_000;
}

describe('parseTimestamp', () => {
  it('gives the exact instant of every RFC 3339 form it accepts (any year, separator, fraction, offset form)', () => {
    const parts = fc.record({
      year: fc.integer({ min: 0, max: 9999 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 28 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      second: fc.integer({ min: 0, max: 59 }),
      fraction: fc.stringMatching(/^[0-9]{0,9}$/),
      separator: fc.constantFrom('T', 't', ' '),
      offsetHours: fc.integer({ min: -23, max: 23 }),
      offsetMinutes: fc.integer({ min: 0, max: 59 }),
      offsetForm: fc.constantFrom('Z', 'z', 'hh:mm', 'hhmm', 'hh'),
    });
    fc.assert(
      fc.property(parts, (p) => {
        const sign = p.offsetHours < 0 ? '-' : '+';
        const hh = pad(Math.abs(p.offsetHours), 2);
        const suffix = {
          Z: 'Z',
          z: 'z',
          'hh:mm': `${sign}${hh}:${pad(p.offsetMinutes, 2)}`,
          hhmm: `${sign}${hh}${pad(p.offsetMinutes, 2)}`,
          hh: `${sign}${hh}`,
        }[p.offsetForm];
        const offset =
          p.offsetForm === 'Z' || p.offsetForm === 'z'
            ? 0
            : (sign === '-' ? -1 : 1) * (Math.abs(p.offsetHours) * 60 + (p.offsetForm === 'hh' ? 0 : p.offsetMinutes));
        const text =
          `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}${p.separator}${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}` +
          `${p.fraction === '' ? '' : `.${p.fraction}`}${suffix}`;
        const millis = p.fraction === '' ? 0 : Number(p.fraction.slice(0, 3).padEnd(3, '0'));
        expect(parseTimestamp(text)).toBe(instant({ ...p, millis, offsetMinutes: offset }));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with Date.parse on canonical UTC times', () => {
    for (const text of ['2026-01-05T10:00:00Z', '2024-02-29T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59Z']) {
      expect(parseTimestamp(text)).toBe(Date.parse(text));
    }
  });

  it.each([
    ['a leap second', '2026-01-10T23:59:60Z'],
    ['February 29 of a common year', '2026-02-29T10:00:00Z'],
    ['hour 24', '2026-01-05T24:00:00Z'],
    ['an offset of 24 hours', '2026-01-05T10:00:00+24:00'],
    ['no offset', '2026-01-05T10:00:00'],
    ['a fraction without digits', '2026-01-05T10:00:00.Z'],
    ['a comma fraction', '2026-01-05T10:00:00,5Z'],
    ['a tab separator', '2026-01-05\t10:00:00Z'],
    ['an ideographic space separator', '2026-01-05\u300010:00:00Z'],
    ['trailing text', '2026-01-05T10:00:00Zx'],
    ['a two-digit year', '26-01-05T10:00:00Z'],
    ['non-ASCII digits', '２０２６-01-05T10:00:00Z'],
  ])('refuses %s', (_name, text) => {
    expect(parseTimestamp(text)).toBeNaN();
  });

  it('reads the years 0-99 as such, where Date.parse reads 0026 as 2026 after a space', () => {
    expect(parseTimestamp('0026-01-05 10:00:00Z')).toBe(instant({ year: 26, month: 1, day: 5, hour: 10, minute: 0, second: 0, millis: 0, offsetMinutes: 0 }));
    expect(new Date(parseTimestamp('0026-01-05 10:00:00Z')).getUTCFullYear()).toBe(26);
  });
});

describe('describeTimestamp and formatEpochMs', () => {
  it('says what is wrong with a refused time', () => {
    expect(describeTimestamp('2026-01-10T23:59:60Z')).toMatch(/is a leap second .*send 23:59:59\.999/);
    expect(describeTimestamp('yesterday')).toMatch(/must be an RFC 3339 timestamp with offset .* got "yesterday"/);
  });

  it('writes times beyond the range of Date as numbers instead of throwing', () => {
    expect(formatEpochMs(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatEpochMs(1e20)).toBe('100000000000000000000 ms since 1970');
  });
});
