import { describe, expect, it } from 'vitest';
import { claimedEventTime, plausibleTime } from '../../operators/claimed-time.js';

describe('claimedEventTime', () => {
  it('reads ts as RFC 3339 text or epoch ms, a contact by its queued_at, from a line or a columnar row', () => {
    expect(claimedEventTime('{"type":"usage","ts":"2026-01-05T10:00:00+01:00"}')).toBe(Date.UTC(2026, 0, 5, 9));
    expect(claimedEventTime('{"type":"usage","ts":1767607200000}')).toBe(1767607200000);
    expect(claimedEventTime('{"type":"contact","ts":1,"queued_at":"2026-01-05T10:00:00Z"}')).toBe(Date.UTC(2026, 0, 5, 10));
    expect(claimedEventTime({ type: 'usage', ts: 1767607200000 })).toBe(1767607200000);
  });

  it('is NaN for a record without a readable time, or no record at all', () => {
    for (const value of ['{"type":"usage"}', '{"ts":"yesterday"}', '{"ts":true}', 'not json', '[1,2]', 'null', '42']) {
      expect(claimedEventTime(value), value).toBeNaN();
    }
  });
});

describe('plausibleTime', () => {
  const bounds = { maxFutureMs: 3_600_000, minTimeMs: Date.UTC(2000, 0, 1) };
  const now = Date.UTC(2026, 11, 6);
  it('keeps a time the event gate could accept, NaN beyond max_future or before min_time', () => {
    expect(plausibleTime(now + 3_600_000, now, bounds)).toBe(now + 3_600_000);
    expect(plausibleTime(now + 3_600_001, now, bounds)).toBeNaN();
    expect(plausibleTime(bounds.minTimeMs, now, bounds)).toBe(bounds.minTimeMs);
    expect(plausibleTime(bounds.minTimeMs - 1, now, bounds)).toBeNaN();
  });
});
