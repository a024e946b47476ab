/**
 * Options of the population drift operator: the schema of the job YAML block (defaults, unknown
 * keys rejected), and the build step `populationDriftOptionsFromConfig`, which adds the checks
 * across keys (every error names the key). The runtime only takes the resolved `PopulationDriftOptions`.
 */
import { ConfigError } from '../errors.js';
import { MS_PER_DAY } from '../events.js';
import { Duration, StringEnum, Type, compileConfig, type Static } from '../config/schema.js';
import { requireDuration } from '../duration.js';
import type { FeatureDriftOptions, FeatureKind } from '../drift-statistics/index.js';
import { DEFAULT_RELATIVE_ACCURACY, resolveFeatureDriftOptions } from '../drift-statistics/index.js';

/** What a feature measures; the kind follows from it (survey answers may be either). */
export const FEATURE_SOURCES = [
  'spend', // per-customer sum of amounts >= 0 in the period (known customers without any: 0)
  'transaction_count', // per-customer number of transactions in the period
  'usage', // per-customer usage quantity of `metric` in the period
  'channel', // transaction channel mix (one observation per transaction)
  'contact_reason', // contact-reason mix (one per contact)
  'contact_channel', // contact channel mix (one per contact)
  'survey', // survey answers to `question` (one per answer)
  'profile', // latest profile `attribute` of each known customer at period close
  'segment', // value tier of each scored customer at period close
] as const;
export type FeatureSource = (typeof FEATURE_SOURCES)[number];

const SOURCE_KIND: Record<FeatureSource, FeatureKind> = {
  spend: 'numeric',
  transaction_count: 'numeric',
  usage: 'numeric',
  channel: 'categorical',
  contact_reason: 'categorical',
  contact_channel: 'categorical',
  survey: 'numeric',
  profile: 'categorical',
  segment: 'categorical',
};

export interface PopulationFeature {
  /** drift_metrics.feature and the metric label; unique. */
  name: string;
  source: FeatureSource;
  kind: FeatureKind;
  /** A drifted key feature makes the dataset drifted on its own. */
  key: boolean;
  /** usage: the metric; survey: the question id; profile: the attribute (region, age_band, tier, ...). */
  field: string | null;
  drift: FeatureDriftOptions;
}

export type ReferenceOptions =
  | { mode: 'previous' }
  /** [start, end) epoch ms on the period grid, a whole number of periods. */
  | { mode: 'fixed'; start: number; end: number }
  /** Frozen under `name`: built from [start, end) when given, else from the first closed period. */
  | { mode: 'snapshot'; name: string; start: number | null; end: number | null };

export const TIER_NAMES = ['Bronze', 'Silver', 'Gold'] as const;
export type Tier = (typeof TIER_NAMES)[number];

export interface PopulationDriftOptions {
  name: string;
  periodMs: number;
  /** Period starts are offsetMs + k * periodMs (epoch ms). */
  offsetMs: number;
  reference: ReferenceOptions;
  features: PopulationFeature[];
  shareThreshold: number;
  relativeAccuracy: number;
  /** Tiers by trailing-12-month spend: Gold the top `gold` share, Silver the next `silver`. */
  goldShare: number;
  silverShare: number;
  /** A customer without any event for this long is forgotten (bounds the state). */
  customerTtlMs: number;
  /**
   * Periods closed first that are neither evaluated nor taken as a `previous` or first-period
   * snapshot reference: customers are discovered from their events, so the first period knows only
   * its active customers while later ones also count the quiet ones as 0.
   */
  warmupPeriods: number;
  /** At the end of a bounded input, the last period is closed when events reach its end minus this. */
  finalPeriodSlackMs: number;
}

const WEEK_MS = 7 * MS_PER_DAY;
/** 1970-01-01 was a Thursday: Monday 00:00 UTC periods start 4 days after the epoch. */
export const MONDAY_OFFSET_MS = 4 * MS_PER_DAY;

