/**
 * Rebuilds drift feature samples for two periods from the stored tables, the way the streaming
 * population drift operator (operators/population-drift) counts them:
 *
 *  - per-customer numeric features from the 1-day rows of `customer_windows`: one value per
 *    customer *known* in the period (first daily row starts before the period end), 0 when it has
 *    no row inside the period. Customers whose last row before the period end is older than the
 *    operator's `customer_ttl` are left out, as the operator forgets them;
 *  - `contact_reason` from `contact_reason_volumes`: contacts per reason over the windows of the
 *    smallest size present (one size only, so overlapping sizes are never counted twice).
 *
 * Only windows on the period's own grid are summed ((window_start - period start) is a multiple of
 * the window size), so hopping windows of the same size are not counted twice either.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { MS_PER_DAY } from '../../operators/events.js';
import type { CategoricalSummary } from '../../operators/drift-statistics/index.js';
import { categoricalFromCounts } from '../../operators/drift-statistics/index.js';
import { exactSumSql } from '../../sinks/duckdb/exact-sum.js';

export interface Period {
  /** Epoch ms, half-open [start, end). */
  start: number;
  end: number;
}

/** One numeric feature's per-customer values in each period. */
export interface NumericSamples {
  reference: number[];
  current: number[];
}

export interface CustomerSamples {
  spend: NumericSamples;
  purchases: NumericSamples;
  /** Usage metric -> per-customer quantity; every metric seen in a daily row of either period. */
  usage: Map<string, NumericSamples>;
}

const PERIODS_CTE = `periods AS (
  SELECT * FROM (VALUES ('reference', $rs::BIGINT, $re::BIGINT), ('current', $cs::BIGINT, $ce::BIGINT)) t(period, ps, pe))`;

/** Daily rows, and per period the customers the operator would count (known, not expired). */
const POPULATION_CTES = `
  daily AS (
    SELECT customer_id, epoch_ms(window_start) AS ws, spend_total, spend_count, usage
      FROM customer_windows WHERE epoch_ms(window_end) - epoch_ms(window_start) = ${MS_PER_DAY}),
  ${PERIODS_CTE},
  population AS (
    SELECT p.period, p.ps, p.pe, d.customer_id
      FROM periods p JOIN daily d ON d.ws < p.pe
     GROUP BY p.period, p.ps, p.pe, d.customer_id
    HAVING max(d.ws) + ${MS_PER_DAY} > p.pe - $ttl),
  inside AS (
    SELECT p.period, d.*
      FROM periods p JOIN daily d ON d.ws >= p.ps AND d.ws < p.pe AND (d.ws - p.ps) % ${MS_PER_DAY} = 0)`;

function periodParams(reference: Period, current: Period): Record<string, number> {
  return { rs: reference.start, re: reference.end, cs: current.start, ce: current.end };
}

function split(periods: unknown[], values: unknown[]): NumericSamples {
  const out: NumericSamples = { reference: [], current: [] };
  for (let i = 0; i < periods.length; i++) {
    (periods[i] === 'reference' ? out.reference : out.current).push(Number(values[i]));
  }
  return out;
}

/** Start offsets (epoch ms modulo one day) of the 1-day rows of customer_windows; empty without any. */
export async function dailyGridOffsets(connection: DuckDBConnection): Promise<number[]> {
  const reader = await connection.runAndReadAll(
    `SELECT DISTINCT epoch_ms(window_start) % ${MS_PER_DAY} AS o FROM customer_windows
      WHERE epoch_ms(window_end) - epoch_ms(window_start) = ${MS_PER_DAY} ORDER BY o`,
  );
  return reader.getColumnsJS()[0]?.map(Number) ?? [];
}

/** Per-customer spend, purchases (spend_count) and usage per metric in both periods. */
export async function customerSamples(connection: DuckDBConnection, reference: Period, current: Period, customerTtlMs: number): Promise<CustomerSamples> {
  const params = { ...periodParams(reference, current), ttl: customerTtlMs };
  const base = await connection.runAndReadAll(
    `WITH ${POPULATION_CTES}
     SELECT pop.period, coalesce(${exactSumSql('i.spend_total')}, 0) AS spend, coalesce(sum(i.spend_count), 0)::DOUBLE AS purchases
       FROM population pop LEFT JOIN inside i ON i.period = pop.period AND i.customer_id = pop.customer_id
      GROUP BY pop.period, pop.customer_id`,
    params,
  );
  const [periods = [], spend = [], purchases = []] = base.getColumnsJS();
  // One value per population customer and metric: the metric's quantity summed over the period, or
  // 0 (a window without that metric, or without usage at all, used none of it).
  const usageReader = await connection.runAndReadAll(
    `WITH ${POPULATION_CTES},
     quantities AS (
       SELECT i.period, i.customer_id, u.key AS metric, coalesce(TRY_CAST(u.value AS DOUBLE), 0) AS q
         FROM inside i, json_each(i.usage) u),
     metrics AS (SELECT DISTINCT metric FROM quantities),
     sums AS (SELECT period, customer_id, metric, ${exactSumSql('q')} AS q FROM quantities GROUP BY ALL)
     SELECT m.metric, pop.period, coalesce(s.q, 0) AS q
       FROM population pop CROSS JOIN metrics m
       LEFT JOIN sums s ON s.period = pop.period AND s.customer_id = pop.customer_id AND s.metric = m.metric
      ORDER BY m.metric`,
    params,
  );
  const [metricCol = [], usagePeriods = [], quantities = []] = usageReader.getColumnsJS();
  const usage = new Map<string, NumericSamples>();
  for (let i = 0; i < metricCol.length; i++) {
    const metric = String(metricCol[i]);
    let samples = usage.get(metric);
    if (samples === undefined) {
      samples = { reference: [], current: [] };
      usage.set(metric, samples);
    }
    (usagePeriods[i] === 'reference' ? samples.reference : samples.current).push(Number(quantities[i]));
  }
  return { spend: split(periods, spend), purchases: split(periods, purchases), usage };
}

export interface ContactReasonCounts {
  reference: CategoricalSummary;
  current: CategoricalSummary;
  /** The window size summed (ms), or null when no contact_reason_volumes row lies in either period. */
  windowMs: number | null;
}

/** Contacts per reason in each period, from the smallest window size with rows inside a period. */
export async function contactReasonCounts(connection: DuckDBConnection, reference: Period, current: Period): Promise<ContactReasonCounts> {
  const params = periodParams(reference, current);
  const reader = await connection.runAndReadAll(
    `WITH ${PERIODS_CTE},
     sized AS (
       SELECT epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, epoch_ms(window_end) - epoch_ms(window_start) AS size, reason, contacts
         FROM contact_reason_volumes),
     inside AS (
       SELECT p.period, s.* FROM periods p JOIN sized s ON s.ws >= p.ps AND s.we <= p.pe AND s.size > 0 AND (s.ws - p.ps) % s.size = 0),
     smallest AS (SELECT min(size) AS size FROM inside)
     SELECT i.period, i.reason, sum(i.contacts)::DOUBLE AS n, any_value(sm.size) AS size
       FROM inside i JOIN smallest sm ON i.size = sm.size
      GROUP BY i.period, i.reason`,
    params,
  );
  const ref: Record<string, number> = {};
  const cur: Record<string, number> = {};
  let windowMs: number | null = null;
  for (const [period, reason, n, size] of reader.getRowsJS()) {
    (period === 'reference' ? ref : cur)[String(reason)] = Number(n);
    windowMs = Number(size);
  }
  return { reference: categoricalFromCounts(ref), current: categoricalFromCounts(cur), windowMs };
}
