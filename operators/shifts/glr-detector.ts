/**
 * The GLR detector (`method: glr`, the default) per customer and measure: keeps each window's
 * sufficient statistics (event count, positive-sized events, sum and sum of squares of log sizes)
 * beside the window values of `SeriesState.v`, and scans them with `glrScan` (glr.ts) when a window
 * closes. Same three steps as the CUSUM detector, so the operator can run BH over a window:
 * `assessGlr` (baseline, scores and verdict) -> FDR -> `advanceGlr` (update the state).
 */
import type { ShiftSettings } from './config.js';
import type { Assessment, Verdict } from './detector.js';
import { type GlrRings, type SeriesState } from './series.js';
import { appendBounded, appendExact, keepNewest } from '../state-list.js';
import { CHANGE_POINT_NATS, glrScan } from './glr.js';
import { phaseOf, seasonalFactors } from './seasonal.js';
import { type SilenceEvidence, silenceEvidence } from './silence.js';
import { SCREEN_SHARE } from './together.js';

/** One window of one measure: its value and the statistics of the events in it. */
export interface WindowStats {
  /** Sum of the event values (the measure's value). */
  x: number;
  /** Events. */
  n: number;
  /** Events with a positive value. */
  k: number;
  /** Sum of ln(value) over positive values. */
  l: number;
  /** Sum of ln(value)^2 over positive values. */
  q: number;
}

export type GlrDetectorParams = Pick<ShiftSettings, 'ringWindows' | 'minHistory' | 'seasonPeriod' | 'cooldownWindows' | 'glr'> & {
  /** Silence rule's settings (silence.ts); its `minEvents` bounds the pause check of a purchase series. */
  silence?: Pick<ShiftSettings['silence'], 'minEvents'>;
};

/** A window's weekday factor is never taken below this in the count exposure (an event there is news, not infinite evidence). */
const MIN_EXPOSURE = 0.2;
/**
 * Events per season phase (on average) needed before a weekday profile is used: from a handful
 * of events the James-Stein weight is itself noise, and a weekday that happened to be empty would
 * get a factor near 0 (in the benchmark, series of ~0.1 events a day then alerted on every event).
 */
const PROFILE_EVENTS_PER_PHASE = 4;
/** Windows at the end left out of the weekday profile, so a shift in progress does not bend it. */
const PROFILE_GUARD = 7;

/** Per-window working arrays of `assessGlr`. */
interface Scratch {
  n: Float64Array;
  k: Float64Array;
  l: Float64Array;
  q: Float64Array;
  x: Float64Array;
  e: Float64Array;
  pop: Float64Array;
  profileN: Float64Array;
  profilePhases: Float64Array;
  phases: Float64Array;
  /** 1 for a window the GLR weighs, 0 for one inside a reported silence (`SeriesState.qm`). */
  live: Uint8Array;
  /** Each split's LLR by its recent windows (glr.ts `llrByRecent`). */
  llr: Float64Array;
}

let scratch: Scratch | null = null;

/**
 * Working arrays of at least `len` windows, reused across calls: `assessGlr` runs for every series
 * of every customer at each window close, and its ten fresh arrays per call were the operator's
 * largest source of garbage in the default-job profile. Only valid until the next call.
 */
function scratchFor(len: number): Scratch {
  if (!scratch || scratch.n.length < len) {
    const size = Math.max(64, len * 2);
    scratch = {
      n: new Float64Array(size),
      k: new Float64Array(size),
      l: new Float64Array(size),
      q: new Float64Array(size),
      x: new Float64Array(size),
      e: new Float64Array(size),
      pop: new Float64Array(size),
      profileN: new Float64Array(size),
      profilePhases: new Float64Array(size),
      phases: new Float64Array(size),
      live: new Uint8Array(size),
      llr: new Float64Array(size),
    };
  }
  return scratch;
}

export function emptyWindow(): WindowStats {
  return { x: 0, n: 0, k: 0, l: 0, q: 0 };
}

/** Adds one event of value `value` (>= 0) to a window's statistics. */
export function addEvent(w: WindowStats, value: number): void {
  w.x += value;
  w.n += 1;
  if (value > 0) {
    const lv = Math.log(value);
    w.k += 1;
    w.l += lv;
    w.q += lv * lv;
  }
}

