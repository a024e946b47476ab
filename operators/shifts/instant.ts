/**
 * Instant triggers: rules that look at one event, fire in `process` and need no window to close.
 * Each returns what fired (or null); the operator turns it into an alert with an id stable on
 * (rule, event_id).
 */
import type { InstantRule, LargeTransactionRule, NewMetricRule, RefundRule } from './config.js';
import { median } from './robust.js';

export interface InstantHit {
  rule: InstantRule['rule'];
  /** The number that fired it and what it was compared with. */
  value: number;
  threshold: number;
  /** The customer's typical amount, for `large_transaction`. */
  typical?: number;
  /** How often the customer's own amounts make one this large (`large_transaction`; tailProbability). */
  tail?: number;
  metric?: string;
}

/** Checks a non-negative amount against the customer's recent amounts; does not record it. */
export function checkLargeTransaction(rule: LargeTransactionRule, amount: number, recent: readonly number[]): InstantHit | null {
  if (amount < 0 || recent.length < rule.minSamples || amount < rule.minAmount) return null;
  if (!belowMedianBound(amount / rule.factor, recent)) return null;
  const typical = median(recent);
  if (!(typical > 0)) return null;
  const threshold = rule.factor * typical;
  if (!(amount > threshold)) return null;
  const tail = tailProbability(amount, recent);
  return tail <= rule.tailProbability ? { rule: 'large_transaction', value: amount, threshold, typical, tail } : null;
}

/** Fewest of the largest recent amounts a tail estimate rests on. */
const MIN_TAIL_AMOUNTS = 5;

/**
 * How often the customer's own recent amounts make one of at least `amount`: Hill's estimate of a
 * power-law tail over the largest fifth of them (k, at least 5), P(X > x) = (k / n) (x / x_(k+1))^-a
 * with 1 / a the mean of ln(x_(i) / x_(k+1)) over the k largest. A customer whose amounts are
 * lognormal (sigma 0.7) has a fast-falling tail, so ten times the median is a one-in-2,000 amount;
 * one whose amounts are heavy-tailed (Pareto, a = 1.4: a few amounts far above the rest, as for a
 * business buyer) makes one every 50 purchases, which is no news. 0 when the tail cannot be told
 * (too few amounts, or the (k+1)-th largest is 0): the factor alone decides then. At most 1.
 */
export function tailProbability(amount: number, recent: readonly number[]): number {
  const n = recent.length;
  const k = Math.max(MIN_TAIL_AMOUNTS, Math.floor(n / 5));
  if (n <= k) return 0;
  // Runs only for an amount over factor x the median (rare), so sorting a copy costs nothing that matters.
  const largest = recent.toSorted((a, b) => b - a);
  const base = largest[k] as number;
  if (!(base > 0)) return 0;
  let logExcess = 0;
  for (let i = 0; i < k; i++) logExcess += Math.log((largest[i] as number) / base);
  if (!(logExcess > 0)) return amount > base ? 0 : k / n;
  return Math.min(1, (k / n) * (amount / base) ** -(k / logExcess));
}

/**
 * Whether the median of `recent` can be below `bound`: at least half of the values must be (the
 * lower middle one for an even count). Nearly every amount is within `factor` x the median, so this
 * count rules them out without taking a median on every transaction.
 */
function belowMedianBound(bound: number, recent: readonly number[]): boolean {
  const needed = Math.ceil(recent.length / 2);
  let below = 0;
  for (let i = 0; i < recent.length; i++) {
    if ((recent[i] as number) < bound && ++below >= needed) return true;
    // Stop as soon as the values left cannot make half: about half-way for a usual amount.
    if (below + (recent.length - 1 - i) < needed) return false;
  }
  return below >= needed;
}

export function checkRefund(rule: RefundRule, amount: number): InstantHit | null {
  return amount < 0 && -amount >= rule.threshold ? { rule: 'refund', value: -amount, threshold: rule.threshold } : null;
}

/** First use of `metric` by a customer known for `knownWindows` windows (does not record it). */
export function checkNewMetric(rule: NewMetricRule, metric: string, known: readonly string[], knownWindows: number): InstantHit | null {
  if (known.includes(metric) || known.length >= rule.maxMetrics || knownWindows < rule.afterWindows) return null;
  return { rule: 'new_metric', value: knownWindows, threshold: rule.afterWindows, metric };
}
