/**
 * Value tiers, RFM scores and the segment migration matrix: pure functions over per-customer
 * trailing-12-month figures, so that they can be tested by hand and reused by batch reports.
 */
import { quantileSorted as ssQuantileSorted } from 'simple-statistics';
import { exactAdd, exactMerge, exactValue, type ExactSum } from '../exact-sum.js';
import type { Tier } from './options.js';
import { TIER_NAMES } from './options.js';

export interface CustomerValue {
  customer_id: string;
  /** Days since the last transaction at the scoring time. */
  recencyDays: number;
  /** Transactions in the trailing 12 months. */
  frequency: number;
  /** Spend (amounts >= 0) in the trailing 12 months. */
  monetary: number;
}

export interface CustomerScore extends CustomerValue {
  tier: Tier;
  rScore: number;
  fScore: number;
  mScore: number;
  /** The three scores as digits, e.g. "545". */
  rfm: string;
}

export interface TierThresholds {
  /** Spend strictly above this is Gold: the (1 - gold) quantile. */
  gold: number;
  /** Spend strictly above this (and not Gold) is Silver: the (1 - gold - silver) quantile. */
  silver: number;
}

/** NumPy's default quantile (linear interpolation, type 7) of ascending `sorted`; NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : ssQuantileSorted(sorted, q);
}

/**
 * Tier thresholds by spend quantiles. Strict comparison so that tied customers share a tier and a
 * population of equal spenders is all Bronze, rather than an arbitrary top 10% by id.
 */
export function tierThresholds(spend: readonly number[], goldShare: number, silverShare: number): TierThresholds {
  const sorted = [...spend].sort((a, b) => a - b);
  return {
    gold: quantileSorted(sorted, 1 - goldShare),
    silver: quantileSorted(sorted, Math.max(0, 1 - goldShare - silverShare)),
  };
}

export function tierOf(spend: number, t: TierThresholds): Tier {
  return spend > t.gold ? 'Gold' : spend > t.silver ? 'Silver' : 'Bronze';
}

/**
 * Quintile scores 1 to 5: 1 + floor(5 x (customers strictly worse) / n), so ties share a score and
 * with distinct values this is SQL's NTILE(5) when n is a multiple of 5. `higherIsBetter` false for
 * recency (fewer days since the last purchase score higher).
 */
export function quintileScores(values: readonly number[], higherIsBetter: boolean): number[] {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  return values.map((v) => {
    const worse = higherIsBetter ? lowerBound(sorted, v) : n - upperBound(sorted, v);
    return Math.min(5, 1 + Math.floor((5 * worse) / n));
  });
}

/** Tiers and RFM scores of a population. */
export function scoreCustomers(customers: readonly CustomerValue[], goldShare: number, silverShare: number): CustomerScore[] {
  if (customers.length === 0) return [];
  const t = tierThresholds(
    customers.map((c) => c.monetary),
    goldShare,
    silverShare,
  );
  const r = quintileScores(
    customers.map((c) => c.recencyDays),
    false,
  );
  const f = quintileScores(
    customers.map((c) => c.frequency),
    true,
  );
  const m = quintileScores(
    customers.map((c) => c.monetary),
    true,
  );
  return customers.map((c, i) => ({
    ...c,
    tier: tierOf(c.monetary, t),
    rScore: r[i]!,
    fScore: f[i]!,
    mScore: m[i]!,
    rfm: `${r[i]}${f[i]}${m[i]}`,
  }));
}

/** Tier outside the scored population: `from` of a new customer, `to` of a lost one. */
export const NO_TIER = 'none';
export type MigrationTier = Tier | typeof NO_TIER;
export type Movement = 'retained' | 'upgraded' | 'downgraded' | 'new' | 'lost';

export interface MigrationCell {
  from_tier: MigrationTier;
  to_tier: MigrationTier;
  movement: Movement;
  customers: number;
  /**
   * Share of revenue (trailing-12-month spend) in the cell: of the current total, except lost
   * customers, whose spend at the previous scoring is shared over the previous total (their current
   * spend says nothing).
   */
  revenue_share: number;
}