export const DEFAULT_FEATURES_CONFIG: ReadonlyArray<Record<string, unknown>> = [
  { name: 'spend_per_customer', source: 'spend', key: true },
  { name: 'transactions_per_customer', source: 'transaction_count' },
  { name: 'transaction_channel', source: 'channel' },
  { name: 'contact_reason', source: 'contact_reason' },
  { name: 'survey_nps', source: 'survey', question: 'nps' },
  { name: 'region', source: 'profile', attribute: 'region' },
  { name: 'age_band', source: 'profile', attribute: 'age_band' },
  { name: 'value_tier', source: 'segment' },
];

/** snake_case YAML key -> FeatureDriftOptions key. */
const DRIFT_KEYS: Record<string, keyof FeatureDriftOptions> = {
  method: 'method',
  large_sample_size: 'largeSampleSize',
  wasserstein_threshold: 'wassersteinThreshold',
  ks_p_value_threshold: 'ksPValueThreshold',
  js_threshold: 'jsThreshold',
  chi2_p_value_threshold: 'chi2PValueThreshold',
  chi2_min_expected: 'chi2MinExpected',
  psi_threshold: 'psiThreshold',
  psi_bins: 'psiBins',
  ks_method: 'ksMethod',
  min_sample_size: 'minSampleSize',
};

/** A bad population_drift option; `key` names it (e.g. `features[2].metric`). */
export class PopulationDriftConfigError extends ConfigError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`population_drift.${key}: ${message}`);
  }
}

const TIME = Type.Union([Type.String(), Type.Number()], { description: 'an RFC 3339 time or epoch milliseconds' });
const share = (fallback: number) => Type.Number({ exclusiveMinimum: 0, maximum: 1, default: fallback });

const FEATURE_SCHEMA = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    source: StringEnum(FEATURE_SOURCES),
    kind: Type.Optional(StringEnum(['numeric', 'categorical'] as const, { description: 'only survey features may choose' })),
    key: Type.Boolean({ default: false, description: 'a drifted key feature makes the dataset drifted on its own' }),
    metric: Type.Optional(Type.String({ minLength: 1, description: 'usage metric (source usage)' })),
    question: Type.Optional(Type.String({ minLength: 1, description: 'answer id (source survey)' })),
    attribute: Type.Optional(Type.String({ minLength: 1, description: 'profile attribute (source profile)' })),
    method: Type.Optional(
      Type.String({
        description:
          'auto (SPEC section 7: by sample size), or for numeric features wasserstein_norm, ks or psi, for categorical jensenshannon, chisquare or psi',
      }),
    ),
    large_sample_size: Type.Optional(
      Type.Integer({ minimum: 0, description: 'auto: above this many values in both periods the distance decides, not the test (default 1000)' }),
    ),
    wasserstein_threshold: Type.Optional(Type.Number({ minimum: 0, description: 'drifted when W1 / std of the reference >= this (default 0.1)' })),
    ks_p_value_threshold: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'drifted when the KS p-value <= this (default 0.05)' }),
    ),
    js_threshold: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'drifted when the Jensen-Shannon distance (base 2) >= this (default 0.1)' }),
    ),
    chi2_p_value_threshold: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'drifted when the chi-square test of homogeneity has p < this (default 0.05)' }),
    ),
    chi2_min_expected: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'chi-square: categories expected below this in either period are pooled; when all are, the test cannot run and a feature it decides is `insufficient_data` (its chi-square figures null)',
      }),
    ),
    psi_threshold: Type.Optional(Type.Number({ minimum: 0, description: 'method psi: drifted when PSI >= this (default 0.1)' })),
    psi_bins: Type.Optional(Type.Integer({ minimum: 2, description: 'numeric PSI: bins at the quantiles of the reference (default 10)' })),
    ks_method: Type.Optional(
      StringEnum(['asymp', 'exact', 'auto'] as const, {
        description:
          "how the KS p-value is computed, SciPy's names: asymp (the default: the asymptotic distribution) differs from SciPy's default auto, which is exact for small samples",
      }),
    ),
    min_sample_size: Type.Optional(Type.Integer({ minimum: 1, description: 'fewer values in either period: insufficient_data, not drifted (default 1)' })),
  },
  { additionalProperties: false },
);

