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

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
export const DURATION_PATTERN = '^[1-9][0-9]*(ms|s|m|h|d|w)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

/** Parses `15m`, `1h`, `7d`; the job schema has already checked the pattern. */
export function parseDuration(text: string): number {
  const match = DURATION_RE.exec(text);
  if (!match) throw new RangeError(`'${text}' is not a duration like 30s, 15m, 1h, 1d or 1w`);
  return Number.parseInt(text, 10) * UNIT_MS[match[1] as string]!;
}

export function windowSpec(size: string, slide?: string): WindowSpec {
  const sizeMs = parseDuration(size);
  const slideMs = slide === undefined ? sizeMs : parseDuration(slide);
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
