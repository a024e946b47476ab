/**
 * Queries behind the drift report: the `drift_metrics` rows of a run and of every run (history),
 * the run's `SegmentationRescoreNeeded` alert, the tier migration, and per-customer distributions
 * rebuilt from `customer_windows` for the run's reference and current periods.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../../operators/alert.js';
import type { DriftMethod } from '../../operators/drift-statistics/options.js';
import { loadAlerts } from './alerts-data.js';
import { num, numOrNull, queryRows, str } from './db.js';
import { exactAvgSql, exactSumSql } from '../duckdb/exact-sum.js';

/** The alert rule the population drift operator raises on dataset drift. */
export const RESCORE_RULE = 'SegmentationRescoreNeeded';

export interface DriftMetric {
  run_id: string;
  feature: string;
  method: DriftMethod;
  score: number | null;
  p_value: number | null;
  threshold: number | null;
  drifted: boolean;
  reference_start: number | null;
  reference_end: number | null;
  current_start: number | null;
  current_end: number | null;
  /** Every statistic computed, whichever decides, and the sample sizes (empty for rows written before they were stored). */
  statistics: Record<string, number>;
}

const METRIC_COLUMNS = `run_id, feature, method, score, p_value, threshold, drifted,
  epoch_ms(reference_start) AS reference_start, epoch_ms(reference_end) AS reference_end,
  epoch_ms(current_start) AS current_start, epoch_ms(current_end) AS current_end, CAST(statistics AS VARCHAR) AS statistics`;

function toMetric(r: Record<string, unknown>): DriftMetric {
  return {
    run_id: str(r.run_id),
    feature: str(r.feature),
    // written by the population_drift operator (driftMetricRow), so one of its methods
    method: str(r.method) as DriftMethod,
    score: numOrNull(r.score),
    p_value: numOrNull(r.p_value),
    threshold: numOrNull(r.threshold),
    drifted: r.drifted === true,
    reference_start: numOrNull(r.reference_start),
    reference_end: numOrNull(r.reference_end),
    current_start: numOrNull(r.current_start),
    current_end: numOrNull(r.current_end),
    statistics: r.statistics === null || r.statistics === undefined ? {} : (JSON.parse(str(r.statistics)) as Record<string, number>),
  };
}

/** Run ids with their current period start, oldest first (a run's rows share one period). */
export async function driftRuns(connection: DuckDBConnection): Promise<Array<{ run_id: string; current_start: number | null }>> {
  const rows = await queryRows(
    connection,
    `SELECT run_id, min(epoch_ms(current_start)) AS current_start FROM drift_metrics GROUP BY run_id ORDER BY current_start NULLS FIRST, run_id`,
  );
  return rows.map((r) => ({ run_id: str(r.run_id), current_start: numOrNull(r.current_start) }));
}

/** The rows of one run, in table order of feature name. */
export async function runMetrics(connection: DuckDBConnection, runId: string): Promise<DriftMetric[]> {
  const rows = await queryRows(connection, `SELECT ${METRIC_COLUMNS} FROM drift_metrics WHERE run_id = $run ORDER BY feature, method`, { run: runId });
  return rows.map(toMetric);
}

/** Every row of every run, oldest period first: the score history per feature. */
export async function metricHistory(connection: DuckDBConnection): Promise<DriftMetric[]> {
  const rows = await queryRows(connection, `SELECT ${METRIC_COLUMNS} FROM drift_metrics ORDER BY current_start NULLS FIRST, run_id, feature, method`);
  return rows.map(toMetric);
}

/** The rescore alert of a run, firing or resolved since (matched by its `run_id` annotation, else its period start). */
export async function rescoreAlert(connection: DuckDBConnection, runId: string, currentStart: number | null): Promise<Alert | null> {
  const alerts = await loadAlerts(connection, `rule = $rule`, { rule: RESCORE_RULE });
  return (
    alerts.find((a) => a.annotations.run_id === runId) ?? alerts.find((a) => a.annotations.run_id === undefined && a.window_start === currentStart) ?? null
  );
}

export interface MigrationCell {
  from_tier: string;
  to_tier: string;
  customers: number;
  revenue_share: number;
}

export async function migrations(connection: DuckDBConnection, runId: string): Promise<MigrationCell[]> {
  const rows = await queryRows(connection, `SELECT from_tier, to_tier, customers, revenue_share FROM segment_migrations WHERE run_id = $run`, { run: runId });
  return rows.map((r) => ({ from_tier: str(r.from_tier), to_tier: str(r.to_tier), customers: num(r.customers), revenue_share: num(r.revenue_share) }));
}

/** Runs with a rescoring (rows in segment_migrations), oldest first. */
export async function rescoredRuns(connection: DuckDBConnection): Promise<string[]> {
  const rows = await queryRows(connection, `SELECT DISTINCT run_id FROM segment_migrations ORDER BY run_id`);
  return rows.map((r) => str(r.run_id));
}

/** A per-customer measure that `customer_windows` holds. */
export type CustomerMeasure = { kind: 'spend' } | { kind: 'purchases' } | { kind: 'usage'; metric: string };

export interface Period {
  start: number;
  end: number;
}