/**
 * Whether window `index` lies in a reported silence of the series (`SeriesState.qm`); `w` is the
 * window's statistics when it is the one being closed (an open silence goes on while it is empty).
 */
export function inReportedSilence(s: SeriesState, index: number, w: WindowStats | null = null): boolean {
  const m = s.qm;
  if (!m) return false;
  for (let j = 0; j < m.length; j += 2) if (index >= (m[j] as number) && index < (m[j + 1] as number)) return true;
  return w !== null && w.n === 0 && m[m.length - 1] === index;
}

/**
 * How many leading windows of the series hold `count` live ones (outside a reported silence): the
 * fewest a split's baseline may have. A silence's windows carry no evidence, so counting them made
 * a baseline of the few windows around one a level: a customer buying on Tuesdays and Wednesdays,
 * back from a holiday, had a baseline of four such windows, and its Thursdays to Mondays read as
 * a -96% drop (critical). `len` when the series' `len` windows hold fewer: no split yet.
 */
function windowsHolding(live: Uint8Array, len: number, count: number): number {
  let seen = 0;
  for (let i = 0; i < len; i++) {
    if (seen >= count) return i;
    seen += live[i] as number;
  }
  return len;
}

/** Records a reported silence over windows `[first, end)` of the series (see `SeriesState.qm`). */
export function markSilence(s: SeriesState, first: number, end: number): void {
  (s.qm ??= []).push(first, end);
}

/** The statistics rings, or null when they do not match the values (see `advanceGlr`). */
function rings(s: SeriesState): GlrRings | null {
  const g = s.g;
  const len = s.v.length;
  if (!g || (g.n?.length ?? len) !== len) return null;
  return (g.k?.length ?? len) === len && (g.l?.length ?? len) === len && (g.q?.length ?? len) === len ? g : null;
}

/** Events per window of a series' rings (GlrRings: absent, they are its values). */
function eventsOf(s: SeriesState, g: GlrRings): number[] {
  return g.n ?? s.v;
}

/**
 * Baseline, scores and verdict of window `index` (statistics `w`), or null while the series has
 * fewer than `minHistory` windows before it. Does not change the state.
 */
