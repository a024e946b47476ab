import type { ContactKpiRow } from './contact-kpis/kpis.js';

/**
 * What an operator shows on the dashboards, read after each checkpoint: plain values. Operators
 * never touch the metrics library; the runner hands the readings to the metrics sink
 * (sinks/metrics/operator-gauges.ts), which owns the gauge names, help texts and labels.
 */
export type GaugeReading =
  /** KPIs of the latest closed window per queue x channel; `window` names its size (`15m`). */
  | { kind: 'contact_kpis'; window: string; rows: readonly ContactKpiRow[] }
  /**
   * The deciding drift statistic, its threshold and the verdict per population feature, and the
   * dataset verdict, of the last evaluated period (`drifted` absent: state stored before it was kept).
   */
  | {
      kind: 'drift_scores';
      scores: ReadonlyArray<{ feature: string; method: string; score: number | null; threshold: number | null; drifted?: boolean }>;
      datasetDrifted?: boolean;
    }
  /** Customers per value tier at the latest scoring. */
  | { kind: 'segment_sizes'; customers: Readonly<Record<string, number>> };
