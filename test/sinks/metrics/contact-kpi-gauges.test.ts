import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ContactKpiRow } from '../../../operators/contact-kpis/index.js';
import { parseJobConfig } from '../../../pipelines/job-config.js';
import { ContactKpiGauges } from '../../../sinks/metrics/contact-kpi-gauges.js';
import { DEFAULT_LABEL_LIMITS } from '../../../sinks/metrics/label-limits.js';

function row(queue: string, channel: string, offered: number): ContactKpiRow {
  return {
    window_start: 0,
    window_end: 900_000,
    queue,
    channel,
    offered,
    handled: offered - 1,
    abandoned: 1,
    short_abandoned: 0,
    self_service: 0,
    abandon_rate: 1 / offered,
    aht_seconds: 300,
    asa_seconds: 20,
    avg_queue_seconds: 25,
    service_level: 0.8,
    transfer_rate: 0.1,
    self_service_rate: 0,
    fcr_rate: 0.7,
    fcr_final: false,
    transferred: 0,
    resolved: offered - 1,
    resolved_per_minute: (offered - 1) / 15,
    fcr_eligible: 0,
    fcr_resolved: 0,
  };
}

type Sample = { labels: Record<string, string | number>; value: number };
async function samples(registry: Registry, name: string): Promise<Sample[]> {
  return ((await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? []) as Sample[];
}

describe('contact-center gauges: bounded queue and channel labels', () => {
  // 3,000 queues from events (one is listed to keep), on two channels.
  const rows = Array.from({ length: 3000 }, (_, i) => row(i === 2999 ? 'vip' : `q${i}`, i % 2 === 0 ? 'voice' : 'chat', (i % 7) + 2));

  it('keeps listed values and the first N seen, folds the rest into `other` with summed counts, and counts what it folded', async () => {
    const registry = new Registry();
    const gauges = new ContactKpiGauges(registry, '15m', { queue: { max: 50, keep: ['vip'] }, channel: DEFAULT_LABEL_LIMITS.channel });
    gauges.publish(rows);
    const offered = await samples(registry, 'pulse_contact_offered');
    const queues = new Set(offered.map((s) => s.labels['queue']));
    expect(queues.size).toBe(52); // q0..q49, vip, other
    expect(queues.has('vip') && queues.has('q49') && queues.has('other') && !queues.has('q50')).toBe(true);
    expect(offered).toHaveLength(52 + 1); // `other` on both channels
    // Sums over the folded rows, from the inputs: q50..q2998 by channel.
    const folded = rows.slice(50, 2999);
    for (const channel of ['voice', 'chat']) {
      const mine = folded.filter((r) => r.channel === channel);
      expect(offered.find((s) => s.labels['queue'] === 'other' && s.labels['channel'] === channel)?.value).toBe(mine.reduce((sum, r) => sum + r.offered, 0));
      const perMinute = (await samples(registry, 'pulse_contact_resolved_per_minute')).find(
        (s) => s.labels['queue'] === 'other' && s.labels['channel'] === channel,
      );
      expect(perMinute?.value).toBeCloseTo(mine.reduce((sum, r) => sum + r.resolved, 0) / 15, 9);
    }
    // A rate cannot be summed: `other` has none.
    expect((await samples(registry, 'pulse_contact_abandon_rate')).some((s) => s.labels['queue'] === 'other')).toBe(false);
    expect(await samples(registry, 'pulse_metric_label_values_folded_total')).toEqual([{ labels: { label: 'queue' }, value: 2949 }]);
    // The next window with the same queues: nothing new is folded, no new series appear.
    gauges.publish(rows);
    expect(await samples(registry, 'pulse_metric_label_values_folded_total')).toEqual([{ labels: { label: 'queue' }, value: 2949 }]);
    for (const metric of (await registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('pulse_contact_'))) {
      expect(new Set(metric.values.map((v) => v.labels['queue'])).size).toBeLessThanOrEqual(52);
    }
  });

  it('the job YAML sets the limits (metrics.label_limits); the defaults are 50 queues and 10 channels', async () => {
    const base = `
name: t
source: files
sources: { files: { type: files, paths: [a.ndjson] } }
operators: [{ type: customer_windows }]
`;
    expect(parseJobConfig(base, 'job.yaml', {}).metricsLabelLimits).toEqual({ queue: { max: 50, keep: [] }, channel: { max: 10, keep: [] } });
    const job = parseJobConfig(`${base}metrics: { label_limits: { queue: { max: 2, keep: [vip] } } }\n`, 'job.yaml', {});
    expect(job.metricsLabelLimits.queue).toEqual({ max: 2, keep: ['vip'] });
    expect(() => parseJobConfig(`${base}metrics: { label_limits: { queues: {} } }\n`, 'job.yaml', {})).toThrow(
      /metrics\.label_limits\.queues: unknown key \(did you mean queue\?\); allowed keys are queue, channel/,
    );
    // As the runner does: the job's limits reach the gauges.
    const registry = new Registry();
    new ContactKpiGauges(registry, '15m', job.metricsLabelLimits).publish(rows.slice(0, 5));
    expect(new Set((await samples(registry, 'pulse_contact_offered')).map((s) => s.labels['queue']))).toEqual(new Set(['q0', 'q1', 'other']));
    expect(await samples(registry, 'pulse_metric_label_values_folded_total')).toEqual([{ labels: { label: 'queue' }, value: 3 }]);
  });
});
