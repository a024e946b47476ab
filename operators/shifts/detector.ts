/**
 * The per-customer, per-measure shift detector: a robust z-score for sudden shifts and a two-sided
 * CUSUM for smaller sustained ones, both on the customer's deseasonalised series and both against
 * a robust baseline of the customer's own trailing windows.
 *
 * The state is one plain JSON object per series (`SeriesState`), so it persists as is. The work per
 * closed window is split in three pure steps because the operator needs all customers' scores of a
 * window before it can decide any of them (population offset, Benjamini-Hochberg):
 *   `assess` (baseline and scores) -> `decide` (detectors fire?) -> `advance` (update the state).
 */
import type { ShiftSettings } from './config.js';
import type { SeriesState } from './series.js';
import { appendBounded } from '../state-list.js';
import { type CusumSums, cusumPValue, cusumStep } from './cusum.js';
import { MAD_TO_SD, mad, mean, median, normalSf, quantile, sd } from './robust.js';
import { phaseOf, seasonalFactors } from './seasonal.js';

export type Direction = 'up' | 'down';
export type DetectorName = 'robust_z' | 'cusum' | 'glr';

/** The detector parameters `assess`/`decide`/`advance` use (a subset of the operator settings). */
export type DetectorParams = Pick<
  ShiftSettings,
  'ringWindows' | 'minHistory' | 'seasonPeriod' | 'transform' | 'smoothing' | 'shortWindows' | 'robustZ' | 'cusum' | 'floor' | 'cooldownWindows'
>;

export interface Assessment {
  /** Baseline level per window, deseasonalised (median of the rolling means), in raw units. */
  baseline: number;
  /** Standard deviation of one window's (transformed) value around the level, after the floor. */
  scale: number;
  /** Which part of the scale won: the MAD or one of the floors (for the description). */
  scaleSource: 'mad' | 'sd' | 'relative' | 'absolute' | 'dispersion';
  /** Seasonal factor of the current window's phase. */
  factor: number;
  /** Mean deseasonalised value of the last `shortWindows` windows, the current one included (not clipped). */
  current: number;
  /** Standardised deseasonalised value of the current window (not clipped; sd ~1 in control). */
  u: number;
  /** Robust z of the last `shortWindows` windows: sum of their clipped standardised values / sqrt(count). */
  zShort: number;
  /** Windows the baseline was estimated from. */
  baseWindows: number;
  /** Windows kept out of the baseline (the recent ones, or the CUSUM run). */
  guard: number;
  /** GLR method: of `baseWindows` and `guard`, those of a reported silence, which carry no evidence and are left out of the means. */
  silent?: { base: number; recent: number };
  /** GLR method: expected events per season phase for the next windows (state `ex`). */
  expected?: number[];
  /** GLR method: mean log size of the baseline (state `mu`). */
  logMean?: number;
}

/**
 * Baseline and scores of window `index` with value `x`, or null while the series has fewer than
 * `minHistory` windows. Does not change the state.
 *
 * Baseline: the ring minus its most recent windows (`guard`: the short window, or the current
 * CUSUM run if longer, so a shift in progress does not pull the baseline after it). Expected
 * value of a window = level x its phase factor (seasonal.ts); level = median over rolling runs of
 * `smoothing` windows of (sum of values / sum of factors). Windows are compared in the sqrt domain
 * (variance-stabilising for Poisson-like activity): residual = sqrt(x) - sqrt(expected), centred on
 * the baseline's mean residual. Scale = the largest of 1.4826 x MAD of the rolling levels (per
 * window, mapped to the sqrt domain), the SD of the baseline residuals (clipped at their 2%/98%
 * quantiles), `floor.relative` x sqrt(level) and `floor.absolute` (README, "Scale floor").
 */
