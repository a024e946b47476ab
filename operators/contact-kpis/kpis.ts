/**
 * KPI values of one window from its accumulator (SPEC section 4). Every rate with a zero
 * denominator is null, never 0 or NaN.
 */
import { exactValue } from '../exact-sum.js';
import type { WindowAcc } from './accumulator.js';
import type { ContactKpiOptions } from './options.js';

/** Numeric KPI columns of a `contact_kpis` row; rules may name any of them. */
export const KPI_NAMES = [
  'offered',
  'handled',
  'abandoned',
  'short_abandoned',
  'self_service',
  'transferred',
  'resolved',
  'abandon_rate',
  'aht_seconds',
  'asa_seconds',
  'avg_queue_seconds',
  'service_level',
  'transfer_rate',
  'self_service_rate',
  'fcr_rate',
  'resolved_per_minute',
] as const;
export type KpiName = (typeof KPI_NAMES)[number];

/** KPIs that are a share of contacts: a rule on them can ask for a Wilson interval. */
export const RATE_KPIS = ['abandon_rate', 'service_level', 'transfer_rate', 'self_service_rate', 'fcr_rate'] as const;
export type RateKpi = (typeof RATE_KPIS)[number];

/** KPIs that are a mean over contacts: noisy on a handful of contacts, like the rates. */
export const MEAN_KPIS = ['aht_seconds', 'asa_seconds', 'avg_queue_seconds'] as const;

/** How a KPI's values read: shares (percent), durations (seconds), per-minute rates, counts. */
export type KpiUnit = 'ratio' | 'seconds' | 'number' | 'count';

export function kpiUnit(kpi: KpiName): KpiUnit {
  if (kpi.endsWith('_rate') || kpi === 'service_level') return 'ratio';
  if (kpi.endsWith('_seconds')) return 'seconds';
  if (kpi.endsWith('_per_minute')) return 'number';
  return 'count';
}

/**
 * A KPI value for people, one format per kind: percent with one decimal, seconds with one
 * decimal, per-minute rates with two decimals, whole counts.
 */
export function formatKpiValue(kpi: KpiName, value: number): string {
  switch (kpiUnit(kpi)) {
    case 'ratio':
      return `${(value * 100).toFixed(1)}%`;
    case 'seconds':
      return `${value.toFixed(1)} s`;
    case 'number':
      // Three significant digits below 1: a rate of 0.000694 resolved a minute printed as "0.00".
      return Math.abs(value) >= 1 || value === 0 ? value.toFixed(2) : value.toPrecision(3);
    case 'count':
      return String(Math.round(value));
  }
}

/** Numerator (hits) and denominator (trials) of each rate of one window. */
export type RateCounts = Record<RateKpi, { hits: number; trials: number }>;

export function isRateKpi(kpi: string): kpi is RateKpi {
  return (RATE_KPIS as readonly string[]).includes(kpi);
}

/** One `contact_kpis` row: the SPEC columns plus the additive ones; times in epoch ms. */
export interface ContactKpiRow {
  window_start: number;
  window_end: number;
  queue: string;
  channel: string;
  offered: number;
  handled: number;
  abandoned: number;
  short_abandoned: number;
  self_service: number;
  abandon_rate: number | null;
  aht_seconds: number | null;
  asa_seconds: number | null;
  avg_queue_seconds: number | null;
  service_level: number | null;
  transfer_rate: number | null;
  self_service_rate: number | null;
  fcr_rate: number | null;
  fcr_final: boolean;
  transferred: number;
  resolved: number;
  resolved_per_minute: number;
  fcr_eligible: number;
  fcr_resolved: number;
  /** The reason-list version that mapped the window's contacts (the newest, if several did). */
  taxonomy_version?: number;
}

/** `num / den`, or null when the denominator is zero. */
export function ratio(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

type RateOptions = Pick<ContactKpiOptions, 'serviceLevelVariant' | 'serviceLevelCallbacks'>;

/** Service level's numerator and denominator under the configured variant (see SERVICE_LEVEL_VARIANTS). */
function serviceLevelCounts(acc: WindowAcc, options: RateOptions): { hits: number; trials: number } {
  const unansweredCallbacks = acc.offered - acc.handled - acc.abandoned;
  const base = acc.offered - acc.short_abandoned - (options.serviceLevelCallbacks === 'exclude' ? unansweredCallbacks : 0);
  switch (options.serviceLevelVariant) {
    case 'abandons_against':
      return { hits: acc.handled_in_sl, trials: base };
    case 'ignore_abandons':
      return { hits: acc.handled_in_sl, trials: base - acc.abandoned_in_sl };
    case 'abandons_for':
      return { hits: acc.handled_in_sl + acc.abandoned_in_sl, trials: base };
    case 'answered_only':
      return { hits: acc.handled_in_sl, trials: acc.handled };
  }
}

/** The counts behind every rate of a window: the one place the rate formulas live. */
export function rateCounts(acc: WindowAcc, options: RateOptions): RateCounts {
  return {
    abandon_rate: { hits: acc.abandoned - acc.short_abandoned, trials: acc.offered - acc.short_abandoned },
    service_level: serviceLevelCounts(acc, options),
    transfer_rate: { hits: acc.transferred, trials: acc.handled },
    self_service_rate: { hits: acc.self_service, trials: acc.self_service + acc.offered },
    fcr_rate: { hits: acc.fcr_resolved, trials: acc.fcr_eligible },
  };
}

/** Service level under the configured variant (see SERVICE_LEVEL_VARIANTS). */
export function serviceLevel(acc: WindowAcc, options: RateOptions): number | null {
  const { hits, trials } = serviceLevelCounts(acc, options);
  return ratio(hits, trials);
}

export function computeKpiRow(acc: WindowAcc, options: RateOptions, fcrFinal: boolean): ContactKpiRow {
  const rates = rateCounts(acc, options);
  const rate = (kpi: RateKpi): number | null => ratio(rates[kpi].hits, rates[kpi].trials);
  return {
    window_start: acc.start,
    window_end: acc.start + acc.size,
    queue: acc.queue,
    channel: acc.channel,
    offered: acc.offered,
    handled: acc.handled,
    abandoned: acc.abandoned,
    short_abandoned: acc.short_abandoned,
    self_service: acc.self_service,
    abandon_rate: rate('abandon_rate'),
    aht_seconds: ratio(acc.handle_ms / 1000 + exactValue(acc.acw_seconds), acc.handled),
    asa_seconds: ratio(acc.answer_ms / 1000, acc.handled),
    avg_queue_seconds: ratio(acc.wait_ms / 1000, acc.wait_count),
    service_level: rate('service_level'),
    transfer_rate: rate('transfer_rate'),
    self_service_rate: rate('self_service_rate'),
    fcr_rate: rate('fcr_rate'),
    fcr_final: fcrFinal,
    transferred: acc.transferred,
    resolved: acc.resolved,
    resolved_per_minute: acc.resolved / (acc.size / 60_000),
    fcr_eligible: acc.fcr_eligible,
    fcr_resolved: acc.fcr_resolved,
    // Only when a reason list mapped the window's contacts: without one, rows are as they always were.
    ...(acc.taxonomy_version !== undefined ? { taxonomy_version: acc.taxonomy_version } : {}),
  };
}

/** The KPI value a rule reads from a row. */
export function kpiValue(row: ContactKpiRow, kpi: KpiName): number | null {
  return row[kpi];
}
