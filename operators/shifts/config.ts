/**
 * Configuration of the customer behaviour-shift operator: the YAML shape (every field optional),
 * its defaults, and `resolveShiftConfig`, which validates a parsed YAML value and returns ready
 * settings. Unknown keys are rejected so a typo never silently falls back to a default.
 */
import { ConfigError } from '../errors.js';
import { positiveDuration } from '../duration.js';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE } from '../events.js';
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
  /** Fires when amount > factor x the median of the customer's recent amounts. */
  factor: number;
  /** Recent amounts needed before the rule can fire. */
  minSamples: number;
  /** Recent non-negative amounts kept per customer (bounded state). */
  history: number;
  /** Never fires for amounts below this (currency units). */
  minAmount: number;
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
  population: { enabled: boolean; minSeries: number; segmentBy: SegmentLabel; sizes: boolean };
  /** The `CustomerWentQuiet` rule (silence.ts); GLR method only, on spend_count (or spend_total). */
  silence: SilenceSettings;
  instant: InstantRule[];
}

// Measured on samples/events.ndjson (300 customers x 56 days, lognormal amounts): factor 5 after
// 5 amounts fired 1,274 large-transaction alerts (2.3 per customer-month: 5x the median is a
// 2-sigma amount for sigma 0.8); these defaults give 129 + 50 refunds + 6 new metrics, 0.33 alerts
// per customer-month in all (README, "Instant triggers").
export const LARGE_TRANSACTION_DEFAULTS = { factor: 10, minSamples: 20, history: 50, minAmount: 0 } as const;
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
  glr: { h: 13, maxRecent: 63, sizeClip: 2.5, sizeSdFloor: 0.05 },
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
  population: { enabled: true, minSeries: 50, segmentBy: 'none', sizes: false },
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

/** Parses `30m`, `1h`, `1d`, `1w` into milliseconds. */
export function parseWindow(text: string, path = 'window'): number {
  const ms = positiveDuration(text);
  if (ms === null) throw new ShiftConfigError(path, `"${text}" is not a duration; write e.g. 1d, 12h, 1w`);
  return ms;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Obj, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new ShiftConfigError(`${path}.${key}`, `unknown key; allowed: ${allowed.join(', ')}`);
    }
  }
}

function num(obj: Obj, key: string, fallback: number, path: string, opts: { min?: number; int?: boolean; gt?: number } = {}): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  const where = `${path}.${key}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShiftConfigError(where, `must be a number, got ${JSON.stringify(v)}`);
  if (opts.int && !Number.isInteger(v)) throw new ShiftConfigError(where, `must be an integer, got ${v}`);
  if (opts.min !== undefined && v < opts.min) throw new ShiftConfigError(where, `must be >= ${opts.min}, got ${v}`);
  if (opts.gt !== undefined && !(v > opts.gt)) throw new ShiftConfigError(where, `must be > ${opts.gt}, got ${v}`);
  return v;
}

function bool(obj: Obj, key: string, fallback: boolean, path: string): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ShiftConfigError(`${path}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function section(obj: Obj, key: string, path: string): Obj {
  const v = obj[key];
  if (v === undefined) return {};
  if (!isObj(v)) throw new ShiftConfigError(`${path}.${key}`, 'must be a mapping');
  return v;
}

function measure(v: unknown, where: string): MeasureSpec {
  if (typeof v !== 'string') throw new ShiftConfigError(where, `must be a string, got ${JSON.stringify(v)}`);
  if ((SPEND_MEASURES as readonly string[]).includes(v)) return v;
  if (v.startsWith(USAGE_PREFIX) && v.length > USAGE_PREFIX.length) return v;
  throw new ShiftConfigError(where, `unknown measure "${v}"; use spend_total, spend_count, usage:<metric> or usage:*`);
}

