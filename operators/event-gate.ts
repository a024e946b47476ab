import { EventIdDedup } from './dedup.js';
import { EventDecoder } from './decode.js';
import type { EventType, PulseEvent, RecordPosition, Rejection } from './events.js';
import { WatermarkTracker, type WatermarkOptions } from './watermark.js';

export interface EventGateOptions extends WatermarkOptions {
  allowedLatenessMs: number;
}

export type GateResult = { accepted: true; event: PulseEvent } | { accepted: false; rejection: Rejection };

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

  /** Judges one record; `position` is built only for a rejection, to keep the hot path lean. */
  admit(value: string | Record<string, unknown>, source: string, partition: string, offset: number, now: number): GateResult {
    const decoded = this.decoder.decode(value);
    const position = (): RecordPosition => ({ source, partition, offset });
    if (!decoded.ok) return reject(position(), decoded.reason, decoded.detail, decoded.type, value);
    const event = decoded.event;
    this.watermarks.observe(partition, event.ts, now);
    if (event.ts < this.lateBefore) {
      return reject(
        position(), 'late',
        `event time ${new Date(event.ts).toISOString()} is more than the allowed lateness behind the watermark ` +
          `${new Date(this.watermarks.current).toISOString()}`,
        event.type, value,
      );
    }
    if (this.dedup.checkAndAdd(event.event_id, event.ts)) {
      return reject(position(), 'duplicate', `event_id '${event.event_id}' was already processed`, event.type, value);
    }
    return { accepted: true, event };
  }

  /** Recomputes the watermark and forgets duplicates beyond the horizon; returns the watermark. */
  advance(now: number): number {
    const watermark = this.watermarks.advance(now);
    this.dedup.expire(watermark - this.allowedLatenessMs);
    return watermark;
  }
}

function reject(
  position: RecordPosition,
  reason: Rejection['reason'],
  detail: string,
  type: EventType | 'unknown',
  value: string | Record<string, unknown>,
): GateResult {
  return {
    accepted: false,
    rejection: { position, reason, detail, type, raw: typeof value === 'string' ? value : JSON.stringify(value) },
  };
}
