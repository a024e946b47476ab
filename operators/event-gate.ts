import { EventIdDedup } from './dedup.js';
import { EventDecoder, type DecodeFailure } from './decode.js';
import type { EventType, PulseEvent, RecordPosition, Rejection } from './events.js';

export interface EventGateOptions {
  allowedLatenessMs: number;
}

/**
 * The door every record passes before any operator sees it: decode and validate, refuse records
 * that are too late, and drop duplicates. Each worker thread has its own gate for its customers;
 * the watermark comes from the runner, which computes it over all of them (operators/watermark.ts)
 * from the event times the gates report (`takeMaxEventTime`).
 *
 * Lateness is decided per event, once for all window sizes: an event is late when its time is
 * before `watermark - allowedLateness`. So an event is either counted in every window it belongs to
 * or in none (hourly and daily aggregates always agree), and the same horizon bounds the duplicate
 * detector's memory.
 */
export class EventGate {
  readonly dedup = new EventIdDedup();
  private readonly decoder = new EventDecoder();
  private readonly allowedLatenessMs: number;
  private watermark = Number.NEGATIVE_INFINITY;
  /** Largest event time of the decoded records since the last `takeMaxEventTime`. */
  private maxEventTime = Number.NEGATIVE_INFINITY;

  constructor(options: EventGateOptions) {
    this.allowedLatenessMs = options.allowedLatenessMs;
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

  /** The largest event time decoded since the previous call (-Infinity if none). */
  takeMaxEventTime(): number {
    const max = this.maxEventTime;
    this.maxEventTime = Number.NEGATIVE_INFINITY;
    return max;
  }

  /**
   * Judges one record: the event to process, or null with the reason in `lastRejection`. No
   * wrapper object or closure is allocated for an accepted record: this runs for every record.
   */
  admit(value: string | Record<string, unknown>, source: string, partition: string, offset: number): PulseEvent | null {
    const event = this.decoder.decodeEvent(value);
    if (event === null) {
      const failure: DecodeFailure = this.decoder.lastFailure;
      return this.refuse(source, partition, offset, failure.reason, failure.detail, failure.type, value);
    }
    if (event.ts > this.maxEventTime) this.maxEventTime = event.ts;
    if (event.ts < this.lateBefore) {
      return this.refuse(
        source, partition, offset, 'late',
        `event time ${new Date(event.ts).toISOString()} is more than the allowed lateness behind the watermark ` +
          `${new Date(this.watermark).toISOString()}`,
        event.type, value,
      );
    }
    if (this.dedup.checkAndAdd(event.event_id, event.customer_id, event.ts, partition)) {
      return this.refuse(source, partition, offset, 'duplicate', `event_id '${event.event_id}' was already processed`, event.type, value);
    }
    return event;
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
}