function instantRule(v: unknown, where: string): InstantRule {
  if (!isObj(v)) throw new ShiftConfigError(where, 'must be a mapping with a `rule` key');
  const rule = v['rule'];
  if (rule === 'large_transaction') {
    checkKeys(v, ['rule', 'factor', 'minSamples', 'history', 'minAmount'], where);
    const L = LARGE_TRANSACTION_DEFAULTS;
    const minSamples = num(v, 'minSamples', L.minSamples, where, { min: 1, int: true });
    const history = num(v, 'history', Math.max(L.history, minSamples), where, { min: 1, int: true });
    if (history < minSamples) throw new ShiftConfigError(`${where}.history`, `must be >= minSamples (${minSamples})`);
    return { rule, factor: num(v, 'factor', L.factor, where, { gt: 1 }), minSamples, history, minAmount: num(v, 'minAmount', L.minAmount, where, { min: 0 }) };
  }
  if (rule === 'refund') {
    checkKeys(v, ['rule', 'threshold'], where);
    return { rule, threshold: num(v, 'threshold', REFUND_DEFAULTS.threshold, where, { gt: 0 }) };
  }
  if (rule === 'new_metric') {
    checkKeys(v, ['rule', 'afterWindows', 'maxMetrics'], where);
    return {
      rule,
      afterWindows: num(v, 'afterWindows', NEW_METRIC_DEFAULTS.afterWindows, where, { min: 0, int: true }),
      maxMetrics: num(v, 'maxMetrics', NEW_METRIC_DEFAULTS.maxMetrics, where, { min: 1, int: true }),
    };
  }
  throw new ShiftConfigError(`${where}.rule`, `unknown instant rule ${JSON.stringify(rule)}; use ${INSTANT_RULES.join(', ')}`);
}

const TOP_KEYS = [
  'method', 'glr', 'window', 'measures', 'ringWindows', 'minHistory', 'seasonPeriod', 'transform', 'smoothing', 'shortWindows',
  'robustZ', 'cusum', 'floor', 'cooldownWindows', 'fdr', 'population', 'silence', 'instant',
] as const;

