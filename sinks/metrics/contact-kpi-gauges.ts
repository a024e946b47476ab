import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContactKpiRow } from '../../operators/contact-kpis/index.js';
import { BoundedLabel, DEFAULT_LABEL_LIMITS, OTHER_LABEL_VALUE, type ContactLabelLimits } from './label-limits.js';

/** The KPIs published as `pulse_contact_<name>{queue,channel}` for the latest closed window. */
const GAUGES = [
  ['offered', 'Contacts offered (queued, self-service excluded)'],
  ['handled', 'Contacts answered'],
  ['abandoned', 'Contacts abandoned (not answered, not callback)'],
  ['abandon_rate', 'Abandon rate, short abandons excluded (ratio 0-1)'],
  ['aht_seconds', 'Average handle time: talk and hold plus after-contact work'],
  ['asa_seconds', 'Average speed of answer'],
  ['avg_queue_seconds', 'Average time in queue over all offered contacts'],
  ['service_level', 'Share answered within the service-level target (ratio 0-1)'],
  ['transfer_rate', 'Share of handled contacts transferred (ratio 0-1)'],
  ['self_service_rate', 'Self-service share of all contacts (ratio 0-1)'],
  ['fcr_rate', 'First-contact resolution rate, provisional until the look-ahead passes (ratio 0-1)'],
  ['resolved_per_minute', 'Contacts resolved per minute'],
] as const satisfies ReadonlyArray<readonly [keyof ContactKpiRow, string]>;

type GaugeName = (typeof GAUGES)[number][0];

/**
 * The KPIs that add up across queues and channels: under `other` they are the sums over the
 * folded ones. Rates and averages do not add up; `other` has none (absent, not a wrong number).
 */
const ADDITIVE = new Set<GaugeName>(['offered', 'handled', 'abandoned', 'resolved_per_minute']);

/**
 * Contact-center KPIs as gauges for Grafana. A KPI whose denominator was zero (null) is removed
 * from the series rather than exported as 0, so a dashboard shows a gap, not a false value.
 * Queue and channel names come from events: their values are bounded (label-limits.ts) and what
 * is folded into `other` is counted in `pulse_metric_label_values_folded_total{label}`.
 */
export class ContactKpiGauges {
  private readonly gauges: Array<[GaugeName, Gauge<'queue' | 'channel'>]>;
  private readonly queue: BoundedLabel;
  private readonly channel: BoundedLabel;
  /** Series published under `other` by the last `publish`, to clear those it no longer has. */
  private otherSeries = new Set<string>();

  constructor(registry: Registry, windowName: string, limits: ContactLabelLimits = DEFAULT_LABEL_LIMITS) {
    this.gauges = GAUGES.map(([name, help]) => [
      name,
      new Gauge({
        name: `pulse_contact_${name}`,
        help: `${help}, latest closed ${windowName} window, by queue and channel.`,
        labelNames: ['queue', 'channel'],
        registers: [registry],
      }),
    ]);
    const folded =
      (registry.getSingleMetric('pulse_metric_label_values_folded_total') as Counter<'label'> | undefined) ??
      new Counter({
        name: 'pulse_metric_label_values_folded_total',
        help: 'Distinct label values from events published as "other" because their label reached its limit (metrics.label_limits), by label.',
        labelNames: ['label'],
        registers: [registry],
      });
    this.queue = new BoundedLabel(limits.queue, () => folded.inc({ label: 'queue' }));
    this.channel = new BoundedLabel(limits.channel, () => folded.inc({ label: 'channel' }));
  }

  publish(rows: readonly ContactKpiRow[]): void {
    const others = new Map<string, { labels: { queue: string; channel: string }; sums: Map<GaugeName, number> }>();
    for (const row of rows) {
      const labels = { queue: this.queue.value(row.queue), channel: this.channel.value(row.channel) };
      if (labels.queue === OTHER_LABEL_VALUE || labels.channel === OTHER_LABEL_VALUE) {
        const key = `${labels.queue}\u0000${labels.channel}`;
        const other = others.get(key) ?? { labels, sums: new Map<GaugeName, number>() };
        for (const name of ADDITIVE) other.sums.set(name, (other.sums.get(name) ?? 0) + (row[name] as number));
        others.set(key, other);
        continue;
      }
      for (const [name, gauge] of this.gauges) {
        const value = row[name];
        if (typeof value === 'number' && Number.isFinite(value)) gauge.set(labels, value);
        else gauge.remove(labels);
      }
    }
    for (const key of this.otherSeries) {
      if (others.has(key)) continue;
      const [queue, channel] = key.split('\u0000') as [string, string];
      for (const [, gauge] of this.gauges) gauge.remove({ queue, channel });
    }
    for (const { labels, sums } of others.values()) {
      for (const [name, gauge] of this.gauges) {
        const sum = sums.get(name);
        if (sum !== undefined) gauge.set(labels, sum);
      }
    }
    this.otherSeries = new Set(others.keys());
  }
}
