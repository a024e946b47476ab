/**
 * Configuration of the customer behaviour-shift operator: its defaults, the schema of the YAML
 * block (every field optional), and `resolveShiftConfig`, which validates a parsed YAML value and
 * returns ready settings. Unknown keys are rejected so a typo never silently falls back to a default.
 */
import { Duration, StringEnum, Type, compileConfig, type ConfigProblem } from '../config/schema.js';
import { parseDuration } from '../duration.js';
import { ConfigError } from '../errors.js';
import { MS_PER_DAY } from '../events.js';
import type { SilenceSettings } from './silence.js';

export const SPEND_MEASURES = ['spend_total', 'spend_count'] as const;
/** A measure: `spend_total`, `spend_count`, `usage:<metric>` or `usage:*` (every metric used). */
export type MeasureSpec = string;
export const USAGE_PREFIX = 'usage:';
export const ALL_USAGE = 'usage:*';

export const INSTANT_RULES = ['large_transaction', 'refund', 'new_metric'] as const;
export type InstantRuleName = (typeof INSTANT_RULES)[number];

export interface LargeTransactionRule {
  rule: 'large_transaction';
  /** Fires when amount > factor x the median of the customer's recent amounts (and tailProbability). */
  factor: number;
  /** Recent amounts needed before the rule can fire. */
  minSamples: number;
  /** Recent non-negative amounts kept per customer (bounded state). */
  history: number;
  /** Never fires for amounts below this (currency units). */
  minAmount: number;
  /** Fires only for an amount the customer's own recent amounts make at most this likely (instant.ts tailProbability; 1: the factor alone). */
  tailProbability: number;
}
export interface RefundRule {
  rule: 'refund';
  /** Fires when a refund's size (-amount) is at least this. */
  threshold: number;
}
export interface NewMetricRule {
  rule: 'new_metric';
  /** Only for customers known for at least this many windows (a new customer's first usage is no news). */
  afterWindows: number;
  /** Metrics remembered per customer (bounded state); beyond it nothing new is reported. */
  maxMetrics: number;
}
export type InstantRule = LargeTransactionRule | RefundRule | NewMetricRule;

export const SEGMENT_LABELS = ['none', 'tier', 'region'] as const;
export type SegmentLabel = (typeof SEGMENT_LABELS)[number];

export const METHODS = ['glr', 'cusum'] as const;
export type ShiftMethod = (typeof METHODS)[number];

/** Settings of the GLR change-point scan (glr.ts). */
export interface GlrSettings {
  /** Decision threshold on the log-likelihood ratio (nats). */
  h: number;
  /** Most recent windows a split may put after it. */
  maxRecent: number;
  /** Clip of a window's mean log size, in standard deviations (outlier robustness). */
  sizeClip: number;
  /** Floor of the log-size standard deviation. */
  sizeSdFloor: number;
  /** Weigh each split's count evidence with the dispersion of the baseline's sums over its length (glr.ts `blockDispersion`). */
  scaleDispersion: boolean;
  /** Burst scale in windows: an upward split must persist beyond this many windows (0 = off). */
  persistWindows: number;
  /** LLR the rest of an upward segment must keep with the worst burst of `persistWindows` left out (also with the worst pause, `pauses`). */
  persistH: number;
  /** A pause is not a level: purchase shifts must hold with the pause left out (glr.ts `GlrParams.pause`; needs the silence rule). */
  pauses: boolean;
}

