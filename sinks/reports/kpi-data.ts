import type { DuckDBConnection } from '@duckdb/node-api';
import type { ContactKpiRow } from '../../operators/contact-kpis/index.js';
import { num, numOrNull, queryRows, str } from './db.js';
import type { Params, ReadCache } from './db.js';
import { bindList } from '../duckdb/bind-list.js';

/** The `contact_kpis` columns the KPI report reads (times in epoch ms), and the charted KPI's value. */
export type KpiRow = Pick<
  ContactKpiRow,
  | 'window_start'
  | 'window_end'
  | 'queue'
  | 'channel'
  | 'offered'
  | 'handled'
  | 'abandon_rate'
  | 'aht_seconds'
  | 'asa_seconds'
  | 'service_level'
  | 'fcr_rate'
  | 'fcr_final'
> & { value: number | null };

/** Which rows a KPI report covers: one window size, optionally one queue and channel. */
export interface KpiScope {
  sizeMs: number;
  queue?: string;
  channel?: string;
}

/** SQL filter of a scope; without `sizeMs` it spans every window size. */
export function scopeWhere(scope: Partial<KpiScope>): { where: string; params: Params } {
  const clauses = ['TRUE'];
  const params: Params = {};
  if (scope.sizeMs !== undefined) {
    clauses.push('epoch_ms(window_end) - epoch_ms(window_start) = $size_ms');
    params.size_ms = scope.sizeMs;
  }
  if (scope.queue !== undefined) {
    clauses.push('queue = $queue');
    params.queue = scope.queue;
  }
  if (scope.channel !== undefined) {
    clauses.push('channel = $channel');
    params.channel = scope.channel;
  }
  return { where: clauses.join(' AND '), params };
}

/** The newest window start in scope, at or before `until` when given; null when there is none. */
export async function latestWindowStart(connection: DuckDBConnection, scope: KpiScope, until?: number): Promise<number | null> {
  const { where, params } = scopeWhere(scope);
  const bound = until === undefined ? '' : ' AND epoch_ms(window_start) <= $until';
  if (until !== undefined) params.until = until;
  const [row] = await queryRows(connection, `SELECT max(epoch_ms(window_start)) AS ws FROM contact_kpis WHERE ${where}${bound}`, params);
  return row === undefined || row.ws === null ? null : num(row.ws);
}

/** The oldest window start in scope; null when there is none. */
export async function firstWindowStart(connection: DuckDBConnection, scope: KpiScope, cache?: ReadCache): Promise<number | null> {
  const { where, params } = scopeWhere(scope);
  const [row] = await queryRows(connection, `SELECT min(epoch_ms(window_start)) AS ws FROM contact_kpis WHERE ${where}`, params, cache);
  return row === undefined || row.ws === null ? null : num(row.ws);
}

/**
 * The newest complete window in scope: its end is not after the end of the data, which is the
 * earliest of the window sizes' last ends, of any queue (a day of data that stops at noon has a 1d
 * row already; it is not complete). A size whose rows stop before the newest window of any size
 * starts is one the job no longer computes (`window_sizes` changed): after 15m gave way to 30m, the
 * 15m rows' end held every report at the day of the change.
 */
export async function lastCompleteWindowStart(connection: DuckDBConnection, scope: KpiScope): Promise<number | null> {
  const { where, params } = scopeWhere(scope);
  const [row] = await queryRows(
    connection,
    `WITH last_ends AS (SELECT epoch_ms(window_end) - epoch_ms(window_start) AS size, max(epoch_ms(window_end)) AS last_end FROM contact_kpis GROUP BY size),
          data_end AS (SELECT min(last_end) AS end_ms FROM last_ends WHERE last_end > (SELECT max(epoch_ms(window_start)) FROM contact_kpis))
     SELECT max(epoch_ms(window_start)) AS ws FROM contact_kpis
      WHERE ${where} AND epoch_ms(window_end) <= (SELECT end_ms FROM data_end)`,
    params,
  );
  return row === undefined || row.ws === null ? null : num(row.ws);
}

/** KPI rows in scope for windows starting in [from, to], ordered by window, queue, channel. */
export async function kpiRows(connection: DuckDBConnection, scope: KpiScope, kpi: string, from: number, to: number): Promise<KpiRow[]> {
  const { where, params } = scopeWhere(scope);
  // `kpi` is checked against KPI_NAMES by the caller before it reaches this SQL.
  const rows = await queryRows(
    connection,
    `SELECT epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, queue, channel, offered, handled, abandon_rate,
            aht_seconds, asa_seconds, service_level, fcr_rate, fcr_final, CAST("${kpi}" AS DOUBLE) AS value
       FROM contact_kpis
      WHERE ${where} AND epoch_ms(window_start) BETWEEN $from AND $to
      ORDER BY ws, queue, channel`,
    { ...params, from, to },
  );
  return rows.map((r) => ({
    window_start: num(r.ws),
    window_end: num(r.we),
    queue: str(r.queue),
    channel: str(r.channel),
    offered: num(r.offered),
    handled: num(r.handled),
    abandon_rate: numOrNull(r.abandon_rate),
    aht_seconds: numOrNull(r.aht_seconds),
    asa_seconds: numOrNull(r.asa_seconds),
    service_level: numOrNull(r.service_level),
    fcr_rate: numOrNull(r.fcr_rate),
    fcr_final: r.fcr_final === true,
    value: numOrNull(r.value),
  }));
}

export interface ReasonChange {
  reason: string;
  current: number;
  /** Mean volume over the comparison windows (a missing row counts as 0 contacts). */
  baseline: number;
  change: number;
  /** (current - baseline) / baseline; null when the reason is new (baseline 0). */
  relative: number | null;
}

/**
 * Contact reasons whose volume grew most in window `current` against the mean of the `previous`
 * windows (summed over the queues and channels in scope), largest growth first; only growth > 0.
 */
export async function reasonChanges(
  connection: DuckDBConnection,
  scope: KpiScope,
  current: number,
  previous: readonly number[],
  limit: number,
): Promise<ReasonChange[]> {
  const { where, params } = scopeWhere(scope);
  const starts = [current, ...previous];
  const rows = await queryRows(
    connection,
    `SELECT epoch_ms(window_start) AS ws, reason, CAST(SUM(contacts) AS DOUBLE) AS contacts
       FROM contact_reason_volumes
      WHERE ${where} AND epoch_ms(window_start) IN (${bindList(params, 'w', starts)})
      GROUP BY ALL`,
    params,
  );
  const byReason = new Map<string, { current: number; previousSum: number }>();
  for (const row of rows) {
    const reason = str(row.reason);
    const entry = byReason.get(reason) ?? { current: 0, previousSum: 0 };
    if (num(row.ws) === current) entry.current += num(row.contacts);
    else entry.previousSum += num(row.contacts);
    byReason.set(reason, entry);
  }
  const changes: ReasonChange[] = [];
  for (const [reason, v] of byReason) {
    const baseline = previous.length === 0 ? 0 : v.previousSum / previous.length;
    const change = v.current - baseline;
    if (change > 0) changes.push({ reason, current: v.current, baseline, change, relative: baseline === 0 ? null : change / baseline });
  }
  changes.sort((a, b) => b.change - a.change || a.reason.localeCompare(b.reason));
  return changes.slice(0, limit);
}