export function assess(s: SeriesState, x: number, index: number, p: DetectorParams): Assessment | null {
  const n = s.v.length;
  if (n < p.minHistory) return null;
  const short = p.shortWindows;
  const minBaseline = Math.max(short, Math.ceil(p.minHistory / 2));
  const run = Math.max(s.up > 0 ? s.runUp : 0, s.down > 0 ? s.runDown : 0);
  const guard = Math.min(Math.max(short - 1, run), n - minBaseline);
  const baseLen = n - guard;
  const firstIndex = s.last - n + 1;

  const base = s.v.slice(0, baseLen);
  const phaseAt = (i: number): number => phaseOf(firstIndex + i, p.seasonPeriod);
  const basePhases = base.map((_, i) => phaseAt(i));
  const factors = seasonalFactors(base, basePhases, p.seasonPeriod);
  const fac = (i: number): number => factors[phaseAt(i)] as number;

  // Level per window (raw units): sum of values / sum of their phase factors over rolling runs of
  // `smoothing` windows (a week: every weekday once), then the median of those runs.
  const width = Math.min(p.smoothing, baseLen);
  const levels: number[] = [];
  let sx = 0;
  let sf = 0;
  for (let i = 0; i < baseLen; i++) {
    sx += base[i] as number;
    sf += fac(i);
    if (i >= width) {
      sx -= base[i - width] as number;
      sf -= fac(i - width);
    }
    if (i >= width - 1) levels.push(sx / sf);
  }
  const level = Math.max(0, median(levels));
  const rawScale = MAD_TO_SD * mad(levels, level) * Math.sqrt(width);

  // Compare in the transformed domain: sqrt stabilises Poisson-like variance (the same sd on every
  // weekday, whatever its expected level); without it a phase's sd grows with sqrt(factor).
  const sqrt = p.transform === 'sqrt';
  const g = sqrt ? Math.sqrt : (v: number): number => v;
  const weight = (f: number): number => (sqrt ? 1 : Math.sqrt(Math.max(f, MIN_WEIGHT_FACTOR)));
  const residual = (x: number, f: number): number => (g(x) - g(level * f)) / weight(f);
  const resid = base.map((v, i) => residual(v, fac(i)));
  // One outlier in 56 windows must not set the scale: clip residuals at their 2% / 98% quantiles.
  const lo = quantile(resid, 0.02);
  const hi = quantile(resid, 0.98);
  const clipped = resid.map((r) => Math.min(hi, Math.max(lo, r)));
  // E[sqrt(x)] < sqrt(E[x]) (Jensen): the residuals of a quiet baseline are centred below 0, so
  // they are centred on their own (clipped) mean, which the recent windows are compared with.
  const center = mean(clipped);
  const candidates: Array<[Assessment['scaleSource'], number]> = [
    ['mad', sqrt ? (level > 0 ? rawScale / (2 * Math.sqrt(level)) : 0) : rawScale],
    ['sd', sd(clipped)],
    ['relative', p.floor.relative * g(level)],
    ['absolute', p.floor.absolute],
  ];
  let [scaleSource, scale] = candidates[0] as [Assessment['scaleSource'], number];
  for (const [src, val] of candidates) if (val > scale) [scaleSource, scale] = [src, val];

  // The robust z sums the last windows' standardised values clipped at +-clip (Huber): spend is
  // heavy-tailed, and one huge purchase must not make a "sudden shift" on its own (the instant
  // rules report it).
  const clip = p.cusum.clip;
  const factor = factors[phaseOf(index, p.seasonPeriod)] as number;
  const u = (residual(x, factor) - center) / scale;
  let zSum = Math.max(-clip, Math.min(clip, u));
  let recentX = x;
  let recentF = factor;
  for (let j = 1; j < short; j++) {
    const i = n - j;
    const f = fac(i);
    const v = s.v[i] as number;
    zSum += Math.max(-clip, Math.min(clip, (residual(v, f) - center) / scale));
    recentX += v;
    recentF += f;
  }
  return {
    baseline: level,
    scale,
    scaleSource,
    factor,
    current: recentX / recentF,
    u,
    // The level is itself estimated from baseLen windows: its error adds to every recent window
    // alike, so the z is widened by it (the median's variance is ~pi/2 that of the mean).
    zShort: zSum / Math.sqrt(short) / Math.sqrt(1 + (Math.PI / 2) * (short / baseLen)),
    baseWindows: baseLen,
    guard,
  };
}

/** Without the sqrt transform, phases expected near 0 are weighted as if their factor were this. */
const MIN_WEIGHT_FACTOR = 0.02;

/** Scale units of level uncertainty (per 1/sqrt(baseline windows)) added to the CUSUM's k. */
export const UNCERTAINTY_MARGIN = 1.5;

export interface Verdict {
  /** A detector crossed its threshold (alerting still depends on cooldown and FDR). */
  fired: boolean;
  direction: Direction;
  detector: DetectorName;
  /** The robust z, or the CUSUM sum of the firing side. */
  score: number;
  /** Per-window p-value of the verdict (smaller of the two detectors, Bonferroni x2). */
  pValue: number;
  /** CUSUM sums after this window. */
  sums: CusumSums;
  /** Robust z after the population offset. */
  z: number;
}

/**
 * Runs both detectors on an assessment. `offsetU` / `offsetZ` remove a population-wide move of
 * the same window from the standardised value and the robust z (0 when disabled).
 */