/** Ready settings; see README.md for the meaning and the reasons behind each default. */
export interface ShiftSettings {
  /** `glr` (count + log-size likelihood-ratio scan, default) or `cusum` (robust z + CUSUM on sqrt values). */
  method: ShiftMethod;
  glr: GlrSettings;
  window: string;
  windowMs: number;
  measures: MeasureSpec[];
  /** Trailing windows kept per customer and measure (the ring). */
  ringWindows: number;
  minHistory: number;
  /** Season length in windows (7 for daily windows: weekday profile); 1 disables it. */
  seasonPeriod: number;
  /** Variance-stabilising transform of window values before the detectors (`sqrt` or `none`). */
  transform: 'sqrt' | 'none';
  /** Width of the rolling means whose median and MAD give the baseline level and scale. */
  smoothing: number;
  /** Windows averaged by the robust-z (sudden shift) detector. */
  shortWindows: number;
  robustZ: number;
  cusum: { k: number; h: number; clip: number };
  floor: { relative: number; absolute: number };
  cooldownWindows: number;
  fdr: { enabled: boolean; q: number };
  /**
   * Population factors (GLR: rate per window, and log size when `sizes`; CUSUM: offsets), per
   * segment of the profile label `segmentBy` (`none`: one population per measure).
   */
  population: {
    enabled: boolean;
    minSeries: number;
    segmentBy: SegmentLabel;
    sizes: boolean;
    together: { enabled: boolean; minSeries: number; minShare: number };
  };
  /** The `CustomerWentQuiet` rule (silence.ts); GLR method only, on spend_count (or spend_total). */
  silence: SilenceSettings;
  instant: InstantRule[];
}

// Measured on samples/events.ndjson (300 customers x 56 days, lognormal amounts): factor 5 after
// 5 amounts fired 1,274 large-transaction alerts (2.3 per customer-month: 5x the median is a
// 2-sigma amount for sigma 0.8); factor 10 gave 129, and with the customer's own tail
// (tailProbability, since 2026-12-05) 29, beside 50 refunds and 6 new metrics: 0.15 alerts per
// customer-month in all (README, "Instant triggers").
export const LARGE_TRANSACTION_DEFAULTS = { factor: 10, minSamples: 20, history: 50, minAmount: 0, tailProbability: 0.001 } as const;
export const REFUND_DEFAULTS = { threshold: 250 } as const;
export const NEW_METRIC_DEFAULTS = { afterWindows: 14, maxMetrics: 32 } as const;

export const DEFAULT_INSTANT: InstantRule[] = [
  { rule: 'large_transaction', ...LARGE_TRANSACTION_DEFAULTS },
  { rule: 'refund', ...REFUND_DEFAULTS },
  { rule: 'new_metric', ...NEW_METRIC_DEFAULTS },
];

// Detector defaults chosen on bench/shift-quality.ts (4,000 generated customers x 120 days, seed 3):
// GLR h 13 over an 84-window ring is the setting measured with precision ~0.9 (0.91) and the best
// recall there (0.65 at |size| >= 50%, 0.057 false alerts per 1,000 customer-days); h 12 buys
// +1.4 points of recall for precision 0.77. The CUSUM's own defaults (robustZ .. population) are
// those it was tuned with (README, "Measured quality").
export const DEFAULT_SHIFT_SETTINGS: ShiftSettings = {
  method: 'glr',
  glr: { h: 13, maxRecent: 63, sizeClip: 2.5, sizeSdFloor: 0.05, scaleDispersion: true, persistWindows: 7, persistH: 4, pauses: true },
  window: '1d',
  windowMs: MS_PER_DAY,
  measures: ['spend_total', 'spend_count', ALL_USAGE],
  ringWindows: 84,
  minHistory: 14,
  seasonPeriod: 7,
  transform: 'sqrt',
  smoothing: 7,
  shortWindows: 3,
  robustZ: 5,
  cusum: { k: 0.25, h: 16, clip: 4 },
  floor: { relative: 0.05, absolute: 0.5 },
  cooldownWindows: 7,
  fdr: { enabled: false, q: 0.001 },
  // sizes off by default: when only part of a population moves (the generator's drift group, a
  // random half), taking the mean move out of everyone's sizes turns it into drops for the rest
  // (bench/shift-quality, 4,000 customers: precision 0.91 -> 0.46).
  // together: part of a population shifting at the same window is its move (together.ts), once at
  // least 10 series and 2% of the population's show it: at 1%, weekday profiles put 11 of 3,000
  // customers' chance splits at one Friday (bench/shift-quality), and the first days of a season in
  // which 1% of the customers change every day (bench/changing-buyers) looked like one onset.
  population: { enabled: true, minSeries: 50, segmentBy: 'none', sizes: false, together: { enabled: true, minSeries: 10, minShare: 0.02 } },
  // h 11: about exp(-11) = 1.7e-5 false alerts per purchase gap (silence.ts); 20 events make a rate
  // known to about +-22%.
  silence: { enabled: true, h: 11, minEvents: 20 },
  instant: DEFAULT_INSTANT,
};