export interface DistributionSummary {
  customers: number;
  mean: number | null;
  median: number | null;
  /** Customers per bin (index into the shared bins). */
  counts: number[];
}

export interface Distribution {
  /** Shared bin edges: bin i is [edges[i], edges[i + 1]); the last bin is open: [edges.at(-1), inf). */
  edges: number[];
  reference: DistributionSummary;
  current: DistributionSummary;
  /** Window size (ms) of the customer_windows rows summed. */
  windowMs: number;
}

function measureSql(m: CustomerMeasure): string {
  if (m.kind === 'spend') return 'spend_total';
  if (m.kind === 'purchases') return 'CAST(spend_count AS DOUBLE)';
  // JSON object metric -> quantity; a missing metric is 0 for that window.
  return `coalesce(TRY_CAST(json_extract(usage, $metric_path) AS DOUBLE), 0)`;
}

/**
 * The largest window size present in customer_windows that tiles both periods (so summing the
 * windows inside a period covers it exactly), or null when none does.
 */
export async function tilingWindowSize(connection: DuckDBConnection, periods: readonly Period[]): Promise<number | null> {
  const rows = await queryRows(
    connection,
    `SELECT DISTINCT epoch_ms(window_end) - epoch_ms(window_start) AS size_ms FROM customer_windows ORDER BY size_ms DESC`,
  );
  for (const r of rows) {
    const size = num(r.size_ms);
    if (size > 0 && periods.every((p) => (p.end - p.start) % size === 0)) return size;
  }
  return null;
}

/**
 * Per-customer totals of a measure over the reference and the current period, binned on shared
 * edges. A customer counts in a period when its first customer_windows row starts before the
 * period end (it is known), with 0 when it has no window inside the period, as the drift operator
 * counts known customers. The bins are equal-width from the smallest value to the 99th percentile
 * of both periods together (whole numbers for counts); the last bin holds everything above.
 */
export async function customerDistribution(
  connection: DuckDBConnection,
  measure: CustomerMeasure,
  reference: Period,
  current: Period,
  windowMs: number,
  bins: number,
): Promise<Distribution> {
  const params = {
    size: windowMs,
    rs: reference.start,
    re: reference.end,
    cs: current.start,
    ce: current.end,
    ...(measure.kind === 'usage' ? { metric_path: `$."${measure.metric.replace(/["\\]/g, '')}"` } : {}),
  };
  const values = `
    WITH sized AS (
      SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, ${measureSql(measure)} AS v
        FROM customer_windows WHERE epoch_ms(window_end) - epoch_ms(window_start) = $size),
    known AS (SELECT customer_id, min(ws) AS first_ws FROM sized GROUP BY customer_id),
    periods AS (SELECT * FROM (VALUES ('reference', $rs::BIGINT, $re::BIGINT), ('current', $cs::BIGINT, $ce::BIGINT)) t(period, ps, pe)),
    vals AS (
      SELECT p.period, k.customer_id, coalesce(${exactSumSql('x.v')}, 0) AS v
        FROM periods p JOIN known k ON k.first_ws < p.pe
        LEFT JOIN sized x ON x.customer_id = k.customer_id AND x.ws >= p.ps AND x.we <= p.pe
       GROUP BY p.period, k.customer_id)`;
  const statsRows = await queryRows(
    connection,
    `${values}
     SELECT period, count(*) AS n, ${exactAvgSql('v')} AS mean, quantile_cont(v, 0.5) AS median,
            (SELECT min(v) FROM vals) AS lo, (SELECT quantile_cont(v, 0.99) FROM vals) AS hi
       FROM vals GROUP BY period`,
    params,
  );
  const stat = (period: string) => statsRows.find((r) => r.period === period);
  const lo = Math.floor(num(statsRows[0]?.lo));
  const hi = num(statsRows[0]?.hi);
  const integer = measure.kind === 'purchases';
  const span = hi - lo;
  // All values equal (e.g. nobody bought anything): one open bin.
  const width = span <= 0 ? 1 : integer ? Math.max(1, Math.ceil(span / bins)) : niceWidth(span / bins);
  const binCount = span <= 0 ? 1 : Math.floor(span / width) + 1;
  const edges = Array.from({ length: binCount }, (_, i) => roundEdge(lo + i * width));
  const countRows = await queryRows(
    connection,
    `${values}
     SELECT period, least(greatest(CAST(floor((v - $lo) / $width) AS BIGINT), 0), $last) AS bin, count(*) AS n
       FROM vals GROUP BY ALL`,
    { ...params, lo, width, last: binCount - 1 },
  );
  const summary = (period: string): DistributionSummary => {
    const s = stat(period);
    const counts = new Array<number>(binCount).fill(0);
    for (const r of countRows) if (r.period === period) counts[num(r.bin)] = num(r.n);
    return { customers: num(s?.n), mean: numOrNull(s?.mean), median: numOrNull(s?.median), counts };
  };
  return { edges, reference: summary('reference'), current: summary('current'), windowMs };
}

/** A bin width rounded up to 1, 2 or 5 x a power of ten, so bin edges read well. */
function niceWidth(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 5, 10]) if (raw <= step * power) return step * power;
  return 10 * power;
}

function roundEdge(x: number): number {
  return Number(x.toPrecision(12));
}
