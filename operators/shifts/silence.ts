/**
 * The `silence` rule (issue 17, item 4): a customer with a steady purchase rate who has not bought
 * for longer than that rate makes plausible gets a `CustomerWentQuiet` alert.
 *
 * Evidence: the probability of seeing no event in the gap since the customer's last purchase, given
 * the purchases before it. With N events over an exposure E (sum of the windows' weekday factors x
 * population rate factors) before the gap and an exposure G in the gap, the rate is uncertain: with
 * a Gamma(N, E) belief about it (the conjugate posterior of a Poisson rate), the chance of no event
 * in the gap is the negative-binomial zero term
 *
 *     P(0) = (E / (E + G))^N,   so   -ln P(0) = N ln(1 + G / E)
 *
 * which is the Poisson tail exp(-rate x G) when the rate is well known (G << E) and is more careful
 * when it was learnt from few events. It is divided by the dispersion of the counts before the gap
 * (as the GLR's count part: a bursty customer's gaps are longer), and the rule fires when it
 * exceeds `h` nats, at most once per gap. It is also the GLR's count statistic for a split at the
 * last event with nothing after it, so the two agree; the silence rule asks the narrower question
 * with its own threshold.
 *
 * The weekday profile enters through the exposures: a Saturday shopper's empty weekdays expose
 * almost nothing (factors near 0), so only its missed Saturdays count. Unlike the GLR's exposures
 * these are not floored (a floor would count evidence on days the customer never buys).
 *
 * False alerts: for a Poisson customer with rate r a day, the chance that a gap reaches h nats is
 * about exp(-h) per gap, so about r exp(-h) a day; h = 11 gives 1.7e-5 per event, 0.07 false alerts
 * per 1,000 customer-days at 4 purchases a day. Delay: a customer that stops buying is found after
 * about h / r days (11 days at one purchase a day): this is also the order of Lorden's bound for a
 * change from rate r to 0 (Kullback-Leibler information r a day) at that false-alarm rate.
 */

import { CHANGE_POINT_NATS, countDispersion } from './glr.js';

export interface SilenceSettings {
  enabled: boolean;
  /** Alert when -ln P(no event in the gap) / dispersion exceeds this (nats). */
  h: number;
  /** Events before the gap needed for the rate to count as steady. */
  minEvents: number;
}

export interface SilenceEvidence {
  /** -ln P(no event in the gap | the events before it), over the dispersion (nats). */
  score: number;
  /** Windows since the last one with an event (the current window included). */
  gapWindows: number;
  /** Window index of the last window with an event. */
  lastEventIndex: number;
  /**
   * The last window the customer may have stopped at: the windows of the gap before it hold at most
   * CHANGE_POINT_NATS of evidence, so the stop's likelihood interval is [lastEventIndex + 1, this].
   */
  latestStop: number;
  /** Events before the gap. */
  baselineEvents: number;
  /** Events the baseline rate expected in the gap. */
  expectedInGap: number;
  /** The rate's p-value of the silence, exp(-score). */
  pValue: number;
}

/**
 * Evidence of silence at window `index`, the last of `n` (event counts per window, oldest first)
 * with exposures `e`; null when the window has an event, when there was no event at all, or when
 * fewer than `minBaseline` windows precede the gap.
 */
export function silenceEvidence(n: ArrayLike<number>, e: ArrayLike<number>, index: number, minBaseline: number): SilenceEvidence | null {
  const len = n.length;
  if (len === 0 || (n[len - 1] as number) > 0) return null;
  let last = len - 1;
  while (last >= 0 && (n[last] as number) === 0) last--;
  if (last < 0 || last + 1 < minBaseline) return null;
  let events = 0;
  let exposure = 0;
  for (let i = 0; i <= last; i++) {
    events += n[i] as number;
    exposure += e[i] as number;
  }
  if (!(exposure > 0)) return null;
  const dispersion = countDispersion(n, e, last + 1);
  const evidence = (gapExposure: number): number => (events * Math.log1p(gapExposure / exposure)) / dispersion;
  let gap = 0;
  let latest = last + 1;
  for (let i = last + 1; i < len; i++) {
    // Stopped at window i: the gap's windows before it were empty by chance.
    if (evidence(gap) <= CHANGE_POINT_NATS) latest = i;
    gap += e[i] as number;
  }
  const score = evidence(gap);
  return {
    score,
    gapWindows: len - 1 - last,
    lastEventIndex: index - (len - 1 - last),
    latestStop: index - (len - 1 - latest),
    baselineEvents: events,
    expectedInGap: (events * gap) / exposure,
    pValue: Math.exp(-score),
  };
}

/**
 * Whether the gap is a silence: more than `h` nats of evidence, and not the gap already handled
 * (`handledGap`, the last event before it). A silence is taken out of the GLR's evidence whether or
 * not it is reported (glr-detector.ts): silences are this rule's case, not a level of the GLR's.
 */
export function isSilence(ev: SilenceEvidence, settings: SilenceSettings, handledGap: number | undefined): boolean {
  return settings.enabled && ev.score > settings.h && handledGap !== ev.lastEventIndex;
}

/** Whether a silence is reported (`CustomerWentQuiet`, one alert per gap): only for a steady rate, `minEvents` events before the gap. */
export function silenceFires(ev: SilenceEvidence, settings: SilenceSettings, handledGap: number | undefined): boolean {
  return isSilence(ev, settings, handledGap) && ev.baselineEvents >= settings.minEvents;
}
