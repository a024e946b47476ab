/**
 * The compact state of issue 13: statistics rings that say nothing are left out (series.ts GlrRings)
 * and open-window accumulators are short arrays (accumulators.ts). The detector decides exactly as
 * with every ring written out, and a checkpoint written before issue 13 (every ring in full,
 * accumulators keyed `<measure>#n` and so on) restores and continues exactly.
 */
import { describe, expect, test } from 'vitest';
import { MS_PER_DAY, type PulseEvent } from '../../../operators/events.js';
import type { OutputRow } from '../../../operators/operator.js';
import type { Accumulators, LegacyAccumulators } from '../../../operators/shifts/accumulators.js';
import { resolveShiftConfig } from '../../../operators/shifts/config.js';
import { type WindowStats, addEvent, advanceGlr, assessGlr, emptyWindow } from '../../../operators/shifts/glr-detector.js';
import type { CustomerState } from '../../../operators/shifts/local.js';
import { CustomerShiftOperator } from '../../../operators/shifts/operator.js';
import { type SeriesState, newSeries } from '../../../operators/shifts/series.js';
import { makeCustomers, poisson, rng, simulateDays } from './simulate.js';

/** The rings as written before issue 13: all four, each as long as the values. */
function writtenOut(s: SeriesState): SeriesState {
  const g = s.g;
  if (!g) return s;
  const n = g.n ?? s.v;
  const zeros = n.map(() => 0);
  return { ...s, g: { n: [...n], k: [...(g.k ?? n)], l: [...(g.l ?? zeros)], q: [...(g.q ?? zeros)] } };
}

/** Accumulators as written before issue 13: `<measure>` and, for its events, `<measure>#n`, and `#k|l|q` once one was positive. */
function legacyAccumulators(open: Accumulators): LegacyAccumulators {
  const legacy: LegacyAccumulators = {};
  for (const { index, sums } of open) {
    const old: Record<string, number> = (legacy[index] = {});
    for (const [measure, [x, n, k, l, q]] of Object.entries(sums)) {
      old[measure] = x!;
      old[`${measure}#n`] = n!;
      if (k! > 0) Object.assign(old, { [`${measure}#k`]: k, [`${measure}#l`]: l, [`${measure}#q`]: q });
    }
  }
  return legacy;
}

/** A window of `count` events of `value` each, plus `zeros` events of value 0. */
function window(count: number, value: number, zeros = 0): WindowStats {
  const w = emptyWindow();
  for (let i = 0; i < count; i++) addEvent(w, value);
  for (let i = 0; i < zeros; i++) addEvent(w, 0);
  return w;
}

describe('compact statistics rings', () => {
  const settings = resolveShiftConfig({});

  test('a count series keeps only n; a zero-valued event brings k in (k = n before it) until it leaves the ring', () => {
    const r = rng(3);
    const s = newSeries(0);
    const full = newSeries(0);
    const days = Array.from({ length: 200 }, (_, d) => window(poisson(r, 3), 1, d === 100 ? 2 : 0));
    days.forEach((w, index) => {
      // The same series with every ring written out before each step decides identically.
      const compact = assessGlr(s, w, index, settings);
      const explicit = assessGlr(writtenOut(full), w, index, settings);
      expect(compact).toEqual(explicit);
      advanceGlr(s, w, index, compact?.v ?? null, false, settings, compact?.a ?? null);
      const f = writtenOut(full);
      advanceGlr(f, w, index, explicit?.v ?? null, false, settings, explicit?.a ?? null);
      Object.assign(full, f);
      expect(writtenOut(s)).toEqual(writtenOut(full));
      if (index < 100 || index >= 100 + settings.ringWindows) expect(s.g?.k).toBeUndefined();
      else expect(s.g?.k?.[s.g.k.length - 1 - (index - 100)]).toBe((s.g?.n?.[s.g.n.length - 1 - (index - 100)] ?? 0) - 2);
      expect(s.g?.l).toBeUndefined(); // ln 1 = 0 for every event
      expect(s.g?.q).toBeUndefined();
    });
    expect(s.v).toHaveLength(settings.ringWindows);
    // n is kept while the window of the zero amounts is in the ring (its events are not its value), and left out after.
    expect(s.g?.n).toBeUndefined();
  });

  test('rings written out in full (a state from before issue 13) are compacted at the next window', () => {
    const s = newSeries(0);
    for (let i = 0; i < 20; i++) advanceGlr(s, window(2, 1), i, null, false, settings, null);
    const old = writtenOut(s);
    expect(old.g?.k).toHaveLength(20);
    advanceGlr(old, window(2, 1), 20, null, false, settings, null);
    expect(old.g).toEqual({});
    expect(old.v).toEqual(Array.from({ length: 21 }, () => 2));
  });
});

