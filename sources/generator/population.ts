import {
  ACCOUNT_OWNERS,
  AGE_BAND_WEIGHTS,
  CATEGORY_WEIGHTS,
  CURRENCY_WEIGHTS,
  REGION_WEIGHTS,
  SEGMENT_WEIGHTS,
  TIER_SPEND,
  TIER_WEIGHTS,
  USAGE_METRICS,
  WEEK_PROFILES,
} from './catalog.js';
import type { UsageMetric } from './catalog.js';
import { Rng, cumulative } from './rng.js';

/**
 * The synthetic customer base: per-customer behaviour parameters in typed arrays (the hot loop
 * reads them millions of times), plus the injected behaviour shifts and the drift group.
 */

/** Mean daily transactions across customers; per-customer rates are lognormal around it. */
export const MEAN_TX_PER_DAY = 2.5;
export const TX_RATE_SIGMA = 0.8;
/** Spread of one customer's transaction amounts (log scale). */
export const AMOUNT_SIGMA = 0.8;
export const REFUND_SHARE = 0.02;
/** Mean daily usage records per metric, and the log-scale spread of one customer's quantities. */
export const USAGE_PLAN: Record<UsageMetric, { meanRecordsPerDay: number; medianQuantity: number; sigma: number }> = {
  data_mb: { meanRecordsPerDay: 1.5, medianQuantity: 150, sigma: 0.7 },
  minutes: { meanRecordsPerDay: 1.0, medianQuantity: 8, sigma: 0.8 },
  logins: { meanRecordsPerDay: 0.8, medianQuantity: 1, sigma: 0 },
};
export const MEAN_CONTACTS_PER_DAY = 0.04;

export const SHIFT_SIZES = [-0.8, -0.5, -0.3, 0.3, 0.5, 1.0, 2.0] as const;
export const SHIFT_KINDS = ['spend_amount', 'spend_frequency', 'usage'] as const;
export type ShiftKind = (typeof SHIFT_KINDS)[number];
/** First possible shift day: 21 full days of history before it. */
export const SHIFT_MIN_DAY = 21;
/** At least this many shifted days before the end of the period. */
export const SHIFT_MIN_DAYS_AFTER = 7;
export const DRIFT_SPEND_FACTOR = 1.8;
export const DRIFT_SPEND_GROUP_SHARE = 0.5;

export interface Shift {
  customer: number;
  kind: ShiftKind;
  /** Relative size: the factor applied is 1 + size. */
  size: number;
  day: number;
  /** Usage metrics scaled (usage shifts only). */
  metrics: UsageMetric[];
}

export interface Population {
  n: number;
  ids: string[];
  region: Uint8Array;
  ageBand: Uint8Array;
  tier: Uint8Array;
  segment: Uint8Array;
  owner: Uint8Array;
  signupDate: string[];
  currency: Uint8Array;
  favCategory: Uint8Array;
  weekProfile: Uint8Array;
  txRate: Float64Array;
  amountMu: Float64Array;
  /** Per metric (index as USAGE_METRICS): records per day and log-median quantity. */
  usageRate: Float64Array[];
  usageMu: Float64Array[];
  contactRate: Float64Array;
  /** Shift per customer, or undefined. */
  shiftOf: (Shift | undefined)[];
  shifts: Shift[];
  /** 1 when the customer is in the drift spend group (amounts x1.8 from the drift day). */
  driftSpend: Uint8Array;
  /** First drift day (index from the start), or -1 when drift is off. */
  driftDay: number;
}

export function customerId(i: number): string {
  return `C${String(i + 1).padStart(6, '0')}`;
}

/** Drift starts about 60% through the period, on a week boundary; needs 14 days or more. */
export function driftStartDay(days: number): number {
  if (days < 14) return -1;
  const day = Math.round((0.6 * days) / 7) * 7;
  return Math.min(Math.max(day, 7), Math.floor((days - 7) / 7) * 7);
}

