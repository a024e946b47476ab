import { existsSync, statSync } from 'node:fs';
import { ConfigError } from '../../operators/errors.js';
import { BEHAVIOUR_PATTERNS } from './patterns.js';
import type { BehaviourPattern } from './patterns.js';

/**
 * Options of `pulse generate` and their validation. The CLI passes user input straight in, so
 * every field is checked here once, with a message that names the field and the fix.
 */

export interface GenerateOptions {
  /** NDJSON output path, or `-` for stdout (then `truthPath` is required). */
  out: string;
  customers: number;
  days: number;
  seed: number;
  /** ISO date-time of the first day (UTC midnight advised); default `2026-01-05T00:00:00Z`, a Monday. */
  start?: string;
  /** Where to write the ground truth; default `<out without .ndjson>.truth.json`. */
  truthPath?: string;
  /** Probability, per valid event, of an extra malformed record. Default 0.001. */
  malformedRate?: number;
  /** Probability, per valid on-time event, of an exact duplicate line. Default 0.002. */
  duplicateRate?: number;
  /** Probability, per valid event, of a delivery delayed by 2 to 3 days. Default 0.001. */
  lateRate?: number;
  /** Maximum random delivery delay of on-time events, seconds. Default 300. */
  outOfOrderSeconds?: number;
  /** Share of customers with an injected behaviour shift. Default 0.05. */
  shiftShare?: number;
  /** Inject population drift. Default true. */
  drift?: boolean;
  /**
   * Contact texts with known intents (issue 16), listed in the ground truth; off by default so the
   * same options keep giving the same bytes as before. Texts come from the held-out part of the
   * intent corpus and use their own random stream (the events stay the same).
   */
  intentTexts?: boolean;
  /**
   * Behaviour patterns the detectors were not tuned on (issue 17): `weekend`, `payday`, `holiday`,
   * `bigticket`, `gaps` (sources/generator/patterns.ts), listed in the ground truth. None by
   * default, which keeps the bytes of earlier versions.
   */
  patterns?: readonly BehaviourPattern[];
  /** Called after each written chunk with the number of lines written so far. */
  onProgress?: (eventsWritten: number) => void;
}

export interface GenerateResult {
  /** Valid distinct events (late ones included; duplicate copies and malformed records excluded). */
  events: number;
  malformed: number;
  /** Extra exact copies of valid lines. */
  duplicates: number;
  /** Valid events delivered 2 to 3 days after their event time. */
  late: number;
  groundTruthPath: string;
  /** Every line written: events + duplicates + malformed. */
  lines: number;
}

export interface ResolvedOptions {
  out: string;
  truthPath: string;
  customers: number;
  days: number;
  seed: number;
  startMs: number;
  malformedRate: number;
  duplicateRate: number;
  lateRate: number;
  outOfOrderSeconds: number;
  shiftShare: number;
  drift: boolean;
  intentTexts: boolean;
  patterns: ReadonlySet<BehaviourPattern>;
  onProgress: ((eventsWritten: number) => void) | null;
}

export const DEFAULT_START = '2026-01-05T00:00:00Z';
export const DEFAULTS = {
  malformedRate: 0.001,
  duplicateRate: 0.002,
  lateRate: 0.001,
  outOfOrderSeconds: 300,
  shiftShare: 0.05,
  drift: true,
} as const;

/** Ids are `C` + at least 6 digits (C000001 ... C999999, then C1000000 ...). */
export const MAX_CUSTOMERS = 10_000_000;
const MAX_DAYS = 3_660;

/** Bad generator options: the CLI maps this to exit code 2. */
/** The `pulse generate` flag of each option, named in its errors (they named `truthPath` for `--truth`). */
const GENERATE_FLAGS: Readonly<Record<string, string>> = {
  out: '--out',
  truthPath: '--truth',
  customers: '--customers',
  days: '--days',
  seed: '--seed',
  start: '--start',
  patterns: '--patterns',
};

export class GeneratorConfigError extends ConfigError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${GENERATE_FLAGS[field] ?? `option '${field}'`} ${message}`, undefined, 'GENERATOR_CONFIG');
  }
}

function integerIn(field: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new GeneratorConfigError(field, `must be an integer from ${lo} to ${hi}, got ${String(value)}`);
  }
  return value;
}

function rate(field: string, value: unknown, fallback: number, max = 0.5): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new GeneratorConfigError(field, `must be a number from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Truth file path beside the output: `x.ndjson` -> `x.truth.json`, `x` -> `x.truth.json`. */
export function defaultTruthPath(out: string): string {
  return `${out.endsWith('.ndjson') ? out.slice(0, -'.ndjson'.length) : out}.truth.json`;
}

function behaviourPatterns(value: unknown): ReadonlySet<BehaviourPattern> {
  if (value === undefined) return new Set();
  const known: readonly string[] = BEHAVIOUR_PATTERNS;
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || !known.includes(p))) {
    throw new GeneratorConfigError('patterns', `must be a list of ${BEHAVIOUR_PATTERNS.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return new Set(value as BehaviourPattern[]);
}

export function resolveOptions(options: GenerateOptions): ResolvedOptions {
  if (typeof options.out !== 'string' || options.out.length === 0) {
    throw new GeneratorConfigError('out', "must be a file path or '-' for stdout");
  }
  if (options.out !== '-' && existsSync(options.out) && statSync(options.out).isDirectory()) {
    throw new GeneratorConfigError('out', `${options.out} is a directory; give a file in it, e.g. --out ${options.out.replace(/\/+$/, '')}/events.ndjson`);
  }
  let truthPath = options.truthPath;
  if (truthPath === undefined) {
    if (options.out === '-') {
      throw new GeneratorConfigError('truthPath', 'is required when writing events to stdout (--out -)');
    }
    truthPath = defaultTruthPath(options.out);
  }
  const start = options.start ?? DEFAULT_START;
  const startMs = Date.parse(start);
  if (!Number.isFinite(startMs)) {
    throw new GeneratorConfigError('start', `must be an ISO 8601 date-time such as ${DEFAULT_START}, got '${start}'`);
  }
  const outOfOrderSeconds = options.outOfOrderSeconds ?? DEFAULTS.outOfOrderSeconds;
  if (!Number.isFinite(outOfOrderSeconds) || outOfOrderSeconds < 0 || outOfOrderSeconds > 86_400) {
    throw new GeneratorConfigError('outOfOrderSeconds', `must be a number of seconds from 0 to 86400, got ${outOfOrderSeconds}`);
  }
  return {
    out: options.out,
    truthPath,
    customers: integerIn('customers', options.customers, 1, MAX_CUSTOMERS),
    days: integerIn('days', options.days, 1, MAX_DAYS),
    seed: integerIn('seed', options.seed, -2_147_483_648, 4_294_967_295),
    startMs,
    malformedRate: rate('malformedRate', options.malformedRate, DEFAULTS.malformedRate),
    duplicateRate: rate('duplicateRate', options.duplicateRate, DEFAULTS.duplicateRate),
    lateRate: rate('lateRate', options.lateRate, DEFAULTS.lateRate),
    outOfOrderSeconds,
    shiftShare: rate('shiftShare', options.shiftShare, DEFAULTS.shiftShare, 1),
    drift: options.drift ?? DEFAULTS.drift,
    intentTexts: options.intentTexts ?? false,
    patterns: behaviourPatterns(options.patterns),
    onProgress: options.onProgress ?? null,
  };
}
