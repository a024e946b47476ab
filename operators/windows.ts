import { requireDuration } from './duration.js';

/**
 * Event-time window assignment: tumbling (slide = size) and hopping (slide < size) windows,
 * aligned to the UNIX epoch in UTC, half-open [start, end).
 */
export interface WindowSpec {
  /** As written in the job, e.g. `1h`; used in messages. */
  name: string;
  sizeMs: number;
  slideMs: number;
}

export function windowSpec(size: string, slide?: string): WindowSpec {
  const sizeMs = requireDuration(size);
  const slideMs = slide === undefined ? sizeMs : requireDuration(slide);
  if (sizeMs <= 0 || slideMs <= 0) throw new RangeError(`window ${size}: the size and slide must be longer than zero`);
  if (slideMs > sizeMs || sizeMs % slideMs !== 0) {
    throw new RangeError(`window ${size} with slide ${slide}: the slide must divide the size`);
  }
  return { name: slide === undefined || slideMs === sizeMs ? size : `${size}/${slide}`, sizeMs, slideMs };
}

/** Start of the earliest window of `spec` that contains `ts`; the others follow every slide. */
export function firstWindowStart(spec: WindowSpec, ts: number): number {
  return Math.floor(ts / spec.slideMs) * spec.slideMs - spec.sizeMs + spec.slideMs;
}

/** Start of the latest window of `spec` that contains `ts`. */
export function lastWindowStart(spec: WindowSpec, ts: number): number {
  return Math.floor(ts / spec.slideMs) * spec.slideMs;
}
