import type { SerialQueue } from '../sinks/serial-queue.js';

/**
 * The job's checkpoints in order, each committing in the background while the next events are
 * processed, and the latch that stops the run when one fails.
 *
 * A failed checkpoint's outputs were drained and are gone from memory, so no later checkpoint may
 * commit (its positions would skip them): once one fails every later one fails with its error,
 * the run stops, and a restart replays from the last committed checkpoint. Checkpoints go through
 * `exclusive` when given, whole (commit included), taking turns with the other writers of the
 * database (the job's API).
 */
export class CommitChain {
  /** The last checkpoint's commit and what follows it; never rejects. */
  private committing: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  /** Checkpoints added and not yet committed (or failed). */
  private unsettled = 0;

  constructor(private readonly exclusive?: SerialQueue) {}

  /** True while a checkpoint is being taken, staged or committed. */
  get busy(): boolean {
    return this.unsettled > 0;
  }

  /** True once a checkpoint has failed. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /**
   * Runs `checkpoint` after the previous one has committed. It calls `staged` once its writes are
   * in DuckDB (before its commit); the promise returned resolves then, or rejects if it fails first.
   */
  add(checkpoint: (staged: () => void) => Promise<void>): Promise<void> {
    let staged!: () => void;
    let failed!: (error: unknown) => void;
    const stagedPromise = new Promise<void>((resolve, reject) => {
      staged = resolve;
      failed = reject;
    });
    const previous = this.committing;
    const afterPrevious = async (): Promise<void> => {
      await previous;
      this.throwIfFailed();
      await checkpoint(staged);
    };
    this.unsettled++;
    const whole = this.exclusive ? this.exclusive.run(afterPrevious) : afterPrevious();
    this.committing = whole
      .catch((error: unknown) => {
        this.failure ??= { error };
        failed(error);
      })
      .finally(() => this.unsettled--);
    return stagedPromise;
  }

  /** Waits for the last checkpoint's commit; throws if one failed. */
  async committed(): Promise<void> {
    await this.committing;
    this.throwIfFailed();
  }

  /**
   * Runs `work` after the last commit, in turn with the other writers of the database; skipped
   * after a failure (nothing more may touch the store).
   */
  async afterCommit(work: () => Promise<void>): Promise<void> {
    await this.committing;
    if (this.failed) return;
    await (this.exclusive ? this.exclusive.run(work) : work());
  }
}
