/**
 * The decoded event model shared by every operator (SPEC section 1).
 *
 * Decoding normalises times to epoch milliseconds (UTC) so that the hot path never parses dates
 * again; `ts` is the event time used for windows and watermarks (for contacts it is `queued_at`).
 */

export const EVENT_TYPES = ['transaction', 'usage', 'contact', 'survey', 'profile'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CONTACT_CHANNELS = ['voice', 'chat', 'email', 'web', 'ivr', 'social'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export const DISPOSITIONS = ['resolved', 'unresolved', 'transferred', 'abandoned', 'callback', 'self_service'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

interface EventBase {
  event_id: string;
  /** Event time, epoch milliseconds UTC. */
  ts: number;
}

export interface TransactionEvent extends EventBase {
  type: 'transaction';
  customer_id: string;
  amount: number;
  currency: string | null;
  channel: string;
  category: string | null;
}

export interface UsageEvent extends EventBase {
  type: 'usage';
  customer_id: string;
  metric: string;
  quantity: number;
}

/**
 * The reason of a contact recorded without one (`"reason": null` or blank): an abandoned call never
 * reached anyone who could tell why. It counts in every KPI like any contact, and in the reason
 * volumes and the reason mix as a reason of its own.
 */
export const NO_REASON = '(none)';

export interface ContactEvent extends EventBase {
  type: 'contact';
  /** Null when the caller is unknown. */
  customer_id: string | null;
  contact_id: string;
  channel: ContactChannel;
  queue: string;
  /** The contact-reason code; `NO_REASON` for a contact recorded without one. */
  reason: string;
  agent_id: string | null;
  /** All contact times are epoch milliseconds; `ts === queued_at`. */
  queued_at: number;
  answered_at: number | null;
  ended_at: number;
  hold_seconds: number;
  acw_seconds: number;
  disposition: Disposition;
  text: string | null;
  /** The reason-list version that mapped `reason` (operators/reason-mapping.ts); absent without one. */
  taxonomy_version?: number;
}

export type SurveyAnswer = number | string | boolean;

export interface SurveyEvent extends EventBase {
  type: 'survey';
  customer_id: string;
  survey_id: string;
  answers: Record<string, SurveyAnswer>;
  comment: string | null;
}

/**
 * A change of a customer's profile: it sets the attributes it carries, clears those it gives as
 * null (or blank), and leaves the others as they were (`undefined` here: not in the record), so a
 * stream of changes that names only what changed keeps the rest (customer-profiles.ts).
 */
export interface ProfileEvent extends EventBase {
  type: 'profile';
  customer_id: string;
  account_owner: string | null | undefined;
  region: string | null | undefined;
  age_band: string | null | undefined;
  tier: string | null | undefined;
  signup_date: string | null | undefined;
  /** Any other attributes of the record, as text; null: given as null (cleared). */
  attributes: Record<string, string | null>;
}

export type PulseEvent = TransactionEvent | UsageEvent | ContactEvent | SurveyEvent | ProfileEvent;

/** Where a record came from: enough to find it again and to resume after it. */
export interface RecordPosition {
  /** Source name from the job (e.g. `files`, `kafka`). */
  source: string;
  /** A file path, `stdin`, or `topic/partition`. */
  partition: string;
  /** Line number (1-based) in a file, row index in a columnar file, or Kafka offset. */
  offset: number;
}

/**
 * Why a record was refused; a bounded set, used as a metric label. `too_large`: beyond a size
 * limit of the job's `limits` (bytes, nesting depth). `future`: an event time later than the
 * processing time plus `event_time.max_future` (a producer's clock, or this host's, is wrong).
 */
export const REJECT_REASONS = [
  'invalid_json',
  'missing_field',
  'wrong_type',
  'impossible_value',
  'unknown_type',
  'too_large',
  'future',
  'late',
  'duplicate',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  position: RecordPosition;
  reason: RejectReason;
  /** Human-readable detail: which field, what was wrong. */
  detail: string;
  /** Event type when it could be read, else `unknown` (a metric label). */
  type: EventType | 'unknown';
  /** The raw record text as received. */
  raw: string;
  /**
   * `late` only: a contact longer than the lateness that ended within it, so it came too late for
   * the window it was queued in by its length alone (its record arrives when it ends), even from a
   * source in order of arrival.
   */
  longContact?: true;
  /** The key and headers its message came with (Kafka), set by the runner: the dead-letter copy keeps them. */
  envelope?: RecordEnvelope;
}

/**
 * What a transport carried beside a record's value: a Kafka message's key and headers. No operator
 * reads it; it stays with the batch on the main thread, so that a rejected record's dead-letter
 * message is the one that came, key and headers included (as Kafka Connect's dead-letter queue does).
 */
export interface RecordEnvelope {
  key: Buffer | string | null;
  headers: ReadonlyArray<Readonly<Record<string, Buffer | string>>>;
}

export const MS_PER_SECOND = 1000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;