/**
 * Defaults of `method: cusum` where they differ from the GLR's (DEFAULT_SHIFT_SETTINGS): the values
 * the CUSUM was tuned with before issue 4's GLR (28 windows of history; BH on, q 0.001).
 */
export const CUSUM_DEFAULTS = { ringWindows: 56, minHistory: 28, fdrEnabled: true } as const;

export class ShiftConfigError extends ConfigError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`customer shift config: ${path}: ${message}`, undefined, 'SHIFT_CONFIG');
  }
}

const d = DEFAULT_SHIFT_SETTINGS;
const positive = (fallback: number, description?: string) => Type.Number({ exclusiveMinimum: 0, default: fallback, ...(description ? { description } : {}) });
const count = (minimum: number, fallback?: number, description?: string) =>
  Type.Integer({ minimum, ...(fallback === undefined ? {} : { default: fallback }), ...(description ? { description } : {}) });
const block = <P extends Parameters<typeof Type.Object>[0]>(properties: P) => Type.Object(properties, { additionalProperties: false, default: {} });

/** Instant rules by name; each rule's own schema gives its defaults. */
const INSTANT_RULE_SCHEMAS = {
  large_transaction: Type.Object(
    {
      rule: Type.Literal('large_transaction'),
      factor: Type.Number({ exclusiveMinimum: 1, default: LARGE_TRANSACTION_DEFAULTS.factor }),
      minSamples: count(1, LARGE_TRANSACTION_DEFAULTS.minSamples),
      history: Type.Optional(count(1)),
      minAmount: Type.Number({ minimum: 0, default: LARGE_TRANSACTION_DEFAULTS.minAmount }),
      tailProbability: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: LARGE_TRANSACTION_DEFAULTS.tailProbability }),
    },
    { additionalProperties: false },
  ),
  refund: Type.Object({ rule: Type.Literal('refund'), threshold: positive(REFUND_DEFAULTS.threshold) }, { additionalProperties: false }),
  new_metric: Type.Object(
    { rule: Type.Literal('new_metric'), afterWindows: count(0, NEW_METRIC_DEFAULTS.afterWindows), maxMetrics: count(1, NEW_METRIC_DEFAULTS.maxMetrics) },
    { additionalProperties: false },
  ),
} as const;

/**
 * Schema of the `customer_shifts` block of the job YAML (besides `type` and `name`). Defaults that
 * depend on other keys (ringWindows, minHistory and fdr.enabled on the method, seasonPeriod on the
 * window) are filled in by `resolveShiftConfig`.
 */
