/**
 * First-contact-resolution look-ahead, per customer (and reason, for `same_reason`).
 *
 * A handled contact with a customer_id is resolved first time when the same customer makes no
 * further contact (any channel, any disposition) with queued_at in (ended_at, ended_at + L].
 * Contacts arrive in any order within the allowed lateness, so both directions are checked: a new
 * contact may be the repeat of earlier-arrived handled contacts, and a new handled contact may
 * already have a repeat among earlier-arrived ones.
 *
 * State is plain JSON in KeyedState and bounded: an entry is dropped once no contact the runner can
 * still accept (queued_at >= watermark - lateness) could match it in either direction.
 *
 * One state entry per customer, whatever the scope: `same_reason` keeps each contact's reason in
 * its entry and matches only those. Keyed by customer and reason, a contact-heavy stream had about
 * three entries a customer, each a row of every checkpoint's `pulse_state` and a key of the shard's
 * maps and deadline queue (issue 13). A state written that way is regrouped when it is restored.
 */
import type { ContactEvent } from '../events.js';
import { KeyedState } from '../state.js';
import { appendExact } from '../state-list.js';
import { DeadlineQueue } from '../deadline-queue.js';
import { firstOfJsonKey, jsonKey1 } from '../json-key.js';
import type { FcrScope } from './options.js';

export interface FcrEntry {
  /** queued_at of the contact (it can be the repeat of an earlier handled contact). */
  q: number;
  /** ended_at when the contact is FCR-eligible (handled, with customer_id), else null. */
  e: number | null;
  queue: string;
  channel: string;
  /** True once a repeat was seen: the contact is not resolved first time. */
  rep: boolean;
  /** The contact's reason under `same_reason` (absent under `any_reason`): only contacts of the same reason match. */
  r?: string;
}

export interface FcrObservation {
  /** Earlier-arrived eligible contacts that this contact turned into repeats (now not resolved). */
  repeated: FcrEntry[];
  /** For an eligible contact: whether it is resolved so far; null when not eligible. */
  resolved: boolean | null;
}

/**
 * Contacts of one customer in the look-ahead from which a new contact is matched through a
 * `LongList` instead of a walk over all of them: a catch-all id for unknown callers, or a large
 * business account, has thousands a week, and each new contact walked and copied the whole list
 * (50,000 contacts of one id took 41 s of one thread).
 */
const LONG_LIST = 32;

/**
 * What a long list of the state implies, kept beside it (not stored: rebuilt from the list after a
 * restart or when the list was pruned): its contacts that a later one can still make repeats
 * (eligible and not repeated yet; few, since every new contact of the same reason repeats them) and
 * the latest queued_at among all of them.
 */
interface LongList {
  entries: FcrEntry[];
  open: FcrEntry[];
  latestQueued: number;
}

export class FcrTracker {
  /** Keyed by JSON [customer_id] (before issue 13's regrouping, [customer_id, reason] under `same_reason`). */
  readonly state = new KeyedState<FcrEntry[]>(firstOfJsonKey);
  private readonly due = new DeadlineQueue();
  private indexed = false;
  private readonly longLists = new Map<string, LongList>();
  /** `state.restores` when `longLists` was last valid: a restore replaces every list. */
  private longListsOf = 0;

  constructor(
    private readonly lookaheadMs: number,
    private readonly scope: FcrScope,
    private readonly latenessMs: number,
  ) {}