/** Validates a parsed YAML value (undefined or null = all defaults) into ready settings. */
export function resolveShiftConfig(input: unknown, path = 'customer_shifts'): ShiftSettings {
  const d = DEFAULT_SHIFT_SETTINGS;
  if (input === undefined || input === null) return structuredClone(d);
  if (!isObj(input)) throw new ShiftConfigError(path, 'must be a mapping');
  checkKeys(input, TOP_KEYS, path);
  const window = input['window'] === undefined ? d.window : input['window'];
  if (typeof window !== 'string') throw new ShiftConfigError(`${path}.window`, 'must be a duration string such as 1d');
  const windowMs = parseWindow(window, `${path}.window`);
  const rawMeasures = input['measures'] ?? d.measures;
  if (!Array.isArray(rawMeasures) || rawMeasures.length === 0) throw new ShiftConfigError(`${path}.measures`, 'must be a non-empty list');
  const measures = [...new Set(rawMeasures.map((m, i) => measure(m, `${path}.measures[${i}]`)))];

  const glr = section(input, 'glr', path);
  checkKeys(glr, ['h', 'maxRecent', 'sizeClip', 'sizeSdFloor'], `${path}.glr`);
  const method = input['method'] ?? d.method;
  if (!(METHODS as readonly unknown[]).includes(method)) throw new ShiftConfigError(`${path}.method`, `must be ${METHODS.join(' or ')}, got ${JSON.stringify(method)}`);
  // Defaults that differ by method: the CUSUM keeps the values it was tuned with (README).
  const cusumMethod = method === 'cusum';
  const ringWindows = num(input, 'ringWindows', cusumMethod ? CUSUM_DEFAULTS.ringWindows : d.ringWindows, path, { min: 2, int: true });
  const minHistory = num(input, 'minHistory', cusumMethod ? CUSUM_DEFAULTS.minHistory : d.minHistory, path, { min: 2, int: true });
  if (minHistory > ringWindows) throw new ShiftConfigError(`${path}.minHistory`, `must be <= ringWindows (${ringWindows})`);
  // The default season is the week when a whole number of windows makes one and the ring holds at
  // least two of them (daily windows: 7); else the day (hourly windows: 24); else none.
  const periodOf = (span: number): number => (windowMs < span && span % windowMs === 0 && (2 * span) / windowMs <= ringWindows ? span / windowMs : 0);
  const defaultPeriod = periodOf(7 * MS_PER_DAY) || periodOf(MS_PER_DAY) || 1;
  const seasonPeriod = num(input, 'seasonPeriod', defaultPeriod, path, { min: 1, int: true });
  if (seasonPeriod > ringWindows) throw new ShiftConfigError(`${path}.seasonPeriod`, `must be <= ringWindows (${ringWindows})`);
  const shortWindows = num(input, 'shortWindows', d.shortWindows, path, { min: 1, int: true });
  if (shortWindows >= minHistory) throw new ShiftConfigError(`${path}.shortWindows`, `must be < minHistory (${minHistory})`);

  const cusum = section(input, 'cusum', path);
  checkKeys(cusum, ['k', 'h', 'clip'], `${path}.cusum`);
  const floor = section(input, 'floor', path);
  checkKeys(floor, ['relative', 'absolute'], `${path}.floor`);
  const fdr = section(input, 'fdr', path);
  checkKeys(fdr, ['enabled', 'q'], `${path}.fdr`);
  const population = section(input, 'population', path);
  checkKeys(population, ['enabled', 'minSeries', 'segmentBy', 'sizes'], `${path}.population`);
  const segmentBy = population['segmentBy'] ?? d.population.segmentBy;
  if (!(SEGMENT_LABELS as readonly unknown[]).includes(segmentBy)) {
    throw new ShiftConfigError(`${path}.population.segmentBy`, `must be ${SEGMENT_LABELS.join(', ')}, got ${JSON.stringify(segmentBy)}`);
  }
  if (segmentBy !== 'none' && method !== 'glr') throw new ShiftConfigError(`${path}.population.segmentBy`, 'needs method glr');
  const silence = section(input, 'silence', path);
  checkKeys(silence, ['enabled', 'h', 'minEvents'], `${path}.silence`);

  const rawInstant = input['instant'] ?? d.instant;
  if (!Array.isArray(rawInstant)) throw new ShiftConfigError(`${path}.instant`, 'must be a list of rules');
  const instant = rawInstant.map((r, i) => instantRule(r, `${path}.instant[${i}]`));
  const seen = new Set<string>();
  for (const r of instant) {
    if (seen.has(r.rule)) throw new ShiftConfigError(`${path}.instant`, `rule ${r.rule} is listed twice`);
    seen.add(r.rule);
  }

  const q = num(fdr, 'q', d.fdr.q, `${path}.fdr`, { gt: 0 });
  if (q >= 1) throw new ShiftConfigError(`${path}.fdr.q`, `must be < 1, got ${q}`);
  const transform = input['transform'] ?? d.transform;
  if (transform !== 'sqrt' && transform !== 'none') throw new ShiftConfigError(`${path}.transform`, `must be sqrt or none, got ${JSON.stringify(transform)}`);
  return {
    method: method as ShiftMethod,
    glr: {
      h: num(glr, 'h', d.glr.h, `${path}.glr`, { gt: 0 }),
      maxRecent: num(glr, 'maxRecent', d.glr.maxRecent, `${path}.glr`, { min: 1, int: true }),
      sizeClip: num(glr, 'sizeClip', d.glr.sizeClip, `${path}.glr`, { gt: 0 }),
      sizeSdFloor: num(glr, 'sizeSdFloor', d.glr.sizeSdFloor, `${path}.glr`, { gt: 0 }),
    },
    window,
    transform,
    windowMs,
    measures,
    ringWindows,
    minHistory,
    seasonPeriod,
    smoothing: num(input, 'smoothing', d.smoothing, path, { min: 1, int: true }),
    shortWindows,
    robustZ: num(input, 'robustZ', d.robustZ, path, { gt: 0 }),
    cusum: {
      k: num(cusum, 'k', d.cusum.k, `${path}.cusum`, { gt: 0 }),
      h: num(cusum, 'h', d.cusum.h, `${path}.cusum`, { gt: 0 }),
      clip: num(cusum, 'clip', d.cusum.clip, `${path}.cusum`, { gt: 0 }),
    },
    floor: {
      relative: num(floor, 'relative', d.floor.relative, `${path}.floor`, { min: 0 }),
      absolute: num(floor, 'absolute', d.floor.absolute, `${path}.floor`, { gt: 0 }),
    },
    cooldownWindows: num(input, 'cooldownWindows', d.cooldownWindows, path, { min: 0, int: true }),
    fdr: { enabled: bool(fdr, 'enabled', cusumMethod ? CUSUM_DEFAULTS.fdrEnabled : d.fdr.enabled, `${path}.fdr`), q },
    population: {
      enabled: bool(population, 'enabled', d.population.enabled, `${path}.population`),
      minSeries: num(population, 'minSeries', d.population.minSeries, `${path}.population`, { min: 1, int: true }),
      segmentBy: segmentBy as SegmentLabel,
      sizes: bool(population, 'sizes', d.population.sizes, `${path}.population`),
    },
    silence: {
      enabled: bool(silence, 'enabled', d.silence.enabled, `${path}.silence`),
      h: num(silence, 'h', d.silence.h, `${path}.silence`, { gt: 0 }),
      minEvents: num(silence, 'minEvents', d.silence.minEvents, `${path}.silence`, { min: 1, int: true }),
    },
    instant,
  };
}
