/**
 * The KPI window accumulators of each source partition this member reads, summed since the
 * partition's start (job option `merge`). A batch holds one partition's records, so the partials
 * the shards hand over after it are that partition's. Each checkpoint publishes the accumulators
 * that changed, whole: the merge replaces a partition's previous one (not adds to it), so a record
 * published twice (a restart that replays from its checkpoint publishes the same sums again) counts
 * once.
 */
import type { PartialRecord } from '../merge-port.js';
import { KeyedState } from '../state.js';
import { expiryWatermark, mergeWindowAcc, newWindowAcc, upgradeWindowAcc, type WindowAcc } from './accumulator.js';
import { DeadlineQueue } from '../deadline-queue.js';
import { windowKey } from './keys.js';
import { forEachRepeatedWindow, type KpiPartial } from './partial.js';

export class KpiPartitionPartials {
  /** Accumulators by [partition, window key] (persisted: a restart goes on summing). */
  readonly state = new KeyedState<WindowAcc>();
  private readonly due = new DeadlineQueue();
  private readonly changed = new Set<string>();
  /**
   * Expired accumulators: still in the state until their last value and the null after it have been
   * published (deleted at the cut after the one that publishes them: the checkpoint that deletes them
   * then commits after that publication, so a member that dies between a commit and its produce
   * still has them, and republishes them when it restarts).
   */
  private readonly expiring = new Set<string>();
  private published = new Set<string>();
  /** A fresh part (start, restore) publishes everything it holds once: a checkpoint whose records were lost in a crash is covered. */
  private republish = true;
  private indexed = false;

  constructor(
    private readonly operator: string,
    private readonly allowedLatenessMs: number,
    private readonly windowSizesMs: readonly number[],
  ) {}

  /** Adds the shards' partials of one batch of `partition`. */
  add(partials: readonly unknown[], partition: string): void {
    this.ensureIndexed();
    for (const partial of partials as KpiPartial[]) {
      for (const delta of partial.windows) {
        const key = partialKey(partition, windowKey(delta.size, delta.start, delta.queue, delta.channel));
        // Expired here: its contacts would be late (refused before the shards), so none should come.
        if (this.expiring.has(key) || this.published.has(key)) continue;
        let acc = this.state.get(key);
        if (!acc) {
          acc = newWindowAcc(delta.size, delta.start, delta.queue, delta.channel);
          this.state.set(key, acc);
        }
        mergeWindowAcc(acc, delta);
        this.state.touch(key);
        this.changed.add(key);
        this.due.schedule(key, expiryWatermark(acc, this.allowedLatenessMs));
      }
      forEachRepeatedWindow(partial.repeats, this.windowSizesMs, (windowKeyOf) => {
        const key = partialKey(partition, windowKeyOf);
        const acc = this.expiring.has(key) || this.published.has(key) ? undefined : this.state.get(key);
        // A window already dropped here (and final in the merge), which one job ignores too: nothing to correct.
        if (!acc) return;
        acc.fcr_resolved -= 1;
        this.state.touch(key);
        this.changed.add(key);
      });
    }
  }

  /** Drops the accumulators no contact or FCR correction can change any more (the merge keeps their last value). */
  expire(watermark: number): void {
    this.ensureIndexed();
    for (const key of this.due.popDue(watermark)) {
      const acc = this.state.get(key);
      if (!acc) continue;
      const at = expiryWatermark(acc, this.allowedLatenessMs);
      if (at > watermark) this.due.schedule(key, at);
      else {
        this.expiring.add(key);
        this.changed.add(key);
      }
    }
  }

  /**
   * What the checkpoint being taken publishes: every accumulator changed since the previous one,
   * and for an expired one its last value and a null after it (the topic's compaction drops it).
   */
  cut(): PartialRecord[] {
    // The previous cut's expired accumulators have been published (its checkpoint has committed and produced).
    for (const key of this.published) this.state.delete(key);
    this.published = new Set();
    const keys = this.republish ? new Set([...this.changed, ...[...this.state.entries()].map(([key]) => key)]) : this.changed;
    this.republish = false;
    const records: PartialRecord[] = [];
    for (const key of keys) {
      const acc = this.state.get(key);
      if (!acc) continue;
      const [partition, window] = JSON.parse(key) as [string, string];
      const record = { operator: this.operator, partition, key: window, group: JSON.stringify([acc.queue, acc.channel]) };
      records.push({ ...record, value: acc });
      if (this.expiring.has(key)) records.push({ ...record, value: null });
    }
    for (const key of this.expiring) this.published.add(key);
    this.expiring.clear();
    this.changed.clear();
    return records;
  }

  /** After a restore the schedule is empty: schedule every restored accumulator once. */
  private ensureIndexed(): void {
    if (this.indexed) return;
    this.indexed = true;
    for (const [key, acc] of this.state.entries()) {
      upgradeWindowAcc(acc);
      this.due.schedule(key, expiryWatermark(acc, this.allowedLatenessMs));
    }
  }
}

/** The state key of a partition's accumulator. */
export function partialKey(partition: string, key: string): string {
  return JSON.stringify([partition, key]);
}
