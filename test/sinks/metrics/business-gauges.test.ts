import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BusinessGauges } from '../../../sinks/metrics/business-gauges.js';

describe('drift gauges', () => {
  it('pulse_dataset_drift is absent until a drift run has given a verdict, then that verdict', async () => {
    const registry = new Registry();
    const gauges = new BusinessGauges(registry);
    expect(await registry.metrics()).not.toContain('pulse_dataset_drift');
    gauges.publishDrift([]); // scores without a verdict (no run evaluated yet)
    expect(await registry.metrics()).not.toContain('pulse_dataset_drift');
    gauges.publishDrift([{ feature: 'spend', method: 'wasserstein_norm', score: 0.3, threshold: 0.1, drifted: true }], true);
    expect(await registry.metrics()).toMatch(/^pulse_dataset_drift 1$/m);
    gauges.publishDrift([{ feature: 'spend', method: 'wasserstein_norm', score: 0.01, threshold: 0.1, drifted: false }], false);
    expect(await registry.metrics()).toMatch(/^pulse_dataset_drift 0$/m);
  });
});
