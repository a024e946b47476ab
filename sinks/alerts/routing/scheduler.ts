import type { GroupTiming } from './route.js';

/**
 * When a notification group is due, Alertmanager's way:
 * - a new group (never notified) waits `group_wait` after its first alert arrived, to batch;
 * - a group already notified sends changes (new alerts, resolutions) `group_interval` after
 *   its last notification;
 * - an unchanged group that still has firing alerts is re-sent `repeat_interval` after its last
 *   notification.
 * Pure: the caller passes the clock's `now` and the group's facts; tests use a fake clock.
 */
export interface GroupFacts {
  /** When the oldest change not yet notified arrived (ms), or null when nothing changed. */
  firstPendingAt: number | null;
  /** When the group was last notified (ms), or null for a new group. */
  lastNotifiedAt: number | null;
  /** Whether the group has alerts that are still firing (delivered and not resolved). */
  hasFiring: boolean;
}

export type FlushReason = 'group_wait' | 'group_interval' | 'repeat_interval';

export interface FlushPlan {
  /** Instant (ms) from which the notification is due. */
  at: number;
  reason: FlushReason;
}

/** The next notification of a group, or null when there is nothing to send. */
export function nextFlush(facts: GroupFacts, timing: GroupTiming): FlushPlan | null {
  if (facts.firstPendingAt !== null) {
    if (facts.lastNotifiedAt === null) return { at: facts.firstPendingAt + timing.groupWait, reason: 'group_wait' };
    return { at: facts.lastNotifiedAt + timing.groupInterval, reason: 'group_interval' };
  }
  if (facts.hasFiring && facts.lastNotifiedAt !== null) {
    return { at: facts.lastNotifiedAt + timing.repeatInterval, reason: 'repeat_interval' };
  }
  return null;
}

/** True when the group should be notified at `now`. */
export function isDue(facts: GroupFacts, timing: GroupTiming, now: number): FlushPlan | null {
  const plan = nextFlush(facts, timing);
  return plan !== null && plan.at <= now ? plan : null;
}
