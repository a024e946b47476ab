import { EventIdDedup } from './dedup.js';
import { EventDecoder } from './decode.js';
import { formatDuration } from './duration.js';
import type { EventType, PulseEvent, RecordPosition, Rejection } from './events.js';
import { UnreadableRecord, type RawValue, type RecordLimits } from './record-limits.js';
import { formatEpochMs } from './timestamp.js';

export interface EventGateOptions {
  allowedLatenessMs: number;
  /** An event time later than the processing time plus this is refused as `future` (`event_time.max_future`). */
  maxFutureMs: number;
  /** An event time before this (epoch ms) is refused as `impossible_value` (`event_time.min_time`). */
  minTimeMs: number;
  /** The job's `limits`, for the decoder (unset: the defaults). */
  limits?: Partial<RecordLimits>;
}

/**
 * The door every record passes before any operator sees it: decode and validate, refuse event
 * times outside plausible bounds, refuse records that are too late, and drop duplicates. Each
 * worker thread has its own gate for its customers; the watermark comes from the runner, which
 * computes it over all of them (operators/watermark.ts) from the event times the gates report
 * (`takeMaxEventTime`).
 *
 * Plausible bounds are checked before anything else: a refused time moves neither the watermark
 * nor the duplicate detector. A contact is bounded by its whole span: `queued_at` (its event time)
 * from below, `ended_at` from above (a finished interaction cannot have ended in the future).
 *
 * Lateness is decided per event, once for all window sizes: an event is late when its time is
 * before `watermark - allowedLateness`. So an event is either counted in every window it belongs to
 * or in none (hourly and daily aggregates always agree), and the same horizon bounds the duplicate
 * detector's memory.
 */
export class EventGate {
  readonly dedup = new EventIdDedup();
  private readonly decoder: EventDecoder;
  private readonly allowedLatenessMs: number;
  private readonly maxFutureMs: number;
  private readonly minTimeMs: number;
  private watermark = Number.NEGATIVE_INFINITY;
  /** The plausible event times seen since the last `takeEventTimes` (`timeCount` of them). */
  private times = new Float64Array(1024);
  private timeCount = 0;

  constructor(options: EventGateOptions) {
    this.decoder = new EventDecoder(options.limits);
    this.allowedLatenessMs = options.allowedLatenessMs;
    this.maxFutureMs = options.maxFutureMs;
    this.minTimeMs = options.minTimeMs;
  }

  /** Events before this time are late. */
  get lateBefore(): number {
    return this.watermark - this.allowedLatenessMs;
  }

  /** Why the last `admit` returned null. */
  lastRejection: Rejection | null = null;

  /**
   * Moves the watermark on (never back) and forgets duplicates beyond the lateness horizon. The
   * +Infinity that closes a bounded input's windows forgets nothing: it says nothing about which
   * ids a later input may repeat, and forgetting every id then would leave in the store only the
   * ids of checkpoints taken before the end, a number that depends on wall-clock intervals.
   */
  setWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    if (Number.isFinite(watermark)) this.dedup.expire(watermark - this.allowedLatenessMs);
  }

  /** The event times of the records judged since the previous call, for the runner's watermark. */
  takeEventTimes(): Float64Array {
    const times = this.times.slice(0, this.timeCount);
    this.timeCount = 0;
    return times;
  }

  /**
   * Judges one record: the event to process, or null with the reason in `lastRejection`. `now` is
   * the processing time. No wrapper object or closure is allocated for an accepted record: this
   * runs for every record.
   */
  admit(value: RawValue, source: string, partition: string, offset: number, now: number): PulseEvent | null {
    const event = this.decoder.decodeEvent(value);
    if (event === null) {
      const failure = this.decoder.lastFailure;
      return this.refuse(source, partition, offset, failure.reason, failure.detail, failure.type, value);
    }
    const latest = event.type === 'contact' ? event.ended_at : event.ts;
    if (latest > now + this.maxFutureMs) {
      return this.refuse(
        source,
        partition,
        offset,
        'future',
        `${event.type === 'contact' ? "field 'ended_at'" : 'event time'} ${formatEpochMs(latest)} is later than the processing time ` +
          `${formatEpochMs(now)} plus event_time.max_future (${formatDuration(this.maxFutureMs)}); check the producer's clock (or this host's)`,
        event.type,
        value,
      );
    }
    if (event.ts < this.minTimeMs) {
      return this.refuse(
        source,
        partition,
        offset,
        'impossible_value',
        `event time ${formatEpochMs(event.ts)} is before event_time.min_time (${formatEpochMs(this.minTimeMs)})${secondsHint(event.ts, this.minTimeMs, now)}`,
        event.type,
        value,
      );
    }
    this.recordTime(event.ts);
    if (event.ts < this.lateBefore) {
      const longContact = this.lateByLength(event);
      this.refuse(source, partition, offset, 'late', this.lateDetail(event, longContact), event.type, value);
      if (longContact) this.lastRejection!.longContact = true;
      return null;
    }
    if (this.dedup.checkAndAdd(event.event_id, event.customer_id, event.ts, partition)) {
      return this.refuse(source, partition, offset, 'duplicate', `event_id '${event.event_id}' was already processed`, event.type, value);
    }
    return event;
  }

  /**
   * A late contact that lasted longer than the allowed lateness (an email answered the next day)
   * and ended within it: its record, which exists only once the contact has ended, came too late
   * by its length alone, even from a source in perfect order of arrival. A shorter one that ended
   * within the lateness too was delivered late, like any late event.
   */
  private lateByLength(event: PulseEvent): boolean {
    return event.type === 'contact' && event.ended_at >= this.lateBefore && event.ended_at - event.queued_at > this.allowedLatenessMs;
  }

  /** Why an event is late; for a contact late by its length, that and what to change. */
  private lateDetail(event: PulseEvent, byLength: boolean): string {
    const behind = `is more than the allowed lateness behind the watermark ${formatEpochMs(this.watermark)}`;
    if (event.type !== 'contact' || !byLength) return `event time ${formatEpochMs(event.ts)} ${behind}`;
    return (
      `queued_at ${formatEpochMs(event.queued_at)} ${behind}, but the contact ended only at ${formatEpochMs(event.ended_at)}: ` +
      `a contact's record arrives when it ends, so a contact longer than event_time.allowed_lateness ` +
      `(${formatDuration(this.allowedLatenessMs)}) is late by itself; raise it above your longest contacts (e.g. 1d for email)`
    );
  }

  private recordTime(ts: number): void {
    if (this.timeCount === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    this.times[this.timeCount++] = ts;
  }

  private refuse(
    source: string,
    partition: string,
    offset: number,
    reason: Rejection['reason'],
    detail: string,
    type: EventType | 'unknown',
    value: RawValue,
  ): null {
    const position: RecordPosition = { source, partition, offset };
    const raw = typeof value === 'string' ? value : value instanceof UnreadableRecord ? value.raw : JSON.stringify(value);
    this.lastRejection = { position, reason, detail, type, raw };
    return null;
  }
}

/**
 * Exports often write epoch seconds where `ts` takes milliseconds: such a time reads as January
 * 1970. Say so when the same number of seconds would be a time in range.
 */
function secondsHint(ts: number, minTimeMs: number, now: number): string {
  const asSeconds = ts * 1000;
  return asSeconds >= minTimeMs && asSeconds <= now ? `; if ${ts} is epoch seconds, write epoch milliseconds (${asSeconds}) or an RFC 3339 time` : '';
}