  /** Registers a contact that has a customer_id and reports the FCR changes it causes. */
  observe(c: ContactEvent & { customer_id: string }, eligible: boolean): FcrObservation {
    this.ensureIndexed();
    const key = jsonKey1(c.customer_id);
    const entries = this.state.get(key) ?? [];
    const long = entries.length >= LONG_LIST ? this.longList(key, entries) : undefined;
    const reason = this.scope === 'same_reason' ? c.reason : undefined;
    const repeated: FcrEntry[] = [];
    for (const p of long?.open ?? entries) {
      if (p.r === reason && p.e !== null && !p.rep && p.e < c.queued_at && c.queued_at <= p.e + this.lookaheadMs) {
        p.rep = true;
        repeated.push(p);
      }
    }
    if (long !== undefined && repeated.length > 0) long.open = long.open.filter((p) => !p.rep);
    let resolved: boolean | null = null;
    const own: FcrEntry = { q: c.queued_at, e: null, queue: c.queue, channel: c.channel, rep: false };
    if (reason !== undefined) own.r = reason;
    if (eligible) {
      const end = c.ended_at;
      own.e = end;
      // In a stream in time order no contact seen so far was queued after this one ended.
      own.rep = (long === undefined || long.latestQueued > end) && entries.some((x) => x.r === reason && end < x.q && x.q <= end + this.lookaheadMs);
      resolved = !own.rep;
    }
    if (long === undefined) {
      // A new list of exactly this length: it stays in the state for the look-ahead (state-list.ts).
      this.state.set(key, appendExact(entries, own));
    } else {
      // Spare slots matter little on a long list; a copy for every contact made the work quadratic.
      entries.push(own);
      this.state.set(key, entries);
      if (own.e !== null && !own.rep) long.open.push(own);
      long.latestQueued = Math.max(long.latestQueued, own.q);
    }
    this.due.schedule(key, this.dropAt(own));
    return { repeated, resolved };
  }

  /** The `LongList` of the state's list `entries` under `key`, built when it is not known yet. */
  private longList(key: string, entries: FcrEntry[]): LongList {
    if (this.longListsOf !== this.state.restores) {
      this.longLists.clear();
      this.longListsOf = this.state.restores;
    }
    const known = this.longLists.get(key);
    if (known?.entries === entries) return known;
    let latestQueued = Number.NEGATIVE_INFINITY;
    for (const x of entries) latestQueued = Math.max(latestQueued, x.q);
    const built = { entries, open: entries.filter((x) => x.e !== null && !x.rep), latestQueued };
    this.longLists.set(key, built);
    return built;
  }

  /** Drops entries no acceptable contact can match any more. */
  prune(watermark: number): void {
    this.ensureIndexed();
    const horizon = watermark - this.latenessMs;
    for (const key of this.due.popDue(watermark)) {
      const entries = this.state.get(key);
      if (!entries) continue;
      const kept = entries.filter((x) => x.q > horizon || (x.e !== null && !x.rep && x.e + this.lookaheadMs >= horizon));
      if (kept.length !== entries.length) this.longLists.delete(key);
      if (kept.length === 0) {
        this.state.delete(key);
        continue;
      }
      if (kept.length !== entries.length) this.state.set(key, kept);
      this.due.schedule(key, Math.max(this.nextDropAt(kept), nextUp(watermark)));
    }
  }

  /** The watermark at which an entry is no longer needed. */
  private dropAt(x: FcrEntry): number {
    const asRepeat = x.q + this.latenessMs;
    if (x.e === null || x.rep) return asRepeat;
    return Math.max(asRepeat, x.e + this.lookaheadMs + this.latenessMs + 1);
  }

  private nextDropAt(entries: FcrEntry[]): number {
    let at = Infinity;
    for (const x of entries) at = Math.min(at, this.dropAt(x));
    return at;
  }

  /** After a restart the in-memory schedule is empty: schedule every restored key once. */
  private ensureIndexed(): void {
    if (this.indexed) return;
    this.indexed = true;
    this.regroupByCustomer();
    for (const [key, entries] of this.state.entries()) this.due.schedule(key, this.nextDropAt(entries));
  }

  /**
   * Moves entries restored under a [customer_id, reason] key (written before the state was kept per
   * customer) to the customer's key, each with its reason; the old keys are deleted at the next checkpoint.
   */
  private regroupByCustomer(): void {
    const byReason: Array<[string, FcrEntry[]]> = [];
    this.state.forEach((entries, key) => {
      if (key !== jsonKey1(firstOfJsonKey(key))) byReason.push([key, entries]);
    });
    for (const [key, entries] of byReason) {
      const [customer, reason] = JSON.parse(key) as [string, string];
      const target = jsonKey1(customer);
      this.state.delete(key);
      this.state.set(target, [...(this.state.get(target) ?? []), ...entries.map((x) => ({ ...x, r: reason }))]);
    }
  }
}

/** The next representable watermark after `t` at millisecond resolution. */
export function nextUp(t: number): number {
  return Number.isFinite(t) ? Math.floor(t) + 1 : t;
}
