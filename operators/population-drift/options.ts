/**
 * Options of the population drift operator: typed values with defaults, the JSON Schema of the job
 * YAML block, and the build step `populationDriftOptionsFromConfig` (unknown keys rejected, every
 * error names the key). The runtime only takes the resolved `PopulationDriftOptions`.
 */
import { ConfigError } from '../errors.js';
import { MS_PER_DAY } from '../events.js';
import { positiveDuration } from '../duration.js';
import type { FeatureDriftOptions, FeatureKind } from '../drift/index.js';
import { DEFAULT_RELATIVE_ACCURACY, resolveFeatureDriftOptions } from '../drift/index.js';

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
const FEATURE_KEYS = ['name', 'source', 'kind', 'key', 'metric', 'question', 'attribute', ...Object.keys(DRIFT_KEYS)];
const TOP_KEYS = [
  'name',
  'period',
  'period_offset',
  'reference',
  'features',
  'share_threshold',
  'relative_accuracy',
  'tiers',
  'customer_ttl',
  'final_period_slack',
  'warmup_periods',
] as const;

/** A bad population_drift option; `key` names it (e.g. `features[2].metric`). */
export class PopulationDriftConfigError extends ConfigError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`population_drift.${key}: ${message}`);
  }
}

const durationSchema = { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d|w)\\s*$' } as const;
const timeSchema = { type: ['string', 'number'], description: 'RFC 3339 time or epoch milliseconds' } as const;

/** JSON Schema of the job YAML block (besides `type`); the build step checks the same rules with named errors. */
export const POPULATION_DRIFT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    period: { ...durationSchema, default: '7d', description: 'period length; compared like for like' },
    period_offset: { ...durationSchema, description: 'period grid offset from the epoch; default Monday 00:00 UTC for whole weeks, else 0' },
    reference: {
      type: 'object',
      additionalProperties: false,
      default: { mode: 'previous' },
      properties: {
        mode: { enum: ['previous', 'fixed', 'snapshot'], default: 'previous' },
        start: timeSchema,
        end: timeSchema,
        name: { type: 'string', description: 'snapshot name' },
      },
    },
    features: {
      type: 'array',
      minItems: 1,
      default: DEFAULT_FEATURES_CONFIG,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'source'],
        properties: {
          name: { type: 'string', minLength: 1 },
          source: { enum: [...FEATURE_SOURCES] },
          kind: { enum: ['numeric', 'categorical'], description: 'only survey features may choose' },
          key: { type: 'boolean', default: false },
          metric: { type: 'string', description: 'usage metric (source usage)' },
          question: { type: 'string', description: 'answer id (source survey)' },
          attribute: { type: 'string', description: 'profile attribute (source profile)' },
          method: { type: 'string' },
          large_sample_size: { type: 'integer', minimum: 0 },
          wasserstein_threshold: { type: 'number', minimum: 0 },
          ks_p_value_threshold: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
          js_threshold: { type: 'number', minimum: 0, maximum: 1 },
          chi2_p_value_threshold: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
          chi2_min_expected: { type: 'number', minimum: 0, description: 'chi-square: categories expected below this in either period are pooled' },
          psi_threshold: { type: 'number', minimum: 0 },
          psi_bins: { type: 'integer', minimum: 2 },
          ks_method: { enum: ['asymp', 'exact', 'auto'] },
          min_sample_size: { type: 'integer', minimum: 1 },
        },
      },
    },
    share_threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.5 },
    relative_accuracy: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: DEFAULT_RELATIVE_ACCURACY },
    tiers: {
      type: 'object',
      additionalProperties: false,
      default: { gold: 0.1, silver: 0.3 },
      properties: {
        gold: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.1 },
        silver: { type: 'number', minimum: 0, maximum: 1, default: 0.3 },
      },
    },
    customer_ttl: { ...durationSchema, default: '400d' },
    final_period_slack: { ...durationSchema, default: '1d' },
    warmup_periods: { type: 'integer', minimum: 0, default: 1 },
  },
} as const;