export function decide(s: SeriesState, a: Assessment, p: DetectorParams, offsetU = 0, offsetZ = 0): Verdict {
  const c = p.cusum;
  const u = Math.max(-c.clip, Math.min(c.clip, a.u - offsetU));
  // A level estimated from few windows is off by ~1/sqrt(n) scale units, and that error is the
  // same every window, so it would drift the CUSUM: the reference value grows by the margin.
  const k = c.k + UNCERTAINTY_MARGIN / Math.sqrt(a.baseWindows);
  const sums = cusumStep({ up: s.up, down: s.down, runUp: s.runUp, runDown: s.runDown }, u, k);
  const z = a.zShort - offsetZ;
  const pz = Math.min(1, 2 * normalSf(Math.abs(z)));
  const cusumSide: Direction = sums.up >= sums.down ? 'up' : 'down';
  const cusumScore = Math.max(sums.up, sums.down);
  const pc = cusumPValue(cusumScore, k);
  const zFired = Math.abs(z) >= p.robustZ;
  const cFired = cusumScore > c.h;
  const useZ = zFired && (!cFired || pz <= pc);
  return {
    fired: zFired || cFired,
    direction: useZ ? (z >= 0 ? 'up' : 'down') : cusumSide,
    detector: useZ ? 'robust_z' : 'cusum',
    score: useZ ? z : cusumSide === 'up' ? sums.up : -sums.down,
    pValue: Math.min(1, 2 * Math.min(pz, pc)),
    sums,
    z,
  };
}

/**
 * Appends window `index` (value `x`) to the series. `verdict` is null when the series was not yet
 * assessable. When `alerted`, the baseline restarts from the shift: only the windows of the shift
 * (the CUSUM run, or the short window for the robust z) stay in the ring, the sums are cleared and
 * the cooldown starts.
 */
export function advance(s: SeriesState, x: number, index: number, verdict: Verdict | null, alerted: boolean, p: DetectorParams): void {
  s.v = appendBounded(s.v, x, p.ringWindows);
  s.last = index;
  if (verdict && alerted) {
    const run = verdict.direction === 'up' ? verdict.sums.runUp : verdict.sums.runDown;
    const keep = verdict.detector === 'cusum' ? Math.max(1, run) : p.shortWindows;
    s.v = s.v.slice(-Math.min(keep, p.ringWindows));
    s.up = s.down = s.runUp = s.runDown = 0;
    s.quiet = index + p.cooldownWindows + 1;
    return;
  }
  if (verdict) {
    s.up = verdict.sums.up;
    s.down = verdict.sums.down;
    s.runUp = verdict.sums.runUp;
    s.runDown = verdict.sums.runDown;
  }
}

/** Severity from the size of the change (ratio of the recent level to the baseline). */
export function severityOf(direction: Direction, baseline: number, current: number): 'info' | 'warning' | 'critical' {
  if (!(baseline > 0)) return 'warning';
  const r = current / baseline;
  if (direction === 'down') return r <= 0.25 ? 'critical' : r <= 0.6 ? 'warning' : 'info';
  return r >= 3 ? 'critical' : r >= 1.6 ? 'warning' : 'info';
}

/** Relative change in percent, or null when the baseline is 0. */
export function changePercent(baseline: number, current: number): number | null {
  return baseline > 0 ? ((current - baseline) / baseline) * 100 : null;
}

/**
 * Smallest change of the measure, in percent of its baseline, that a drop or jump alert states.
 * The spend detector weighs purchases and amounts together, and its direction is that of their net
 * change: purchases falling while amounts rise fired it with spend about where it was, as a
 * "CustomerSpendDrop" of -0.27% (or -4%, -8.6%, on independent data), which no sales team can act
 * on. Such a verdict gives no alert, and the series goes on gathering evidence: once the level it
 * states has moved by this much, it alerts. (Also asking the model's own estimate of the net change
 * to clear this, and two standard errors, held back changes of customers near a move together until
 * the move took them: 198 -> 175 of 229 found in the test of it; not done.)
 */
export const MIN_STATED_CHANGE_PERCENT = 10;

/** True when the change an alert would state (baseline to current) is in the verdict's direction by at least MIN_STATED_CHANGE_PERCENT. */
export function changeAgrees(direction: Direction, a: Pick<Assessment, 'baseline' | 'current'>): boolean {
  const stated = changePercent(a.baseline, a.current);
  if (stated === null) return direction === 'up' && a.current > 0; // from a zero baseline only a jump
  return direction === 'down' ? stated <= -MIN_STATED_CHANGE_PERCENT : stated >= MIN_STATED_CHANGE_PERCENT;
}
