import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { promChangelogMetrics } from '../../../sinks/changelog/metrics.js';
import { encodeEntry, encodeMarker, encodeTombstone } from '../../../sinks/changelog/records.js';

describe('changelog metrics', () => {
  it('counts produced records by kind (every kind present from the start) and unrouted changes', async () => {
    const registry = new Registry();
    const metrics = promChangelogMetrics(registry);
    metrics.produced([
      encodeEntry({ kind: 'state', operator: 'shifts', state: 'customers', key: 'c1', customer: 'c1', value: '{}' }),
      encodeEntry({ kind: 'state', operator: 'shifts', state: 'customers', key: 'c2', customer: 'c2', value: '{}' }),
      encodeEntry({ kind: 'dedup', eventId: 'e1', customer: null, ts: 1 }),
      encodeEntry({ kind: 'partition_state', operator: 'contact_kpis', state: 'partition_partials@0', key: '["events/0","w"]', value: '{}' }),
      encodeTombstone({ kind: 'window', customer: 'c1', windowStart: 0, windowEnd: 1 }),
      encodeMarker({ partition: 'events/0', position: { offset: 1, resume: 1 }, maxEventTime: null, dedupBefore: null }),
    ]);
    metrics.unrouted(0);
    metrics.unrouted(3);
    const counts = Object.fromEntries(
      (await registry.getSingleMetric('pulse_changelog_records_total')!.get()).values.map((v) => [String(v.labels['kind']), v.value]),
    );
    expect(counts).toEqual({ state: 2, window: 0, dedup: 1, partition_state: 1, tombstone: 1, marker: 1 });
    expect((await registry.getSingleMetric('pulse_changelog_unrouted_total')!.get()).values[0]!.value).toBe(3);
  });
});
