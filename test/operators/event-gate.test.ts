import { describe, expect, it } from 'vitest';
import { EventGate } from '../../operators/event-gate.js';
import { UnreadableRecord } from '../../operators/record-limits.js';
import { WatermarkTracker } from '../../operators/watermark.js';

const HOUR = 3_600_000;
/** The processing time of every test here: a month after the stream's events. */
const NOW = Date.UTC(2026, 1, 5, 12);
const T0 = Date.UTC(2026, 0, 5, 12);

/** A gate and the runner's watermark over its one partition. */
interface Gate {
  g: EventGate;
  watermarks: WatermarkTracker;
  lastRejection: EventGate['lastRejection'];
  admit: EventGate['admit'];
  /** What the runner does after a batch: observe the batch's event times, move the watermark. */
  advance(now: number): number;
}

function gate(): Gate {
  const g = new EventGate({ allowedLatenessMs: HOUR, maxFutureMs: HOUR, minTimeMs: Date.UTC(2000, 0, 1) });
  const watermarks = new WatermarkTracker({ outOfOrdernessMs: 5 * 60_000, idleTimeoutMs: HOUR, maxJumpMs: 24 * HOUR });
  return {
    g,
    watermarks,
    get lastRejection() {
      return g.lastRejection;
    },
    admit: (...args) => g.admit(...args),
    advance(now) {
      const times = g.takeEventTimes();
      if (times.length > 0) watermarks.observeBatch('p', times, now);
      const watermark = watermarks.advance(now);
      g.setWatermark(watermark);
      return watermark;
    },
  };
}

const tx = (id: string, ts: number | string): string =>
  JSON.stringify({ type: 'transaction', event_id: id, ts, customer_id: 'C1', amount: 10, channel: 'web' });

/** Admits `values` in order, advancing the watermark after each (batch size 1); returns the reasons ('ok' if accepted). */
function judge(g: Gate, values: string[]): string[] {
  return values.map((value, i) => {
    const event = g.admit(value, 'files', 'p', i + 1, NOW);
    g.advance(NOW);
    return event === null ? g.lastRejection!.reason : 'ok';
  });
}

describe('EventGate: event times outside plausible bounds (issue 18 item 1)', () => {
  it.each([
    [
      "the probe's 2027-01-01",
      '2027-01-01T00:00:00Z',
      /event time 2027-01-01T00:00:00\.000Z is later than the processing time 2026-02-05T12:00:00\.000Z plus event_time\.max_future \(1h\)/,
    ],
    ['2100-01-01', '2100-01-01T00:00:00Z', /2100-01-01/],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z', /9999-12-31T23:59:59\.000Z/],
    ['1e20 epoch ms', 1e20, /event time 100000000000000000000 ms since 1970 is later than/],
  ])('refuses %s in the middle of a stream as future, and it moves nothing', (_name, ts, detail) => {
    const g = gate();
    const reasons = judge(g, [tx('a', T0), tx('b', T0 + 60_000), tx('future', ts), tx('c', T0 + 120_000), tx('d', T0 + 30_000)]);
    expect(reasons).toEqual(['ok', 'ok', 'future', 'ok', 'ok']);
    expect(g.watermarks.current).toBe(T0 + 120_000 - 5 * 60_000);
    const g2 = gate();
    g2.admit(tx('future', ts), 'files', 'p', 1, NOW);
    expect(g2.lastRejection).toMatchObject({ reason: 'future', type: 'transaction', position: { offset: 1 } });
    expect(g2.lastRejection!.detail).toMatch(detail);
    // Not remembered as seen: the same id with a plausible time is accepted.
    expect(g2.admit(tx('future', T0), 'files', 'p', 2, NOW)).not.toBeNull();
  });

  it('accepts an event exactly max_future ahead of the processing time, and refuses one a millisecond later', () => {
    expect(judge(gate(), [tx('edge', NOW + HOUR), tx('over', NOW + HOUR + 1)])).toEqual(['ok', 'future']);
  });

  it('bounds a contact by its end: one that ended in the future is refused, naming ended_at', () => {
    const contact = (id: string, ended: number): string =>
      JSON.stringify({
        type: 'contact',
        event_id: id,
        customer_id: 'C1',
        contact_id: id,
        channel: 'voice',
        queue: 'billing',
        reason: 'bill',
        queued_at: T0,
        answered_at: null,
        ended_at: ended,
        disposition: 'abandoned',
      });
    const g = gate();
    expect(judge(g, [contact('k1', T0 + 60_000), contact('k2', Date.UTC(2100, 0, 1))])).toEqual(['ok', 'future']);
    expect(g.lastRejection!.detail).toMatch(/^field 'ended_at' 2100-01-01T00:00:00\.000Z is later than the processing time/);
  });

  it('refuses 0001-01-01 as the first record as impossible_value, before min_time, and it sets no watermark', () => {
    const g = gate();
    g.admit(tx('ancient', '0001-01-01T00:00:00Z'), 'files', 'p', 1, NOW);
    expect(g.lastRejection).toMatchObject({
      reason: 'impossible_value',
      detail: 'event time 0001-01-01T00:00:00.000Z is before event_time.min_time (2000-01-01T00:00:00.000Z)',
    });
    expect(g.advance(NOW)).toBe(Number.NEGATIVE_INFINITY);
    expect(judge(g, [tx('epoch', 0), tx('a', T0)])).toEqual(['impossible_value', 'ok']);
    expect(g.watermarks.maxEventTimeOf('p')).toBe(T0);
  });

  it('says so when a time before min_time reads as epoch seconds in range', () => {
    const g = gate();
    const seconds = Math.floor(T0 / 1000);
    g.admit(tx('seconds', seconds), 'files', 'p', 1, NOW);
    expect(g.lastRejection!.reason).toBe('impossible_value');
    expect(g.lastRejection!.detail).toMatch(
      new RegExp(`; if ${seconds} is epoch seconds, write epoch milliseconds \\(${seconds * 1000}\\) or an RFC 3339 time$`),
    );
    // Not for a time that is no number of seconds in range either.
    g.admit(tx('ancient', '0001-01-01T00:00:00Z'), 'files', 'p', 2, NOW);
    expect(g.lastRejection!.detail).not.toContain('epoch seconds');
  });

  it("dead-letters a record its source could not read with the source's reason and raw text", () => {
    const g = gate();
    const event = g.admit(new UnreadableRecord('too_large', 'the record is 3000000 bytes', '{"type":"trans'), 'files', 'p', 7, NOW);
    expect(event).toBeNull();
    expect(g.lastRejection).toEqual({
      position: { source: 'files', partition: 'p', offset: 7 },
      reason: 'too_large',
      detail: 'the record is 3000000 bytes',
      type: 'unknown',
      raw: '{"type":"trans',
    });
  });
});

