/**
 * Runs async work one piece at a time, in call order. A running job's checkpoints and the
 * commands its HTTP API runs on the same database go through one queue: DuckDB lets two
 * connections write at once but fails one of them on a conflict, and a checkpoint must not fail
 * because a person closed a case at the same moment.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
