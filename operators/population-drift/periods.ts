/** The period grid: half-open [start, start + period) with starts at offset + k x period (epoch ms). */
import { MS_PER_DAY } from '../events.js';

export function periodStart(ts: number, periodMs: number, offsetMs: number): number {
  return Math.floor((ts - offsetMs) / periodMs) * periodMs + offsetMs;
}

/** Calendar month index (UTC year x 12 + month) of an instant, for the trailing 12 months. */
export function monthIndex(ts: number): number {
  const d = new Date(ts);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

export function days(ms: number): number {
  return ms / MS_PER_DAY;
}

/**
 * The text key of a period start (a key of the plain-JSON state objects) and the index of a calendar
 * month, remembered for the last one asked: consecutive events almost always share both, and a
 * number turned into a string (and a `Date` for the month) per event was garbage the profile showed.
 */
export class PeriodKeys {
  private start = Number.NaN;
  private startKey = '';
  /** The last month asked for, as [from, to) epoch ms. */
  private monthFrom = Number.NaN;
  private monthTo = Number.NaN;
  private monthIdx = Number.NaN;

  /** `String(start)`. */
  period(start: number): string {
    if (start !== this.start) {
      this.start = start;
      this.startKey = String(start);
    }
    return this.startKey;
  }

  /** `monthIndex(ts)`. */
  month(ts: number): number {
    if (!(ts >= this.monthFrom && ts < this.monthTo)) {
      const d = new Date(ts);
      this.monthIdx = d.getUTCFullYear() * 12 + d.getUTCMonth();
      d.setUTCDate(1);
      d.setUTCHours(0, 0, 0, 0);
      this.monthFrom = d.getTime();
      d.setUTCMonth(d.getUTCMonth() + 1);
      this.monthTo = d.getTime();
    }
    return this.monthIdx;
  }
}