export function assessGlr(
  s: SeriesState,
  w: WindowStats,
  index: number,
  p: GlrDetectorParams,
  /** Population rate factor of a window index (1 = normal); see population.ts. Null: every window normal. */
  population: ((windowIndex: number) => number) | null = null,
  /** Population (segment) log-size departure of a window index (0 = normal); see population.ts. Null: every window normal. */
  logSizeShift: ((windowIndex: number) => number) | null = null,
  /** Also weigh the silence since the last event (the silence rule's series). */
  withSilence = false,
  /** A purchase series watched by the silence rule: its shifts must hold beyond a pause (`glr.pauses`). */
  purchases = false,
): {
  a: Assessment;
  v: Verdict;
  silence: SilenceEvidence | null;
  /**
   * The first and last window the change may start at (`changeStarts`), for a series with at least
   * SCREEN_SHARE of the evidence an alert needs (together.ts); null for others.
   */
  starts: [first: number, last: number] | null;
  /** The best split's size part is at least its count part: the amounts moved rather than the purchases. */
  sizeLed: boolean;
} | null {
  const before = s.v.length;
  const g = rings(s);
  if (before < p.minHistory || !g) return null;
  const len = before + 1;
  const { n, k, l, q, x, e, pop, profileN, profilePhases, phases, live, llr } = scratchFor(len);
  // Rings left out (GlrRings) stand for n = v, k = n and for zeros.
  const gn = eventsOf(s, g);
  const gk = g.k ?? gn;
  for (let i = 0; i < before; i++) {
    n[i] = gn[i] as number;
    k[i] = gk[i] as number;
    l[i] = g.l ? (g.l[i] as number) : 0;
    q[i] = g.q ? (g.q[i] as number) : 0;
    x[i] = s.v[i] as number;
  }
  n[before] = w.n;
  k[before] = w.k;
  l[before] = w.l;
  q[before] = w.q;
  x[before] = w.x;
  const firstIndex = index - before;
  // Windows of a reported silence carry no evidence: no events and no exposure (set below).
  for (let i = 0; i < len; i++) {
    live[i] = inReportedSilence(s, firstIndex + i, i === before ? w : null) ? 0 : 1;
    if (live[i] === 0) n[i] = k[i] = l[i] = q[i] = x[i] = 0;
  }
  // A population-wide size move is taken out of every log size of its window: ln v - d for each
  // of the window's k sizes turns l into l - k d and q into q - 2 d l + k d^2.
  if (logSizeShift)
    for (let i = 0; i < len; i++) {
      const d = logSizeShift(firstIndex + i);
      if (d === 0) continue;
      q[i] = (q[i] as number) - 2 * d * (l[i] as number) + (k[i] as number) * d * d;
      l[i] = (l[i] as number) - (k[i] as number) * d;
    }
  for (let i = 0; i < len; i++) phases[i] = phaseOf(firstIndex + i, p.seasonPeriod);
  if (population) for (let i = 0; i < len; i++) pop[i] = population(firstIndex + i);
  else pop.fill(1, 0, len);
  const profileLen = Math.max(p.minHistory, len - PROFILE_GUARD);
  let profileEvents = 0;
  let profileWindows = 0;
  for (let i = 0; i < profileLen; i++) {
    if (live[i] === 0) continue;
    profileN[profileWindows] = (n[i] as number) / (pop[i] as number);
    profilePhases[profileWindows] = phases[i] as number;
    profileEvents += profileN[profileWindows] as number;
    profileWindows++;
  }
  const factors =
    profileEvents >= PROFILE_EVENTS_PER_PHASE * p.seasonPeriod
      ? seasonalFactors(profileN.subarray(0, profileWindows), profilePhases.subarray(0, profileWindows), p.seasonPeriod)
      : new Array<number>(p.seasonPeriod).fill(1);
  // The weekday profile is learnt on counts divided by the population factor (a shock week must not
  // become a profile), and each window's exposure is the profile x the population factor.
  for (let i = 0; i < len; i++) e[i] = (live[i] as number) * Math.max(MIN_EXPOSURE, factors[phases[i] as number] as number) * (pop[i] as number);
  const c = p.glr;
  const series = { n, e, k, l, q, length: len };
  const params = {
    minBaseline: windowsHolding(live, len, p.minHistory),
    maxRecent: c.maxRecent,
    sizeClip: c.sizeClip,
    sizeSdFloor: c.sizeSdFloor,
    llrByRecent: llr,
  };
  // A split over the threshold is weighed again with the dispersion at its own scale (blocks as
  // long as its recent segment, glr.ts blockDispersion): only then, as that costs a pass over the
  // baseline per split and almost every scan stays under the threshold.
  let r = glrScan(series, params);
  if (c.scaleDispersion && r.llr > c.h) r = glrScan(series, { ...params, scaleDispersion: true });
  // An upward candidate must also persist beyond a burst (glr.ts PrefixSums.persists): a pay-day
  // spree or a promotion week returns to the old level, a new level stays. Scanned again only then;
  // a split whose size part alone is over h is exempt (a burst of purchases does not change their sizes).
  // A purchase shift must also hold beyond a pause (glr.ts PrefixSums.beyondPause): a customer
  // quiet for weeks went quiet (the silence rule's case) and one back from it came back, at the
  // level of before the pause; neither is a new level. Scanned again only for a candidate too.
  const persist = c.persistWindows > 0 && r.logChange > 0;
  const pauses = c.pauses && purchases;
  if (r.llr > c.h && (persist || pauses)) {
    const persistence = c.persistWindows > 0 ? { windows: c.persistWindows, h: c.persistH, sizeH: c.h } : undefined;
    const pause = pauses ? { h: c.persistH, ongoingH: c.h, sizeH: c.h, minEvents: p.silence?.minEvents ?? 0 } : undefined;
    r = glrScan(series, { ...params, scaleDispersion: c.scaleDispersion, ...(persistence ? { persistence } : {}), ...(pause ? { pause } : {}) });
  }
  // Silence: exposures without the floor (silence.ts), so days the customer never buys on add nothing.
  let silence: SilenceEvidence | null = null;
  if (withSilence) {
    const exposure = profileN; // free again: the profile is learnt
    for (let i = 0; i < len; i++) exposure[i] = (live[i] as number) * (factors[phases[i] as number] as number) * (pop[i] as number);
    // Any number of windows before the gap (the GLR's own minHistory is met): the score carries the
    // uncertainty of a rate learnt from few windows, and a pause early in a customer's history is
    // still a silence, not a drop followed by a jump back.
    silence = silenceEvidence(n.subarray(0, len), exposure.subarray(0, len), index, 1);
  }

  // Baseline and current in raw units per window, deseasonalised by the count profile.
  const m = Math.max(1, r.recent);
  let vr = 0;
  let er = 0;
  let vb = 0;
  let eb = 0;
  for (let i = 0; i < len; i++) {
    if (i >= len - m) {
      vr += x[i] as number;
      er += e[i] as number;
    } else {
      vb += x[i] as number;
      eb += e[i] as number;
    }
  }
  const baseline = eb > 0 ? vb / eb : 0;
  const current = er > 0 ? vr / er : 0;
  const direction = r.logChange >= 0 ? 'up' : 'down';
  // Expected events per phase in the next windows (rate of the baseline x profile), for the
  // population's rate factor of the next window (expectedEvents).
  let nb = 0;
  let ebCount = 0;
  for (let i = 0; i < len - m; i++) {
    nb += n[i] as number;
    ebCount += e[i] as number;
  }
  const rate = ebCount > 0 ? nb / ebCount : 0;
  // Mean log size of the baseline (population moves taken out), for the population's size
  // departure of the next windows.
  let kb = 0;
  let lb = 0;
  for (let i = 0; i < len - m; i++) {
    kb += k[i] as number;
    lb += l[i] as number;
  }
  const expected = factors.map((f) => rate * Math.max(MIN_EXPOSURE, f));
  let silentBase = 0;
  let silentRecent = 0;
  for (let i = 0; i < len; i++) {
    if (live[i] !== 0) continue;
    if (i < len - m) silentBase++;
    else silentRecent++;
  }
  const a: Assessment = {
    expected,
    baseline,
    scale: r.dispersion,
    scaleSource: 'dispersion',
    factor: e[len - 1] as number,
    current,
    u: 0,
    zShort: 0,
    baseWindows: len - m,
    guard: m,
    ...(silentBase + silentRecent > 0 ? { silent: { base: silentBase, recent: silentRecent } } : {}),
    ...(kb > 0 ? { logMean: lb / kb } : {}),
  };
  const v: Verdict = {
    fired: r.llr > c.h,
    direction,
    detector: 'glr',
    score: direction === 'up' ? r.llr : -r.llr,
    pValue: Math.min(1, Math.exp(-r.llr)),
    sums: { up: 0, down: 0, runUp: direction === 'up' ? r.recent : 0, runDown: direction === 'down' ? r.recent : 0 },
    z: 0,
  };
  const starts = r.llr >= SCREEN_SHARE * c.h ? changeStarts(llr, r.llr, r.recent, index, len) : null;
  return { a, v, silence, starts, sizeLed: r.sizeLlr >= r.countLlr && r.sizeLlr > 0 };
}

