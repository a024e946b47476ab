/**
 * Drift evaluated on demand (issue 8): compares any two like-for-like periods from the stored
 * tables, with the SPEC section 7 decision, and writes the verdicts to `drift_metrics` under one
 * run id. The streaming operator evaluates at each period close; this answers "did anything drift
 * between these two weeks?" afterwards, with the features the tables can rebuild:
 *
 * | feature | kind | from |
 * |---|---|---|
 * | `spend_per_customer` | numeric | per customer: sum of `spend_total` of the 1-day windows |
 * | `transactions_per_customer` | numeric | per customer: sum of `spend_count` (purchases; the table holds no refund count) |
 * | `<metric>_per_customer` | numeric | per customer: sum of the metric in the `usage` JSON (every metric seen) |
 * | `contact_reason` | categorical | contacts per reason in `contact_reason_volumes`, repeats included: the job counts first contacts only (the table keeps no repeat mark), so clustered repeats can make this flag weeks the job does not |
 *
 * Per-customer features count the customers the operator counts (see samples.ts): known before the
 * period end, 0 without activity in it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { MS_PER_DAY } from '../../operators/events.js';
import { UsageError } from '../../operators/errors.js';
import type { DatasetDriftResult, DriftPeriods, FeatureDriftResult, FeatureKind } from '../../operators/drift-statistics/index.js';
import { ADHOC_RUN_PREFIX, decideDatasetDrift, decideFeatureDrift, driftMetricRow } from '../../operators/drift-statistics/index.js';
import type { NumericSamples, Period } from './samples.js';
import { contactReasonCounts, customerSamples, dailyGridOffsets } from './samples.js';
import { inTransaction } from '../../sinks/duckdb/transaction.js';

export interface OnDemandDriftOptions extends DriftPeriods {
  /** drift_metrics.run_id; default `adhoc-<current start ISO>`. Rows of the same run are replaced. */
  runId?: string;
  /** A drifted key feature makes the dataset drifted on its own; default ['spend_per_customer']. */
  keyFeatures?: readonly string[];
  /** Dataset drifted when drifted / evaluated features >= this; default 0.5. */
  shareThreshold?: number;
  /** Customers without a daily row this long before the period end are not counted; default 400 days (the operator's customer_ttl). */
  customerTtlMs?: number;
}

/** One feature's decision; usable as a FeatureVerdict for decideDatasetDrift. */
export interface OnDemandFeatureVerdict extends FeatureDriftResult {
  feature: string;
  kind: FeatureKind;
  key: boolean;
}

/** A per-customer feature and the usage metric behind it (for the report's distribution charts). */
export interface OnDemandFeatureSource {
  feature: string;
  measure: { kind: 'spend' } | { kind: 'purchases' } | { kind: 'usage'; metric: string } | { kind: 'contact_reason' };
}

export interface OnDemandDriftResult {
  runId: string;
  periods: DriftPeriods;
  features: OnDemandFeatureVerdict[];
  dataset: DatasetDriftResult;
  /** Where each feature came from, in the order of `features`. */
  sources: OnDemandFeatureSource[];
  /** Window size (ms) of the contact_reason_volumes rows summed; null without rows in either period. */
  contactWindowMs: number | null;
}

export const DEFAULT_ON_DEMAND_KEY_FEATURES: readonly string[] = ['spend_per_customer'];
const DEFAULT_CUSTOMER_TTL_MS = 400 * MS_PER_DAY;
const SPEND = 'spend_per_customer';
const TRANSACTIONS = 'transactions_per_customer';
const CONTACT_REASON = 'contact_reason';

/** The usage feature name as the operator's README names them (`data_mb_per_customer`); prefixed if it would clash. */
export function usageFeatureName(metric: string): string {
  const name = `${metric}_per_customer`;
  return name === SPEND || name === TRANSACTIONS ? `usage_${name}` : name;
}

/**
 * Evaluates drift between the reference and the current period and writes one drift_metrics row
 * per feature (in one transaction, replacing the run's earlier rows). Throws UsageError for
 * periods that are not like for like or not on the daily window grid.
 */
