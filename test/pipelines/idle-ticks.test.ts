import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDLE, withIdleTicks } from '../../pipelines/idle-ticks.js';

/** A source that never yields (a silent Kafka topic or stdin). */
const silent = (): AsyncIterable<number> => ({
  [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<number>>(() => undefined) }),
});

describe('idle ticks of a silent source', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a checkpoint interval beyond what a Node timer holds (30d) ticks at that limit, not every millisecond', async () => {
    vi.useFakeTimers();
    const delays: number[] = [];
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const ticks = withIdleTicks(silent(), 30 * 86_400_000);
    const first = ticks.next();
    await vi.advanceTimersByTimeAsync(0);
    for (const call of setTimeoutSpy.mock.calls) delays.push(call[1] ?? 0);
    // Node fires a delay above 2^31 - 1 ms after 1 ms (TimeoutOverflowWarning): a silent source then ticked a thousand times a second.
    expect(delays).toEqual([2 ** 31 - 1]);
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
    expect(await first).toEqual({ value: IDLE, done: false });
    setTimeoutSpy.mockRestore();
    await ticks.return(undefined);
  });
});
