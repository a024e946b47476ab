import { EventIdDedup } from './dedup.js';
import { EventDecoder, type DecodeFailure } from './decode.js';
import type { EventType, PulseEvent, RecordPosition, Rejection } from './events.js';
import { WatermarkTracker, type WatermarkOptions } from './watermark.js';

export interface EventGateOptions extends WatermarkOptions {
  allowedLatenessMs: number;
}

/**
 * The door every record passes before any operator sees it: decode and validate, track event time,
 * refuse records that are too late, and drop duplicates.
 *
 * Lateness is decided per event, once for all window sizes: an event is late when its time is
 * before `watermark - allowedLateness`. So an event is either counted in every window it belongs to
 * or in none (hourly and daily aggregates always agree), and the same horizon bounds the duplicate
 * detector's memory.
 */
export class EventGate {
  readonly watermarks: WatermarkTracker;
  readonly dedup = new EventIdDedup();
  private readonly decoder = new EventDecoder();
  private readonly allowedLatenessMs: number;

  constructor(options: EventGateOptions) {
    this.watermarks = new WatermarkTracker(options);
    this.allowedLatenessMs = options.allowedLatenessMs;
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
  admit(value: string | Record<string, unknown>, source: string, partition: string, offset: number, now: number): PulseEvent | null {
    const event = this.decoder.decodeEvent(value);
    if (event === null) return this.refuseUndecodable(this.decoder.lastFailure, value, source, partition, offset);
    return this.admitDecoded(event, value, source, partition, offset, now);
  }

  /**
   * `admit` for a record already decoded elsewhere (a decode worker ran the same EventDecoder):
   * tracks event time, refuses it when late or a duplicate. `value` is the raw record, kept for
   * the dead letter.
   */
  admitDecoded(
    event: PulseEvent,
    value: string | Record<string, unknown>,
    source: string,
    partition: string,
    offset: number,
    now: number,
  ): PulseEvent | null {
    this.watermarks.observe(partition, event.ts, now);
    if (event.ts < this.lateBefore) {
      return this.refuse(
        source, partition, offset, 'late',
        `event time ${new Date(event.ts).toISOString()} is more than the allowed lateness behind the watermark ` +
          `${new Date(this.watermarks.current).toISOString()}`,
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
    value: string | Record<string, unknown>,
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
    value: string | Record<string, unknown>,
  ): null {
    const position: RecordPosition = { source, partition, offset };
    this.lastRejection = { position, reason, detail, type, raw: typeof value === 'string' ? value : JSON.stringify(value) };
    return null;
  }

  /** Recomputes the watermark and forgets duplicates beyond the horizon; returns the watermark. */
  advance(now: number): number {
    const watermark = this.watermarks.advance(now);
    this.dedup.expire(watermark - this.allowedLatenessMs);
    return watermark;
  }
}