export async function evaluateDriftOnDemand(connection: DuckDBConnection, options: OnDemandDriftOptions): Promise<OnDemandDriftResult> {
  const periods: DriftPeriods = {
    referenceStart: options.referenceStart,
    referenceEnd: options.referenceEnd,
    currentStart: options.currentStart,
    currentEnd: options.currentEnd,
  };
  checkPeriods(periods);
  const customerTtlMs = options.customerTtlMs ?? DEFAULT_CUSTOMER_TTL_MS;
  if (!(customerTtlMs > 0)) throw new UsageError(`customerTtlMs must be > 0 ms, got ${String(customerTtlMs)}`);
  const keyFeatures = options.keyFeatures ?? DEFAULT_ON_DEMAND_KEY_FEATURES;
  const runId = options.runId ?? `${ADHOC_RUN_PREFIX}${new Date(periods.currentStart).toISOString()}`;
  if (runId.trim() === '') throw new UsageError('the drift run id must not be empty');
  await requireTables(connection);

  const reference: Period = { start: periods.referenceStart, end: periods.referenceEnd };
  const current: Period = { start: periods.currentStart, end: periods.currentEnd };
  await checkDailyGrid(connection, [
    ['reference', reference],
    ['current', current],
  ]);

  const keys = new Set(keyFeatures);
  const features: OnDemandFeatureVerdict[] = [];
  const sources: OnDemandFeatureSource[] = [];
  const numeric = (feature: string, samples: NumericSamples, measure: OnDemandFeatureSource['measure']): void => {
    const result = decideFeatureDrift({ kind: 'numeric', ref: samples.reference, cur: samples.current });
    features.push({ ...result, feature, kind: 'numeric', key: keys.has(feature) });
    sources.push({ feature, measure });
  };

  const customers = await customerSamples(connection, reference, current, customerTtlMs);
  numeric(SPEND, customers.spend, { kind: 'spend' });
  numeric(TRANSACTIONS, customers.purchases, { kind: 'purchases' });
  for (const [metric, samples] of [...customers.usage].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    numeric(usageFeatureName(metric), samples, { kind: 'usage', metric });
  }
  const reasons = await contactReasonCounts(connection, reference, current);
  const contact = decideFeatureDrift({ kind: 'categorical', ref: reasons.reference, cur: reasons.current });
  features.push({ ...contact, feature: CONTACT_REASON, kind: 'categorical', key: keys.has(CONTACT_REASON) });
  sources.push({ feature: CONTACT_REASON, measure: { kind: 'contact_reason' } });

  const unknownKeys = keyFeatures.filter((key) => !features.some((f) => f.feature === key));
  if (unknownKeys.length > 0) {
    throw new UsageError(
      `key feature ${unknownKeys.map((k) => `'${k}'`).join(', ')} is not one this evaluation computes; the features are ${features.map((f) => f.feature).join(', ')}`,
    );
  }
  const dataset = decideDatasetDrift(features, {
    keyFeatures,
    ...(options.shareThreshold === undefined ? {} : { shareThreshold: options.shareThreshold }),
  });
  await writeRun(connection, runId, features, periods);
  return { runId, periods, features, dataset, sources, contactWindowMs: reasons.windowMs };
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/** Each period non-empty, whole days, both of the same length (SPEC section 7: like for like), and apart. */
function checkPeriods(p: DriftPeriods): void {
  for (const [name, start, end] of [
    ['reference', p.referenceStart, p.referenceEnd],
    ['current', p.currentStart, p.currentEnd],
  ] as const) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
      throw new UsageError(`the ${name} period needs whole epoch-millisecond bounds, got ${String(start)} .. ${String(end)}`);
    }
    if (end <= start) throw new UsageError(`the ${name} period ends (${iso(end)}) before or when it starts (${iso(start)}); give start < end`);
    if ((end - start) % MS_PER_DAY !== 0) {
      throw new UsageError(`the ${name} period (${iso(start)} .. ${iso(end)}) is not a whole number of days; drift is computed from the daily windows`);
    }
  }
  const refDays = (p.referenceEnd - p.referenceStart) / MS_PER_DAY;
  const curDays = (p.currentEnd - p.currentStart) / MS_PER_DAY;
  if (refDays !== curDays) {
    throw new UsageError(
      `the reference period is ${refDays} days long and the current period ${curDays} days; ` +
        `drift compares like for like (SPEC section 7): give both periods the same length`,
    );
  }
  if (p.referenceStart < p.currentEnd && p.currentStart < p.referenceEnd) {
    throw new UsageError(
      `the reference period (${iso(p.referenceStart)} .. ${iso(p.referenceEnd)}) and the current period (${iso(p.currentStart)} .. ${iso(p.currentEnd)}) overlap; ` +
        'drift compares two distinct periods: give periods that do not share a day',
    );
  }
}

/** customer_windows rows are summed per day: each period must start on the daily window grid. */
async function checkDailyGrid(connection: DuckDBConnection, periods: ReadonlyArray<readonly [string, Period]>): Promise<void> {
  const offsets = await dailyGridOffsets(connection);
  if (offsets.length === 0) return; // no daily rows: the per-customer features have no data (insufficient_data)
  for (const [name, period] of periods) {
    const offset = ((period.start % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
    if (!offsets.includes(offset)) {
      const starts = offsets.map((o) => new Date(o).toISOString().slice(11, 19)).join(', ');
      throw new UsageError(
        `the ${name} period starts at ${iso(period.start)}, off the grid of the daily customer_windows (they start at ${starts} UTC); ` +
          `start both periods at such a time`,
      );
    }
  }
}

const REQUIRED_TABLES = ['customer_windows', 'contact_reason_volumes', 'drift_metrics'] as const;

async function requireTables(connection: DuckDBConnection): Promise<void> {
  const reader = await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()`);
  const present = new Set(reader.getColumnsJS()[0]?.map(String) ?? []);
  const missing = REQUIRED_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw new UsageError(`the database has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}; pass the --db of a job that has run`);
  }
}

/** Replaces the run's drift_metrics rows in one transaction. */
async function writeRun(connection: DuckDBConnection, runId: string, features: readonly OnDemandFeatureVerdict[], periods: DriftPeriods): Promise<void> {
  await inTransaction(connection, async () => {
    await connection.run(`DELETE FROM drift_metrics WHERE run_id = $run`, { run: runId });
    for (const f of features) {
      const row = driftMetricRow(runId, f.feature, f, periods);
      await connection.run(
        `INSERT INTO drift_metrics (run_id, feature, method, score, p_value, threshold, drifted,
            reference_start, reference_end, current_start, current_end, statistics)
         VALUES ($run_id, $feature, $method, $score::DOUBLE, $p_value::DOUBLE, $threshold::DOUBLE, $drifted,
            make_timestamptz($rs::BIGINT * 1000), make_timestamptz($re::BIGINT * 1000),
            make_timestamptz($cs::BIGINT * 1000), make_timestamptz($ce::BIGINT * 1000), $statistics::JSON)`,
        {
          run_id: String(row.run_id),
          feature: String(row.feature),
          method: String(row.method),
          score: f.score,
          p_value: f.p_value,
          threshold: f.threshold,
          drifted: f.drifted,
          rs: periods.referenceStart,
          re: periods.referenceEnd,
          cs: periods.currentStart,
          ce: periods.currentEnd,
          statistics: JSON.stringify(row.statistics),
        },
      );
    }
  });
}