export function buildPopulation(rng: Rng, customers: number, days: number, startMs: number, shiftShare: number, drift: boolean): Population {
  const n = customers;
  const regionCum = cumulative(REGION_WEIGHTS);
  const ageCum = cumulative(AGE_BAND_WEIGHTS);
  const tierCum = cumulative(TIER_WEIGHTS);
  const segCum = cumulative(SEGMENT_WEIGHTS);
  const curCum = cumulative(CURRENCY_WEIGHTS);
  const catCum = cumulative(CATEGORY_WEIGHTS);
  const weekCum = cumulative(WEEK_PROFILES.map((p) => p.share));
  const p: Population = {
    n,
    ids: [],
    region: new Uint8Array(n),
    ageBand: new Uint8Array(n),
    tier: new Uint8Array(n),
    segment: new Uint8Array(n),
    owner: new Uint8Array(n),
    signupDate: [],
    currency: new Uint8Array(n),
    favCategory: new Uint8Array(n),
    weekProfile: new Uint8Array(n),
    txRate: new Float64Array(n),
    amountMu: new Float64Array(n),
    usageRate: USAGE_METRICS.map(() => new Float64Array(n)),
    usageMu: USAGE_METRICS.map(() => new Float64Array(n)),
    contactRate: new Float64Array(n),
    shiftOf: new Array<Shift | undefined>(n).fill(undefined),
    shifts: [],
    driftSpend: new Uint8Array(n),
    driftDay: drift ? driftStartDay(days) : -1,
  };
  const txMu = Math.log(MEAN_TX_PER_DAY) - (TX_RATE_SIGMA * TX_RATE_SIGMA) / 2;
  for (let i = 0; i < n; i++) {
    p.ids.push(customerId(i));
    p.region[i] = rng.weighted(regionCum);
    p.ageBand[i] = rng.weighted(ageCum);
    const tier = rng.weighted(tierCum);
    p.tier[i] = tier;
    p.segment[i] = rng.weighted(segCum);
    p.owner[i] = rng.int(0, ACCOUNT_OWNERS.length - 1);
    // Signed up 1 to 2,000 days before the start.
    p.signupDate.push(new Date(startMs - rng.int(1, 2000) * 86_400_000).toISOString().slice(0, 10));
    p.currency[i] = rng.weighted(curCum);
    p.favCategory[i] = rng.weighted(catCum);
    p.weekProfile[i] = rng.weighted(weekCum);
    p.txRate[i] = rng.lognormal(txMu, TX_RATE_SIGMA);
    p.amountMu[i] = Math.log(rng.lognormal(Math.log(25), 0.6) * (TIER_SPEND[tier] as number));
    USAGE_METRICS.forEach((m, k) => {
      const plan = USAGE_PLAN[m];
      (p.usageRate[k] as Float64Array)[i] = rng.gamma(3, plan.meanRecordsPerDay / 3);
      (p.usageMu[k] as Float64Array)[i] = plan.sigma === 0 ? 0 : Math.log(rng.lognormal(Math.log(plan.medianQuantity), 0.7));
    });
    p.contactRate[i] = rng.gamma(0.8, MEAN_CONTACTS_PER_DAY / 0.8);
  }
  chooseShifts(rng, p, days, shiftShare);
  if (p.driftDay >= 0) {
    for (let i = 0; i < n; i++) if (p.shiftOf[i] === undefined && rng.chance(DRIFT_SPEND_GROUP_SHARE)) p.driftSpend[i] = 1;
  }
  return p;
}

function chooseShifts(rng: Rng, p: Population, days: number, shiftShare: number): void {
  const lastStart = days - SHIFT_MIN_DAYS_AFTER;
  if (lastStart < SHIFT_MIN_DAY) return;
  const count = Math.min(p.n, Math.round(shiftShare * p.n));
  // Partial Fisher-Yates: the first `count` entries are a uniform sample without replacement.
  const order = Array.from({ length: p.n }, (_, i) => i);
  for (let k = 0; k < count; k++) {
    const j = rng.int(k, p.n - 1);
    const tmp = order[k] as number;
    order[k] = order[j] as number;
    order[j] = tmp;
  }
  const chosen = order.slice(0, count).sort((a, b) => a - b);
  for (const customer of chosen) {
    const u = rng.float();
    const kind: ShiftKind = u < 0.35 ? 'spend_amount' : u < 0.7 ? 'spend_frequency' : 'usage';
    let metrics: UsageMetric[] = [];
    if (kind === 'usage') metrics = rng.chance(0.4) ? [...USAGE_METRICS] : [rng.pick(USAGE_METRICS)];
    const shift: Shift = { customer, kind, size: rng.pick(SHIFT_SIZES), day: rng.int(SHIFT_MIN_DAY, lastStart), metrics };
    p.shifts.push(shift);
    p.shiftOf[customer] = shift;
  }
}

/** Expected daily quantity of a usage metric for a customer before any shift. */
export function expectedDailyUsage(p: Population, i: number, k: number): number {
  const m = USAGE_METRICS[k] as UsageMetric;
  const rate = (p.usageRate[k] as Float64Array)[i] as number;
  const sigma = USAGE_PLAN[m].sigma;
  return sigma === 0 ? rate : rate * Math.exp(((p.usageMu[k] as Float64Array)[i] as number) + (sigma * sigma) / 2);
}

/** Expected daily spend_total (refunds excluded) and spend_count before any shift or drift. */
export function expectedDailySpend(p: Population, i: number): { total: number; count: number } {
  const count = (p.txRate[i] as number) * (1 - REFUND_SHARE);
  return { count, total: count * Math.exp((p.amountMu[i] as number) + (AMOUNT_SIGMA * AMOUNT_SIGMA) / 2) };
}
