import { formatDuration, requireDuration } from './duration.js';

/**
 * Event-time window assignment: tumbling (slide = size) and hopping (slide < size) windows,
 * aligned to the UNIX epoch in UTC, half-open [start, end).
 */
export interface WindowSpec {
  /** As written in the job, e.g. `1h`; used in messages. */
  name: string;
  sizeMs: number;
  slideMs: number;
  /**
   * Start of the first window kept (on the slide grid); -Infinity: every window. A window size
   * added to a job that has already read events starts after them (`startingAfter`).
   */
  firstStartMs: number;
}

export function windowSpec(size: string, slide?: string): WindowSpec {
  const sizeMs = requireDuration(size);
  const slideMs = slide === undefined ? sizeMs : requireDuration(slide);
  if (sizeMs <= 0 || slideMs <= 0) throw new RangeError(`window ${size}: the size and slide must be longer than zero`);
  if (slideMs > sizeMs || sizeMs % slideMs !== 0) {
    throw new RangeError(`window ${size} with slide ${slide}: the slide must divide the size`);
  }
  const name = slide === undefined || slideMs === sizeMs ? size : `${size}/${slide}`;
  return { name, sizeMs, slideMs, firstStartMs: Number.NEGATIVE_INFINITY };
}

/** The window as one text however its durations are written (`24h` is `1d`): `1d`, or `1d/6h` hopping. */
export function windowKey(spec: WindowSpec): string {
  const size = formatDuration(spec.sizeMs);
  return spec.slideMs === spec.sizeMs ? size : `${size}/${formatDuration(spec.slideMs)}`;
}

/**
 * `spec` keeping only the windows that start after `ts`: an event at `ts` or before was read
 * before the window size was added, and an earlier window would hold only part of its events.
 */
export function startingAfter(spec: WindowSpec, ts: number): WindowSpec {
  return { ...spec, firstStartMs: Math.floor(ts / spec.slideMs) * spec.slideMs + spec.slideMs };
}

/** Start of the earliest window of `spec` kept that contains `ts`; the others follow every slide. */
export function firstWindowStart(spec: WindowSpec, ts: number): number {
  return Math.max(Math.floor(ts / spec.slideMs) * spec.slideMs - spec.sizeMs + spec.slideMs, spec.firstStartMs);
}

/** Start of the latest window of `spec` that contains `ts`. */
export function lastWindowStart(spec: WindowSpec, ts: number): number {
  return Math.floor(ts / spec.slideMs) * spec.slideMs;
}
