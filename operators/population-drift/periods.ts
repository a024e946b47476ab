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
