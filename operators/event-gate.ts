import { EventIdDedup } from './dedup.js';
import { EventDecoder } from './decode.js';
import { formatDuration } from './duration.js';
import type { EventType, PulseEvent, RecordPosition, Rejection } from './events.js';
import { UnreadableRecord, type RawValue, type RecordLimits } from './record-limits.js';
import { formatEpochMs } from './timestamp.js';
import type { BatchEventTimes } from './watermark.js';

/** Far-ahead event times a gate reports per batch. */
const AHEAD_KEPT = 8;

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
  /** Event times after this are far ahead of the partition's progress (WatermarkTracker.aheadAfter). */
  private aheadAfter = Number.POSITIVE_INFINITY;
  /** The plausible event times seen since the last `takeEventTimes` (see BatchEventTimes). */
  private maxEventTime = Number.NEGATIVE_INFINITY;
  private secondEventTime = Number.NEGATIVE_INFINITY;
  private ahead: number[] = [];

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

  /** Moves the watermark on (never back) and forgets duplicates beyond the lateness horizon. */
  setWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.dedup.expire(watermark - this.allowedLatenessMs);
  }

  /** Starts a batch of one partition: times after `aheadAfter` are reported apart. */
  beginBatch(aheadAfter: number): void {
    this.aheadAfter = aheadAfter;
  }

  /** The event times of the records judged since the previous call, for the runner's watermark. */
  takeEventTimes(): BatchEventTimes {
    const times = { max: this.maxEventTime, second: this.secondEventTime, ahead: this.ahead };
    this.maxEventTime = Number.NEGATIVE_INFINITY;
    this.secondEventTime = Number.NEGATIVE_INFINITY;
    this.ahead = [];
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
        source, partition, offset, 'future',
        `${event.type === 'contact' ? "field 'ended_at'" : 'event time'} ${formatEpochMs(latest)} is later than the processing time ` +
          `${formatEpochMs(now)} plus event_time.max_future (${formatDuration(this.maxFutureMs)}); check the producer's clock (or this host's)`,
        event.type, value,
      );
    }
    if (event.ts < this.minTimeMs) {
      return this.refuse(
        source, partition, offset, 'impossible_value',
        `event time ${formatEpochMs(event.ts)} is before event_time.min_time (${formatEpochMs(this.minTimeMs)})`,
        event.type, value,
      );
    }
    this.recordTime(event.ts);
    if (event.ts < this.lateBefore) {
      return this.refuse(
        source, partition, offset, 'late',
        `event time ${formatEpochMs(event.ts)} is more than the allowed lateness behind the watermark ${formatEpochMs(this.watermark)}`,
        event.type, value,
      );
    }
    if (this.dedup.checkAndAdd(event.event_id, event.customer_id, event.ts, partition)) {
      return this.refuse(source, partition, offset, 'duplicate', `event_id '${event.event_id}' was already processed`, event.type, value);
    }
    return event;
  }

  private recordTime(ts: number): void {
    if (ts > this.aheadAfter) {
      // The earliest few are enough to confirm a jump (WatermarkTracker.observeBatch).
      if (this.ahead.length < AHEAD_KEPT) this.ahead.push(ts);
      else if (ts < this.ahead[AHEAD_KEPT - 1]!) this.ahead[AHEAD_KEPT - 1] = ts;
      else return;
      this.ahead.sort((a, b) => a - b);
    } else if (ts > this.maxEventTime) {
      this.secondEventTime = this.maxEventTime;
      this.maxEventTime = ts;
    } else if (ts > this.secondEventTime) {
      this.secondEventTime = ts;
    }
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
