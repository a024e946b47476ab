import { describe, expect, it } from 'vitest';
import { lagOf } from '../../../sources/kafka/partition-status.js';

describe('lagOf', () => {
  it.each([
    // committed (last processed), low, high, lag
    [99, 0, 100, 0],
    [49, 0, 100, 50],
    [null, 0, 100, 100], // nothing processed: the whole partition
    [null, 30, 100, 70], // retention deleted the first 30: they cannot be read any more
    [10, 30, 100, 70], // a checkpoint older than retention resumes at the low watermark
    [120, 0, 100, 0], // the broker's watermark behind our offset (stale answer): never negative
    [5, 0, null, null], // no watermark: unknown, not 0
  ])('committed %s, low %s, high %s -> %s', (committed, low, high, lag) => {
    expect(lagOf(committed, low, high)).toBe(lag);
  });
});
