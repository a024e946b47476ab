/**
 * The drift decision of SPEC section 7, per feature and for the dataset.
 *
 * Per feature (defaults, each configurable in FeatureDriftOptions):
 *  - numeric: when both periods have more than 1,000 values, drifted if the normalised
 *    Wasserstein-1 distance >= 0.1; otherwise drifted if the two-sample KS p-value <= 0.05;
 *  - categorical: when both periods have more than 1,000 values, drifted if the Jensen-Shannon
 *    distance (base 2) >= 0.1; otherwise drifted if the p-value of the chi-square test of homogeneity
 *    (reference and current counts as a 2 x k table, sparse categories pooled) is < 0.05.
 * All statistics are computed every time (`allStats`). A period with fewer than `minSampleSize`
 * values (default 1, so an empty period) yields method 'insufficient_data', drifted false and null
 * scores: never NaN, never an exception. So does a categorical feature decided by the chi-square
 * test when every category is too sparse for it (its other statistics are kept).
 *
 * Inputs are raw samples (exact statistics) or summaries (categorical count maps: exact; numeric
 * sketches: exact while both still keep their values, see numeric-sketch.ts, else approximate with
 * guaranteed bounds in `bounds`). A raw sample paired with a sketch past its limit is sketched with
 * the same accuracy first.
 */
import type { CategoricalSummary, CategoryValue } from './categorical.js';
import { categoricalTotal, isCategoricalSummary, summariseCategories } from './categorical.js';
import { prepareSample, type EmpiricalDistribution } from './empirical.js';
import type { NumericSketch } from './numeric-sketch.js';
import { exactDistribution, isNumericSketch, sketchOf } from './numeric-sketch.js';
import type { DriftMethod, FeatureDriftOptions } from './options.js';
import { resolveFeatureDriftOptions } from './options.js';
import { DriftConfigError } from './errors.js';
import type { DriftStats, SketchErrorBounds } from './stats.js';
import { categoricalStats, EMPTY_STATS, numericStats, numericStatsFromSketches } from './stats.js';

export type NumericSampleInput = ArrayLike<number> | NumericSketch;
export type CategoricalSampleInput = ArrayLike<CategoryValue> | CategoricalSummary;

export type FeatureDriftInput =
  | { kind: 'numeric'; ref: NumericSampleInput; cur: NumericSampleInput; options?: Partial<FeatureDriftOptions> }
  | { kind: 'categorical'; ref: CategoricalSampleInput; cur: CategoricalSampleInput; options?: Partial<FeatureDriftOptions> };

export interface FeatureDriftResult {
  /** The statistic that decided (drift_metrics.method). */
  method: DriftMethod;
  /** Its value: W1 norm, KS statistic D, PSI, JS distance or chi-square statistic; null if insufficient. */
  score: number | null;
  /** The p-value for KS and chi-square decisions, else null. */
  p_value: number | null;
  /** Compared with the p-value for KS (<=) and chi-square (<), with the score otherwise (>=). */
  threshold: number | null;
  drifted: boolean;
  allStats: DriftStats;
  /** Values (non-missing) in each period. */
  referenceSize: number;
  currentSize: number;
  /** True when the numeric statistics come from sketches (see `bounds`). */
  approximate: boolean;
  bounds: SketchErrorBounds | null;
}

export function decideFeatureDrift(input: FeatureDriftInput): FeatureDriftResult {
  const options = resolveFeatureDriftOptions(input.kind, input.options ?? {});
  return input.kind === 'numeric' ? decideNumeric(input.ref, input.cur, options) : decideCategorical(input.ref, input.cur, options);
}

function decideNumeric(refIn: NumericSampleInput, curIn: NumericSampleInput, o: FeatureDriftOptions): FeatureDriftResult {
  const statsOptions = { psiBins: o.psiBins, psiEpsilon: o.psiEpsilon, chi2MinExpected: o.chi2MinExpected, ksMethod: o.ksMethod };
  const ref = valuesOf(refIn);
  const cur = valuesOf(curIn);
  if (ref !== null && cur !== null) {
    if (insufficient(ref.n, cur.n, o)) return insufficientResult(ref.n, cur.n, false);
    return numericResult(numericStats(ref, cur, statsOptions), null, ref.n, cur.n, o);
  }
  const [refSketch, curSketch] = asSketches(refIn, curIn);
  if (insufficient(refSketch.count, curSketch.count, o)) return insufficientResult(refSketch.count, curSketch.count, true);
  const { stats, bounds } = numericStatsFromSketches(refSketch, curSketch, statsOptions);
  return numericResult(stats, bounds, refSketch.count, curSketch.count, o);
}