/** Schema of the job YAML block (besides `type`); the build step adds the checks across keys. */
export const POPULATION_DRIFT_SCHEMA = Type.Object(
  {
    type: Type.Optional(Type.Literal('population_drift')),
    name: Type.Optional(Type.String({ minLength: 1 })),
    period: Duration({ default: '7d', description: 'period length; compared like for like' }),
    period_offset: Type.Optional(
      Type.Union([Duration(), Type.Literal(0)], {
        description: 'a duration: the period grid offset from the epoch; default Monday 00:00 UTC for whole weeks, else 0',
      }),
    ),
    reference: Type.Object(
      {
        mode: StringEnum(['previous', 'fixed', 'snapshot'] as const, { default: 'previous' }),
        start: Type.Optional(TIME),
        end: Type.Optional(TIME),
        name: Type.Optional(Type.String({ minLength: 1, description: 'snapshot name (default baseline)' })),
      },
      { additionalProperties: false, default: {} },
    ),
    features: Type.Array(FEATURE_SCHEMA, { minItems: 1, default: DEFAULT_FEATURES_CONFIG }),
    share_threshold: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'dataset drift when this share of the features drifted (or a key feature did)',
    }),
    relative_accuracy: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULT_RELATIVE_ACCURACY,
      description: "numeric features' sketches (DDSketch): each quantile within this relative error",
    }),
    tiers: Type.Object(
      { gold: share(0.1), silver: Type.Number({ minimum: 0, maximum: 1, default: 0.3, description: 'gold + silver <= 1' }) },
      { additionalProperties: false, default: {}, description: 'value tiers by trailing-12-month spend: Gold the top share, Silver the next' },
    ),
    customer_ttl: Duration({ default: '400d', description: 'a customer without any event for this long is forgotten' }),
    final_period_slack: Duration({
      default: '1h',
      description:
        "at the end of a bounded input, the last period closes when its events reach its end minus this, or as far as the previous period's did minus this (else a later run decides it); and a period whose events begin later into it than the next period's by more than this (data that start on a Thursday, or resume mid-week) is neither compared nor a reference",
    }),
    warmup_periods: Type.Integer({ minimum: 0, default: 1, description: 'periods closed first that are neither evaluated nor a reference' }),
  },
  { additionalProperties: false },
);

type FeatureBlock = Static<typeof FEATURE_SCHEMA>;
type ReferenceBlock = Static<typeof POPULATION_DRIFT_SCHEMA>['reference'];

const checkBlock = compileConfig(POPULATION_DRIFT_SCHEMA, ({ path, detail }) => new PopulationDriftConfigError(path, detail));

/** Reads the job YAML block (`- type: population_drift` plus these settings). */
export function populationDriftOptionsFromConfig(raw: unknown, defaultName = 'population_drift'): PopulationDriftOptions {
  // The validator fills defaults in: check a copy, so that the caller's block stays as written.
  const block = checkBlock(structuredClone(raw ?? {}));
  const periodMs = positive(block.period, 'period');
  const offsetMs =
    block.period_offset === undefined
      ? periodMs % WEEK_MS === 0
        ? MONDAY_OFFSET_MS
        : 0
      : block.period_offset === 0
        ? 0
        : requireDuration(block.period_offset);
  if (block.tiers.gold + block.tiers.silver > 1) fail('tiers.silver', `must be >= 0 with gold + silver <= 1, got ${block.tiers.silver}`);
  // Named like the schema's messages: list items show their name.
  const features = block.features.map((f, i) => featureFrom(f, `features[${i}] (${f.name})`));
  const seen = new Set<string>();
  features.forEach((f, i) => {
    if (seen.has(f.name)) fail(`features[${i}] (${f.name}).name`, `"${f.name}" is used twice; feature names must be unique`);
    seen.add(f.name);
  });
  return {
    name: block.name ?? defaultName,
    periodMs,
    offsetMs,
    reference: referenceFrom(block.reference, periodMs, offsetMs),
    features,
    shareThreshold: block.share_threshold,
    relativeAccuracy: block.relative_accuracy,
    goldShare: block.tiers.gold,
    silverShare: block.tiers.silver,
    customerTtlMs: positive(block.customer_ttl, 'customer_ttl'),
    warmupPeriods: block.warmup_periods,
    finalPeriodSlackMs: requireDuration(block.final_period_slack),
  };
}

