/**
 * Trailing spend per customer in daily buckets (bounded: at most `days` buckets per customer).
 *
 * `trailing_spend` at an event = the sum of non-negative transaction amounts seen so far (arrival
 * order) whose UTC day is the event's UTC day or one of the `days - 1` days before it. Refunds are
 * left out, like `spend_total` of SPEC section 3. Day granularity is what keeps the state bounded.
 */
import { MS_PER_DAY } from '../events.js';
import type { SpendState } from './types.js';
import { insertExact } from '../state-list.js';

export const utcDay = (ts: number): number => Math.floor(ts / MS_PER_DAY);

/** Adds `amount` (>= 0) on the UTC day of `ts`; keeps days ascending. */
export function addSpend(state: SpendState, ts: number, amount: number): void {
  const day = utcDay(ts);
  const { days, sums } = state;
  let i = days.length - 1;
  while (i >= 0 && days[i]! > day) i--;
  if (i >= 0 && days[i] === day) sums[i] = sums[i]! + amount;
  else {
    state.days = insertExact(days, i + 1, day);
    state.sums = insertExact(sums, i + 1, amount);
  }
}

/** Spend over the UTC day of `ts` and the `days - 1` days before it. */
export function trailingSpend(state: SpendState | undefined, ts: number, days: number): number {
  if (!state) return 0;
  const last = utcDay(ts);
  const first = last - days + 1;
  let total = 0;
  for (let i = 0; i < state.days.length; i++) {
    const day = state.days[i]!;
    if (day >= first && day <= last) total += state.sums[i]!;
  }
  return total;
}

/** Drops days before `firstKeptDay`; returns true when nothing is left. */
export function expireSpend(state: SpendState, firstKeptDay: number): boolean {
  let n = 0;
  while (n < state.days.length && state.days[n]! < firstKeptDay) n++;
  if (n > 0) {
    state.days.splice(0, n);
    state.sums.splice(0, n);
  }
  return state.days.length === 0;
}
