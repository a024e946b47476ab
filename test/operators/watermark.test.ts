import { describe, expect, it } from 'vitest';
import { WatermarkTracker } from '../../operators/watermark.js';

describe('WatermarkTracker', () => {
  const options = { outOfOrdernessMs: 10, idleTimeoutMs: 1000 };

  it('is the minimum over active partitions, minus the out-of-orderness, and never goes back', () => {
    const w = new WatermarkTracker(options);
    w.observe('a', 100, 0);
    w.observe('b', 50, 0);
    expect(w.advance(0)).toBe(40);
    w.observe('b', 200, 1);
    expect(w.advance(1)).toBe(90);
    w.observe('a', 20, 2); // an older event does not move it back
    expect(w.advance(2)).toBe(90);
  });

  it('ignores ended partitions and skips idle ones, but does not run ahead when all are idle', () => {
    const w = new WatermarkTracker(options);
    w.observe('busy', 500, 0);
    w.observe('quiet', 100, 0);
    expect(w.advance(0)).toBe(90);
    w.observe('busy', 600, 1500);
    expect(w.advance(1500)).toBe(590); // 'quiet' idle for 1500 ms > 1000 ms
    w.end('busy');
    expect(w.advance(5000)).toBe(590); // only idle 'quiet' left: hold
    w.observe('quiet', 900, 5001);
    expect(w.advance(5001)).toBe(890);
  });

  it('snapshots and restores the same watermark, keeping the last event-time one after finish', () => {
    const w = new WatermarkTracker(options);
    w.observe('a', 1000, 0);
    w.advance(0);
    w.finish();
    expect(w.current).toBe(Infinity);
    const restored = new WatermarkTracker(options);
    restored.restore(w.snapshot(), 0);
    expect(restored.current).toBe(990);
  });
});

describe('WatermarkTracker: one record cannot drag a partition (issue 18 item 1)', () => {
  const DAY = 86_400_000;
  const options = { outOfOrdernessMs: 10, idleTimeoutMs: 10 * DAY, maxJumpMs: DAY };
  const batch = (max: number, ahead: number[] = [], second = Number.NEGATIVE_INFINITY) => ({ max, second, ahead });

  it('keeps a far-ahead time pending until a second one confirms the jump', () => {
    const w = new WatermarkTracker(options);
    w.observeBatch('p', batch(1000), 0);
    expect(w.aheadAfter('p')).toBe(1000 + DAY);
    // One record five months ahead among on-time ones: the watermark follows the on-time ones.
    w.observeBatch('p', batch(2000, [1000 + 150 * DAY]), 0);
    expect(w.advance(0)).toBe(1990);
    w.observeBatch('p', batch(3000), 0);
    expect(w.advance(0)).toBe(2990);
    // The end of a silence: the first record after it is pending, the next one confirms both.
    w.observeBatch('p', batch(Number.NEGATIVE_INFINITY, [3000 + 3 * DAY]), 0);
    expect(w.advance(0)).toBe(2990);
    w.observeBatch('p', batch(Number.NEGATIVE_INFINITY, [3000 + 3 * DAY + 60_000]), 0);
    expect(w.advance(0)).toBe(3000 + 3 * DAY + 60_000 - 10);
    // The far outlier is still the earliest unconfirmed one: it would take another to move past it.
    expect(w.snapshot().partitions['p']!.pending).toEqual([1000 + 150 * DAY]);
  });

  it('judges a first batch by its second largest time', () => {
    const w = new WatermarkTracker(options);
    w.observeBatch('p', batch(500 * DAY, [], 1000), 0);
    expect(w.advance(0)).toBe(990);
    const close = new WatermarkTracker(options);
    close.observeBatch('p', batch(1000 + DAY / 2, [], 1000), 0);
    expect(close.advance(0)).toBe(1000 + DAY / 2 - 10);
  });

  it('keeps pending times across a restart', () => {
    const w = new WatermarkTracker(options);
    w.observeBatch('p', batch(1000, [1000 + 9 * DAY]), 0);
    const restored = new WatermarkTracker(options);
    restored.restore(JSON.parse(JSON.stringify(w.snapshot())), 0);
    restored.observeBatch('p', batch(Number.NEGATIVE_INFINITY, [1000 + 9 * DAY + 5]), 0);
    expect(restored.advance(0)).toBe(1000 + 9 * DAY + 5 - 10);
  });
});
