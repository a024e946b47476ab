import { describe, expect, it } from 'vitest';
import { CheckpointPacing } from '../../pipelines/checkpoint-pacing.js';

describe('checkpoint pacing', () => {
  it('lets the first checkpoint start at once', () => {
    expect(new CheckpointPacing(0.2).mayStart(0)).toBe(true);
  });

  it('after a checkpoint that took 2 s to drain and stage, waits 8 s at a share of 0.2', () => {
    const pacing = new CheckpointPacing(0.2);
    pacing.staged(10_000, 12_000);
    expect(pacing.mayStart(19_999)).toBe(false);
    expect(pacing.mayStart(20_000)).toBe(true);
  });

  it('holds checkpoints to the share: checkpoints of equal length, started as soon as allowed, fill 0.25 of the time', () => {
    const pacing = new CheckpointPacing(0.25);
    let now = 0;
    let inCheckpoints = 0;
    for (let i = 0; i < 10; i++) {
      while (!pacing.mayStart(now)) now += 1;
      const started = now;
      now += 300;
      inCheckpoints += 300;
      pacing.staged(started, now);
    }
    // Ten checkpoints of 300 ms, each but the last followed by 900 ms without one.
    expect(now).toBe(10 * 300 + 9 * 900);
    expect(inCheckpoints / (now + 900)).toBeCloseTo(0.25, 10);
  });

  it('never delays at a share of 1', () => {
    const pacing = new CheckpointPacing(1);
    pacing.staged(0, 5_000);
    expect(pacing.mayStart(5_000)).toBe(true);
  });
});
