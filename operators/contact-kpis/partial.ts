/**
 * What a shard's KPI part hands over after a batch (local.ts -> global.ts, or partition-partials.ts
 * in a job that merges across members): the batch's contacts as window accumulators, and the FCR
 * repeats it found apart from them.
 */
import type { WindowAcc } from './accumulator.js';
import { windowKey } from './keys.js';

export interface KpiPartial {
  /** Accumulators of the windows the batch's contacts fell in. */
  windows: WindowAcc[];
  /**
   * Earlier contacts the batch turned into repeats (no longer resolved first time), by their queue
   * time, queue and channel: each lowers `fcr_resolved` by one in its window of every size. Kept
   * apart from `windows`: most fall in windows the batch has no contact in, and a whole accumulator
   * for each of them (three sizes) was nearly three in four of what the shards handed over on a
   * contact-heavy stream.
   */
  repeats: FcrRepeats;
}

export interface FcrRepeats {
  queuedAt: number[];
  queues: string[];
  channels: string[];
}

export function noRepeats(): FcrRepeats {
  return { queuedAt: [], queues: [], channels: [] };
}

/** Calls `visit` with the key of each window a repeat lowers (every size, for every repeat). */
export function forEachRepeatedWindow(repeats: FcrRepeats, windowSizesMs: readonly number[], visit: (key: string) => void): void {
  for (let i = 0; i < repeats.queuedAt.length; i++) {
    const queuedAt = repeats.queuedAt[i]!;
    for (const size of windowSizesMs) visit(windowKey(size, Math.floor(queuedAt / size) * size, repeats.queues[i]!, repeats.channels[i]!));
  }
}
