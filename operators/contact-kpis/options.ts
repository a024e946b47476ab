/**
 * Options of the contact-center KPI operator: typed values with the SPEC section 4 defaults, and
 * the build step that turns the job YAML block into them (unknown keys rejected).
 */
import { ConfigError } from '../errors.js';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE } from '../events.js';
import { formatDuration, positiveDuration } from '../duration.js';

/**
 * How abandoned contacts enter service level (SL). T = `serviceLevelSeconds`; short abandons are
 * always left out (SPEC). `abandoned_in_sl` = non-short abandons whose wait <= T.
 * - `abandons_against` (SPEC default, Cisco "negative impact"):
 *    handled_in_sl / (offered - short_abandoned)
 * - `ignore_abandons` (Cisco "ignore abandoned calls"):
 *    handled_in_sl / (offered - short_abandoned - abandoned_in_sl)
 * - `abandons_for` (Cisco "positive impact"):
 *    (handled_in_sl + abandoned_in_sl) / (offered - short_abandoned)
 * - `answered_only` (Genesys Cloud with "Include Abandons" off): handled_in_sl / handled
 */
export const SERVICE_LEVEL_VARIANTS = [
  'abandons_against',
  'ignore_abandons',
  'abandons_for',
  'answered_only',
] as const;
export type ServiceLevelVariant = (typeof SERVICE_LEVEL_VARIANTS)[number];

/** Whether unanswered callbacks stay in the SL denominator (`count`, SPEC) or leave it. */
export const SERVICE_LEVEL_CALLBACKS = ['count', 'exclude'] as const;
export type ServiceLevelCallbacks = (typeof SERVICE_LEVEL_CALLBACKS)[number];

export const FCR_SCOPES = ['same_reason', 'any_reason'] as const;
export type FcrScope = (typeof FCR_SCOPES)[number];

export interface ContactKpiOptions {
  /** Tumbling window sizes in ms, aligned to the UTC epoch. */
  windowSizesMs: number[];
  /** An abandon with wait strictly below this is a short abandon. */
  shortAbandonSeconds: number;
  /** A handled contact with wait <= this (inclusive) meets service level. */
  serviceLevelSeconds: number;
  serviceLevelVariant: ServiceLevelVariant;
  serviceLevelCallbacks: ServiceLevelCallbacks;
  /** A repeat contact within (ended_at, ended_at + this] makes a handled contact not resolved. */
  fcrLookaheadDays: number;
  fcrScope: FcrScope;
  /** Events up to this far behind the watermark are still accepted by the runner. */
  allowedLatenessMs: number;
}

export const DEFAULT_WINDOW_SIZES_MS: readonly number[] = [15 * MS_PER_MINUTE, MS_PER_HOUR, MS_PER_DAY];

export const DEFAULT_CONTACT_KPI_OPTIONS: Readonly<ContactKpiOptions> = Object.freeze({
  windowSizesMs: [...DEFAULT_WINDOW_SIZES_MS],
  shortAbandonSeconds: 5,
  serviceLevelSeconds: 20,
  serviceLevelVariant: 'abandons_against',
  serviceLevelCallbacks: 'count',
  fcrLookaheadDays: 7,
  fcrScope: 'same_reason',
  allowedLatenessMs: 0,
});

/** A bad KPI option: names the field, the value and what is allowed. */
export class ContactKpiConfigError extends ConfigError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`contact_kpis.${field}: ${message}`);
  }
}

/** Fills defaults and checks values; the runtime only takes the result. */
export function resolveContactKpiOptions(partial: Partial<ContactKpiOptions> = {}): ContactKpiOptions {
  const options: ContactKpiOptions = { ...DEFAULT_CONTACT_KPI_OPTIONS, ...stripUndefined(partial) };
  options.windowSizesMs = [...new Set(options.windowSizesMs)].sort((a, b) => a - b);
  if (options.windowSizesMs.length === 0) {
    throw new ContactKpiConfigError('window_sizes', 'at least one window size is required');
  }
  for (const size of options.windowSizesMs) {
    if (!Number.isInteger(size) || size <= 0) {
      throw new ContactKpiConfigError('window_sizes', `window size ${size} ms must be a positive whole number`);
    }
  }
  nonNegative('short_abandon_seconds', options.shortAbandonSeconds);
  nonNegative('service_level_seconds', options.serviceLevelSeconds);
  nonNegative('fcr_lookahead_days', options.fcrLookaheadDays);
  nonNegative('allowed_lateness', options.allowedLatenessMs);
  oneOf('service_level_variant', options.serviceLevelVariant, SERVICE_LEVEL_VARIANTS);
  oneOf('service_level_callbacks', options.serviceLevelCallbacks, SERVICE_LEVEL_CALLBACKS);
  oneOf('fcr_scope', options.fcrScope, FCR_SCOPES);
  return options;
}