export interface ScoredTier {
  tier: Tier;
  spend: number;
}

export function movementOf(from: MigrationTier, to: MigrationTier): Movement {
  if (from === NO_TIER) return 'new';
  if (to === NO_TIER) return 'lost';
  const d = TIER_NAMES.indexOf(to) - TIER_NAMES.indexOf(from);
  return d === 0 ? 'retained' : d > 0 ? 'upgraded' : 'downgraded';
}

/**
 * Counts of customers and revenue per (from, to) tier pair, and both revenue totals, as exact sums:
 * tallies of disjoint sets of customers (one per worker) add up to the tally of all of them.
 */
export interface MigrationTally {
  cells: Record<string, { from: MigrationTier; to: MigrationTier; customers: number; revenue: ExactSum }>;
  currentTotal: ExactSum;
  previousTotal: ExactSum;
}

export function emptyMigrationTally(): MigrationTally {
  return { cells: {}, currentTotal: [], previousTotal: [] };
}

/** Adds the movements of the customers in `previous` and `current` to `tally`. */
export function tallyMigrations(tally: MigrationTally, previous: ReadonlyMap<string, ScoredTier>, current: ReadonlyMap<string, ScoredTier>): MigrationTally {
  const add = (from: MigrationTier, to: MigrationTier, customers: number, revenue: readonly number[]): void => {
    const k = `${from}>${to}`;
    const cell = (tally.cells[k] ??= { from, to, customers: 0, revenue: [] });
    cell.customers += customers;
    exactMerge(cell.revenue, revenue);
  };
  for (const s of current.values()) exactAdd(tally.currentTotal, s.spend);
  for (const s of previous.values()) exactAdd(tally.previousTotal, s.spend);
  for (const [id, now] of current) add(previous.get(id)?.tier ?? NO_TIER, now.tier, 1, [now.spend]);
  for (const [id, before] of previous) if (!current.has(id)) add(before.tier, NO_TIER, 1, [before.spend]);
  return tally;
}

/** Adds `from` into `into` (in place). */
export function mergeMigrationTallies(into: MigrationTally, from: MigrationTally): void {
  for (const cell of Object.values(from.cells)) {
    const k = `${cell.from}>${cell.to}`;
    const target = (into.cells[k] ??= { from: cell.from, to: cell.to, customers: 0, revenue: [] });
    target.customers += cell.customers;
    exactMerge(target.revenue, cell.revenue);
  }
  exactMerge(into.currentTotal, from.currentTotal);
  exactMerge(into.previousTotal, from.previousTotal);
}

/** The non-empty cells of a tally, ordered by from tier then to tier. */
export function migrationCells(tally: MigrationTally): MigrationCell[] {
  const order = [...TIER_NAMES, NO_TIER] as MigrationTier[];
  const currentTotal = exactValue(tally.currentTotal);
  const previousTotal = exactValue(tally.previousTotal);
  return Object.values(tally.cells)
    .sort((a, b) => order.indexOf(a.from) - order.indexOf(b.from) || order.indexOf(a.to) - order.indexOf(b.to))
    .map((c) => {
      const total = c.to === NO_TIER ? previousTotal : currentTotal;
      return {
        from_tier: c.from,
        to_tier: c.to,
        movement: movementOf(c.from, c.to),
        customers: c.customers,
        revenue_share: total > 0 ? exactValue(c.revenue) / total : 0,
      };
    });
}

/** Tier at the previous scoring vs now, one cell per non-empty (from, to) pair, ordered. */
export function migrationMatrix(previous: ReadonlyMap<string, ScoredTier>, current: ReadonlyMap<string, ScoredTier>): MigrationCell[] {
  return migrationCells(tallyMigrations(emptyMigrationTally(), previous, current));
}

function lowerBound(sorted: readonly number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: readonly number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
