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
}

/** `num / den`, or null when the denominator is zero. */
export function ratio(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

/** Service level under the configured variant (see SERVICE_LEVEL_VARIANTS). */
export function serviceLevel(
  acc: WindowAcc,
  options: Pick<ContactKpiOptions, 'serviceLevelVariant' | 'serviceLevelCallbacks'>,
): number | null {
  const unansweredCallbacks = acc.offered - acc.handled - acc.abandoned;
  const base =
    acc.offered - acc.short_abandoned - (options.serviceLevelCallbacks === 'exclude' ? unansweredCallbacks : 0);
  switch (options.serviceLevelVariant) {
    case 'abandons_against':
      return ratio(acc.handled_in_sl, base);
    case 'ignore_abandons':
      return ratio(acc.handled_in_sl, base - acc.abandoned_in_sl);
    case 'abandons_for':
      return ratio(acc.handled_in_sl + acc.abandoned_in_sl, base);
    case 'answered_only':
      return ratio(acc.handled_in_sl, acc.handled);
  }
}

export function computeKpiRow(
  acc: WindowAcc,
  options: Pick<ContactKpiOptions, 'serviceLevelVariant' | 'serviceLevelCallbacks'>,
  fcrFinal: boolean,
): ContactKpiRow {
  const nonShortOffered = acc.offered - acc.short_abandoned;
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
    abandon_rate: ratio(acc.abandoned - acc.short_abandoned, nonShortOffered),
    aht_seconds: ratio(acc.handle_ms / 1000 + exactValue(acc.acw_seconds), acc.handled),
    asa_seconds: ratio(acc.answer_ms / 1000, acc.handled),
    avg_queue_seconds: ratio(acc.wait_ms / 1000, acc.wait_count),
    service_level: serviceLevel(acc, options),
    transfer_rate: ratio(acc.transferred, acc.handled),
    self_service_rate: ratio(acc.self_service, acc.self_service + acc.offered),
    fcr_rate: ratio(acc.fcr_resolved, acc.fcr_eligible),
    fcr_final: fcrFinal,
    transferred: acc.transferred,
    resolved: acc.resolved,
    resolved_per_minute: acc.resolved / (acc.size / 60_000),
    fcr_eligible: acc.fcr_eligible,
    fcr_resolved: acc.fcr_resolved,
  };
}

/** The KPI value a rule reads from a row. */
export function kpiValue(row: ContactKpiRow, kpi: KpiName): number | null {
  return row[kpi];
}
