import { MS_PER_DAY } from '../../operators/events.js';
import { Rng } from './rng.js';

/**
 * Opt-in behaviour patterns (issue 17, item 2): purchase habits the detectors were not tuned on,
 * to measure how their false-alert rate holds up. Off by default so that the same options keep
 * giving the same bytes. The patterns use their own random stream, so switching them on leaves
 * the population (rates, tiers, shifts, drift group) as it was; the events change from the first
 * purchase they alter on.
 */

export const BEHAVIOUR_PATTERNS = ['weekend', 'payday', 'holiday', 'bigticket', 'gaps'] as const;
export type BehaviourPattern = (typeof BEHAVIOUR_PATTERNS)[number];

/** Weekend-heavy shoppers (Mon..Sun, mean 1): most purchases on Saturday and Sunday. */
export const WEEKEND_HEAVY_SHARE = 0.3;
const WEEKEND_HEAVY_RAW = [0.5, 0.5, 0.5, 0.5, 0.8, 3.2, 2.0];
export const WEEKEND_HEAVY_FACTORS = WEEKEND_HEAVY_RAW.map((f) => (7 * f) / WEEKEND_HEAVY_RAW.reduce((a, b) => a + b, 0));

/** Pay-day shoppers: paid on the 25th, buying x1.8 for 5 days from it and x0.85 otherwise. */
export const PAYDAY_SHARE = 0.35;
export const PAYDAY_DAY_OF_MONTH = 25;
export const PAYDAY_SPREE_DAYS = 5;
export const PAYDAY_SPREE_FACTOR = 1.8;
export const PAYDAY_REST_FACTOR = 0.85;

/** Holiday peaks for every customer: UTC calendar ranges (month 1-12, first and last day) and factor. */
export const HOLIDAYS = [
  { name: 'valentine', month: 2, from: 12, to: 14, factor: 2.5 },
  { name: 'spring sale', month: 4, from: 1, to: 6, factor: 1.7 },
  { name: 'mothers day', month: 5, from: 8, to: 10, factor: 2.0 },
  { name: 'black friday', month: 11, from: 25, to: 30, factor: 2.5 },
  { name: 'christmas', month: 12, from: 10, to: 23, factor: 2.0 },
] as const;

/** Rare very large purchases, any customer: this share of purchases is 15 to 40 times the usual amount. */
export const BIG_PURCHASE_SHARE = 0.003;
export const BIG_PURCHASE_FACTOR = { min: 15, max: 40 } as const;

/** Customers with gaps of weeks: no purchase for 14 to 35 days, 20 to 60 days apart. */
export const GAPS_SHARE = 0.15;
export const GAP_DAYS = { min: 14, max: 35 } as const;
export const GAP_SPACING_DAYS = { min: 20, max: 60 } as const;

/** Seed offset of the patterns' own random stream. */
const PATTERN_SEED_OFFSET = 0x5eed17;

export class BehaviourPatterns {
  private readonly rng: Rng;
  readonly weekendHeavy: Uint8Array;
  readonly payday: Uint8Array;
  /** Per customer, gaps as [first day, day after the last) pairs; empty for most. */
  readonly gaps: Array<Array<[number, number]>>;
  /** Holiday factor per day index (1 on ordinary days). */
  readonly holidayFactor: Float64Array;
  private readonly dayOfMonth: Uint8Array;
  private readonly daysInMonth: Uint8Array;
  private readonly bigTicket: boolean;

