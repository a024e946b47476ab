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
import { expiryWatermark, hasContacts, mergeWindowAcc, newWindowAcc, type WindowAcc } from './accumulator.js';
import { DeadlineQueue } from './deadline-queue.js';
import { windowKey } from './keys.js';

export class KpiPartitionPartials {
  /** Accumulators by [partition, window key] (persisted: a restart goes on summing). */
  readonly state = new KeyedState<WindowAcc>();
  private readonly due = new DeadlineQueue();
  private readonly changed = new Set<string>();
  /** Accumulators dropped since the last cut with changes not yet published: published, then dropped. */
  private readonly dropped = new Map<string, WindowAcc>();
  /** A fresh part (start, restore) publishes everything it holds once: a checkpoint whose records were lost in a crash is covered. */
  private republish = true;
  private indexed = false;

  constructor(
    private readonly operator: string,
    private readonly allowedLatenessMs: number,
  ) {}

  /** Adds the shards' partials of one batch of `partition`. */
  add(partials: readonly unknown[], partition: string): void {
    this.ensureIndexed();
    for (const partial of partials) {
      for (const delta of partial as WindowAcc[]) {
        const key = partialKey(partition, windowKey(delta.size, delta.start, delta.queue, delta.channel));
        let acc = this.state.get(key);
        if (!acc) {
          // FCR corrections of a window already dropped here (and final in the merge): nothing to correct.
          if (!hasContacts(delta)) continue;
          acc = newWindowAcc(delta.size, delta.start, delta.queue, delta.channel);
          this.state.set(key, acc);
        }
        mergeWindowAcc(acc, delta);
        this.state.touch(key);
        this.changed.add(key);
        this.due.schedule(key, expiryWatermark(acc, this.allowedLatenessMs));
      }
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
        this.state.delete(key);
        if (this.changed.has(key)) this.dropped.set(key, acc);
        this.changed.add(key);
      }
    }
  }

  /**
   * What the checkpoint being taken publishes: every accumulator changed since the previous one,
   * and a null for one dropped (after its last value, if that was not published yet).
   */
  cut(): PartialRecord[] {
    const keys = this.republish ? new Set([...this.changed, ...[...this.state.entries()].map(([key]) => key)]) : this.changed;
    this.republish = false;
    const records: PartialRecord[] = [];
    for (const key of keys) {
      const [partition, window] = JSON.parse(key) as [string, string];
      const [, , queue, channel] = JSON.parse(window) as [number, number, string, string];
      const record = { operator: this.operator, partition, key: window, group: JSON.stringify([queue, channel]) };
      const acc = this.state.get(key) ?? this.dropped.get(key);
      if (acc) records.push({ ...record, value: acc });
      if (!this.state.has(key)) records.push({ ...record, value: null });
    }
    this.changed.clear();
    this.dropped.clear();
    return records;
  }

  /** After a restore the schedule is empty: schedule every restored accumulator once. */
  private ensureIndexed(): void {
    if (this.indexed) return;
    this.indexed = true;
    for (const [key, acc] of this.state.entries()) this.due.schedule(key, expiryWatermark(acc, this.allowedLatenessMs));
  }
}

/** The state key of a partition's accumulator. */
export function partialKey(partition: string, key: string): string {
  return JSON.stringify([partition, key]);
}
