/**
 * Seasonal profile of one customer's series: the ratio of each phase's (e.g. weekday's) level to
 * the customer's overall level, so a Saturday-only spender is compared with its own Saturdays.
 *
 * Why shrunk weekday means and not weekday medians: with Poisson-like activity most weekday
 * medians of a customer are 0 (a customer buying once or twice a week has a median of 0 on every
 * weekday), and a ratio to 0 is no profile.
 *
 * Why shrink at all: eight weeks give only eight values per weekday, and dividing by a noisy
 * factor amplifies noise (a weekday that happened to be quiet gets a small factor and every later
 * value of that weekday is blown up). In simulation, raw weekday ratios tripled the false alarms
 * of customers without any weekly pattern. So the profile is shrunk towards "no profile" with
 * positive-part James-Stein weight w = max(0, 1 - expected sampling variance of the ratios /
 * observed variance of the ratios): a customer whose weekdays differ no more than noise gets
 * w ~ 0 (factors ~1), a strong Saturday spender keeps its profile (w ~ 1).
 */
export const MIN_FACTOR = 0;

/**
 * Factor per phase (length `period`), mean ~1. `phases[i]` is the phase of `values[i]`
 * (0 <= phase < period). All ones when the period is 1 or the series is all zero.
 */
export function seasonalFactors(values: ArrayLike<number>, phases: ArrayLike<number>, period: number): number[] {
  const factors = new Array<number>(period).fill(1);
  const n = values.length;
  if (period <= 1 || n < 2) return factors;
  const sums = new Array<number>(period).fill(0);
  const counts = new Array<number>(period).fill(0);
  let total = 0;
  let totalSq = 0;
  for (let i = 0; i < n; i++) {
    const p = phases[i] as number;
    const v = values[i] as number;
    sums[p] = (sums[p] as number) + v;
    counts[p] = (counts[p] as number) + 1;
    total += v;
    totalSq += v * v;
  }
  const overall = total / n;
  if (!(overall > 0)) return factors;
  // Sampling variance of one window's ratio to the overall mean: the within-phase variance (the
  // between-phase part is the profile itself, not noise).
  let between0 = 0;
  for (let p = 0; p < period; p++) {
    const c = counts[p] as number;
    if (c > 0) between0 += ((sums[p] as number) * (sums[p] as number)) / c;
  }
  const within = Math.max(0, totalSq - between0) / Math.max(1, n - period);
  const unitVar = within / (overall * overall);
  let between = 0;
  let noise = 0;
  let phasesSeen = 0;
  const raw = new Array<number>(period).fill(1);
  for (let p = 0; p < period; p++) {
    const c = counts[p] as number;
    if (c === 0) continue;
    raw[p] = (sums[p] as number) / c / overall;
    between += ((raw[p] as number) - 1) ** 2;
    noise += unitVar / c;
    phasesSeen++;
  }
  if (phasesSeen < 2 || between <= 0) return factors;
  const w = Math.max(0, 1 - noise / between);
  for (let p = 0; p < period; p++) factors[p] = Math.max(MIN_FACTOR, 1 + w * ((raw[p] as number) - 1));
  return factors;
}

/** Phase of window index `index` for a season of `period` windows (non-negative). */
export function phaseOf(index: number, period: number): number {
  return ((index % period) + period) % period;
}
