/**
 * The merge of the members' KPI partials (job option `merge`), on the member that owns a merge
 * partition: keeps the latest cumulative accumulator of every (source partition, window), feeds
 * what each new one adds to an ordinary KPI global part (global.ts: windows, rules, rows), and moves
 * that part's watermark to the minimum over the source partitions' reported watermarks.
 *
 * A source partition's report that has not moved for the idle timeout stops holding the merged
 * watermark back, as an idle partition does in one job (operators/watermark.ts, same tracker); a
 * partition that never reported holds it back for the idle timeout from the merge's start.
 */
import type { MergeInput } from '../merge-port.js';
import { driveInline } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { KeyedState } from '../state.js';
import { WatermarkTracker } from '../watermark.js';
import { expiryWatermark, newWindowAcc, windowAccDelta, type WindowAcc } from './accumulator.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { ContactKpiGlobal } from './global.js';
import { partialKey } from './partition-partials.js';

export class KpiMerger {
  /** Latest accumulator by [source partition, window key]. */
  readonly latest = new KeyedState<WindowAcc>();
  /** Last offset applied, by merge partition (persisted with the rows it produced: exactly once). */
  readonly positions = new KeyedState<number>();
  /** Last watermark reported, by source partition. */
  readonly reports = new KeyedState<number>();
  private tracker: WatermarkTracker | undefined;
  private readonly due = new DeadlineQueue();
  /** After a restore the schedule is empty: every restored partial is scheduled once. */
  private indexed = false;

  constructor(
    readonly global: ContactKpiGlobal,
    private readonly allowedLatenessMs: number,
    private readonly idleTimeoutMs: number,
  ) {}

  /** Offsets to resume reading after, by merge partition. */
  resumeAfter(): Map<number, number> {
    return new Map([...this.positions.entries()].map(([partition, offset]) => [Number(partition), offset]));
  }

  /** Applies what arrived, in order; records at or before a stored position (a re-read) are skipped. */
  apply(inputs: readonly MergeInput[], sourcePartitions: readonly string[], now: number): void {
    const tracker = this.trackerFor(sourcePartitions, now);
    for (const input of inputs) {
      const { mergePartition, offset } = input.position;
      if (offset <= (this.positions.get(String(mergePartition)) ?? -1)) continue;
      this.positions.set(String(mergePartition), offset);
      if (input.kind === 'watermark') {
        // Only a report that moves counts as activity: a partition whose reports stand still goes idle.
        if (input.watermark > (this.reports.get(input.partition) ?? -Infinity)) {
          this.reports.set(input.partition, input.watermark);
          tracker.observe(input.partition, input.watermark, now);
        }
        continue;
      }
      const newer = input.value as WindowAcc | null;
      // A dropped accumulator (null: for the topic's compaction) changes nothing here, nor does a
      // replayed one of a window this merge has dropped: its last value has been merged.
      if (newer === null || expiryWatermark(newer, this.allowedLatenessMs) <= this.global.watermark) continue;
      const key = partialKey(input.partition, input.key);
      const older = this.latest.get(key);
      this.latest.set(key, newer);
      this.due.schedule(key, expiryWatermark(newer, this.allowedLatenessMs));
      const delta = windowAccDelta(newer, older ?? newWindowAcc(newer.size, newer.start, newer.queue, newer.channel));
      this.global.merge([[delta]]);
    }
  }

  /** Moves the merged watermark (closing windows, firing rules); returns the rows and alerts to write. */
  drainOutputs(now: number): OperatorOutput[] {
    const watermark = this.tracker?.advance(now) ?? -Infinity;
    if (Number.isFinite(watermark)) {
      driveInline(this.global.onWatermark(watermark), () => []);
      this.dropExpired(watermark);
    }
    return this.global.drainOutputs();
  }

  /** Forgets the partials of windows the merge has dropped (a window's expiry only grows: re-checked). */
  private dropExpired(watermark: number): void {
    if (!this.indexed) {
      this.indexed = true;
      for (const [key, acc] of this.latest.entries()) this.due.schedule(key, expiryWatermark(acc, this.allowedLatenessMs));
    }
    for (const key of this.due.popDue(watermark)) {
      const acc = this.latest.get(key);
      if (!acc) continue;
      const at = expiryWatermark(acc, this.allowedLatenessMs);
      if (at > watermark) this.due.schedule(key, at);
      else this.latest.delete(key);
    }
  }

  /** The merged watermark's partitions: every source partition, each at its last report (after a restore, too). */
  private trackerFor(sourcePartitions: readonly string[], now: number): WatermarkTracker {
    if (this.tracker) return this.tracker;
    const tracker = new WatermarkTracker({ outOfOrdernessMs: 0, idleTimeoutMs: this.idleTimeoutMs });
    for (const partition of sourcePartitions) tracker.observe(partition, this.reports.get(partition) ?? -Infinity, now);
    for (const [partition, watermark] of this.reports.entries()) tracker.observe(partition, watermark, now);
    this.tracker = tracker;
    return tracker;
  }
}
