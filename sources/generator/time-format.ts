import { MS_PER_DAY } from '../../operators/events.js';
import type { Rng } from './rng.js';

/**
 * Event-time formats. Real feeds mix them, so the generator does too: RFC 3339 in UTC (`Z`),
 * RFC 3339 with a local offset (same instant, local wall clock), and epoch milliseconds.
 *
 * Formatting avoids `Date` on the hot path (it allocates and was the top cost after GC): the
 * date part is cached per day and the clock part is assembled from lookup tables.
 */

export const TS_FORMAT_SHARES = { rfc3339_utc: 0.4, rfc3339_offset: 0.3, epoch_ms: 0.3 } as const;
/** Offsets (minutes) used by the offset format, picked uniformly. */
export const TS_OFFSETS_MINUTES = [60, 120, -300, 330, 0] as const;
const OFFSET_SUFFIX = TS_OFFSETS_MINUTES.map((m) => {
  const sign = m < 0 ? '-' : '+';
  const a = Math.abs(m);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
});

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const dayPrefixCache = new Map<number, string>();

/** `YYYY-MM-DDT` of a day number since the epoch (cached: a run spans few days). */
function dayPrefix(day: number): string {
  let s = dayPrefixCache.get(day);
  if (s === undefined) {
    s = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
    dayPrefixCache.set(day, s);
  }
  return s;
}

/** RFC 3339 wall clock `YYYY-MM-DDTHH:MM:SS.mmm` of an epoch-ms value (no zone suffix). */
export function wallClock(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  let rest = ms - day * MS_PER_DAY;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${dayPrefix(day)}${PAD2[h] as string}:${PAD2[m] as string}:${PAD2[s] as string}.${PAD3[rest - s * 1000] as string}`;
}

/** A record's time style: a format plus an offset; every time field of the record uses it. */
export class TimeStyle {
  mode = 0;
  offset = 0;

  /** Draws a new style (one per record). */
  draw(rng: Rng): void {
    const u = rng.float();
    if (u < TS_FORMAT_SHARES.rfc3339_utc) this.mode = 0;
    else if (u < TS_FORMAT_SHARES.rfc3339_utc + TS_FORMAT_SHARES.rfc3339_offset) {
      this.mode = 1;
      this.offset = Math.floor(rng.float() * TS_OFFSETS_MINUTES.length);
    } else this.mode = 2;
  }

  /** The JSON value text of a time (integer epoch ms): a quoted RFC 3339 string or a bare integer. */
  format(ms: number): string {
    if (this.mode === 2) return String(ms);
    if (this.mode === 0) return `"${wallClock(ms)}Z"`;
    return `"${wallClock(ms + (TS_OFFSETS_MINUTES[this.offset] as number) * 60_000)}${OFFSET_SUFFIX[this.offset] as string}"`;
  }
}
