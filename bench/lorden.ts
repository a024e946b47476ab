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

/** x ln(x / e), with 0 ln 0 = 0. */
function xlog(x: number, e: number): number {
  return x > 0 ? x * Math.log(x / e) : 0;
}

/**
 * Expected log-likelihood ratio, at the split, of a two-sample test after `recent` shifted windows
 * when the customer's level is not known but learnt from its `baseline` windows before the shift
 * (both segments' parameters estimated), taken at the expected counts and sums (first order, as
 * Lorden's bound): null for a kind `klPerWindow` does not know.
 *  - spend_frequency: Poisson, rB events in B windows and rfd in d: rfd ln f - r(B + fd) ln((B + fd) / (B + d));
 *  - spend_amount: normal means of log amounts, variance known: (Kb Kr / (Kb + Kr)) (ln f)^2 / (2 sigma^2), Kb = rB, Kr = rd.
 * As d grows it tends to the information of the baseline alone (B windows x the KL of the normal
 * against the shifted distribution), not to infinity: a shift after a short history can be beyond
 * any detector that has to learn the customer's level from that history.
 */
export function learntBaselineLlr(kind: string, f: number, rate: number, baseline: number, recent: number): number | null {
  if (!(f > 0) || !(rate > 0) || !(baseline > 0) || !(recent > 0)) return null;
  if (kind === 'spend_frequency') {
    const nb = rate * baseline;
    const nr = rate * f * recent;
    return xlog(nr, recent) + xlog(nb, baseline) - xlog(nb + nr, baseline + recent);
  }
  if (kind === 'spend_amount') {
    const kb = rate * baseline;
    const kr = rate * recent;
    return ((kb * kr) / (kb + kr)) * (Math.log(f) ** 2 / (2 * AMOUNT_SIGMA ** 2));
  }
  return null;
}

/**
 * Delay bound with a learnt level: the fewest shifted windows (at most `horizon`) after which
 * `learntBaselineLlr` reaches ln(ARL0), or null when it does not within the horizon (the shift is
 * then beyond this ceiling). With a known level (baseline -> infinity) it is Lorden's `lordenDelay`.
 */
export function learntBaselineDelay(kind: string, f: number, rate: number, baseline: number, horizon: number, arl0: number): number | null {
  const target = Math.log(arl0);
  for (let d = 1; d <= horizon; d++) {
    const llr = learntBaselineLlr(kind, f, rate, baseline, d);
    if (llr === null) return null;
    if (llr >= target) return d;
  }
  return null;
}