/**
 * The first and last window a recent segment may start at for a split within CHANGE_POINT_NATS of
 * the best one (`best` nats, `recent` windows), from the last scan's LLR per split (`llr`).
 */
function changeStarts(llr: Float64Array, best: number, recent: number, index: number, len: number): [number, number] {
  let fewest = Math.max(1, recent);
  let most = fewest;
  for (let m = 1; m < len; m++) {
    if (!((llr[m] as number) >= best - CHANGE_POINT_NATS)) continue;
    if (m < fewest) fewest = m;
    if (m > most) most = m;
  }
  return [index - most + 1, index - fewest + 1];
}

/**
 * What the series takes from its assessment for the next windows whether or not it alerts: the
 * expected events per phase and the baseline's mean log size (for the population's rate factor and
 * size departure at the next close). Part of `advanceGlr`; also called on its own once a series is
 * assessed, so the assessment need not be kept until the series advances (shifts/local.ts).
 */
export function keepExpectation(s: SeriesState, assessment: Assessment): void {
  if (assessment.expected) s.ex = assessment.expected;
  if (assessment.logMean !== undefined) s.mu = assessment.logMean;
}

/**
 * Appends window `index` to the series. When `alerted`, the baseline restarts from the shift: only
 * the windows after the detected split stay, and the cooldown starts.
 */
