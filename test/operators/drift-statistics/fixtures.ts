/** Typed access to fixtures.json, written by make_fixtures.py from SciPy (the oracle). */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export interface NumericFixture {
  name: string;
  note: string;
  ref: number[];
  cur: number[];
  ks_statistic: number;
  ks_p_asymp: number | null;
  ks_p_exact: number | null;
  wasserstein: number;
  ref_std: number;
  wasserstein_norm: number;
  psi_edges: number[];
  psi_ref_counts: number[];
  psi_cur_counts: number[];
  psi: number;
  binned_js: number;
  binned_chi2: number | null;
  binned_chi2_p: number | null;
}

export interface CategoricalFixture {
  name: string;
  note: string;
  ref: Record<string, number>;
  cur: Record<string, number>;
  categories: string[];
  js: number | null;
  chi2: number | null;
  chi2_p: number | null;
  /** Categories merged into the pooled column of the chi-square table. */
  chi2_pooled: number;
  psi: number | null;
}

export interface Fixtures {
  scipy: string;
  numeric: NumericFixture[];
  categorical: CategoricalFixture[];
  kstwo_sf: Array<{ n: number; d: number; sf: number }>;
  smirnov_sf: Array<{ n: number; x: number; sf: number }>;
  chi2_sf: Array<{ df: number; x: number; sf: number }>;
}

export const fixtures: Fixtures = JSON.parse(readFileSync(new URL('./fixtures.json', import.meta.url), 'utf8')) as Fixtures;

export function numericFixture(name: string): NumericFixture {
  const found = fixtures.numeric.find((f) => f.name === name);
  if (!found) throw new Error(`no numeric fixture ${name}`);
  return found;
}

export function categoricalFixture(name: string): CategoricalFixture {
  const found = fixtures.categorical.find((f) => f.name === name);
  if (!found) throw new Error(`no categorical fixture ${name}`);
  return found;
}

/** Statistics: 1e-9 relative (1e-12 absolute near zero). */
export function expectStat(actual: number, expected: number, label = ''): void {
  const tol = 1e-9 * Math.abs(expected) + 1e-12;
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

/** p-values: 1e-6 relative, so tiny p-values are compared relative to their size. */
export function expectP(actual: number, expected: number, label = ''): void {
  const tol = 1e-6 * Math.abs(expected) + 1e-300;
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}
