/**
 * Options of the contact-center KPI operator: the schema of its job YAML block (SPEC section 4
 * defaults, unknown keys rejected) and the typed values the runtime takes.
 */
import { ConfigError } from '../errors.js';
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE } from '../events.js';
import { Duration, StringEnum, Type, compileConfig, type Static } from '../config/schema.js';
import { formatDuration, parseDuration } from '../duration.js';

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
export const SERVICE_LEVEL_VARIANTS = ['abandons_against', 'ignore_abandons', 'abandons_for', 'answered_only'] as const;
export type ServiceLevelVariant = (typeof SERVICE_LEVEL_VARIANTS)[number];

/** Whether unanswered callbacks stay in the SL denominator (`count`, SPEC) or leave it. */
export const SERVICE_LEVEL_CALLBACKS = ['count', 'exclude'] as const;
export type ServiceLevelCallbacks = (typeof SERVICE_LEVEL_CALLBACKS)[number];

export const FCR_SCOPES = ['same_reason', 'any_reason'] as const;
export type FcrScope = (typeof FCR_SCOPES)[number];

export interface ContactKpiOptions {
  /** Tumbling window sizes in ms, aligned to the UTC epoch. */
  windowSizesMs: number[];
  /**
   * By window size (ms): the start of its first window kept; a size not in it keeps every window.
   * A size added to a job that has already read contacts starts after them: an earlier window
   * would count only part of its contacts.
   */
  firstWindowStartMs?: Readonly<Record<number, number>>;
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
    super(`contact_kpis${field ? `.${field}` : ''}: ${message}`);
  }
}

/** Fills defaults and puts the window sizes in order; the runtime only takes the result. */
export function resolveContactKpiOptions(partial: Partial<ContactKpiOptions> = {}): ContactKpiOptions {
  const options: ContactKpiOptions = { ...DEFAULT_CONTACT_KPI_OPTIONS, ...stripUndefined(partial) };
  options.windowSizesMs = [...new Set(options.windowSizesMs)].sort((a, b) => a - b);
  return options;
}

const nonNegative = (fallback: number, description: string) => Type.Number({ minimum: 0, default: fallback, description });

/** Schema of the `contact_kpis` block of the job YAML (besides `type` and `name`), with the SPEC section 4 defaults. */
export const CONTACT_KPIS_SCHEMA = Type.Object(
  {
    window_sizes: Type.Array(Duration(), {
      minItems: 1,
      default: DEFAULT_WINDOW_SIZES_MS.map(formatDuration),
      description: 'tumbling windows, aligned to the UTC epoch',
    }),
    short_abandon_seconds: nonNegative(DEFAULT_CONTACT_KPI_OPTIONS.shortAbandonSeconds, 'abandons with a wait below this are short'),
    service_level_seconds: nonNegative(DEFAULT_CONTACT_KPI_OPTIONS.serviceLevelSeconds, 'handled contacts with a wait up to this meet service level'),
    service_level_variant: StringEnum(SERVICE_LEVEL_VARIANTS, {
      default: DEFAULT_CONTACT_KPI_OPTIONS.serviceLevelVariant,
      description: 'how abandons enter service level (operators/contact-kpis/README.md)',
    }),
    service_level_callbacks: StringEnum(SERVICE_LEVEL_CALLBACKS, {
      default: DEFAULT_CONTACT_KPI_OPTIONS.serviceLevelCallbacks,
      description: 'exclude: unanswered callbacks leave the service-level denominator',
    }),
    fcr_lookahead_days: nonNegative(DEFAULT_CONTACT_KPI_OPTIONS.fcrLookaheadDays, 'a repeat contact within this many days makes a contact not resolved'),
    fcr_scope: StringEnum(FCR_SCOPES, { default: DEFAULT_CONTACT_KPI_OPTIONS.fcrScope, description: 'which repeats count against first-contact resolution' }),
    // Known, so that its message says what to do instead of "unknown key".
    allowed_lateness: Type.Optional(
      Type.Never({ description: "the job's event_time.allowed_lateness applies to every operator: remove this key and set that one" }),
    ),
    rules: Type.Optional(Type.Array(Type.Unknown(), { description: 'KPI threshold rules (README: Rules that fire on evidence)' })),
  },
  { additionalProperties: false },
);

export type ContactKpisBlock = Static<typeof CONTACT_KPIS_SCHEMA>;

const checkBlock = compileConfig(CONTACT_KPIS_SCHEMA, ({ path, detail }) => new ContactKpiConfigError(path, detail));

/**
 * Reads the job YAML block, e.g.
 * `{ window_sizes: [15m, 1h, 1d], short_abandon_seconds: 5, service_level_variant: abandons_for }`.
 * `rules` is left to `validateRules` (operators/rules). The job's allowed lateness is set by the
 * registry (pipelines/registry.ts).
 */
export function contactKpiOptionsFromConfig(raw: unknown): ContactKpiOptions {
  // The validator fills defaults in: check a copy, so that the caller's block stays as written.
  const block = checkBlock(structuredClone(raw ?? {}));
  const windowSizesMs = block.window_sizes.map((size) => parseDuration(size)!);
  if (windowSizesMs.includes(0)) throw new ContactKpiConfigError('window_sizes', 'a window size must be longer than 0; write e.g. 15m, 1h, 1d');
  return resolveContactKpiOptions({
    windowSizesMs,
    shortAbandonSeconds: block.short_abandon_seconds,
    serviceLevelSeconds: block.service_level_seconds,
    serviceLevelVariant: block.service_level_variant,
    serviceLevelCallbacks: block.service_level_callbacks,
    fcrLookaheadDays: block.fcr_lookahead_days,
    fcrScope: block.fcr_scope,
  });
}

/** Window size labels (`15m`, `1h`, `1d`) of resolved options, in size order. */
export function windowLabels(options: Pick<ContactKpiOptions, 'windowSizesMs'>): string[] {
  return options.windowSizesMs.map(formatDuration);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