/** The values of a raw sample or of a sketch that still keeps them (numeric-sketch.ts `exact`); null past its limit. */
function valuesOf(input: NumericSampleInput): EmpiricalDistribution | null {
  return isNumericSketch(input) ? exactDistribution(input) : prepareSample(input).distribution;
}

/** Both inputs as sketches of one accuracy (at least one is a sketch): a raw sample is sketched like it. */
function asSketches(refIn: NumericSampleInput, curIn: NumericSampleInput): [NumericSketch, NumericSketch] {
  const accuracy = isNumericSketch(refIn) ? refIn.relativeAccuracy : (curIn as NumericSketch).relativeAccuracy;
  const sketch = (x: NumericSampleInput): NumericSketch => (isNumericSketch(x) ? x : sketchOf(x, { relativeAccuracy: accuracy }));
  return [sketch(refIn), sketch(curIn)];
}

function numericResult(stats: DriftStats, bounds: SketchErrorBounds | null, nRef: number, nCur: number, o: FeatureDriftOptions): FeatureDriftResult {
  const large = nRef > o.largeSampleSize && nCur > o.largeSampleSize;
  const method = o.method === 'auto' ? (large ? 'wasserstein_norm' : 'ks') : o.method;
  return { ...verdict(method, stats, o), allStats: stats, referenceSize: nRef, currentSize: nCur, approximate: bounds !== null, bounds };
}

function decideCategorical(refIn: CategoricalSampleInput, curIn: CategoricalSampleInput, o: FeatureDriftOptions): FeatureDriftResult {
  const ref = isCategoricalSummary(refIn) ? refIn : summariseCategories(refIn);
  const cur = isCategoricalSummary(curIn) ? curIn : summariseCategories(curIn);
  const nRef = categoricalTotal(ref);
  const nCur = categoricalTotal(cur);
  if (insufficient(nRef, nCur, o)) return insufficientResult(nRef, nCur, false);
  const stats = categoricalStats(ref, cur, { psiEpsilon: o.psiEpsilon, chi2MinExpected: o.chi2MinExpected });
  const large = nRef > o.largeSampleSize && nCur > o.largeSampleSize;
  const method = o.method === 'auto' ? (large ? 'jensenshannon' : 'chisquare') : o.method;
  // Every category too sparse to test (stats.ts, chiSquareFigures): too few values to decide.
  if (method === 'chisquare' && stats.chi2_p_value === null) return { ...insufficientResult(nRef, nCur, false), allStats: stats };
  const decided = method === 'chisquare' ? verdict(method, stats, o) : beyondChance(verdict(method, stats, o), stats, o);
  return { ...decided, allStats: stats, referenceSize: nRef, currentSize: nCur, approximate: false, bounds: null };
}

/**
 * A categorical distance (Jensen-Shannon, PSI) is drift only where the chi-square test of
 * homogeneity also rejects, and its p-value is reported beside the score. Over many categories two
 * samples of one distribution are far apart by chance alone: 50 categories and 1,001 values in
 * each period give a median JS distance of 0.13, so every stable period drifted (100 categories:
 * also at 3,000 values). The distance still says whether a change is large enough to matter.
 */
function beyondChance(distance: Verdict, s: DriftStats, o: FeatureDriftOptions): Verdict {
  const p = s.chi2_p_value;
  return { ...distance, p_value: p, drifted: distance.drifted && p !== null && p < o.chi2PValueThreshold };
}

type Verdict = Pick<FeatureDriftResult, 'method' | 'score' | 'p_value' | 'threshold' | 'drifted'>;