export const CUSTOMER_SHIFTS_SCHEMA = Type.Object(
  {
    method: StringEnum(METHODS, { default: d.method, description: 'glr (count and log-size likelihood-ratio scan) or cusum' }),
    glr: block({
      h: positive(d.glr.h, 'decision threshold on the log-likelihood ratio (nats)'),
      maxRecent: count(1, d.glr.maxRecent, 'most recent windows a split may put after it'),
      sizeClip: positive(d.glr.sizeClip, "clip of a window's mean log size, in standard deviations"),
      sizeSdFloor: positive(d.glr.sizeSdFloor, 'floor of the log-size standard deviation'),
      scaleDispersion: Type.Boolean({
        default: d.glr.scaleDispersion,
        description: "weigh a split's count evidence with the dispersion of the baseline's counts summed over its length",
      }),
      persistWindows: count(0, d.glr.persistWindows, 'burst scale in windows: an upward shift must persist beyond it (0: off)'),
      persistH: positive(
        d.glr.persistH,
        'LLR a shift must keep with its worst burst of persistWindows windows (up) or its worst pause (pauses) left out (nats)',
      ),
      pauses: Type.Boolean({
        default: d.glr.pauses,
        description:
          "a pause is not a level: a purchase drop must hold without the pause going on (LLR > h) and without its worst empty run (> persistH), a jump without its baseline's worst (needs silence)",
      }),
    }),
    window: Duration({ default: d.window, description: 'the window of the per-customer series' }),
    measures: Type.Array(
      Type.String({ pattern: '^(spend_total|spend_count|usage:.+)$', description: 'a measure: spend_total, spend_count, usage:<metric> or usage:*' }),
      { minItems: 1, default: d.measures, description: 'the series watched per customer' },
    ),
    ringWindows: Type.Optional(
      count(2, undefined, `trailing windows kept per customer and measure (default ${d.ringWindows}; cusum ${CUSUM_DEFAULTS.ringWindows})`),
    ),
    minHistory: Type.Optional(
      count(2, undefined, `windows of history before a customer is judged (default ${d.minHistory}; cusum ${CUSUM_DEFAULTS.minHistory})`),
    ),
    seasonPeriod: Type.Optional(count(1, undefined, 'season length in windows (default: a week of windows when the ring holds two, else a day, else 1: none)')),
    transform: StringEnum(['sqrt', 'none'] as const, { default: d.transform, description: 'variance-stabilising transform of window values (cusum)' }),
    smoothing: count(1, d.smoothing, 'width of the rolling means whose median and MAD give the baseline level and scale (cusum)'),
    shortWindows: count(1, d.shortWindows, 'windows averaged by the robust-z (sudden shift) detector (cusum)'),
    robustZ: positive(d.robustZ, 'robust z threshold of a sudden shift (cusum)'),
    cusum: block({
      k: positive(d.cusum.k, 'CUSUM allowance'),
      h: positive(d.cusum.h, 'CUSUM decision threshold'),
      clip: positive(d.cusum.clip, 'clip of a standardised value'),
    }),
    floor: block({
      relative: Type.Number({ minimum: 0, default: d.floor.relative, description: 'scale floor: this x sqrt(level) (cusum; README: Scale floor)' }),
      absolute: positive(d.floor.absolute, 'scale floor in the sqrt domain (cusum)'),
    }),
    cooldownWindows: count(0, d.cooldownWindows, 'windows without a new alert for the same customer and measure after one'),
    fdr: block({
      enabled: Type.Optional(
        Type.Boolean({ description: `Benjamini-Hochberg across customers (default ${d.fdr.enabled}; cusum ${CUSUM_DEFAULTS.fdrEnabled})` }),
      ),
      q: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: d.fdr.q, description: 'false-discovery rate' }),
    }),
    population: block({
      enabled: Type.Boolean({ default: d.population.enabled }),
      minSeries: count(1, d.population.minSeries),
      segmentBy: StringEnum(SEGMENT_LABELS, { default: d.population.segmentBy, description: 'one population per value of this profile label (glr only)' }),
      sizes: Type.Boolean({ default: d.population.sizes }),
      together: block({
        enabled: Type.Boolean({
          default: d.population.together.enabled,
          description:
            'customers whose changes may have started at the same window, far more than at others, moved together: one analytic alert, not theirs (glr only)',
        }),
        minSeries: count(2, d.population.together.minSeries, 'fewest series whose changes may have started within a window of its onset for a move together'),
        minShare: Type.Number({
          exclusiveMinimum: 0,
          maximum: 1,
          default: d.population.together.minShare,
          description: "fewest series for a move together, as a share of the population's",
        }),
      }),
    }),
    silence: block({
      enabled: Type.Boolean({ default: d.silence.enabled, description: 'the CustomerWentQuiet rule (glr only)' }),
      h: positive(d.silence.h, 'decision threshold (nats)'),
      minEvents: count(1, d.silence.minEvents, "events before a customer's rate counts as known"),
    }),
    instant: Type.Array(Type.Object({ rule: StringEnum(INSTANT_RULES) }), {
      default: d.instant,
      description: 'instant rules (large_transaction, refund, new_metric), each with its own keys',
    }),
  },
  { additionalProperties: false },
);

