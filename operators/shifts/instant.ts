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
  metric?: string;
}

/** Checks a non-negative amount against the customer's recent amounts; does not record it. */
export function checkLargeTransaction(rule: LargeTransactionRule, amount: number, recent: readonly number[]): InstantHit | null {
  if (amount < 0 || recent.length < rule.minSamples || amount < rule.minAmount) return null;
  if (!belowMedianBound(amount / rule.factor, recent)) return null;
  const typical = median(recent);
  if (!(typical > 0)) return null;
  const threshold = rule.factor * typical;
  return amount > threshold ? { rule: 'large_transaction', value: amount, threshold, typical } : null;
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