/** YAML field names of the `contact_kpis` block (snake_case, as users write them). */
export const CONTACT_KPI_FIELDS = [
  'window_sizes',
  'short_abandon_seconds',
  'service_level_seconds',
  'service_level_variant',
  'service_level_callbacks',
  'fcr_lookahead_days',
  'fcr_scope',
  'allowed_lateness',
  'rules',
] as const;

/**
 * Reads the job YAML block, e.g.
 * `{ window_sizes: [15m, 1h, 1d], short_abandon_seconds: 5, service_level_variant: abandons_for }`.
 * `rules` is left to `validateRules` (operators/rules); it is accepted here so the block validates.
 */
export function contactKpiOptionsFromConfig(raw: unknown): ContactKpiOptions {
  if (raw === undefined || raw === null) return resolveContactKpiOptions();
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ContactKpiConfigError('', 'expected a mapping of options');
  }
  const block = raw as Record<string, unknown>;
  for (const key of Object.keys(block)) {
    if (!(CONTACT_KPI_FIELDS as readonly string[]).includes(key)) {
      throw new ContactKpiConfigError(key, `unknown option; allowed: ${CONTACT_KPI_FIELDS.join(', ')}`);
    }
  }
  const partial: Partial<ContactKpiOptions> = {};
  if (block.window_sizes !== undefined) {
    if (!Array.isArray(block.window_sizes)) {
      throw new ContactKpiConfigError('window_sizes', 'expected a list of durations such as [15m, 1h, 1d]');
    }
    partial.windowSizesMs = block.window_sizes.map((v) => durationField('window_sizes', v));
  }
  if (block.short_abandon_seconds !== undefined) {
    partial.shortAbandonSeconds = numberField('short_abandon_seconds', block.short_abandon_seconds);
  }
  if (block.service_level_seconds !== undefined) {
    partial.serviceLevelSeconds = numberField('service_level_seconds', block.service_level_seconds);
  }
  if (block.fcr_lookahead_days !== undefined) {
    partial.fcrLookaheadDays = numberField('fcr_lookahead_days', block.fcr_lookahead_days);
  }
  if (block.allowed_lateness !== undefined) {
    partial.allowedLatenessMs =
      typeof block.allowed_lateness === 'number' ? block.allowed_lateness : durationField('allowed_lateness', block.allowed_lateness);
  }
  if (block.service_level_variant !== undefined) {
    partial.serviceLevelVariant = block.service_level_variant as ServiceLevelVariant;
  }
  if (block.service_level_callbacks !== undefined) {
    partial.serviceLevelCallbacks = block.service_level_callbacks as ServiceLevelCallbacks;
  }
  if (block.fcr_scope !== undefined) partial.fcrScope = block.fcr_scope as FcrScope;
  return resolveContactKpiOptions(partial);
}

/** Window size labels (`15m`, `1h`, `1d`) of resolved options, in size order. */
export function windowLabels(options: Pick<ContactKpiOptions, 'windowSizesMs'>): string[] {
  return options.windowSizesMs.map(formatDuration);
}

function durationField(field: string, value: unknown): number {
  const ms = typeof value === 'string' ? positiveDuration(value) : null;
  if (ms === null) {
    throw new ContactKpiConfigError(field, `${JSON.stringify(value)} is not a duration; write e.g. 15m, 1h, 1d`);
  }
  return ms;
}

function numberField(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ContactKpiConfigError(field, `${JSON.stringify(value)} is not a number`);
  }
  return value;
}

function nonNegative(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ContactKpiConfigError(field, `${String(value)} must be a number >= 0`);
  }
}

function oneOf(field: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    throw new ContactKpiConfigError(field, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

