import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SHIFT_SETTINGS, ShiftConfigError, resolveShiftConfig } from '../../../operators/shifts/config.js';

describe('shift config', () => {
  test('empty config gives the documented defaults', () => {
    const s = resolveShiftConfig(undefined);
    expect(s).toEqual(DEFAULT_SHIFT_SETTINGS);
    expect(s).toMatchObject({
      method: 'glr',
      glr: { h: 13, maxRecent: 63, sizeClip: 2.5, sizeSdFloor: 0.05, scaleDispersion: true, persistWindows: 7, persistH: 4, pauses: true },
      windowMs: 86_400_000,
      ringWindows: 84,
      minHistory: 14,
      robustZ: 5,
      seasonPeriod: 7,
      cooldownWindows: 7,
      cusum: { k: 0.25, h: 16, clip: 4 },
      fdr: { enabled: false, q: 0.001 },
    });
  });
  test('silence: defaults h 11, minEvents 20; unknown keys and bad values are named', () => {
    expect(resolveShiftConfig({}).silence).toEqual({ enabled: true, h: 11, minEvents: 20 });
    expect(resolveShiftConfig({ silence: { h: 9 } }).silence).toEqual({ enabled: true, h: 9, minEvents: 20 });
    expect(() => resolveShiftConfig({ silence: { hh: 9 } })).toThrow(/customer_shifts\.silence\.hh: unknown key/);
    expect(() => resolveShiftConfig({ silence: { minEvents: 2.5 } })).toThrow(/silence\.minEvents: must be integer/);
    expect(() => resolveShiftConfig({ silence: { h: 0 } })).toThrow(/silence\.h: must be > 0/);
  });
  test('population.segmentBy: none by default; tier or region; GLR only', () => {
    expect(resolveShiftConfig({}).population).toEqual({
      enabled: true,
      minSeries: 50,
      segmentBy: 'none',
      sizes: false,
      together: { enabled: true, minSeries: 10, minShare: 0.02 },
    });
    expect(resolveShiftConfig({ population: { together: { minShare: 0.05 } } }).population.together).toEqual({ enabled: true, minSeries: 10, minShare: 0.05 });
    expect(() => resolveShiftConfig({ population: { together: { minShare: 0 } } })).toThrow(/population\.together\.minShare/);
    expect(resolveShiftConfig({ population: { segmentBy: 'region' } }).population.segmentBy).toBe('region');
    expect(() => resolveShiftConfig({ population: { segmentBy: 'owner' } })).toThrow(/population\.segmentBy: "owner" is not one of none, tier, region/);
    expect(() => resolveShiftConfig({ method: 'cusum', population: { segmentBy: 'tier' } })).toThrow(/segmentBy: needs method glr/);
  });
  test('method: cusum keeps the CUSUM-era defaults (28 windows of history, BH on) unless set', () => {
    expect(resolveShiftConfig({ method: 'cusum' })).toMatchObject({ method: 'cusum', ringWindows: 56, minHistory: 28, fdr: { enabled: true, q: 0.001 } });
    expect(resolveShiftConfig({ method: 'cusum', minHistory: 21, fdr: { enabled: false } })).toMatchObject({ minHistory: 21, fdr: { enabled: false } });
    expect(resolveShiftConfig({ method: 'glr', glr: { h: 9, maxRecent: 28 } }).glr).toEqual({
      h: 9,
      maxRecent: 28,
      sizeClip: 2.5,
      sizeSdFloor: 0.05,
      scaleDispersion: true,
      persistWindows: 7,
      persistH: 4,
      pauses: true,
    });
    expect(resolveShiftConfig({ glr: { persistWindows: 0 } }).glr.persistWindows).toBe(0);
    expect(() => resolveShiftConfig({ glr: { persistWindows: 1.5 } })).toThrow(/glr\.persistWindows: must be integer/);
    expect(() => resolveShiftConfig({ glr: { persistH: 0 } })).toThrow(/glr\.persistH: must be > 0/);
    expect(resolveShiftConfig({ glr: { pauses: false } }).glr.pauses).toBe(false);
    expect(() => resolveShiftConfig({ glr: { pauses: 'no' } })).toThrow(/glr\.pauses/);
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
    [
      { measures: ['spend_avg'] },
      'customer_shifts.measures[0]: "spend_avg" is not valid; expected a measure: spend_total, spend_count, usage:<metric> or usage:*',
    ],
    [{ window: '0d' }, 'customer_shifts.window: must be longer than 0'],
    [{ instant: [{ rule: 'refund', factor: 3 }] }, 'customer_shifts.instant[0].factor: unknown key; allowed keys are rule, threshold'],
    [{ instant: [{ rule: 'large_transaction', minSamples: 30, history: 10 }] }, 'customer_shifts.instant[0].history: must be >= minSamples (30)'],
    [{ cusum: { k: -1 } }, 'customer_shifts.cusum.k: must be > 0'],
    [{ minHistory: 100 }, 'must be <= ringWindows'],
    [{ fdr: { q: 1.5 } }, 'customer_shifts.fdr.q'],
    [{ method: 'bocpd' }, 'customer_shifts.method: "bocpd" is not one of glr, cusum'],
    [{ glr: { h: 0 } }, 'customer_shifts.glr.h: must be > 0'],
    [{ glr: { maxRecent: 2.5 } }, 'customer_shifts.glr.maxRecent: must be integer'],
    [{ glr: { thresh: 3 } }, 'customer_shifts.glr.thresh: unknown key'],
    [{ instant: [{ rule: 'nope' }] }, 'customer_shifts.instant[0].rule: "nope" is not one of large_transaction, refund, new_metric'],
    [{ instant: [{ rule: 'refund' }, { rule: 'refund' }] }, 'listed twice'],
  ])('rejects %j', (input, message) => {
    const before = structuredClone(input);
    expect(() => resolveShiftConfig(input)).toThrow(ShiftConfigError);
    expect(() => resolveShiftConfig(input)).toThrow(message);
    expect(input).toEqual(before);
  });
  test('a compound duration is a window; the default instant rules get their defaults', () => {
    const s = resolveShiftConfig({ window: '1h30m' });
    expect(s.windowMs).toBe(5_400_000);
    expect(s.instant).toEqual(DEFAULT_SHIFT_SETTINGS.instant);
  });
});