  constructor(
    readonly enabled: ReadonlySet<BehaviourPattern>,
    seed: number,
    customers: number,
    days: number,
    startMs: number,
  ) {
    this.rng = new Rng((seed + PATTERN_SEED_OFFSET) | 0);
    const rng = this.rng;
    const pick = (on: boolean, share: number): Uint8Array => {
      const a = new Uint8Array(customers);
      if (on) for (let i = 0; i < customers; i++) a[i] = rng.chance(share) ? 1 : 0;
      return a;
    };
    this.weekendHeavy = pick(enabled.has('weekend'), WEEKEND_HEAVY_SHARE);
    this.payday = pick(enabled.has('payday'), PAYDAY_SHARE);
    this.gaps = Array.from({ length: customers }, () => []);
    if (enabled.has('gaps')) {
      for (let i = 0; i < customers; i++) {
        if (!rng.chance(GAPS_SHARE)) continue;
        for (let d = rng.int(7, GAP_SPACING_DAYS.max); d < days;) {
          const end = d + rng.int(GAP_DAYS.min, GAP_DAYS.max);
          (this.gaps[i] as Array<[number, number]>).push([d, Math.min(end, days)]);
          d = end + rng.int(GAP_SPACING_DAYS.min, GAP_SPACING_DAYS.max);
        }
      }
    }
    this.holidayFactor = new Float64Array(days).fill(1);
    this.dayOfMonth = new Uint8Array(days);
    this.daysInMonth = new Uint8Array(days);
    for (let d = 0; d < days; d++) {
      const date = new Date(startMs + d * MS_PER_DAY);
      const month = date.getUTCMonth() + 1;
      const day = date.getUTCDate();
      this.dayOfMonth[d] = day;
      this.daysInMonth[d] = new Date(Date.UTC(date.getUTCFullYear(), month, 0)).getUTCDate();
      if (enabled.has('holiday')) {
        const h = HOLIDAYS.find((x) => x.month === month && day >= x.from && day <= x.to);
        if (h) this.holidayFactor[d] = h.factor;
      }
    }
    this.bigTicket = enabled.has('bigticket');
  }

  /**
   * Customer `i`'s purchase-rate factor on day `d`, in place of `weekFactor` (its weekly profile's
   * factor for that day, `dow` 0 = Monday).
   */
  dayFactor(i: number, d: number, dow: number, weekFactor: number): number {
    let f = this.weekendHeavy[i] === 1 ? (WEEKEND_HEAVY_FACTORS[dow] as number) : weekFactor;
    if (this.payday[i] === 1) f *= paydayFactor(this.dayOfMonth[d] as number, this.daysInMonth[d] as number);
    f *= this.holidayFactor[d] as number;
    for (const [from, to] of this.gaps[i] as Array<[number, number]>) if (d >= from && d < to) return 0;
    return f;
  }

  /** Amount factor of one purchase: rarely a very large one (`bigticket`), else 1. */
  purchaseFactor(): number {
    if (!this.bigTicket || !this.rng.chance(BIG_PURCHASE_SHARE)) return 1;
    return this.rng.uniform(BIG_PURCHASE_FACTOR.min, BIG_PURCHASE_FACTOR.max);
  }

  /** What the ground truth lists under `behaviour_patterns`. */
  truth(ids: readonly string[]): Record<string, unknown> {
    const idsWhere = (a: Uint8Array): string[] => ids.filter((_, i) => a[i] === 1);
    const gaps: Record<string, Array<[number, number]>> = {};
    this.gaps.forEach((g, i) => {
      if (g.length > 0) gaps[ids[i] as string] = g;
    });
    return {
      enabled: BEHAVIOUR_PATTERNS.filter((p) => this.enabled.has(p)),
      weekend_heavy_customers: idsWhere(this.weekendHeavy),
      payday_customers: idsWhere(this.payday),
      holiday_days: [...this.holidayFactor.keys()].filter((d) => (this.holidayFactor[d] as number) !== 1),
      gap_days_by_customer: gaps,
    };
  }
}

/** Pay-day factor on day `dayOfMonth` (1-based) of a month of `daysInMonth` days. */
export function paydayFactor(dayOfMonth: number, daysInMonth: number): number {
  const sincePayday = (dayOfMonth - Math.min(PAYDAY_DAY_OF_MONTH, daysInMonth) + daysInMonth) % daysInMonth;
  return sincePayday < PAYDAY_SPREE_DAYS ? PAYDAY_SPREE_FACTOR : PAYDAY_REST_FACTOR;
}
