/**
 * The merge of the members' KPI partials (job option `merge`), on the member that owns a merge
 * partition: keeps the latest cumulative accumulator of every (source partition, window), feeds
 * what each new one adds to an ordinary KPI global part (global.ts: windows, rules, rows), and moves
 * that part's watermark to the minimum over the source partitions' reported watermarks (re-reads,
 * reports and idle partitions: operators/merge-inputs.ts).
 */
import type { MergeInput } from '../merge-port.js';
import { driveInline } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { MergeInputs } from '../merge-inputs.js';
import { KeyedState } from '../state.js';
import { expiryWatermark, newWindowAcc, windowAccDelta, type WindowAcc } from './accumulator.js';
import { type KpiPartial, noRepeats } from './partial.js';
import { DeadlineQueue } from '../deadline-queue.js';
import type { ContactKpiGlobal } from './global.js';
import { partialKey } from './partition-partials.js';

export class KpiMerger {
  /** Latest accumulator by [source partition, window key]. */
  readonly latest = new KeyedState<WindowAcc>();
  /** Positions applied, source partitions' reports, the merged watermark (merge-inputs.ts). */
  readonly inputs: MergeInputs;
  private readonly due = new DeadlineQueue();
  /** After a restore the schedule is empty: every restored partial is scheduled once. */
  private indexed = false;

  constructor(
    readonly global: ContactKpiGlobal,
    private readonly allowedLatenessMs: number,
    idleTimeoutMs: number,
  ) {
    this.inputs = new MergeInputs(idleTimeoutMs);
  }

  /** Applies what arrived, in order; records at or before a stored position (a re-read) are skipped. */
  apply(inputs: readonly MergeInput[], sourcePartitions: readonly string[], now: number): void {
    this.inputs.apply(inputs, sourcePartitions, now, (input) => {
      const newer = input.value as WindowAcc | null;
      // A dropped accumulator (null: for the topic's compaction) changes nothing here, nor does a
      // replayed one of a window this merge has dropped: its last value has been merged.
      if (newer === null || expiryWatermark(newer, this.allowedLatenessMs) <= this.global.watermark) return;
      const key = partialKey(input.partition, input.key);
      const older = this.latest.get(key);
      this.latest.set(key, newer);
      this.due.schedule(key, expiryWatermark(newer, this.allowedLatenessMs));
      const delta = windowAccDelta(newer, older ?? newWindowAcc(newer.size, newer.start, newer.queue, newer.channel));
      const partial: KpiPartial = { windows: [delta], repeats: noRepeats() };
      this.global.merge([partial]);
    });
  }

  /** Moves the merged watermark (closing windows, firing rules); returns the rows and alerts to write. */
  drainOutputs(now: number): OperatorOutput[] {
    const watermark = this.inputs.watermark(now);
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
}
