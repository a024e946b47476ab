/**
 * The per-window, per queue x channel accumulator: plain JSON (it lives in KeyedState so that a
 * restart continues open windows) and additive, so late contacts just add to it.
 */
import type { ContactEvent } from '../events.js';
import { exactAdd, exactMerge, type ExactSum } from '../exact-sum.js';
import type { ContactKpiOptions } from './options.js';

export interface WindowAcc {
  size: number;
  start: number;
  queue: string;
  channel: string;
  offered: number;
  handled: number;
  abandoned: number;
  short_abandoned: number;
  self_service: number;
  /** Handled contacts with disposition `transferred`. */
  transferred: number;
  /** Contacts with disposition `resolved`. */
  resolved: number;
  /** Handled with wait <= service-level seconds. */
  handled_in_sl: number;
  /** Abandoned, not short, with wait <= service-level seconds (for the SL variants). */
  abandoned_in_sl: number;
  /** Sum over handled of (ended_at - answered_at), ms, kept integral for exact sums. */
  handle_ms: number;
  /**
   * Sum over handled of acw_seconds, exact (the only fractional sum: partials of several shards and
   * batches give the same total in any order).
   */
  acw_seconds: ExactSum;
  /** Sum over handled of (answered_at - queued_at), ms. */
  answer_ms: number;
  /** Sum of waits over contacts that have one (handled and abandoned), ms. */
  wait_ms: number;
  wait_count: number;
  /** Handled contacts with a customer_id (the FCR denominator). */
  fcr_eligible: number;
  /** Of those, the ones with no repeat contact in the look-ahead (so far). */
  fcr_resolved: number;
  /** Largest ended_at + look-ahead over FCR-eligible contacts; null if none. */
  fcr_horizon: number | null;
  /**
   * All contact records (self-service included) by reason, in an object without prototype (see
   * `reasonCounts`); restored state is converted by `upgradeWindowAcc`.
   */
  reasons: Record<string, number>;
  /**
   * The newest reason-list version that mapped a contact of the window; absent while none did (no
   * list saved, or state from an older version).
   */
  taxonomy_version?: number;
  /** True once window_end <= watermark: rules evaluated, latest row published. */
  closed: boolean;
}

/**
 * Counts by reason code. Without a prototype, a code such as `constructor` or `__proto__` (valid
 * input) is an ordinary key, and V8 keeps the object as a hash table from the start: each window
 * gets the codes in its own order, and an ordinary object made a new hidden class for every order,
 * which made counting a contact's reason a third of the shards' KPI time on a contact-heavy load.
 */
