/** Yielded by `withIdleTicks` when an unbounded source has been silent for a checkpoint interval. */
export const IDLE = Symbol('idle');

/**
 * The longest delay Node's timers take (2^31 - 1 ms, 24.8 days). A longer one (`checkpoint.interval:
 * 30d`) fires after 1 ms with a warning, and a silent source then ticked a thousand times a second.
 * A tick is only a chance to checkpoint, so a shorter one than asked changes nothing.
 */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * A source may go silent for hours after a burst (Kafka; also stdin fed by a live producer);
 * checkpoints are otherwise only taken after a batch, so the last records read would stay
 * uncommitted (no positions, alerts or metrics, nothing for the job's API to show) until more
 * input arrives. While the source is silent this yields IDLE every `intervalMs` so that the due
 * checkpoint is taken; the pending read stays pending. Files never wait, so for them the timer
 * never fires.
 */
export async function* withIdleTicks<T>(messages: AsyncIterable<T>, intervalMs: number): AsyncGenerator<T | typeof IDLE> {
  const iterator = messages[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      pending ??= iterator.next();
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<typeof IDLE>((resolve) => {
        timer = setTimeout(() => resolve(IDLE), Math.min(Math.max(10, intervalMs), LONGEST_TIMER_MS));
      });
      const next = await Promise.race([pending, tick]);
      clearTimeout(timer);
      if (next === IDLE) {
        yield IDLE;
        continue;
      }
      pending = undefined;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // A read still pending ends when the source is closed (after the final checkpoint);
    // awaiting return() before that would wait for it forever.
    if (pending)
      void pending
        .then(
          () => iterator.return?.(),
          () => undefined,
        )
        .catch(() => undefined);
    else await iterator.return?.();
  }
}
