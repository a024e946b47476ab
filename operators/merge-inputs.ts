/**
 * What every merger of a population operator does with its merge partitions' records (job option
 * `merge`, operators/merge-port.ts): skips records it has applied (a re-read after a restart), hands
 * each new partial to the operator, and keeps the source partitions' watermark reports, whose
 * minimum is the merged watermark: a merged result is final only once every source partition's
 * reader has passed it.
 *
 * A source partition's report that has not moved for the idle timeout stops holding the merged
 * watermark back, as an idle partition does in one job (operators/watermark.ts, same tracker); a
 * partition that never reported holds it back for the idle timeout from the merge's start.
 */
import type { MergeInput } from './merge-port.js';
import { KeyedState } from './state.js';
import { WatermarkTracker } from './watermark.js';

export type PartialInput = Extract<MergeInput, { kind: 'partial' }>;

export class MergeInputs {
  /** Last offset applied, by merge partition (persisted with the results it produced: exactly once). */
  readonly positions = new KeyedState<number>();
  /** Last watermark reported, by source partition. */
  readonly reports = new KeyedState<number>();
  private tracker: WatermarkTracker | undefined;

  constructor(private readonly idleTimeoutMs: number) {}

  /** Offsets to resume reading after, by merge partition. */
  resumeAfter(): Map<number, number> {
    return new Map([...this.positions.entries()].map(([partition, offset]) => [Number(partition), offset]));
  }

  /** Applies what arrived, in order: reports here, each partial not applied before to `onPartial`. */
  apply(inputs: readonly MergeInput[], sourcePartitions: readonly string[], now: number, onPartial: (input: PartialInput) => void): void {
    const tracker = this.trackerFor(sourcePartitions, now);
    for (const input of inputs) {
      const { mergePartition, offset } = input.position;
      if (offset <= (this.positions.get(String(mergePartition)) ?? -1)) continue;
      this.positions.set(String(mergePartition), offset);
      if (input.kind === 'partial') {
        onPartial(input);
        continue;
      }
      // Only a report that moves counts as activity: a partition whose reports stand still goes idle.
      if (input.watermark > (this.reports.get(input.partition) ?? -Infinity)) {
        this.reports.set(input.partition, input.watermark);
        tracker.observe(input.partition, input.watermark, now);
      }
    }
  }

  /** The merged watermark now; -Infinity before anything was applied. */
  watermark(now: number): number {
    return this.tracker?.advance(now) ?? -Infinity;
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

/** Inputs split by merge partition number, one list per merger (a member keeps one per partition number); a number beyond `count` is refused. */
export function byMergePartition(inputs: readonly MergeInput[], count: number, operator: string): MergeInput[][] {
  const lists = Array.from({ length: count }, (): MergeInput[] => []);
  for (const input of inputs) {
    const list = lists[input.position.mergePartition];
    if (!list) throw new Error(`${operator}: merge partition ${input.position.mergePartition} beyond the source's ${count} partitions`);
    list.push(input);
  }
  return lists;
}
