/**
 * Population-wide offset ("empirical null centring"): when most customers move together in the
 * same window (a holiday, an outage, a price change for everyone), that move is not a shift in any
 * one customer's behaviour. Per measure and window we take the median of all customers'
 * standardised values and subtract its departure from the usual median.
 *
 * The usual median `m0` is not 0: daily activity is skewed, so the median standardised value of a
 * quiet window is negative. It is learnt slowly, with bounded influence (each window may move it by
 * at most RATE x TOLERANCE), so a population-wide shock does not become the new normal and the
 * offset keeps cancelling it while customers' own baselines absorb it.
 */
import { median } from './robust.js';
import type { MoveKind } from './together.js';

export interface PopulationState {
  /** Usual median of the standardised values of a window. */
  m0: number;
  /** Windows seen. */
  n: number;
  /** Offsets of the last windows, newest last (for the robust z over several windows). */
  offsets: number[];
  /**
   * GLR method: ln(observed / expected events) of the population, by window index, for the
   * windows where the population moved by at least RATE_TOLERANCE (others are 1: no entry).
   */
  rates?: Record<string, number>;
  /**
   * GLR method: the population's mean log-size departure from the series' baselines, by window
   * index, for the windows where it moved by at least RATE_TOLERANCE (everyone's amounts x1.8 is
   * ln 1.8 = 0.59); subtracted from every log size of that window before the size part.
   */
  sizes?: Record<string, number>;
  /** GLR method: onsets of moves of part of the population (together.ts), by kind of move, while a series' ring holds them. */
  together?: Partial<Record<MoveKind, number[]>>;
  /**
   * The id of the analytic alert that told of each onset's move, in the order of `together`
   * (together.ts `KnownMoves`). Absent in state written before 2026-12-05: then the id of the
   * alert the onset would have had itself.
   */
  moveAlerts?: Partial<Record<MoveKind, string[]>>;
}

/**
 * |ln(population rate factor)| below which a window counts as normal (factor 1). Day-to-day noise
 * of the aggregate is ~1% at 4,000 customers; a move of 25% or more of everyone's activity (holiday,
 * outage, a sale) is not any one customer's shift. A minority moving (e.g. 10% of customers
 * tripling: factor 1.2) stays under it and does not bend everyone else's expectations.
 */
export const RATE_TOLERANCE = 0.25;

/**
 * Records the population's rate factor of window `index` (observed / expected events over all the
 * series of a measure; 0 / 0 = no information) and forgets factors older than `keep` windows.
 */
export function recordPopulationRate(state: PopulationState, index: number, observed: number, expected: number, keep: number): void {
  const rates = (state.rates ??= {});
  if (expected > 0 && observed > 0) {
    const ln = Math.log(observed / expected);
    if (Math.abs(ln) >= RATE_TOLERANCE) rates[String(index)] = ln;
  }
  for (const k of Object.keys(rates)) if (Number(k) <= index - keep - 1) delete rates[k];
}

/**
 * Records the population's mean log-size departure of window `index` (`deviation` = sum over the
 * positive-sized events of ln(size) - their series' baseline mean; `events` their number) and
 * forgets departures older than `keep` windows.
 */
export function recordPopulationSize(state: PopulationState, index: number, deviation: number, events: number, keep: number): void {
  const sizes = (state.sizes ??= {});
  if (events > 0) {
    const shift = deviation / events;
    if (Math.abs(shift) >= RATE_TOLERANCE) sizes[String(index)] = shift;
  }
  for (const k of Object.keys(sizes)) if (Number(k) <= index - keep - 1) delete sizes[k];
}

/**
 * The key of a series' population: the measure, or `measure|segment` when the population is split
 * by a profile label (`population.segmentBy`), so each segment's move is judged on its own.
 */
export function populationKey(measure: string, segment: string | null): string {
  return segment === null ? measure : `${measure}|${segment}`;
}

/**
 * The measure and segment of a population key (`populationKey`) of a job that `segmented` its
 * populations; otherwise the key is the measure, whatever its characters (a usage metric's name).
 */
export function populationKeyParts(key: string, segmented: boolean): { measure: string; segment: string | null } {
  const bar = segmented ? key.indexOf('|') : -1;
  return bar < 0 ? { measure: key, segment: null } : { measure: key.slice(0, bar), segment: key.slice(bar + 1) };
}

export const WARMUP_WINDOWS = 7;
const RATE = 0.05;
const TOLERANCE = 0.1;

export function newPopulation(): PopulationState {
  return { m0: 0, n: 0, offsets: [] };
}

export interface PopulationOffsets {
  /** Offset to subtract from this window's standardised values. */
  offsetU: number;
  /** Offset to subtract from the robust z over the last `shortWindows` windows. */
  offsetZ: number;
}

/**
 * Updates `state` with this window's standardised values `us` and returns the offsets. With fewer
 * than `minSeries` values there is no population to speak of: offsets are 0 and nothing is learnt.
 */
export function populationStep(state: PopulationState, us: readonly number[], minSeries: number, shortWindows: number): PopulationOffsets {
  if (us.length < minSeries) {
    state.offsets.push(0);
  } else {
    const med = median(us);
    let offset = 0;
    if (state.n < WARMUP_WINDOWS) {
      state.m0 = (state.m0 * state.n + med) / (state.n + 1);
    } else {
      offset = med - state.m0;
      state.m0 += RATE * Math.max(-TOLERANCE, Math.min(TOLERANCE, offset));
    }
    state.n += 1;
    state.offsets.push(offset);
  }
  if (state.offsets.length > shortWindows) state.offsets.splice(0, state.offsets.length - shortWindows);
  let sum = 0;
  for (const o of state.offsets) sum += o;
  return { offsetU: state.offsets[state.offsets.length - 1] as number, offsetZ: sum / Math.sqrt(shortWindows) };
}
