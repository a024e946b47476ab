/**
 * The silence rule's evidence (operators/shifts/silence.ts), hand-computed and against SciPy's
 * negative binomial: -ln nbinom.pmf(0, N, E / (E + G)) = N ln(1 + G / E). The rule inside the
 * operator (boundary day, one alert per gap, weekday profile, minEvents) is tested in
 * operator.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { silenceEvidence, silenceFires } from '../../../operators/shifts/silence.js';

const ones = (k: number): number[] => new Array<number>(k).fill(1);
const zeros = (k: number): number[] => new Array<number>(k).fill(0);
const settings = { enabled: true, h: 11, minEvents: 20 };

describe('silenceEvidence', () => {
  it('40 events in 40 windows, then 13 empty ones: 40 ln(1 + 13/40) = 11.2565 nats', () => {
    // SciPy: -log(nbinom.pmf(0, 40, 40 / 53)) = 11.256498377527414.
    const ev = silenceEvidence([...ones(40), ...zeros(13)], ones(53), 100, 14)!;
    expect(ev.score).toBeCloseTo(11.256498377527414, 12);
    expect(ev.gapWindows).toBe(13);
    expect(ev.lastEventIndex).toBe(87);
    expect(ev.baselineEvents).toBe(40);
    expect(ev.expectedInGap).toBeCloseTo(13, 12);
    expect(ev.pValue).toBeCloseTo(Math.exp(-11.256498377527414), 15);
    expect(silenceFires(ev, settings, undefined)).toBe(true);
    // One window earlier: 40 ln(1 + 12/40) = 10.4946 <= 11.
    const before = silenceEvidence([...ones(40), ...zeros(12)], ones(52), 99, 14)!;
    expect(before.score).toBeCloseTo(10.494570578699642, 12);
    expect(silenceFires(before, settings, undefined)).toBe(false);
  });

  it('fires once per gap, needs minEvents, divides by the dispersion of the counts before the gap', () => {
    const ev = silenceEvidence([...ones(40), ...zeros(13)], ones(53), 100, 14)!;
    expect(silenceFires(ev, settings, 87)).toBe(false); // this gap was reported
    expect(silenceFires(ev, settings, 60)).toBe(true); // an earlier gap was
    expect(silenceFires(ev, { ...settings, minEvents: 41 }, undefined)).toBe(false);
    expect(silenceFires(ev, { ...settings, enabled: false }, undefined)).toBe(false);
    // The same 40 events bought two at a time every other day: Pearson chi-square 40 x 1 / 1 over
    // 40 - 1 df before the gap, so the evidence is divided by 40 / 39.
    const pairs = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0 : 2));
    expect(silenceEvidence([...pairs, ...zeros(13)], ones(53), 100, 14)!.score).toBeCloseTo(11.256498377527414 / (40 / 39), 12);
  });

  it("the stop's likelihood interval: the windows it may have started at, whose gap before them holds at most 3 nats", () => {
    // 40 events in 40 windows, last at 87: a stop at window 87 + 1 + G leaves G windows empty by
    // chance, 40 ln(1 + G/40) nats: G = 3 is 2.85, G = 4 is 3.81 > 3. So windows 88..91.
    const ev = silenceEvidence([...ones(40), ...zeros(13)], ones(53), 100, 14)!;
    expect(40 * Math.log1p(3 / 40)).toBeLessThanOrEqual(3);
    expect(40 * Math.log1p(4 / 40)).toBeGreaterThan(3);
    expect(ev.latestStop).toBe(91);
    // A one-weekday shopper's empty other days hold no evidence: its interval reaches its next day.
    const weekly = silenceEvidence([...ones(40), 0, 0, 0], [...ones(40), 0, 0, 7], 100, 14)!;
    expect(weekly.latestStop).toBe(100);
    // Only the gap so far: a stop cannot have started after the window being closed.
    expect(silenceEvidence([...ones(40), 0, 0], ones(42), 100, 14)!.latestStop).toBe(100);
  });

  it('exposures carry the weekday profile: days without expected purchases add no evidence', () => {
    // A shopper on one weekday (factor 7, others 0): 8 such days of 5 events, then 6 empty other days.
    const n: number[] = [];
    const e: number[] = [];
    for (let d = 0; d < 50; d++) {
      n.push(d % 7 === 0 ? 5 : 0);
      e.push(d % 7 === 0 ? 7 : 0);
    }
    const quietWeek = silenceEvidence([...n, ...zeros(6)], [...e, ...zeros(6)], 55, 14)!;
    expect(quietWeek.score).toBe(0);
    // The next shopping day missed: 40 ln(1 + 7/56).
    const missed = silenceEvidence([...n, ...zeros(7)], [...e, ...zeros(6), 7], 56, 14)!;
    expect(missed.score).toBeCloseTo(40 * Math.log(1 + 7 / 56), 12);
  });

  it('no evidence while the window has an event, before any event, or with a short baseline', () => {
    expect(silenceEvidence([...ones(20), 1], ones(21), 20, 14)).toBeNull();
    expect(silenceEvidence(zeros(30), ones(30), 29, 14)).toBeNull();
    expect(silenceEvidence([...ones(13), ...zeros(20)], ones(33), 32, 14)).toBeNull();
  });
});
