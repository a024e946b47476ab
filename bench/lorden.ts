/**
 * Lorden's bound for the shift benchmark (issue 17, item 1): no detector with an in-control
 * average run length ARL0 (windows between false alerts of one series) can have a worst-case
 * expected delay below about ln(ARL0) / KL, KL being the Kullback-Leibler information per window
 * between the shifted and the normal distribution of the measure. The KL per daily window comes
 * from the generator's own model, as in test/operators/shifts/kl-bound.py:
 *  - spend_frequency: Poisson counts, rate x f: KL = rate (f ln f - f + 1) (amounts unchanged);
 *  - spend_amount: each of `rate` lognormal(sigma) amounts a day x f: KL = rate (ln f)^2 / (2 sigma^2).
 * Usage shifts are left out: the truth file gives usage quantities a day, not records a day.
 */
import { AMOUNT_SIGMA } from '../sources/generator/population.js';

/** Series per customer in the default measures (spend_total, spend_count, three usage metrics). */
export const SERIES_PER_CUSTOMER = 5;

/** KL information per daily window of a shift of `kind` by factor `f` at `rate` transactions a day; null if unknown. */
export function klPerWindow(kind: string, f: number, rate: number): number | null {
  if (!(f > 0) || !(rate > 0)) return null;
  if (kind === 'spend_frequency') return rate * (f * Math.log(f) - f + 1);
  if (kind === 'spend_amount') return (rate * Math.log(f) ** 2) / (2 * AMOUNT_SIGMA ** 2);
  return null;
}

/**
 * ARL0 per series (windows) implied by a false-alert rate per 1,000 customer-days; at least e, so
 * that the bound stays defined when no false alert was seen.
 */
export function arl0OfFalseAlertRate(perThousandCustomerDays: number): number {
  if (!(perThousandCustomerDays > 0)) return Number.POSITIVE_INFINITY;
  return Math.max(Math.E, (SERIES_PER_CUSTOMER * 1000) / perThousandCustomerDays);
}

/** Lorden's delay bound in windows: ln(ARL0) / KL. */
export function lordenDelay(arl0: number, kl: number): number {
  return Math.log(arl0) / kl;
}
