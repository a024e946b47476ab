/**
 * Shared by the drift benchmarks (with operator-job.ts, which runs the default job's
 * population_drift operator alone): the drift_metrics rows a run wrote.
 */
import { openReadOnly, queryRows } from '../sinks/reports/db.js';
import { metricHistory } from '../sinks/reports/drift-data.js';
import type { DriftMetric as ReportDriftMetric } from '../sinks/reports/drift-data.js';

/** A drift_metrics row of a period (the benches' runs always set current_start). */
export type DriftMetric = ReportDriftMetric & { current_start: number };

/** drift_metrics rows by period and feature, and the periods with a firing dataset-drift alert. */
export async function readDriftResults(dbPath: string): Promise<{ metrics: DriftMetric[]; datasetAlarms: number[] }> {
  const store = await openReadOnly(dbPath);
  try {
    const metrics = (await metricHistory(store.connection)).filter((m): m is DriftMetric => m.current_start !== null);
    const datasetAlarms = (
      await queryRows(
        store.connection,
        `SELECT DISTINCT epoch_ms(window_start) AS ws FROM alerts WHERE rule = 'SegmentationRescoreNeeded' AND status = 'firing' ORDER BY ws`,
      )
    ).map((r) => Number(r.ws));
    return { metrics, datasetAlarms };
  } finally {
    store.close();
  }
}