describe('EventGate: a contact longer than the allowed lateness', () => {
  const contact = (id: string, queuedAt: number, endedAt: number): string =>
    JSON.stringify({
      type: 'contact',
      event_id: id,
      customer_id: 'C1',
      contact_id: id,
      channel: 'email',
      queue: 'q',
      reason: 'r',
      queued_at: queuedAt,
      answered_at: endedAt,
      ended_at: endedAt,
      hold_seconds: 0,
      acw_seconds: 0,
      disposition: 'resolved',
    });

  it('is late by its queued_at, with a detail that says why a record in order is late and what to change', () => {
    const g = gate();
    expect(judge(g, [tx('a', T0), tx('b', T0 + 3 * HOUR), contact('k1', T0 + HOUR / 2, T0 + 3 * HOUR), contact('k2', T0 + HOUR / 2, T0 + HOUR)])).toEqual([
      'ok',
      'ok',
      'late',
      'late',
    ]);
    g.admit(contact('k3', T0 + HOUR / 2, T0 + 3 * HOUR), 'files', 'p', 5, NOW);
    expect(g.lastRejection!.detail).toBe(
      'queued_at 2026-01-05T12:30:00.000Z is more than the allowed lateness behind the watermark 2026-01-05T14:55:00.000Z, but the contact ' +
        "ended only at 2026-01-05T15:00:00.000Z: a contact's record arrives when it ends, so a contact longer than event_time.allowed_lateness " +
        '(1h) is late by itself; raise it above your longest contacts (e.g. 1d for email)',
    );
    expect(g.lastRejection!.longContact).toBe(true);
    // One that ended long before the watermark too is late like any event.
    g.admit(contact('k4', T0 + HOUR / 2, T0 + HOUR), 'files', 'p', 6, NOW);
    expect(g.lastRejection!.detail).toBe('event time 2026-01-05T12:30:00.000Z is more than the allowed lateness behind the watermark 2026-01-05T14:55:00.000Z');
    expect(g.lastRejection!.longContact).toBeUndefined();
    // A 30-minute one that ended within the lateness came late, not long: late like any event.
    g.admit(contact('k5', T0 + HOUR + HOUR / 2, T0 + 2 * HOUR), 'files', 'p', 7, NOW);
    expect(g.lastRejection).toMatchObject({ reason: 'late', detail: expect.stringMatching(/^event time 2026-01-05T13:30:00.000Z is more than/) });
    expect(g.lastRejection!.longContact).toBeUndefined();
  });
});

describe('EventGate: the end of a bounded input', () => {
  it('forgets no duplicate ids at the +Infinity that closes the windows: the store keeps those of the last horizon', () => {
    const g = gate();
    expect(judge(g, [tx('a', T0), tx('b', T0 + 2 * HOUR), tx('c', T0 + 3 * HOUR)])).toEqual(['ok', 'ok', 'ok']);
    const horizon = g.watermarks.current - HOUR;
    g.g.setWatermark(Number.POSITIVE_INFINITY);
    const changes = g.g.dedup.drainChanges();
    // 'a' is more than the allowed lateness behind the last event-time watermark; 'b' and 'c' are not.
    expect(changes.ids).toEqual(['b', 'c']);
    expect(changes.expiredBefore).toBeLessThanOrEqual(horizon);
    expect(Number.isFinite(changes.expiredBefore)).toBe(true);
  });
});