test('a checkpoint written before issue 13 (every ring in full) restores and continues exactly', () => {
  const customers = makeCustomers({ customers: 120, days: 70, seed: 15, shiftShare: 0.3, shiftFactors: [0, 0.3, 3], shiftFrom: 30, shiftTo: 60 });
  const days: PulseEvent[][] = simulateDays(customers, 70, 16);
  // A free item (amount 0): a spend series whose positive events differ from its events.
  days[20]!.push({
    type: 'transaction',
    event_id: 'free',
    ts: 20 * MS_PER_DAY + 7,
    customer_id: 'c00001',
    amount: 0,
    currency: 'EUR',
    channel: 'web',
    category: null,
  });
  const cfg = resolveShiftConfig({ population: { minSeries: 20 } });
  const alertsOf = (op: CustomerShiftOperator): OutputRow[] => op.drainOutputs().flatMap((o) => (o.kind === 'alert' ? o.rows : []));
  const run = (op: CustomerShiftOperator, from: number, to: number): OutputRow[] => {
    const out: OutputRow[] = [];
    for (let d = from; d < to; d++) {
      for (const e of days[d]!) op.process(e);
      op.onWatermark((d + 1) * MS_PER_DAY);
      out.push(...alertsOf(op));
    }
    return out;
  };
  const straight = run(new CustomerShiftOperator('shifts', cfg), 0, 70);
  expect(straight.length).toBeGreaterThan(10);

  const first = new CustomerShiftOperator('shifts', cfg);
  const before = run(first, 0, 40);
  // Day 40's events arrive before the checkpoint, its window still open: accumulators are stored too.
  for (const e of days[40]!) first.process(e);
  before.push(...alertsOf(first));
  const stored = Object.entries(first.states).map(([name, st]): [string, Array<[string, string]>] => [
    name,
    st.drainChanges().upserts.map(([k, v]): [string, string] => [k, JSON.stringify(v)]),
  ]);
  const customerRows = stored.find(([name]) => name === 'customers')![1];
  // The new checkpoint leaves out what the rings imply; c00001's spend keeps k (its free item).
  const c1 = JSON.parse(customerRows.find(([k]) => k === 'c00001')![1]) as CustomerState;
  expect(c1.series['spend_count']?.g).toEqual({});
  expect(c1.series['spend_total']?.g?.k).toEqual(c1.series['spend_total']?.g?.n?.map((n, i, all) => (i === all.length - 20 ? n - 1 : n)));
  // ... and the previous version wrote every ring in full.
  const previous = (json: string): CustomerState => {
    const c = JSON.parse(json) as CustomerState;
    for (const m of Object.keys(c.series)) c.series[m] = writtenOut(c.series[m]!);
    c.acc = legacyAccumulators(c.open);
    delete (c as Partial<CustomerState>).open;
    return c;
  };
  const second = new CustomerShiftOperator('shifts', cfg);
  for (const [name, rows] of stored) {
    second.states[name]!.restore(rows.map(([k, json]) => [k, name === 'customers' ? previous(json) : JSON.parse(json)]));
  }
  const buyer = days[40]!.find((e) => e.type === 'transaction' && e.amount > 0)!.customer_id!;
  const c2 = second.states['customers']!.get(buyer) as CustomerState;
  expect(c2.series['spend_count']?.g?.k).toHaveLength(40);
  expect(Object.keys(c2.acc?.['40'] ?? {}).sort()).toEqual([
    'spend_count',
    'spend_count#k',
    'spend_count#l',
    'spend_count#n',
    'spend_count#q',
    'spend_total',
    'spend_total#k',
    'spend_total#l',
    'spend_total#n',
    'spend_total#q',
  ]);
  second.onWatermark(41 * MS_PER_DAY);
  expect([...before, ...alertsOf(second), ...run(second, 41, 70)]).toEqual(straight);
});
