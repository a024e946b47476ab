import type { RecordBatch, SourceMessage } from '../sources/source.js';

/** A source message, record batches with what `prepare` made of them. */
export type Prepared<T> = Exclude<SourceMessage, RecordBatch> | (RecordBatch & { prepared: T });

/**
 * Yields `messages` in their exact order, reading up to `depth` record batches ahead of the
 * consumer and passing each through `prepare` as soon as it is read. Reads and `prepare` run in
 * the background while the consumer waits (the runner waits for its worker threads), so the main
 * thread splits the next batch by worker while the workers process the current one.
 *
 * An `assign` or `revoke` stops the read-ahead until the consumer has taken it, so nothing is read
 * from the source past a rebalance before the runner has acted on it. A failed read is thrown after
 * the batches read before it.
 */
export async function* readAhead<T>(messages: AsyncIterable<SourceMessage>, depth: number, prepare: (batch: RecordBatch) => T): AsyncGenerator<Prepared<T>> {
  const iterator = messages[Symbol.asyncIterator]();
  const queue: Array<Prepared<T>> = [];
  let batches = 0;
  let failure: { error: unknown } | undefined;
  let reading: Promise<void> | undefined;
  let ended = false;
  let barrier = false;
  let wake: (() => void) | undefined;

  const accept = (result: IteratorResult<SourceMessage>): void => {
    if (result.done) {
      ended = true;
      return;
    }
    const message = result.value;
    if (message.kind !== 'records') {
      queue.push(message);
      if (message.kind === 'assign' || message.kind === 'revoke') barrier = true;
      return;
    }
    batches++;
    queue.push({ ...message, prepared: prepare(message) });
  };

  const pump = (): void => {
    if (reading !== undefined || ended || barrier || batches >= depth) return;
    reading = iterator.next().then(
      (result) => {
        reading = undefined;
        try {
          accept(result);
        } catch (error) {
          ended = true;
          failure = { error };
        }
        wake?.();
        pump();
      },
      (error: unknown) => {
        reading = undefined;
        ended = true;
        failure = { error };
        wake?.();
      },
    );
  };

  try {
    for (;;) {
      pump();
      const head = queue.shift();
      if (head === undefined) {
        if (ended && reading === undefined) {
          if (failure) throw failure.error;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (head.kind === 'records') batches--;
      yield head;
      if (head.kind === 'assign' || head.kind === 'revoke') barrier = false;
    }
  } finally {
    // A read still pending ends when the source is closed; awaiting return() now would wait for it.
    if (reading) void reading.then(() => iterator.return?.()).catch(() => undefined);
    else await iterator.return?.();
  }
}
