/**
 * Per-feature drift options (SPEC section 7 defaults; every threshold configurable per feature).
 * Validated once when a job is built, not per call on the hot path.
 */
import { DriftConfigError } from './errors.js';
import type { KsMethod } from './ks.js';
import { KS_METHODS } from './ks.js';
import { CHI2_MIN_EXPECTED } from './chi-square.js';
import { PSI_DEFAULT_BINS, PSI_EPSILON } from './psi.js';

export type FeatureKind = 'numeric' | 'categorical';

export const NUMERIC_METHODS = ['wasserstein_norm', 'ks', 'psi'] as const;
export const CATEGORICAL_METHODS = ['jensenshannon', 'chisquare', 'psi'] as const;
export type NumericMethod = (typeof NUMERIC_METHODS)[number];
export type CategoricalMethod = (typeof CATEGORICAL_METHODS)[number];
/** The value of drift_metrics.method. */
export type DriftMethod = NumericMethod | CategoricalMethod | 'insufficient_data';

export interface FeatureDriftOptions {
  /** 'auto' applies SPEC section 7; a named method always decides with that statistic. */
  method: 'auto' | NumericMethod | CategoricalMethod;
  /** Samples must both have MORE than this many values for the large-sample rule. */
  largeSampleSize: number;
  /** Numeric, large samples: drifted when W1 / max(std(ref), 0.001) >= this. */
  wassersteinThreshold: number;
  /** Numeric, small samples: drifted when the KS p-value <= this. */
  ksPValueThreshold: number;
  /** Categorical, large samples: drifted when the Jensen-Shannon distance (base 2) >= this. */
  jsThreshold: number;
  /** Categorical, small samples: drifted when the chi-square p-value < this. */
  chi2PValueThreshold: number;
  /** Only when method is 'psi': drifted when PSI >= this. */
  psiThreshold: number;
  /** Number of reference-quantile bins for numeric PSI. */
  psiBins: number;
  psiEpsilon: number;
  /** Chi-square test of homogeneity: categories with an expected count below this in either period are pooled. */
  chi2MinExpected: number;
  /** KS p-value method (SciPy's names). */
  ksMethod: KsMethod;
  /** Fewer values than this in either period: method 'insufficient_data', not drifted. */
  minSampleSize: number;
}

export const DEFAULT_FEATURE_DRIFT_OPTIONS: Readonly<FeatureDriftOptions> = Object.freeze({
  method: 'auto',
  largeSampleSize: 1000,
  wassersteinThreshold: 0.1,
  ksPValueThreshold: 0.05,
  jsThreshold: 0.1,
  chi2PValueThreshold: 0.05,
  psiThreshold: 0.1,
  psiBins: PSI_DEFAULT_BINS,
  psiEpsilon: PSI_EPSILON,
  chi2MinExpected: CHI2_MIN_EXPECTED,
  ksMethod: 'asymp',
  minSampleSize: 1,
});

/**
 * Fills in defaults and checks every given option; `path` prefixes error messages
 * (e.g. `drift.features.spend_total`).
 */
export function resolveFeatureDriftOptions(kind: FeatureKind, options: Partial<FeatureDriftOptions> = {}, path = 'drift'): FeatureDriftOptions {
  const o: FeatureDriftOptions = { ...DEFAULT_FEATURE_DRIFT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in DEFAULT_FEATURE_DRIFT_OPTIONS)) {
      throw new DriftConfigError(`${path}.${key}`, `unknown option; known: ${Object.keys(DEFAULT_FEATURE_DRIFT_OPTIONS).join(', ')}`);
    }
    if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  }
  const allowed = kind === 'numeric' ? NUMERIC_METHODS : CATEGORICAL_METHODS;
  if (o.method !== 'auto' && !(allowed as readonly string[]).includes(o.method)) {
    throw new DriftConfigError(`${path}.method`, `"${String(o.method)}" is not a ${kind} method; use auto, ${allowed.join(', ')}`);
  }
  if (!KS_METHODS.includes(o.ksMethod)) {
    throw new DriftConfigError(`${path}.ksMethod`, `"${String(o.ksMethod)}" is not one of ${KS_METHODS.join(', ')}`);
  }
  probability(o.ksPValueThreshold, `${path}.ksPValueThreshold`);
  probability(o.chi2PValueThreshold, `${path}.chi2PValueThreshold`);
  nonNegative(o.wassersteinThreshold, `${path}.wassersteinThreshold`);
  nonNegative(o.psiThreshold, `${path}.psiThreshold`);
  nonNegative(o.jsThreshold, `${path}.jsThreshold`);
  if (o.jsThreshold > 1) throw new DriftConfigError(`${path}.jsThreshold`, `must be at most 1 (base-2 JS distance), got ${o.jsThreshold}`);
  integer(o.psiBins, 2, `${path}.psiBins`);
  integer(o.largeSampleSize, 0, `${path}.largeSampleSize`);
  integer(o.minSampleSize, 1, `${path}.minSampleSize`);
  smallPositive(o.psiEpsilon, `${path}.psiEpsilon`);
  nonNegative(o.chi2MinExpected, `${path}.chi2MinExpected`);
  return o;
}

function probability(v: unknown, path: string): void {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new DriftConfigError(path, `must be a p-value threshold in (0, 1), got ${String(v)}`);
}

function nonNegative(v: unknown, path: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DriftConfigError(path, `must be a finite number >= 0, got ${String(v)}`);
}

function integer(v: unknown, min: number, path: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new DriftConfigError(path, `must be an integer >= ${min}, got ${String(v)}`);
}

function smallPositive(v: unknown, path: string): void {
  if (typeof v !== 'number' || !(v > 0 && v < 0.5)) throw new DriftConfigError(path, `must be in (0, 0.5), got ${String(v)}`);
}
