/**
 * Count map of a categorical feature: the exact, mergeable summary (counts add up), kept as plain
 * JSON so that it can live in KeyedState. Categories are compared as strings: numbers and booleans
 * are turned into their string form; null and undefined are counted as missing and take no part in
 * the statistics (as Evidently drops NaN).
 */
import { DriftInputError } from './errors.js';

export type CategoryValue = string | number | boolean | null | undefined;

export interface CategoricalSummary {
  kind: 'categorical';
  version: 1;
  /** Category -> count. A null-prototype object in memory; plain JSON when persisted. */
  counts: Record<string, number>;
  missing: number;
}

export function createCategoricalSummary(): CategoricalSummary {
  return { kind: 'categorical', version: 1, counts: Object.create(null) as Record<string, number>, missing: 0 };
}

/** Adds `weight` observations of `value` (in place). */
export function addCategory(summary: CategoricalSummary, value: CategoryValue, weight = 1): void {
  if (value === null || value === undefined) {
    summary.missing += weight;
    return;
  }
  const key = String(value);
  summary.counts[key] = (summary.counts[key] ?? 0) + weight;
}

export function summariseCategories(values: ArrayLike<CategoryValue>): CategoricalSummary {
  const summary = createCategoricalSummary();
  for (let i = 0; i < values.length; i++) addCategory(summary, values[i]);
  return summary;
}

/** A summary from a plain count map, e.g. `{ web: 120, store: 80 }`. */
export function categoricalFromCounts(counts: Record<string, number>, missing = 0): CategoricalSummary {
  return restoreCategoricalSummary({ kind: 'categorical', version: 1, counts, missing });
}

/** Adds `from` into `into` (in place). */
export function mergeCategorical(into: CategoricalSummary, from: CategoricalSummary): void {
  for (const [k, c] of Object.entries(from.counts)) into.counts[k] = (into.counts[k] ?? 0) + c;
  into.missing += from.missing;
}

/** Total count of non-missing observations. */
export function categoricalTotal(summary: CategoricalSummary): number {
  let total = 0;
  for (const c of Object.values(summary.counts)) total += c;
  return total;
}

export interface AlignedCounts {
  /** Union of the categories with a positive count in either summary, sorted by code unit. */
  categories: string[];
  ref: Float64Array;
  cur: Float64Array;
}

/** Aligns two summaries on the union of their categories (one bin per category). */
export function alignCategories(ref: CategoricalSummary, cur: CategoricalSummary): AlignedCounts {
  const names = new Set<string>();
  for (const [k, c] of Object.entries(ref.counts)) if (c > 0) names.add(k);
  for (const [k, c] of Object.entries(cur.counts)) if (c > 0) names.add(k);
  const categories = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    categories,
    ref: Float64Array.from(categories, (k) => ref.counts[k] ?? 0),
    cur: Float64Array.from(categories, (k) => cur.counts[k] ?? 0),
  };
}

/** Checks persisted JSON and returns a summary with a null-prototype count map. */
export function restoreCategoricalSummary(json: unknown): CategoricalSummary {
  const fail = (why: string): never => {
    throw new DriftInputError('DRIFT_SUMMARY_INVALID', `categorical summary: ${why}`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const o = json as Record<string, unknown>;
  if (o['kind'] !== 'categorical') return fail(`kind must be "categorical", got ${String(o['kind'])}`);
  if (o['version'] !== 1) return fail(`unsupported version ${String(o['version'])}`);
  const missing = o['missing'];
  if (typeof missing !== 'number' || !(missing >= 0)) return fail('missing must be a count >= 0');
  const counts = o['counts'];
  if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) return fail('counts must be an object');
  const out = Object.create(null) as Record<string, number>;
  for (const [k, c] of Object.entries(counts as Record<string, unknown>)) {
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) fail(`counts[${JSON.stringify(k)}] must be a count >= 0`);
    out[k] = c as number;
  }
  return { kind: 'categorical', version: 1, counts: out, missing };
}

export function isCategoricalSummary(x: unknown): x is CategoricalSummary {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'categorical';
}
