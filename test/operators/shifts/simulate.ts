/**
 * Seeded simulation of customer activity for the shift-detector tests: Poisson transaction counts
 * (1-5 a day), lognormal amounts, a weekly profile per customer, and an optional step change of the
 * rate (and so of the spend) from a given day. Deterministic for a given seed.
 */
import { rng } from '../../helpers/seeded-random.js';
import type { TransactionEvent } from '../../../operators/events.js';
import { MS_PER_DAY } from '../../../operators/events.js';

export { rng };

export function normal(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function poisson(r: () => number, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

export interface SimCustomer {
  id: string;
  /** Mean transactions per day. */
  rate: number;
  /** Weekday multipliers (index = day index mod 7), mean 1. */
  weekly: number[];
  logMean: number;
  logSd: number;
  /** Day index of the step (null: stationary) and its factor on the rate. */
  shiftDay: number | null;
  shiftFactor: number;
}

export interface SimOptions {
  customers: number;
  days: number;
  seed: number;
  /** Share of customers with a step change, and the factors to draw from. */
  shiftShare?: number;
  shiftFactors?: number[];
  /** Earliest and latest day of a step. */
  shiftFrom?: number;
  shiftTo?: number;
  /** Share of customers who spend mostly on one weekday. */
  weekendShare?: number;
}

export function makeCustomers(o: SimOptions): SimCustomer[] {
  const r = rng(o.seed);
  const out: SimCustomer[] = [];
  for (let i = 0; i < o.customers; i++) {
    const rate = 1 + 4 * r();
    let weekly = Array.from({ length: 7 }, () => 0.7 + 0.6 * r());
    if (r() < (o.weekendShare ?? 0.2)) {
      const day = Math.floor(r() * 7);
      weekly = weekly.map((_, d) => (d === day ? 4 : 0.5));
    }
    const m = weekly.reduce((a, b) => a + b, 0) / 7;
    weekly = weekly.map((w) => w / m);
    const shifted = r() < (o.shiftShare ?? 0);
    const factors = o.shiftFactors ?? [0.5, 1.5];
    const from = o.shiftFrom ?? 40;
    const to = o.shiftTo ?? o.days - 20;
    out.push({
      id: `c${String(i).padStart(5, '0')}`,
      rate,
      weekly,
      logMean: 3 + 0.5 * normal(r),
      logSd: 1,
      shiftDay: shifted ? from + Math.floor(r() * (to - from)) : null,
      shiftFactor: shifted ? (factors[Math.floor(r() * factors.length)] as number) : 1,
    });
  }
  return out;
}

/** Transactions of all customers, grouped by day (day 0 starts at `origin`), in time order. */
export function simulateDays(customers: SimCustomer[], days: number, seed: number, origin = 0): TransactionEvent[][] {
  const r = rng(seed ^ 0x9e3779b9);
  const out: TransactionEvent[][] = [];
  for (let d = 0; d < days; d++) {
    const events: TransactionEvent[] = [];
    for (const c of customers) {
      const f = c.shiftDay !== null && d >= c.shiftDay ? c.shiftFactor : 1;
      const n = poisson(r, c.rate * (c.weekly[d % 7] as number) * f);
      for (let j = 0; j < n; j++) {
        events.push({
          type: 'transaction',
          event_id: `${c.id}-${d}-${j}`,
          ts: origin + d * MS_PER_DAY + Math.floor(r() * MS_PER_DAY),
          customer_id: c.id,
          amount: Math.round(Math.exp(c.logMean + c.logSd * normal(r)) * 100) / 100,
          currency: 'EUR',
          channel: 'web',
          category: null,
        });
      }
    }
    events.sort((a, b) => a.ts - b.ts);
    out.push(events);
  }
  return out;
}