/** Reads the job YAML block (`- type: population_drift` plus these settings). */
export function populationDriftOptionsFromConfig(raw: unknown, defaultName = 'population_drift'): PopulationDriftOptions {
  const block = mapping(raw ?? {}, '');
  const top = { ...block };
  delete top['type'];
  for (const key of Object.keys(top)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) fail(key, `unknown option; allowed: ${TOP_KEYS.join(', ')}`);
  }
  const name = top['name'] === undefined ? defaultName : str(top['name'], 'name');
  const periodMs = top['period'] === undefined ? WEEK_MS : dur(top['period'], 'period');
  const offsetMs =
    top['period_offset'] === undefined ? (periodMs % WEEK_MS === 0 ? MONDAY_OFFSET_MS : 0) : dur(top['period_offset'], 'period_offset', true);
  const shareThreshold = top['share_threshold'] === undefined ? 0.5 : num(top['share_threshold'], 'share_threshold');
  if (!(shareThreshold > 0 && shareThreshold <= 1)) fail('share_threshold', `must be in (0, 1], got ${shareThreshold}`);
  const relativeAccuracy = top['relative_accuracy'] === undefined ? DEFAULT_RELATIVE_ACCURACY : num(top['relative_accuracy'], 'relative_accuracy');
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) fail('relative_accuracy', `must be in (0, 1), got ${relativeAccuracy}`);
  const tiers = mapping(top['tiers'] ?? {}, 'tiers');
  for (const key of Object.keys(tiers)) if (key !== 'gold' && key !== 'silver') fail(`tiers.${key}`, 'unknown option; allowed: gold, silver');
  const goldShare = tiers['gold'] === undefined ? 0.1 : num(tiers['gold'], 'tiers.gold');
  const silverShare = tiers['silver'] === undefined ? 0.3 : num(tiers['silver'], 'tiers.silver');
  if (!(goldShare > 0 && goldShare <= 1)) fail('tiers.gold', `must be a share in (0, 1], got ${goldShare}`);
  if (!(silverShare >= 0 && goldShare + silverShare <= 1)) fail('tiers.silver', `must be >= 0 with gold + silver <= 1, got ${silverShare}`);
  const reference = referenceFrom(top['reference'], periodMs, offsetMs);
  const featureList = top['features'] === undefined ? DEFAULT_FEATURES_CONFIG : top['features'];
  if (!Array.isArray(featureList) || featureList.length === 0) fail('features', 'expected a non-empty list of features');
  const features = (featureList as unknown[]).map((f, i) => featureFrom(f, `features[${i}]`));
  const seen = new Set<string>();
  features.forEach((f, i) => {
    if (seen.has(f.name)) fail(`features[${i}].name`, `"${f.name}" is used twice; feature names must be unique`);
    seen.add(f.name);
  });
  return {
    name,
    periodMs,
    offsetMs,
    reference,
    features,
    shareThreshold,
    relativeAccuracy,
    goldShare,
    silverShare,
    customerTtlMs: top['customer_ttl'] === undefined ? 400 * MS_PER_DAY : dur(top['customer_ttl'], 'customer_ttl'),
    warmupPeriods: warmup(top['warmup_periods']),
    finalPeriodSlackMs: top['final_period_slack'] === undefined ? MS_PER_DAY : dur(top['final_period_slack'], 'final_period_slack', true),
  };
}