function featureFrom(f: FeatureBlock, path: string): PopulationFeature {
  const { name, source } = f;
  let kind = SOURCE_KIND[source];
  if (f.kind !== undefined) {
    if (f.kind !== kind && source !== 'survey') fail(`${path}.kind`, `source ${source} is always ${kind}`);
    kind = f.kind;
  }
  const fieldKey = source === 'usage' ? 'metric' : source === 'survey' ? 'question' : source === 'profile' ? 'attribute' : null;
  for (const k of ['metric', 'question', 'attribute'] as const) {
    if (f[k] !== undefined && k !== fieldKey) fail(`${path}.${k}`, `not an option of source ${source}`);
  }
  const field = fieldKey === null ? null : (f[fieldKey] ?? fail(`${path}.${fieldKey}`, `source ${source} needs the key '${fieldKey}'`));
  const partial: Partial<FeatureDriftOptions> = {};
  for (const [yamlKey, optKey] of Object.entries(DRIFT_KEYS)) {
    const value = (f as Record<string, unknown>)[yamlKey];
    if (value !== undefined) (partial as Record<string, unknown>)[optKey] = value;
  }
  let drift: FeatureDriftOptions;
  try {
    drift = resolveFeatureDriftOptions(kind, partial, `population_drift.${path}`);
  } catch (error) {
    // Re-thrown with the YAML key, so the message names what the user wrote.
    const optKey = (error as { path?: string }).path?.split('.').pop() ?? '';
    const yamlKey = Object.entries(DRIFT_KEYS).find(([, v]) => v === optKey)?.[0] ?? optKey;
    throw new PopulationDriftConfigError(`${path}.${yamlKey}`, (error as Error).message);
  }
  return { name, source, kind, key: f.key, field, drift };
}

function referenceFrom(r: ReferenceBlock, periodMs: number, offsetMs: number): ReferenceOptions {
  const { mode } = r;
  const range = (required: boolean): { start: number; end: number } | null => {
    if (r.start === undefined && r.end === undefined && !required) return null;
    const start = time(r.start, 'reference.start');
    const end = time(r.end, 'reference.end');
    if ((((start - offsetMs) % periodMs) + periodMs) % periodMs !== 0) fail('reference.start', 'must be a period start (on the period grid)');
    if (!(end > start) || (end - start) % periodMs !== 0) fail('reference.end', 'must be after start by a whole number of periods');
    return { start, end };
  };
  if (mode === 'previous') {
    for (const k of ['start', 'end', 'name'] as const) if (r[k] !== undefined) fail(`reference.${k}`, 'not an option of mode previous');
    return { mode };
  }
  if (mode === 'fixed') {
    if (r.name !== undefined) fail('reference.name', 'not an option of mode fixed');
    const fixed = range(true) as { start: number; end: number };
    return { mode, ...fixed };
  }
  const snap = range(false);
  return { mode, name: r.name ?? 'baseline', start: snap?.start ?? null, end: snap?.end ?? null };
}

function fail(key: string, message: string): never {
  throw new PopulationDriftConfigError(key, message);
}
function positive(text: string, key: string): number {
  const ms = requireDuration(text);
  if (ms === 0) fail(key, 'must be longer than 0; write e.g. 7d, 1w, 24h');
  return ms;
}
function time(v: string | number | undefined, key: string): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) fail(key, `${JSON.stringify(v)} is not an RFC 3339 time or epoch milliseconds`);
  return ms;
}
