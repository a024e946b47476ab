/**
 * Two plain reference detectors for the shift benchmark (issue 17, item 1), run on each customer's
 * daily purchase counts so that the GLR detector can be compared with what a simple method finds
 * at the same false-alert rate. Both learn the customer's normal rate from the first
 * `baselineDays` days (the generator starts no shift before day 21) and model counts as Poisson,
 * so the standard deviation of a sum of n days is sqrt(n x rate).
 *
 * - weekly z-test: at the end of each day, z = (count of the last 7 days - 7 mu) / sqrt(7 mu);
 *   alert when |z| >= threshold. After an alert the next 7 days are skipped, so one week of data
 *   raises at most one alert.
 * - CUSUM: the tabular two-sided CUSUM on standardised daily counts, S+ = max(0, S+ + z_t - k),
 *   S- = max(0, S- - z_t - k) with z_t = (x_t - mu) / sqrt(mu); alert when a sum reaches the
 *   threshold, then both sums restart from 0.
 * A customer without purchases in the baseline gets mu = half a purchase over the baseline, so a
 * first purchase is not an infinite z.
 */

export interface Alarm {
  /** Day index (0-based) whose close raised the alert. */
  day: number;
  direction: 'up' | 'down';
}

export const BASELINE_DAYS = 21;
export const WEEK = 7;
/** CUSUM reference value: half a standard deviation, tuned for shifts of about one sigma a day. */
export const CUSUM_K = 0.5;

/** Mean daily count over the baseline days, floored at half a purchase over the baseline. */
export function baselineRate(counts: ArrayLike<number>, baselineDays = BASELINE_DAYS): number {
  let sum = 0;
  for (let d = 0; d < baselineDays; d++) sum += counts[d] ?? 0;
  return Math.max(sum, 0.5) / baselineDays;
}

export function weeklyZAlarms(counts: ArrayLike<number>, threshold: number, baselineDays = BASELINE_DAYS): Alarm[] {
  const mu = baselineRate(counts, baselineDays);
  const sd = Math.sqrt(WEEK * mu);
  const alarms: Alarm[] = [];
  let week = 0;
  for (let d = 0; d < counts.length; d++) {
    week += counts[d] as number;
    if (d >= WEEK) week -= counts[d - WEEK] as number;
    // The first full week after the baseline ends on day baselineDays + 6.
    if (d < baselineDays + WEEK - 1) continue;
    if (alarms.length > 0 && d - (alarms[alarms.length - 1] as Alarm).day < WEEK) continue;
    const z = (week - WEEK * mu) / sd;
    if (Math.abs(z) >= threshold) alarms.push({ day: d, direction: z > 0 ? 'up' : 'down' });
  }
  return alarms;
}

export function cusumAlarms(counts: ArrayLike<number>, threshold: number, baselineDays = BASELINE_DAYS, k = CUSUM_K): Alarm[] {
  const mu = baselineRate(counts, baselineDays);
  const sd = Math.sqrt(mu);
  const alarms: Alarm[] = [];
  let up = 0;
  let down = 0;
  for (let d = baselineDays; d < counts.length; d++) {
    const z = ((counts[d] as number) - mu) / sd;
    up = Math.max(0, up + z - k);
    down = Math.max(0, down - z - k);
    if (up >= threshold || down >= threshold) {
      alarms.push({ day: d, direction: up >= threshold ? 'up' : 'down' });
      up = 0;
      down = 0;
    }
  }
  return alarms;
}

export type Detector = (counts: ArrayLike<number>, threshold: number) => Alarm[];

/**
 * The smallest threshold whose alarms on `series` (customers without a shift) number at most
 * `maxAlarms`: bisection over [lo, hi] (either end when the answer lies outside), alarms falling
 * as the threshold rises. This is how a
 * reference is matched to the GLR's measured false-alert rate.
 */
export function calibrateThreshold(detector: Detector, series: ReadonlyArray<ArrayLike<number>>, maxAlarms: number, lo = 0.5, hi = 100): number {
  const alarmsAt = (h: number): number => series.reduce((n, s) => n + detector(s, h).length, 0);
  if (alarmsAt(lo) <= maxAlarms) return lo;
  if (alarmsAt(hi) > maxAlarms) return hi;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (alarmsAt(mid) <= maxAlarms) hi = mid;
    else lo = mid;
  }
  return hi;
}