function featureFrom(raw: unknown, path: string): PopulationFeature {
  const f = mapping(raw, path);
  for (const key of Object.keys(f)) if (!FEATURE_KEYS.includes(key)) fail(`${path}.${key}`, `unknown option; allowed: ${FEATURE_KEYS.join(', ')}`);
  const name = str(f['name'], `${path}.name`);
  const source = str(f['source'], `${path}.source`) as FeatureSource;
  if (!FEATURE_SOURCES.includes(source)) fail(`${path}.source`, `"${source}" is not one of ${FEATURE_SOURCES.join(', ')}`);
  let kind = SOURCE_KIND[source];
  if (f['kind'] !== undefined) {
    const k = str(f['kind'], `${path}.kind`);
    if (k !== 'numeric' && k !== 'categorical') fail(`${path}.kind`, `"${k}" is not numeric or categorical`);
    if (k !== kind && source !== 'survey') fail(`${path}.kind`, `source ${source} is always ${kind}`);
    kind = k as FeatureKind;
  }
  const fieldKey = source === 'usage' ? 'metric' : source === 'survey' ? 'question' : source === 'profile' ? 'attribute' : null;
  for (const k of ['metric', 'question', 'attribute']) {
    if (f[k] !== undefined && k !== fieldKey) fail(`${path}.${k}`, `not an option of source ${source}`);
  }
  const field = fieldKey === null ? null : str(f[fieldKey], `${path}.${fieldKey}`);
  const key = f['key'] === undefined ? false : f['key'];
  if (typeof key !== 'boolean') fail(`${path}.key`, `expected true or false, got ${JSON.stringify(key)}`);
  const partial: Partial<FeatureDriftOptions> = {};
  for (const [yamlKey, optKey] of Object.entries(DRIFT_KEYS)) {
    if (f[yamlKey] !== undefined) (partial as Record<string, unknown>)[optKey] = f[yamlKey];
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
  return { name, source, kind, key: key as boolean, field, drift };
}

function referenceFrom(raw: unknown, periodMs: number, offsetMs: number): ReferenceOptions {
  const r = mapping(raw ?? {}, 'reference');
  for (const key of Object.keys(r)) {
    if (!['mode', 'start', 'end', 'name'].includes(key)) fail(`reference.${key}`, 'unknown option; allowed: mode, start, end, name');
  }
  const mode = r['mode'] === undefined ? 'previous' : str(r['mode'], 'reference.mode');
  const range = (required: boolean): { start: number; end: number } | null => {
    if (r['start'] === undefined && r['end'] === undefined && !required) return null;
    const start = time(r['start'], 'reference.start');
    const end = time(r['end'], 'reference.end');
    if (((start - offsetMs) % periodMs + periodMs) % periodMs !== 0) fail('reference.start', 'must be a period start (on the period grid)');
    if (!(end > start) || (end - start) % periodMs !== 0) fail('reference.end', 'must be after start by a whole number of periods');
    return { start, end };
  };
  if (mode === 'previous') {
    for (const k of ['start', 'end', 'name']) if (r[k] !== undefined) fail(`reference.${k}`, 'not an option of mode previous');
    return { mode };
  }
  if (mode === 'fixed') {
    if (r['name'] !== undefined) fail('reference.name', 'not an option of mode fixed');
    const fixed = range(true) as { start: number; end: number };
    return { mode, ...fixed };
  }
  if (mode === 'snapshot') {
    const snap = range(false);
    return { mode, name: r['name'] === undefined ? 'baseline' : str(r['name'], 'reference.name'), start: snap?.start ?? null, end: snap?.end ?? null };
  }
  return fail('reference.mode', `"${mode}" is not one of previous, fixed, snapshot`);
}

function warmup(v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail('warmup_periods', `expected a whole number >= 0, got ${JSON.stringify(v)}`);
  return v as number;
}

function fail(key: string, message: string): never {
  throw new PopulationDriftConfigError(key, message);
}
function mapping(v: unknown, key: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(key, 'expected a mapping');
  return v as Record<string, unknown>;
}
function str(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(key, `expected a non-empty string, got ${JSON.stringify(v)}`);
  return v as string;
}
function num(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(key, `expected a number, got ${JSON.stringify(v)}`);
  return v as number;
}
function dur(v: unknown, key: string, allowZero = false): number {
  if (allowZero && (v === 0 || v === '0')) return 0;
  const ms = typeof v === 'string' ? positiveDuration(v) : null;
  if (ms === null) fail(key, `${JSON.stringify(v)} is not a duration; write e.g. 7d, 1w, 24h`);
  return ms as number;
}
function time(v: unknown, key: string): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) fail(key, `${JSON.stringify(v)} is not an RFC 3339 time or epoch milliseconds`);
  return ms;
}