export function reasonCounts(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

export function newWindowAcc(size: number, start: number, queue: string, channel: string): WindowAcc {
  return {
    size,
    start,
    queue,
    channel,
    offered: 0,
    handled: 0,
    abandoned: 0,
    short_abandoned: 0,
    self_service: 0,
    transferred: 0,
    resolved: 0,
    handled_in_sl: 0,
    abandoned_in_sl: 0,
    handle_ms: 0,
    acw_seconds: [],
    answer_ms: 0,
    wait_ms: 0,
    wait_count: 0,
    fcr_eligible: 0,
    fcr_resolved: 0,
    fcr_horizon: null,
    reasons: reasonCounts(),
    closed: false,
  };
}

/** How one contact counts, following SPEC section 4 word by word. */
export interface ContactClass {
  selfService: boolean;
  handled: boolean;
  abandoned: boolean;
  shortAbandoned: boolean;
  /** answered_at - queued_at (handled) or ended_at - queued_at (abandoned); null otherwise. */
  waitMs: number | null;
  /** Handled, has a customer_id: counts in the FCR denominator. */
  fcrEligible: boolean;
}

export function classifyContact(c: ContactEvent, options: Pick<ContactKpiOptions, 'shortAbandonSeconds'>): ContactClass {
  const selfService = c.disposition === 'self_service';
  const handled = !selfService && c.answered_at !== null;
  // abandoned = not answered and not callback (an unanswered callback is neither).
  const abandoned = !selfService && c.answered_at === null && c.disposition !== 'callback';
  let waitMs: number | null = null;
  if (handled && c.answered_at !== null) waitMs = c.answered_at - c.queued_at;
  else if (abandoned) waitMs = c.ended_at - c.queued_at;
  const shortAbandoned = abandoned && waitMs !== null && waitMs < options.shortAbandonSeconds * 1000;
  return { selfService, handled, abandoned, shortAbandoned, waitMs, fcrEligible: handled && c.customer_id !== null };
}

/** Adds a contact's counts (not its FCR outcome, which the FCR tracker adds) to `acc`. */
export function addContact(acc: WindowAcc, c: ContactEvent, cls: ContactClass, options: Pick<ContactKpiOptions, 'serviceLevelSeconds'>): void {
  acc.reasons[c.reason] = (acc.reasons[c.reason] ?? 0) + 1;
  if (c.taxonomy_version !== undefined) acc.taxonomy_version = Math.max(acc.taxonomy_version ?? 0, c.taxonomy_version);
  if (cls.selfService) {
    acc.self_service += 1;
    return;
  }
  const slMs = options.serviceLevelSeconds * 1000;
  acc.offered += 1;
  if (c.disposition === 'resolved') acc.resolved += 1;
  if (cls.waitMs !== null) {
    acc.wait_ms += cls.waitMs;
    acc.wait_count += 1;
  }
  if (cls.handled && c.answered_at !== null && cls.waitMs !== null) {
    acc.handled += 1;
    if (c.disposition === 'transferred') acc.transferred += 1;
    if (cls.waitMs <= slMs) acc.handled_in_sl += 1;
    acc.handle_ms += c.ended_at - c.answered_at;
    exactAdd(acc.acw_seconds, c.acw_seconds);
    acc.answer_ms += cls.waitMs;
  } else if (cls.abandoned && cls.waitMs !== null) {
    acc.abandoned += 1;
    if (cls.shortAbandoned) acc.short_abandoned += 1;
    else if (cls.waitMs <= slMs) acc.abandoned_in_sl += 1;
  }
}

/** True when `delta` holds contacts (not only FCR corrections of earlier contacts' windows). */
export function hasContacts(delta: WindowAcc): boolean {
  for (const _ in delta.reasons) return true;
  return false;
}

/** The integer counts and integral millisecond sums of an accumulator (added and subtracted alike). */
const COUNTS = [
  'offered',
  'handled',
  'abandoned',
  'short_abandoned',
  'self_service',
  'transferred',
  'resolved',
  'handled_in_sl',
  'abandoned_in_sl',
  'handle_ms',
  'answer_ms',
  'wait_ms',
  'wait_count',
  'fcr_eligible',
  'fcr_resolved',
] as const;

/**
 * Adds a partial accumulator of the same window (contacts of one shard and batch, and FCR
 * corrections, which may make `fcr_resolved` negative) into `into`.
 */
export function mergeWindowAcc(into: WindowAcc, delta: WindowAcc): void {
  for (const field of COUNTS) into[field] += delta[field];
  exactMerge(into.acw_seconds, delta.acw_seconds);
  if (delta.fcr_horizon !== null) into.fcr_horizon = into.fcr_horizon === null ? delta.fcr_horizon : Math.max(into.fcr_horizon, delta.fcr_horizon);
  for (const reason in delta.reasons) into.reasons[reason] = (into.reasons[reason] ?? 0) + delta.reasons[reason]!;
  if (delta.taxonomy_version !== undefined) into.taxonomy_version = Math.max(into.taxonomy_version ?? 0, delta.taxonomy_version);
}

/**
 * What `newer` adds to `older`, two cumulative accumulators of the same window (a source
 * partition's, published again): `mergeWindowAcc(older, delta)` gives `newer`'s counts and sums
 * exactly. The horizon and reason-list version are maxima, so the newer ones (never smaller) stand.
 * A reason whose count did not change is left out, so a delta of FCR corrections alone has no
 * contacts (`hasContacts`).
 */
export function windowAccDelta(newer: WindowAcc, older: WindowAcc): WindowAcc {
  const delta = newWindowAcc(newer.size, newer.start, newer.queue, newer.channel);
  for (const field of COUNTS) delta[field] = newer[field] - older[field];
  exactMerge(delta.acw_seconds, newer.acw_seconds);
  exactMerge(
    delta.acw_seconds,
    older.acw_seconds.map((x) => -x),
  );
  delta.fcr_horizon = newer.fcr_horizon;
  for (const reason of new Set([...Object.keys(newer.reasons), ...Object.keys(older.reasons)])) {
    const change = countOf(newer.reasons, reason) - countOf(older.reasons, reason);
    if (change !== 0) delta.reasons[reason] = change;
  }
  if (newer.taxonomy_version !== undefined) delta.taxonomy_version = newer.taxonomy_version;
  return delta;
}

/**
 * The watermark from which a closed window can be dropped: past its end plus the allowed lateness
 * (no contact can still arrive) and past every FCR horizon plus the lateness (no repeat contact can
 * still correct it).
 */
export function expiryWatermark(acc: WindowAcc, allowedLatenessMs: number): number {
  const end = acc.start + acc.size;
  return Math.max(end + allowedLatenessMs, acc.fcr_horizon === null ? -Infinity : acc.fcr_horizon + allowedLatenessMs + 1);
}

/** A reason's count in counts that may have come from JSON (with a prototype, whose `constructor` is not a count). */
function countOf(reasons: Readonly<Record<string, number>>, reason: string): number {
  return Object.hasOwn(reasons, reason) ? reasons[reason]! : 0;
}

/**
 * A window accumulator restored from a checkpoint: its reason counts as `reasonCounts` (JSON gives
 * an ordinary object), and acw_seconds as an exact sum (an older version kept a number).
 */
export function upgradeWindowAcc(acc: WindowAcc): void {
  if (Object.getPrototypeOf(acc.reasons) !== null) acc.reasons = Object.assign(reasonCounts(), acc.reasons);
  const acw = acc.acw_seconds as ExactSum | number;
  if (typeof acw === 'number') acc.acw_seconds = acw === 0 ? [] : [acw];
}