export function advanceGlr(
  s: SeriesState,
  w: WindowStats,
  index: number,
  verdict: Verdict | null,
  alerted: boolean,
  p: GlrDetectorParams,
  assessment: Assessment | null = null,
): void {
  let g = rings(s);
  if (!g) {
    // A series from a checkpoint of the CUSUM method has values but no event statistics: zeros
    // there would read as a collapse of the count, so its history restarts (minHistory again).
    s.v = [];
    g = s.g = {};
  }
  const max = p.ringWindows;
  // An optional ring starts (with what it stood for so far) at the first window that departs from it.
  if (g.k) g.k = appendBounded(g.k, w.k, max);
  else if (w.k !== w.n) g.k = appendExact(keepNewest(eventsOf(s, g), max - 1), w.k);
  if (g.n) g.n = appendBounded(g.n, w.n, max);
  else if (!Object.is(w.n, w.x)) g.n = appendExact(keepNewest(s.v, max - 1), w.n);
  s.v = appendBounded(s.v, w.x, max);
  g.l = appendOrZero(g.l, w.l, s.v.length, max);
  g.q = appendOrZero(g.q, w.q, s.v.length, max);
  s.last = index;
  // An open reported silence goes on while the series stays empty.
  if (s.qm && w.n === 0 && s.qm[s.qm.length - 1] === index) s.qm[s.qm.length - 1] = index + 1;
  if (assessment) keepExpectation(s, assessment);
  let keep = p.ringWindows;
  if (verdict && alerted) {
    const run = Math.max(1, verdict.direction === 'up' ? verdict.sums.runUp : verdict.sums.runDown);
    s.quiet = index + p.cooldownWindows + 1;
    // The old expectation no longer holds. Set to undefined, not deleted: `delete` turns the series
    // into a dictionary (about 800 bytes against 200); JSON leaves undefined out all the same.
    s.ex = undefined;
    s.mu = undefined;
    // A drop to no events at all is a stop, not a new level: its windows become a silence (out of
    // the GLR, see SeriesState.qm) and the baseline before it stays, so a return to the old level
    // is no jump and a return to another one is judged against it. Any other shift restarts the
    // baseline from the split.
    if (verdict.direction === 'down' && emptySince(eventsOf(s, g), run)) markSilence(s, index - run + 1, index + 1);
    else keep = Math.min(keep, run);
  }
  if (s.v.length > keep) {
    s.v = keepNewest(s.v, keep);
    if (g.n) g.n = keepNewest(g.n, keep);
    if (g.k) g.k = keepNewest(g.k, keep);
    if (g.l) g.l = keepNewest(g.l, keep);
    if (g.q) g.q = keepNewest(g.q, keep);
  }
  // Rings that say nothing again (their departing windows left, or a state from before issue 13).
  if (g.k && sameValues(g.k, eventsOf(s, g))) g.k = undefined;
  if (g.n && sameValues(g.n, s.v)) g.n = undefined;
  if (g.l && allZero(g.l)) g.l = undefined;
  if (g.q && allZero(g.q)) g.q = undefined;
  // Silences that ended before the ring's first window are forgotten.
  if (s.qm) {
    const first = index - s.v.length + 1;
    while (s.qm.length > 0 && (s.qm[1] as number) <= first) s.qm.splice(0, 2);
    if (s.qm.length === 0) s.qm = undefined;
  }
}

/**
 * Appends `value` to a ring that is absent while all 0 (GlrRings); `length` is the ring's length
 * after the append (at most `max`). Object.is: a -0 is kept as such, so the sums that use it stay
 * bit for bit.
 */
function appendOrZero(ring: number[] | undefined, value: number, length: number, max: number): number[] | undefined {
  if (ring) return appendBounded(ring, value, max);
  if (!Object.is(value, 0)) {
    ring = new Array<number>(length).fill(0);
    ring[length - 1] = value;
  }
  return ring;
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function allZero(a: readonly number[]): boolean {
  for (const v of a) if (!Object.is(v, 0)) return false;
  return true;
}

/** Whether the last `windows` entries of `n` are all 0. */
function emptySince(n: readonly number[], windows: number): boolean {
  for (let i = Math.max(0, n.length - windows); i < n.length; i++) if ((n[i] as number) > 0) return false;
  return true;
}

/**
 * Events the series expected in window `index` (from its last assessment), or null when it has
 * none yet (too little history, or just reset after an alert).
 */
export function expectedEvents(s: SeriesState, index: number, seasonPeriod: number): number | null {
  if (!s.ex || s.ex.length !== seasonPeriod) return null;
  return s.ex[phaseOf(index, seasonPeriod)] as number;
}
