import { EventIdDedup } from './dedup.js';
import { EventDecoder, type DecodeFailure } from './decode.js';
import { formatDuration } from './duration.js';
import type { EventType, PulseEvent, RecordPosition, Rejection } from './events.js';
import { UnreadableRecord, type RawValue, type RecordLimits } from './record-limits.js';
import { formatEpochMs } from './timestamp.js';
import { WatermarkTracker, type WatermarkOptions } from './watermark.js';

export interface EventGateOptions extends WatermarkOptions {
  allowedLatenessMs: number;
  /** An event time later than the processing time plus this is refused as `future` (`event_time.max_future`). */
  maxFutureMs: number;
  /** An event time before this (epoch ms) is refused as `impossible_value` (`event_time.min_time`). */
  minTimeMs: number;
  /** The job's `limits`, for the decoder on this thread (unset: the defaults). */
  limits?: Partial<RecordLimits>;
}

/**
 * The door every record passes before any operator sees it: decode and validate, refuse event
 * times outside plausible bounds, track event time, refuse records that are too late, and drop
 * duplicates.
 *
 * Plausible bounds are checked here rather than in the decoder because the upper one moves with
 * the processing time, which a decode worker does not know; both are checked before the record
 * is observed, so a refused time moves neither the watermark nor the duplicate detector. A
 * contact is bounded by its whole span: `queued_at` (its event time) from below, `ended_at` from
 * above (a finished interaction cannot have ended in the future).
 *
 * Lateness is decided per event, once for all window sizes: an event is late when its time is
 * before `watermark - allowedLateness`. So an event is either counted in every window it belongs to
 * or in none (hourly and daily aggregates always agree), and the same horizon bounds the duplicate
 * detector's memory.
 */
export class EventGate {
  readonly watermarks: WatermarkTracker;
  readonly dedup = new EventIdDedup();
  private readonly decoder: EventDecoder;
  private readonly allowedLatenessMs: number;
  private readonly maxFutureMs: number;
  private readonly minTimeMs: number;

  constructor(options: EventGateOptions) {
    this.watermarks = new WatermarkTracker(options);
    this.decoder = new EventDecoder(options.limits);
    this.allowedLatenessMs = options.allowedLatenessMs;
    this.maxFutureMs = options.maxFutureMs;
    this.minTimeMs = options.minTimeMs;
  }

  /** Events before this time are late. */
  get lateBefore(): number {
    return this.watermarks.current - this.allowedLatenessMs;
  }

  /** Why the last `admit` returned null. */
  lastRejection: Rejection | null = null;

  /**
   * Judges one record: the event to process, or null with the reason in `lastRejection`. No
   * wrapper object or closure is allocated for an accepted record: this runs for every record.
   */
  admit(value: RawValue, source: string, partition: string, offset: number, now: number): PulseEvent | null {
    const event = this.decoder.decodeEvent(value);
    if (event === null) return this.refuseUndecodable(this.decoder.lastFailure, value, source, partition, offset);
    return this.admitDecoded(event, value, source, partition, offset, now);
  }

  /**
   * `admit` for a record already decoded elsewhere (a decode worker ran the same EventDecoder):
   * refuses an implausible event time, tracks event time, refuses it when late or a duplicate.
   * `value` is the raw record, kept for the dead letter; `now` is the processing time.
   */
  admitDecoded(
    event: PulseEvent,
    value: RawValue,
    source: string,
    partition: string,
    offset: number,
    now: number,
  ): PulseEvent | null {
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
    this.watermarks.observe(partition, event.ts, now);
    if (event.ts < this.lateBefore) {
      return this.refuse(
        source, partition, offset, 'late',
        `event time ${formatEpochMs(event.ts)} is more than the allowed lateness behind the watermark ` +
          `${formatEpochMs(this.watermarks.current)}`,
        event.type, value,
      );
    }
    if (this.dedup.checkAndAdd(event.event_id, event.ts, partition)) {
      return this.refuse(source, partition, offset, 'duplicate', `event_id '${event.event_id}' was already processed`, event.type, value);
    }
    return event;
  }

  /** `admit` for a record that could not be decoded elsewhere (`failure` is EventDecoder.lastFailure). */
  refuseUndecodable(
    failure: DecodeFailure,
    value: RawValue,
    source: string,
    partition: string,
    offset: number,
  ): null {
    return this.refuse(source, partition, offset, failure.reason, failure.detail, failure.type, value);
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

  /** Recomputes the watermark and forgets duplicates beyond the horizon; returns the watermark. */
  advance(now: number): number {
    const watermark = this.watermarks.advance(now);
    this.dedup.expire(watermark - this.allowedLatenessMs);
    return watermark;
  }
}