function verdict(method: Exclude<DriftMethod, 'insufficient_data'>, s: DriftStats, o: FeatureDriftOptions): Verdict {
  switch (method) {
    case 'wasserstein_norm':
      return atLeast(method, s.wasserstein_norm, o.wassersteinThreshold);
    case 'psi':
      return atLeast(method, s.psi, o.psiThreshold);
    case 'jensenshannon':
      return atLeast(method, s.js, o.jsThreshold);
    case 'ks': {
      const p = s.ks_p_value;
      return { method, score: s.ks_statistic, p_value: p, threshold: o.ksPValueThreshold, drifted: p !== null && p <= o.ksPValueThreshold };
    }
    case 'chisquare': {
      const p = s.chi2_p_value;
      return { method, score: s.chi2, p_value: p, threshold: o.chi2PValueThreshold, drifted: p !== null && p < o.chi2PValueThreshold };
    }
  }
}

/** p-value tests compare the p-value with the threshold (drifted at or below it); the rest the score. */
export function usesPValue(method: string): boolean {
  return method === 'ks' || method === 'chisquare';
}

/**
 * A verdict as a person reads it: what was compared with the threshold, and how. For the tests
 * that is the p-value ("ks=0.1100 (threshold 0.05)" put the statistic beside the p-value's
 * threshold, as if twice over it when p was 0.049).
 */
export function verdictText(v: Pick<FeatureDriftResult, 'method' | 'score' | 'p_value' | 'threshold'>): string {
  const score = v.score === null ? 'n/a' : v.score.toPrecision(4);
  if (!usesPValue(v.method)) return `${v.method} ${score} (threshold ${v.threshold})`;
  const p = v.p_value === null ? 'n/a' : v.p_value.toPrecision(3);
  return `${v.method} p ${p} (threshold ${v.threshold}; statistic ${score})`;
}

function atLeast(method: Exclude<DriftMethod, 'insufficient_data'>, score: number | null, threshold: number): Verdict {
  return { method, score, p_value: null, threshold, drifted: score !== null && score >= threshold };
}

function insufficient(nRef: number, nCur: number, o: FeatureDriftOptions): boolean {
  return nRef < o.minSampleSize || nCur < o.minSampleSize;
}

function insufficientResult(nRef: number, nCur: number, approximate: boolean): FeatureDriftResult {
  return {
    method: 'insufficient_data',
    score: null,
    p_value: null,
    threshold: null,
    drifted: false,
    allStats: { ...EMPTY_STATS },
    referenceSize: nRef,
    currentSize: nCur,
    approximate,
    bounds: null,
  };
}

export interface FeatureVerdict {
  feature: string;
  drifted: boolean;
  method: DriftMethod;
  /** A key feature makes the dataset drifted on its own. */
  key?: boolean;
}

export interface DatasetDriftOptions {
  /** Dataset drifted when the share of drifted features >= this (default 0.5). */
  shareThreshold?: number;
  /** Features marked key (in addition to `key: true` on the verdicts). */
  keyFeatures?: readonly string[];
}

export interface DatasetDriftResult {
  drifted: boolean;
  /** Drifted / evaluated features; null when no feature had enough data. */
  share: number | null;
  shareThreshold: number;
  driftedCount: number;
  /** Features that had enough data (method other than insufficient_data). */
  evaluatedCount: number;
  driftedFeatures: string[];
  driftedKeyFeatures: string[];
}

/**
 * SPEC section 7 dataset drift: the share of drifted features >= 0.5, or any key feature drifted.
 * Features with insufficient data are left out of the share (they are neither drifted nor stable).
 */
export function decideDatasetDrift(features: readonly FeatureVerdict[], options: DatasetDriftOptions = {}): DatasetDriftResult {
  const shareThreshold = options.shareThreshold ?? 0.5;
  if (!(shareThreshold > 0 && shareThreshold <= 1)) {
    throw new DriftConfigError('drift.dataset.shareThreshold', `must be in (0, 1], got ${String(shareThreshold)}`);
  }
  const keys = new Set(options.keyFeatures ?? []);
  const evaluated = features.filter((f) => f.method !== 'insufficient_data');
  const driftedFeatures = evaluated.filter((f) => f.drifted).map((f) => f.feature);
  const driftedKeyFeatures = evaluated.filter((f) => f.drifted && (f.key === true || keys.has(f.feature))).map((f) => f.feature);
  const share = evaluated.length === 0 ? null : driftedFeatures.length / evaluated.length;
  return {
    drifted: (share !== null && share >= shareThreshold) || driftedKeyFeatures.length > 0,
    share,
    shareThreshold,
    driftedCount: driftedFeatures.length,
    evaluatedCount: evaluated.length,
    driftedFeatures,
    driftedKeyFeatures,
  };
}
