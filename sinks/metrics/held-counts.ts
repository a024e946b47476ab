import type { Counter, LabelValues } from 'prom-client';

/**
 * Increments of a counter held back until the checkpoint that covers them commits. The runner
 * counts events as it processes them, takes the counts when it cuts a checkpoint and releases
 * them once that checkpoint has committed (pipelines/checkpoint-metrics.ts):
 * counters that share this clock show what is durable, and move together, so a ratio of two of
 * them (rejected / ingested) compares the same records.
 */
export class HeldCounts<T extends string> {
  private readonly held = new Map<string, { labels: LabelValues<T>; n: number }>();

  constructor(private readonly counter: Counter<T>) {}

  add(labels: LabelValues<T>, n = 1): void {
    // A series appears with its first count, as it does when counted directly.
    if (n <= 0) return;
    const key = JSON.stringify(labels);
    const entry = this.held.get(key);
    if (entry) entry.n += n;
    else this.held.set(key, { labels, n });
  }

  /**
   * The counts held so far, no longer held: those of the records a checkpoint being cut covers
   * (records read while it commits belong to the next). `release` adds them to the counter.
   */
  take(): { release(): void } {
    const taken = [...this.held.values()];
    this.held.clear();
    return { release: () => taken.forEach(({ labels, n }) => this.counter.inc(labels, n)) };
  }
}
