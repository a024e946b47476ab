/**
 * All drift statistics of one feature, from raw samples or from summaries.
 *
 * Numeric features: PSI (reference-quantile bins), two-sample KS, Wasserstein-1 and its normalised
 * form; Jensen-Shannon distance and the chi-square test are computed too, over the same PSI bins.
 * Categorical features: PSI, Jensen-Shannon and chi-square over the union of categories; KS and
 * Wasserstein do not apply (null). The chi-square test is the test of homogeneity of the 2 x k table
 * of reference and current counts, sparse categories pooled (chi-square.ts).
 *
 * From sketches, every numeric statistic is the exact statistic of the data rounded to the bucket
 * representatives (see numeric-sketch.ts); `bounds` then says how far the raw-data value can be:
 * the KS statistic lies in [ks_statistic, ks_statistic_max], and W1 within `wasserstein_abs_error`.
 */
import type { CategoricalSummary } from './categorical.js';
import { alignCategories } from './categorical.js';
import { CHI2_MIN_EXPECTED, type ChiSquareResult, chiSquareHomogeneity } from './chi-square.js';
import { populationStd, walkUnion, type EmpiricalDistribution } from './empirical.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import type { KsMethod } from './ks.js';
import { ksPValue, ksStatistic } from './ks.js';
import type { NumericSketch } from './numeric-sketch.js';
import { sketchDistribution, sketchMeanAbs, sketchStd } from './numeric-sketch.js';
import { numericPsi, PSI_DEFAULT_BINS, PSI_EPSILON, psiFromCounts } from './psi.js';
import { WASSERSTEIN_STD_FLOOR, wasserstein1 } from './wasserstein.js';

/**
 * The chi-square test's figures, none when it could not run: with every category (or bin) too
 * sparse, all pool into one column and the table has no degree of freedom. Its "statistic 0,
 * p 1" read as an identical mix where there were too few values to tell (a tester's week of 27
 * contacts over 12 reasons, whose mix had changed: Jensen-Shannon 0.54).
 */
function chiSquareFigures(result: ChiSquareResult): Pick<DriftStats, 'chi2' | 'chi2_p_value'> {
  return result.df > 0 ? { chi2: result.statistic, chi2_p_value: result.pValue } : { chi2: null, chi2_p_value: null };
}

/** The statistics stored in drift_metrics and shown in the report, whichever one decides. */
export interface DriftStats {
  psi: number | null;
  ks_statistic: number | null;
  ks_p_value: number | null;
  wasserstein: number | null;
  wasserstein_norm: number | null;
  js: number | null;
  chi2: number | null;
  chi2_p_value: number | null;
}

export const EMPTY_STATS: Readonly<DriftStats> = Object.freeze({
  psi: null,
  ks_statistic: null,
  ks_p_value: null,
  wasserstein: null,
  wasserstein_norm: null,
  js: null,
  chi2: null,
  chi2_p_value: null,
});

export interface StatsOptions {
  psiBins: number;
  psiEpsilon: number;
  chi2MinExpected: number;
  ksMethod: KsMethod;
}

export const DEFAULT_STATS_OPTIONS: Readonly<StatsOptions> = Object.freeze({
  psiBins: PSI_DEFAULT_BINS,
  psiEpsilon: PSI_EPSILON,
  chi2MinExpected: CHI2_MIN_EXPECTED,
  ksMethod: 'asymp',
});

/** Guaranteed error bounds of sketch-based statistics against the raw data they summarise. */
export interface SketchErrorBounds {
  /** The raw-data KS statistic lies in [ks_statistic, ks_statistic_max]. */
  ks_statistic_max: number;
  /** |W1(sketches) - W1(raw)| <= a (mean|ref| + mean|cur|). */
  wasserstein_abs_error: number;
  /** The same bound divided by max(std(ref), 0.001) (the std itself is exact). */
  wasserstein_norm_abs_error: number;
}

/**
 * Numeric statistics of two empirical distributions (both non-empty). `referenceStd` defaults to
 * the population std of `ref`; pass the exact one when `ref` is a rounded (sketched) sample.
 */
export function numericStats(
  ref: EmpiricalDistribution,
  cur: EmpiricalDistribution,
  options: Partial<StatsOptions> = {},
  referenceStd: number = populationStd(ref),
): DriftStats {
  const o = { ...DEFAULT_STATS_OPTIONS, ...options };
  const binned = numericPsi(ref, cur, o.psiBins, o.psiEpsilon);
  const ks = ksPValue(ksStatistic(ref, cur), ref.n, cur.n, o.ksMethod);
  const w1 = wasserstein1(ref, cur);
  const chi2 = chiSquareHomogeneity(binned.refCounts, binned.curCounts, o.chi2MinExpected);
  return {
    psi: binned.psi,
    ks_statistic: ks.statistic,
    ks_p_value: ks.pValue,
    wasserstein: w1,
    wasserstein_norm: w1 / Math.max(referenceStd, WASSERSTEIN_STD_FLOOR),
    js: jensenShannonDistance(binned.refCounts, binned.curCounts),
    ...chiSquareFigures(chi2),
  };
}

export interface SketchStats {
  stats: DriftStats;
  bounds: SketchErrorBounds;
}

/** Numeric statistics from two non-empty sketches of the same relative accuracy. */
export function numericStatsFromSketches(ref: NumericSketch, cur: NumericSketch, options: Partial<StatsOptions> = {}): SketchStats {
  const refDist = sketchDistribution(ref);
  const curDist = sketchDistribution(cur);
  const refStd = sketchStd(ref);
  const stats = numericStats(refDist, curDist, options, refStd);
  const w1Error = Math.max(ref.relativeAccuracy, cur.relativeAccuracy) * (sketchMeanAbs(ref) + sketchMeanAbs(cur));
  return {
    stats,
    bounds: {
      ks_statistic_max: ksStatisticUpperBound(refDist, curDist),
      wasserstein_abs_error: w1Error,
      wasserstein_norm_abs_error: w1Error / Math.max(refStd, WASSERSTEIN_STD_FLOOR),
    },
  };
}

/**
 * Largest possible raw-data KS statistic given bucketed CDFs: inside a bucket each raw CDF can rise
 * anywhere between its values at the bucket's ends, so |F_ref - F_cur| there is at most
 * max(F_ref(hi) - F_cur(lo), F_cur(hi) - F_ref(lo)). Buckets are the distinct values of the union.
 */
function ksStatisticUpperBound(ref: EmpiricalDistribution, cur: EmpiricalDistribution): number {
  let bound = 0;
  walkUnion(ref, cur, (_v, refLo, refHi, curLo, curHi) => {
    bound = Math.max(bound, refHi - curLo, curHi - refLo);
  });
  return Math.min(bound, 1);
}

/** Categorical statistics of two count summaries (both with a positive total). */
export function categoricalStats(ref: CategoricalSummary, cur: CategoricalSummary, options: Partial<StatsOptions> = {}): DriftStats {
  const o = { ...DEFAULT_STATS_OPTIONS, ...options };
  const aligned = alignCategories(ref, cur);
  const chi2 = chiSquareHomogeneity(aligned.ref, aligned.cur, o.chi2MinExpected);
  return {
    psi: psiFromCounts(aligned.ref, aligned.cur, o.psiEpsilon),
    ks_statistic: null,
    ks_p_value: null,
    wasserstein: null,
    wasserstein_norm: null,
    js: jensenShannonDistance(aligned.ref, aligned.cur),
    ...chiSquareFigures(chi2),
  };
}