const toShiftError = ({ path, detail }: ConfigProblem): ShiftConfigError => new ShiftConfigError(path, detail);
const checkBlock = compileConfig(CUSTOMER_SHIFTS_SCHEMA, toShiftError);
const instantChecks = {
  large_transaction: compileConfig(INSTANT_RULE_SCHEMAS.large_transaction, toShiftError),
  refund: compileConfig(INSTANT_RULE_SCHEMAS.refund, toShiftError),
  new_metric: compileConfig(INSTANT_RULE_SCHEMAS.new_metric, toShiftError),
};

function instantRule(raw: { rule: InstantRuleName }, where: string): InstantRule {
  if (raw.rule === 'large_transaction') {
    const r = instantChecks.large_transaction(raw, where);
    const history = r.history ?? Math.max(LARGE_TRANSACTION_DEFAULTS.history, r.minSamples);
    if (history < r.minSamples) throw new ShiftConfigError(`${where}.history`, `must be >= minSamples (${r.minSamples})`);
    return { ...r, history };
  }
  return raw.rule === 'refund' ? instantChecks.refund(raw, where) : instantChecks.new_metric(raw, where);
}

/** Validates a parsed YAML value (undefined or null = all defaults) into ready settings. */
export function resolveShiftConfig(input: unknown, path = 'customer_shifts'): ShiftSettings {
  // The validator fills defaults in: check a copy, so that the caller's value stays as written.
  const c = checkBlock(structuredClone(input ?? {}), path);
  const windowMs = parseDuration(c.window)!;
  if (windowMs === 0) throw new ShiftConfigError(`${path}.window`, 'must be longer than 0; write e.g. 1d, 12h, 1w');
  const measures = [...new Set(c.measures)];
  // Defaults that differ by method: the CUSUM keeps the values it was tuned with (README).
  const cusumMethod = c.method === 'cusum';
  const ringWindows = c.ringWindows ?? (cusumMethod ? CUSUM_DEFAULTS.ringWindows : d.ringWindows);
  const minHistory = c.minHistory ?? (cusumMethod ? CUSUM_DEFAULTS.minHistory : d.minHistory);
  if (minHistory > ringWindows) throw new ShiftConfigError(`${path}.minHistory`, `must be <= ringWindows (${ringWindows})`);
  // The default season is the week when a whole number of windows makes one and the ring holds at
  // least two of them (daily windows: 7); else the day (hourly windows: 24); else none.
  const periodOf = (span: number): number => (windowMs < span && span % windowMs === 0 && (2 * span) / windowMs <= ringWindows ? span / windowMs : 0);
  const seasonPeriod = c.seasonPeriod ?? (periodOf(7 * MS_PER_DAY) || periodOf(MS_PER_DAY) || 1);
  if (seasonPeriod > ringWindows) throw new ShiftConfigError(`${path}.seasonPeriod`, `must be <= ringWindows (${ringWindows})`);
  if (c.shortWindows >= minHistory) throw new ShiftConfigError(`${path}.shortWindows`, `must be < minHistory (${minHistory})`);
  if (c.population.segmentBy !== 'none' && c.method !== 'glr') throw new ShiftConfigError(`${path}.population.segmentBy`, 'needs method glr');
  const instant = c.instant.map((r, i) => instantRule(r, `${path}.instant[${i}]`));
  const seen = new Set<string>();
  for (const r of instant) {
    if (seen.has(r.rule)) throw new ShiftConfigError(`${path}.instant`, `rule ${r.rule} is listed twice`);
    seen.add(r.rule);
  }
  return {
    ...c,
    windowMs,
    measures,
    ringWindows,
    minHistory,
    seasonPeriod,
    fdr: { enabled: c.fdr.enabled ?? (cusumMethod ? CUSUM_DEFAULTS.fdrEnabled : d.fdr.enabled), q: c.fdr.q },
    instant,
  };
}
