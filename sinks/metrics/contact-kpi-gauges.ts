import { Gauge, type Registry } from 'prom-client';
import type { ContactKpiRow } from '../../operators/contact-kpis/index.js';

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

/**
 * Contact-center KPIs as gauges for Grafana. A KPI whose denominator was zero (null) is removed
 * from the series rather than exported as 0, so a dashboard shows a gap, not a false value.
 */
export class ContactKpiGauges {
  private readonly gauges: Array<[keyof ContactKpiRow, Gauge<'queue' | 'channel'>]>;

  constructor(registry: Registry, windowName: string) {
    this.gauges = GAUGES.map(([name, help]) => [
      name,
      new Gauge({
        name: `pulse_contact_${name}`,
        help: `${help}, latest closed ${windowName} window, by queue and channel.`,
        labelNames: ['queue', 'channel'],
        registers: [registry],
      }),
    ]);
  }

  publish(rows: readonly ContactKpiRow[]): void {
    for (const row of rows) {
      const labels = { queue: row.queue, channel: row.channel };
      for (const [name, gauge] of this.gauges) {
        const value = row[name];
        if (typeof value === 'number' && Number.isFinite(value)) gauge.set(labels, value);
        else gauge.remove(labels);
      }
    }
  }
}
