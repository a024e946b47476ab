import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SHIFT_SETTINGS, ShiftConfigError, resolveShiftConfig } from '../../../operators/shifts/config.js';

describe('shift config', () => {
  test('empty config gives the documented defaults', () => {
    const s = resolveShiftConfig(undefined);
    expect(s).toEqual(DEFAULT_SHIFT_SETTINGS);
    expect(s).toMatchObject({ windowMs: 86_400_000, minHistory: 28, robustZ: 5, seasonPeriod: 7, cooldownWindows: 7, cusum: { k: 0.25, h: 16, clip: 4 }, fdr: { enabled: true, q: 0.001 } });
  });
  test('a YAML snippet parses through the real spec', () => {
    const s = resolveShiftConfig(
      parse(`
window: 1h
measures: [spend_total, "usage:data_mb"]
minHistory: 20
cusum: { k: 0.75, h: 6 }
fdr: { enabled: false }
instant:
  - { rule: refund, threshold: 250 }
`),
    );
    expect(s.windowMs).toBe(3_600_000);
    expect(s.seasonPeriod).toBe(24); // hourly windows: a week (168) does not fit twice in 56, a day does
    expect(s.cusum).toEqual({ k: 0.75, h: 6, clip: DEFAULT_SHIFT_SETTINGS.cusum.clip });
    expect(s.fdr).toEqual({ enabled: false, q: 0.001 });
    expect(s.instant).toEqual([{ rule: 'refund', threshold: 250 }]);
  });
  test.each([
    [{ windw: '1d' }, 'customer_shifts.windw: unknown key'],
    [{ window: '1 day' }, 'customer_shifts.window'],
    [{ measures: ['spend_avg'] }, 'unknown measure "spend_avg"'],
    [{ cusum: { k: -1 } }, 'customer_shifts.cusum.k: must be > 0'],
    [{ minHistory: 100 }, 'must be <= ringWindows'],
    [{ fdr: { q: 1.5 } }, 'customer_shifts.fdr.q'],
    [{ instant: [{ rule: 'nope' }] }, 'unknown instant rule'],
    [{ instant: [{ rule: 'refund' }, { rule: 'refund' }] }, 'listed twice'],
  ])('rejects %j', (input, message) => {
    expect(() => resolveShiftConfig(input)).toThrow(ShiftConfigError);
    expect(() => resolveShiftConfig(input)).toThrow(message);
  });
});
