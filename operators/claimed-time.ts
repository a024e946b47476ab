import type { RawValue } from './record-limits.js';
import { parseTimestamp } from './timestamp.js';

/**
 * The event time a raw record claims (a contact's `queued_at`, any other record's `ts`; an RFC 3339
 * text or epoch milliseconds), read without validating anything else: NaN when it has none.
 * Decoding proper (operators/decode.ts) decides what the record is worth; this only lets a reader
 * put its inputs in event-time order.
 */
export function claimedEventTime(value: RawValue): number {
  let record: unknown = value;
  if (typeof value === 'string') {
    try {
      record = JSON.parse(value);
    } catch {
      return Number.NaN;
    }
  }
  if (record === null || typeof record !== 'object') return Number.NaN;
  const fields = record as Record<string, unknown>;
  // Only contacts have `queued_at`, and it is their event time whatever their `ts` says.
  const ts = fields['queued_at'] ?? fields['ts'];
  if (typeof ts === 'number') return ts;
  return typeof ts === 'string' ? parseTimestamp(ts) : Number.NaN;
}

/**
 * `time` when the event gate could accept an event at that time, NaN when it would refuse it as
 * `future` (after `now` plus `event_time.max_future`) or before `event_time.min_time`.
 */
export function plausibleTime(time: number, now: number, bounds: { maxFutureMs: number; minTimeMs: number }): number {
  return time > now + bounds.maxFutureMs || time < bounds.minTimeMs ? Number.NaN : time;
}
