import type { Registry } from 'prom-client';
import type { GaugeReading } from '../../operators/gauges.js';
import type { BusinessGauges } from './business-gauges.js';
import { ContactKpiGauges } from './contact-kpi-gauges.js';
import type { ContactLabelLimits } from './label-limits.js';

/**
 * Publishes the operators' gauge readings (operators/gauges.ts) as Prometheus gauges. Readings come
 * one list per operator, in job order; the contact KPI gauges are registered up front from the
 * readings of fresh operators, so that they are scraped (empty) before the first checkpoint.
 */
export class OperatorGauges {
  /** Contact KPI gauges by operator index. */
  private readonly kpis = new Map<number, ContactKpiGauges>();

  constructor(
    registry: Registry,
    private readonly business: BusinessGauges,
    limits: ContactLabelLimits,
    declared: ReadonlyArray<readonly GaugeReading[]>,
  ) {
    declared.forEach((readings, i) => {
      for (const reading of readings) if (reading.kind === 'contact_kpis') this.kpis.set(i, new ContactKpiGauges(registry, reading.window, limits));
    });
  }

  publish(readings: ReadonlyArray<readonly GaugeReading[]>): void {
    readings.forEach((list, i) => {
      for (const reading of list) {
        if (reading.kind === 'contact_kpis') this.kpis.get(i)?.publish(reading.rows);
        else if (reading.kind === 'drift_scores') this.business.publishDrift(reading.scores, reading.datasetDrifted);
        else this.business.publishSegments(reading.customers);
      }
    });
  }
}
