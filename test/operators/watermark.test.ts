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
