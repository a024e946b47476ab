import { MS_PER_DAY } from '../../operators/events.js';

/**
 * Orders lines by delivery time. Each line gets a delivery time (event time plus a delay) and
 * lands in the bucket of its delivery day; a day's bucket is complete once that day has been
 * simulated (no later event can be delivered earlier than its own event time), so it can be
 * sorted and written. Memory is bounded by about one day of lines plus the few late ones.
 */

/** Tags say what a line is, for the ground truth's line lists. */
export const TAG_EVENT = 0;
export const TAG_DUPLICATE = 1;
export const TAG_LATE = 2;
/** Malformed lines use TAG_MALFORMED + kind index. */
export const TAG_MALFORMED = 10;

/** Sort key = ms within the day * 2^26 + insertion index: exact in a double, stable and unique. */
const INDEX_BITS = 2 ** 26;

interface Bucket {
  lines: string[];
  keys: number[];
  tags: number[];
}

/** ToNumber on a string makes V8 flatten a rope in place (the `flatstr` trick). */
function flatten(s: string): void {
  void ((s as unknown as number) | 0);
}

export class EmitBuffer {
  private readonly buckets = new Map<number, Bucket>();

  constructor(private readonly startMs: number) {}

  add(line: string, deliverMs: number, tag: number): void {
    const rel = Math.floor(deliverMs - this.startMs);
    const day = Math.floor(rel / MS_PER_DAY);
    let b = this.buckets.get(day);
    if (b === undefined) {
      b = { lines: [], keys: [], tags: [] };
      this.buckets.set(day, b);
    }
    const idx = b.lines.length;
    // Flatten the template-literal rope now, while its pieces are hot in cache: joining a day of
    // old ropes at write time measured as the single largest cost (ToNumber flattens in V8).
    flatten(line);
    if (idx >= INDEX_BITS) throw new RangeError(`more than ${INDEX_BITS} lines delivered on day ${day}: use fewer customers per run`);
    b.lines.push(line);
    b.tags.push(tag);
    b.keys.push((rel - day * MS_PER_DAY) * INDEX_BITS + idx);
  }

  /** Removes and returns the lines of a delivery day in delivery order (empty if none). */
  take(day: number): { lines: string[]; tags: number[] } {
    const b = this.buckets.get(day);
    if (b === undefined) return { lines: [], tags: [] };
    this.buckets.delete(day);
    const keys = Float64Array.from(b.keys).sort();
    const lines = new Array<string>(keys.length);
    const tags = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const idx = (keys[i] as number) % INDEX_BITS;
      lines[i] = b.lines[idx] as string;
      tags[i] = b.tags[idx] as number;
    }
    return { lines, tags };
  }

  /** Delivery days still buffered, ascending (used at the end for late lines past the period). */
  pendingDays(): number[] {
    return [...this.buckets.keys()].sort((a, b) => a - b);
  }
}
