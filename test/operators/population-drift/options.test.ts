import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MONDAY_OFFSET_MS, populationDriftOptionsFromConfig } from '../../../operators/population-drift/index.js';

describe('populationDriftOptionsFromConfig', () => {
  it('reads the README example with defaults filled in', () => {
    const o = populationDriftOptionsFromConfig(
      parse(`
type: population_drift
period: 7d
reference: { mode: snapshot, name: launch }
tiers: { gold: 0.05 }
features:
  - { name: spend, source: spend, key: true }
  - { name: data_mb, source: usage, metric: data_mb, method: ks, ks_p_value_threshold: 0.01 }
  - { name: nps, source: survey, question: nps }
`),
    );
    expect(o.offsetMs).toBe(MONDAY_OFFSET_MS);
    expect(o.reference).toEqual({ mode: 'snapshot', name: 'launch', start: null, end: null });
    expect([o.goldShare, o.silverShare, o.shareThreshold, o.warmupPeriods]).toEqual([0.05, 0.3, 0.5, 1]);
    expect(o.features[1]).toMatchObject({ kind: 'numeric', field: 'data_mb', key: false, drift: { method: 'ks', ksPValueThreshold: 0.01 } });
  });

  it.each([
    [{ perod: '7d' }, 'population_drift.perod'],
    [{ period: 'weekly' }, 'population_drift.period'],
    [{ features: [{ name: 'x', source: 'usage' }] }, 'population_drift.features[0] (x).metric'],
    [{ features: [{ name: 'x', source: 'channel', js_threshold: 2 }] }, 'population_drift.features[0] (x).js_threshold'],
    [{ features: [{ name: 'x', source: 'spend', kind: 'categorical' }] }, 'population_drift.features[0] (x).kind'],
    [{ reference: { mode: 'fixed', start: '2024-01-02T00:00:00Z', end: '2024-01-09T00:00:00Z' } }, 'population_drift.reference.start'],
    [{ tiers: { gold: 0.5, silver: 0.6 } }, 'population_drift.tiers.silver'],
    [
      {
        features: [
          { name: 'x', source: 'spend' },
          { name: 'x', source: 'usage', metric: 'm' },
        ],
      },
      'population_drift.features[1] (x).name',
    ],
    [{ period: '0d' }, 'population_drift.period'],
  ])('rejects %j naming the key', (raw, key) => {
    try {
      populationDriftOptionsFromConfig(raw);
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toMatch(new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    }
  });

  it('accepts compound durations and leaves the block as written', () => {
    const raw = { period: '1d12h', final_period_slack: '1h30m' };
    const o = populationDriftOptionsFromConfig(raw);
    expect([o.periodMs, o.finalPeriodSlackMs, o.offsetMs]).toEqual([36 * 3_600_000, 90 * 60_000, 0]);
    expect(raw).toEqual({ period: '1d12h', final_period_slack: '1h30m' });
  });
});
