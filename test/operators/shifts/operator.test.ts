import { ProfileStore } from '../../../operators/customer-profiles.js';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { stableAlertId } from '../../../operators/alert.js';
import { EventDecoder } from '../../../operators/decode.js';
import type { PulseEvent, TransactionEvent } from '../../../operators/events.js';
import { MS_PER_DAY } from '../../../operators/events.js';
import type { OutputKind, OutputRow } from '../../../operators/operator.js';
import { resolveShiftConfig, type ShiftSettings } from '../../../operators/shifts/config.js';
import { CustomerShiftOperator } from '../../../operators/shifts/operator.js';
import { changeAgrees } from '../../../operators/shifts/detector.js';
import { CustomerShiftLocal } from '../../../operators/shifts/local.js';
import { CustomerShiftGlobal } from '../../../operators/shifts/global.js';
import { driveInline } from '../../../operators/parallel.js';
import { makeCustomers, normal, poisson, rng, simulateDays } from './simulate.js';

const tx = (id: string, customer: string, ts: number, amount: number): TransactionEvent => ({
  type: 'transaction',
  event_id: id,
  ts,
  customer_id: customer,
  amount,
  currency: 'EUR',
  channel: 'web',
  category: null,
});

function alertsOf(op: CustomerShiftOperator, kinds: readonly OutputKind[] = ['alert']): OutputRow[] {
  return op.drainOutputs().flatMap((o) => (kinds.includes(o.kind) ? o.rows : []));
}

/** Feeds day-grouped events, advancing the watermark to each day's end; returns all alerts (or the rows of `kinds`). */
function runDays(op: CustomerShiftOperator, days: PulseEvent[][], from = 0, to = days.length, kinds: readonly OutputKind[] = ['alert']): OutputRow[] {
  const out: OutputRow[] = [];
  for (let d = from; d < to; d++) {
    for (const e of days[d] ?? []) op.process(e);
    op.onWatermark((d + 1) * MS_PER_DAY);
    out.push(...alertsOf(op, kinds));
  }
  return out;
}

/**
 * The runner's checkpoint store, emulated: `checkpoint` persists only the changes of `op`'s states
 * since the previous one (as JSON, in `stored` by state name and key); `restart` restores them into
 * a new operator of settings `cfg`.
 */
function checkpointStore(op: CustomerShiftOperator): {
  stored: Record<string, Map<string, string>>;
  checkpoint(): void;
  restart(cfg: ShiftSettings): CustomerShiftOperator;
} {
  const store: Record<string, Map<string, string>> = {};
  return {
    stored: store,
    checkpoint() {
      for (const [name, st] of Object.entries(op.states)) {
        const m = (store[name] ??= new Map());
        const ch = st.drainChanges();
        for (const [k, v] of ch.upserts) m.set(k, JSON.stringify(v));
        for (const k of ch.deletes) m.delete(k);
      }
    },
    restart(cfg) {
      const next = new CustomerShiftOperator('shifts', cfg);
      for (const [name, st] of Object.entries(next.states)) st.restore([...(store[name] ?? new Map()).entries()].map(([k, v]) => [k, JSON.parse(v)]));
      return next;
    },
  };
}

describe('CustomerShiftOperator', () => {
  test('a customer who goes silent gets a drop alert from the zeros the operator fills in itself', () => {
    const r = rng(1);
    const days: PulseEvent[][] = [];
    const profile: PulseEvent = {
      type: 'profile',
      event_id: 'p1',
      ts: 0,
      customer_id: 'A',
      account_owner: 'kim@example.com',
      region: 'north',
      age_band: null,
      tier: 'gold',
      signup_date: null,
      attributes: {},
    };
    for (let d = 0; d < 60; d++) {
      const day: PulseEvent[] = d === 0 ? [profile] : [];
      for (const c of ['A', 'B', 'C']) {
        if (c === 'A' && d >= 40) continue; // A stops buying on day 40: no events at all
        day.push(tx(`${c}-${d}`, c, d * MS_PER_DAY + 3_600_000, Math.round(100 * (1 + 0.1 * normal(r)))));
      }
      days.push(day);
    }
    // CUSUM method (robust z on sqrt spend): A's spend is so regular (one purchase a day, 10% noise)
    // that two empty days are far outside its range: up to 2 windows (robustZ 5, cusum h 16).
    const cusum = runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ method: 'cusum', measures: ['spend_total'], instant: [] })), days);
    expect(cusum.map((a) => a.customer_id)).toEqual(['A']);
    expect((cusum[0]!.window_start as number) / MS_PER_DAY).toBeLessThanOrEqual(42);
    // GLR method (default): one event a day is read as a Poisson rate of 1, for which an empty day
    // is common (P = e^-1). Hand-computed: after m empty days the split's LLR is
    // 40 ln((40 + m) / 40): m = 11 -> 9.72, m = 12 -> 10.49, m = 14 -> 12.0, m = 15 -> 12.74,
    // m = 16 -> 13.46 > h = 13: the alert is for day 40 + 15 = 55.
    // With the silence rule on (the default) the silence is its case: CustomerWentQuiet on day 52
    // (test/operators/shifts/silence.test.ts), and the silent windows are then no evidence of a drop.
    // Before issue 17's silence handling both alerts came; here the rule is off to see the GLR's.
    const quietOnly = runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [] })), days);
    expect(quietOnly.map((x) => [x.rule, (x.window_start as number) / MS_PER_DAY])).toEqual([['CustomerWentQuiet', 52]]);
    const op = new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false } }));
    const alerts = runDays(op, days);
    expect(alerts.map((a) => a.customer_id)).toEqual(['A']);
    const a = alerts[0]!;
    const day = (a.window_start as number) / MS_PER_DAY;
    expect(day).toBe(55);
    expect(a.fired_at).toBe((a.window_start as number) + MS_PER_DAY);
    expect(a.rule).toBe('CustomerSpendDrop');
    expect(a.kind).toBe('sales');
    expect(a.alert_id).toBe(stableAlertId('CustomerSpendDrop', a.window_start as number, 'A', 'spend_total'));
    expect(a.labels).toMatchObject({
      alertname: 'CustomerSpendDrop',
      kind: 'sales',
      measure: 'spend_total',
      direction: 'down',
      account_owner: 'kim@example.com',
      tier: 'gold',
      region: 'north',
    });
    const ann = a.annotations as Record<string, string>;
    expect(Number(ann['change_percent'])).toBeLessThan(-60);
    expect(Number(ann['baseline'])).toBeGreaterThan(90);
    expect(Number(ann['baseline'])).toBeLessThan(110);
    // The windows each mean covers: A stopped on day 40 (1970-02-10); the alert is for day 55.
    expect(ann['description']).toMatch(
      /baseline [\d.]+ \(mean of the 40 windows before 1970-02-10\), current 0 \(mean of the 16 windows from 1970-02-10 to 1970-02-26\)/,
    );
    expect(ann['shift_start']).toBe('1970-02-10T00:00:00.000Z');
    expect(ann['summary']).toMatch(/^Customer A: spend_total dropped 100%$/);
    // Severity from the ratio of the recent level to the baseline (critical at <= 0.25, else warning at <= 0.6).
    const ratio = Number(ann['current']) / Number(ann['baseline']);
    expect(ratio).toBeLessThanOrEqual(0.6);
    expect(a.severity).toBe(ratio <= 0.25 ? 'critical' : 'warning');
  });

  test('instant triggers fire in process, with ids stable on (rule, event_id)', () => {
    // tailProbability 1: the factor alone (the 5,000 below makes 501 a one-in-44 amount for this
    // customer by the tail estimate, tested in instant.test.ts and instant-sample.test.ts).
    const instant = [{ rule: 'large_transaction', tailProbability: 1 }, { rule: 'refund' }, { rule: 'new_metric' }];
    const op = new CustomerShiftOperator('shifts', resolveShiftConfig({ instant }));
    const t = (d: number) => d * MS_PER_DAY + 1000;
    for (let d = 0; d < 19; d++) op.process(tx(`t${d}`, 'A', t(d), [40, 50, 60][d % 3]!));
    // 19 amounts < minSamples 20: even a 100x amount does not fire yet (it becomes the 20th sample).
    op.process(tx('early', 'A', t(19), 5000));
    expect(alertsOf(op)).toEqual([]);
    // Recent amounts: 40 x7, 50 x6, 60 x6, 5000 -> median 50; factor 10 -> threshold 500 (strict).
    op.process(tx('big', 'A', t(20), 501));
    op.process(tx('small', 'A', t(20) + 1, 500));
    op.process(tx('refund', 'A', t(20) + 2, -250)); // threshold 250, inclusive
    op.process(tx('refund-small', 'A', t(20) + 3, -249));
    op.process({ type: 'usage', event_id: 'u1', ts: t(20) + 4, customer_id: 'A', metric: 'data_mb', quantity: 5 }); // known 20 windows >= 14
    op.process({ type: 'usage', event_id: 'u2', ts: t(20) + 5, customer_id: 'A', metric: 'data_mb', quantity: 5 });
    op.process({ type: 'usage', event_id: 'u3', ts: t(20) + 6, customer_id: 'N', metric: 'data_mb', quantity: 5 }); // new customer
    op.process(tx('n0', 'B', t(7), 10));
    op.process({ type: 'usage', event_id: 'u4', ts: t(20) + 7, customer_id: 'B', metric: 'minutes', quantity: 5 }); // known 13 windows < 14 (afterWindows)
    const alerts = alertsOf(op);
    expect(alerts.map((a) => [a.rule, a.alert_id])).toEqual([
      ['CustomerLargeTransaction', stableAlertId('CustomerLargeTransaction', t(20), 'big')],
      ['CustomerLargeRefund', stableAlertId('CustomerLargeRefund', t(20) + 2, 'refund')],
      ['CustomerNewUsageMetric', stableAlertId('CustomerNewUsageMetric', t(20) + 4, 'u1')],
    ]);
    expect(alerts[0]!.fired_at).toBe(t(20));
    // Hill's tail over the 5 largest of the 20 amounts (5,000 and four 60s over the 6th, 60):
    // a = 5 / ln(5000 / 60), P(X > 501) = 0.25 x (501 / 60)^-a = 1 / 44.
    expect((alerts[0]!.annotations as Record<string, string>)['description']).toContain("about one in 44 of this customer's transactions is as large");
  });

  test("an amount in another currency than the customer's is no large transaction, nor spend in its series", () => {
    const instant = [{ rule: 'large_transaction', tailProbability: 1 }];
    const op = new CustomerShiftOperator('shifts', resolveShiftConfig({ instant }));
    const t = (d: number) => d * MS_PER_DAY + 1000;
    for (let d = 0; d < 25; d++) op.process(tx(`t${d}`, 'A', t(d), [40, 50, 60][d % 3]!));
    // 4,500 yen (about 27 euros): ninety times the customer's median in its own currency.
    op.process({ ...tx('yen', 'A', t(25), 4500), currency: 'JPY' });
    expect(alertsOf(op)).toEqual([]);
    // The same number in the customer's currency is one.
    op.process(tx('euro', 'A', t(25) + 1, 4500));
    expect(alertsOf(op).map((a) => a.rule)).toEqual(['CustomerLargeTransaction']);
  });

  test('alerts name the latest profile by event time, also when an older one arrives after it and after a restart', () => {
    const cfg = resolveShiftConfig({ instant: [{ rule: 'refund' }] });
    const op = new CustomerShiftOperator('shifts', cfg);
    const profile = (eventId: string, ts: number, owner: string, tier: string): PulseEvent => ({
      type: 'profile',
      event_id: eventId,
      ts,
      customer_id: 'A',
      account_owner: owner,
      region: 'north',
      age_band: null,
      tier,
      signup_date: null,
      attributes: {},
    });
    const owners = (alerts: OutputRow[]) =>
      alerts.map((a) => [(a.labels as Record<string, string>)['account_owner'], (a.labels as Record<string, string>)['tier']]);
    op.process(profile('p2', 2_000, 'new@example.com', 'gold'));
    op.process(profile('p1', 1_000, 'old@example.com', 'silver')); // older, arrives late: ignored
    op.process(tx('r1', 'A', 3_000, -1e6));
    expect(owners(alertsOf(op))).toEqual([['new@example.com', 'gold']]);
    const { checkpoint, restart } = checkpointStore(op);
    checkpoint();
    const again = restart(cfg);
    again.process(profile('p0', 500, 'older@example.com', 'bronze')); // still older than the kept one
    again.process(tx('r2', 'A', 4_000, -1e6));
    again.process(profile('p3', 2_000, 'same-time@example.com', 'gold')); // same event time: the later arrival wins, as in service_triggers
    again.process(tx('r3', 'A', 5_000, -1e6));
    expect(owners(alertsOf(again))).toEqual([
      ['new@example.com', 'gold'],
      ['same-time@example.com', 'gold'],
    ]);
  });

  test('restart mid-history: checkpointed state restored into a new operator continues exactly', () => {
    const customers = makeCustomers({ customers: 150, days: 90, seed: 5, shiftShare: 0.3, shiftFactors: [0, 0.3, 3], shiftFrom: 30, shiftTo: 70 });
    const days: PulseEvent[][] = simulateDays(customers, 90, 6);
    // Sprinkle instant-trigger material and usage, so every kind of state is exercised.
    days[44]!.push(tx('huge', 'c00001', 44 * MS_PER_DAY + 5, 1e6));
    days[50]!.push({ type: 'usage', event_id: 'u', ts: 50 * MS_PER_DAY + 5, customer_id: 'c00002', metric: 'minutes', quantity: 30 });
    const cfg = resolveShiftConfig({ population: { minSeries: 20 } });
    const straight = runDays(new CustomerShiftOperator('shifts', cfg), days);
    expect(straight.length).toBeGreaterThan(20);
    expect(new Set(straight.map((a) => a.alert_id)).size).toBe(straight.length);

    const first = new CustomerShiftOperator('shifts', cfg);
    const { checkpoint, restart } = checkpointStore(first);
    const before: OutputRow[] = [];
    for (let d = 0; d < 47; d++) {
      before.push(...runDays(first, days, d, d + 1));
      if (d % 10 === 3) checkpoint();
    }
    // Events of day 47 arrive, then a checkpoint, then a crash before the watermark closes it.
    for (const e of days[47]!) first.process(e);
    before.push(...alertsOf(first));
    checkpoint();
    const second = restart(cfg);
    second.onWatermark(48 * MS_PER_DAY);
    const after = [...alertsOf(second), ...runDays(second, days, 48)];
    expect([...before, ...after]).toEqual(straight);
  });

  test('a population-wide move (everyone triples for a week) is not a per-customer alert flood', () => {
    const customers = makeCustomers({ customers: 300, days: 75, seed: 8, weekendShare: 0 });
    const quiet = simulateDays(customers, 75, 9);
    const shocked = quiet.map((evs, d) =>
      d >= 50 && d < 57 ? evs.flatMap((e) => [e, { ...e, event_id: `${e.event_id}-x` }, { ...e, event_id: `${e.event_id}-y` }]) : evs,
    );
    // Thresholds pinned at the pre-issue-4 values the figures below were measured with: this tests
    // the population offset, which needs a detector sensitive enough to flood without it.
    const sensitive = { method: 'cusum', measures: ['spend_total'], instant: [], minHistory: 14, robustZ: 4, cusum: { k: 0.5, h: 8 }, fdr: { q: 0.01 } };
    const count = (days: PulseEvent[][], cfg: object): number =>
      runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ ...sensitive, ...cfg })), days).filter(
        (a) => (a.window_start as number) >= 50 * MS_PER_DAY,
      ).length;
    const naive = count(shocked, { population: { enabled: false }, fdr: { enabled: false } });
    const adjusted = count(shocked, {});
    const background = count(quiet, {});
    expect(naive).toBeGreaterThan(100);
    // Measured: naive 138, adjusted 35, quiet run 6. The offset removes most of the flood but not
    // all (windows right after the shock, whose baselines contain it); see README, limitations.
    expect(adjusted).toBeLessThan(naive / 3);
    expect(background).toBeLessThan(adjusted);
  });

  test('GLR: a population-wide move (everyone buys 3x as often for a week) is absorbed by the population rate factor', () => {
    const customers = makeCustomers({ customers: 300, days: 75, seed: 8, weekendShare: 0 });
    const quiet = simulateDays(customers, 75, 9);
    // Independent purchases at 3x the rate (not copies: copied amounts would also fake 3x as many
    // independent sizes for the log-size part).
    const busy = simulateDays(
      customers.map((c) => ({ ...c, rate: 3 * c.rate })),
      75,
      10,
    );
    const shocked = quiet.map((evs, d) => (d >= 50 && d < 57 ? (busy[d] as PulseEvent[]) : evs));
    // Without glr.persistWindows, which alone discounts a burst of a week (measured: 10 alerts
    // without the factor, against > 250): this tests the factor, so the move must flood without it.
    const count = (days: PulseEvent[][], cfg: object): number =>
      runDays(
        new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [], glr: { persistWindows: 0 }, ...cfg })),
        days,
      ).filter((a) => (a.window_start as number) >= 50 * MS_PER_DAY).length;
    const naive = count(shocked, { population: { enabled: false } });
    const adjusted = count(shocked, {});
    const background = count(quiet, {});
    // Tripled counts for a week are ~(3 ln 3 - 2) x 3 = 3.9 nats a day for a customer at 3 a day:
    // without the factor most customers alert (249 of 300 measured).
    expect(naive).toBeGreaterThan(200);
    expect(adjusted).toBeLessThanOrEqual(background + 3);
  });

  test('stationary customers: few false alerts, and BH never adds any', () => {
    const customers = makeCustomers({ customers: 300, days: 100, seed: 12 });
    const days = simulateDays(customers, 100, 13);
    const run = (fdr: boolean): OutputRow[] =>
      runDays(
        new CustomerShiftOperator('shifts', resolveShiftConfig({ instant: [], measures: ['spend_total', 'spend_count'], fdr: { enabled: fdr, q: 0.01 } })),
        days,
      );
    const withBh = run(true);
    const without = run(false);
    expect(withBh.length).toBeLessThanOrEqual(without.length);
    // Measured 1.0-1.5 per 1,000 customer-days over both measures (see README); guard against regressions.
    expect((1000 * withBh.length) / (300 * 100)).toBeLessThan(2.5);
  });
});

describe('a drop or jump alert states a change of its measure', () => {
  test('half the purchases at twice the amount (spend where it was) is no spend alert; half the purchases at the same amount is', () => {
    const r = rng(5);
    const days: PulseEvent[][] = [];
    for (let d = 0; d < 90; d++) {
      const day: PulseEvent[] = [];
      for (let c = 0; c < 40; c++) {
        const customer = `C${c}`;
        const after = d >= 45;
        if (customer === 'C0' || customer === 'C1') {
          // Four purchases of 100 a day; from day 45 C0 makes two of 200 (the same spend every day), C1 two of 100.
          const amount = customer === 'C0' && after ? 200 : 100;
          for (let k = 0; k < (after ? 2 : 4); k++) day.push(tx(`${customer}-${d}-${k}`, customer, d * MS_PER_DAY + (k + 1) * 3_600_000, amount));
          continue;
        }
        for (let k = 0; k < poisson(r, 4); k++)
          day.push(tx(`${customer}-${d}-${k}`, customer, d * MS_PER_DAY + (k + 1) * 3_600_000, Math.round(100 * Math.exp(0.3 * normal(r)))));
      }
      days.push(day);
    }
    const op = new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false } }));
    const alerts = runDays(op, days);
    expect(alerts.filter((a) => a.customer_id === 'C0')).toEqual([]);
    const c1 = alerts.filter((a) => a.customer_id === 'C1');
    expect(c1.map((a) => a.rule)).toEqual(['CustomerSpendDrop']);
    expect(Number((c1[0]!.annotations as Record<string, string>)['change_percent'])).toBeLessThanOrEqual(-10);
  });

  test('changeAgrees: a drop by at least 10%, a jump by at least 10% or from nothing', () => {
    expect(changeAgrees('down', { baseline: 100, current: 90 })).toBe(true);
    expect(changeAgrees('down', { baseline: 100, current: 90.01 })).toBe(false);
    expect(changeAgrees('down', { baseline: 100, current: 105 })).toBe(false);
    expect(changeAgrees('up', { baseline: 100, current: 110 })).toBe(true);
    expect(changeAgrees('up', { baseline: 100, current: 99.7 })).toBe(false);
    expect(changeAgrees('up', { baseline: 0, current: 5 })).toBe(true);
    expect(changeAgrees('down', { baseline: 0, current: 0 })).toBe(false);
  });
});

describe('silence rule: CustomerWentQuiet', () => {
  /** Customer A buys once a day on days [0, stop) and never again; B and C keep buying. */
  function stopsBuying(stop: number, days: number, weekdayOnly: number | null = null, perDay = 1): PulseEvent[][] {
    const out: PulseEvent[][] = [];
    for (let d = 0; d < days; d++) {
      const day: PulseEvent[] = [];
      for (const c of ['A', 'B', 'C']) {
        if (c === 'A' && (d >= stop || (weekdayOnly !== null && d % 7 !== weekdayOnly))) continue;
        for (let k = 0; k < (c === 'A' ? perDay : 1); k++) day.push(tx(`${c}-${d}-${k}`, c, d * MS_PER_DAY + 3_600_000 + k, 100));
      }
      out.push(day);
    }
    return out;
  }
  const quiet = (cfg: object, days: PulseEvent[][]): OutputRow[] =>
    runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_count'], instant: [], glr: { h: 1e9 }, ...cfg })), days).filter(
      (a) => a.rule === 'CustomerWentQuiet',
    );

  test('fires on the first window where 40 ln(1 + m/40) > h (hand-computed), once per gap', () => {
    // Days 0..39 one purchase each, days 40.. none. m empty windows: m = 12 -> 10.49, m = 13 ->
    // 11.26 > 11: day 52. With h = 11.3: m = 14 -> 12.00: day 53. The GLR is switched off (h 1e9)
    // so nothing resets the series: the gap is reported once over the following four weeks.
    const days = stopsBuying(40, 80);
    const alerts = quiet({}, days);
    expect(alerts.map((a) => [a.customer_id, (a.window_start as number) / MS_PER_DAY])).toEqual([['A', 52]]);
    expect(quiet({ silence: { h: 11.3 } }, days).map((a) => (a.window_start as number) / MS_PER_DAY)).toEqual([53]);
    const a = alerts[0]!;
    expect(a.alert_id).toBe(stableAlertId('CustomerWentQuiet', 52 * MS_PER_DAY, 'A', 'spend_count'));
    expect(a).toMatchObject({ kind: 'sales', severity: 'warning', fired_at: 53 * MS_PER_DAY });
    expect(a.labels).toMatchObject({ alertname: 'CustomerWentQuiet', measure: 'spend_count', direction: 'down' });
    const ann = a.annotations as Record<string, string>;
    expect(Number(ann['baseline'])).toBe(13); // events expected in the 13 empty windows
    expect(Number(ann['score'])).toBeCloseTo(-11.26, 2);
    expect(ann['summary']).toContain('no purchase for 13');
    // Quiet from day 40, the first window without a purchase.
    expect(ann['shift_start']).toBe(new Date(40 * MS_PER_DAY).toISOString());
    expect(quiet({ silence: { enabled: false } }, days)).toEqual([]);
  });

  test('a stop with fewer than minEvents purchases before it: a silence, not reported, and no GLR drop either', () => {
    // 15 events, then none: the silence score 15 ln(1 + m/15) passes 11 at m = 17 (11.37; m = 16 -> 10.89), which
    // takes the silence out of the GLR; it is not reported (15 < minEvents 20). With the silence
    // rule off the GLR's drop comes at m = 21 (13.13 > 13; m = 20 -> 12.71): day 15 + 20 = 35.
    // Lowering minEvents to 15 reports the silence at m = 17: day 15 + 16 = 31.
    const run = (silence: object): unknown[] =>
      runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_count'], instant: [], silence })), stopsBuying(15, 60)).map((a) => [
        a.customer_id,
        a.rule,
        (a.window_start as number) / MS_PER_DAY,
      ]);
    expect(run({})).toEqual([]);
    expect(run({ enabled: false })).toEqual([['A', 'CustomerSpendDrop', 35]]);
    expect(run({ minEvents: 15 })).toEqual([['A', 'CustomerWentQuiet', 31]]);
  });

  test('a steady rate needs minEvents events before the gap', () => {
    // 19 events: never (19 < 20). 20 events: 20 ln(1 + m/20): m = 14 -> 10.61, m = 15 -> 11.19 > 11: day 20 + 14 = 34.
    expect(quiet({}, stopsBuying(19, 60))).toEqual([]);
    expect(quiet({}, stopsBuying(20, 60)).map((a) => (a.window_start as number) / MS_PER_DAY)).toEqual([34]);
  });

  test('the weekday profile is included: a one-weekday shopper is quiet only when it misses its day', () => {
    // A buys 5 times on days with d % 7 === 3, for 8 weeks (last on day 52), then stops. Its other
    // weekdays expect nothing (profile factor 0), so the evidence starts on day 59, the first missed
    // shopping day: 40 ln(1 + 1/8) = 4.7 there, 40 ln(1 + 3/8) = 12.7 > 11 at the third one (day 73).
    const days = stopsBuying(53, 90, 3, 5);
    const alerts = quiet({}, days);
    expect(alerts.map((a) => [a.customer_id, (a.window_start as number) / MS_PER_DAY])).toEqual([['A', 73]]);
    // Without the profile (seasonPeriod 1) the evidence would also grow on the six other days
    // of each week; the bursty counts then read as overdispersed, which is what protects a flat model.
  });
});

describe('bounded cost and changes-only state (issue 17, item 5)', () => {
  /** Window closes (collect requests) while feeding 30 days of purchases, then one event `gapDays` later. */
  function closesAcross(gapDays: number): { closes: number; alerts: OutputRow[] } {
    const op = new CustomerShiftOperator('shifts', resolveShiftConfig({ instant: [] }));
    let closes = 0;
    const answer = op.local.answer.bind(op.local);
    op.local.answer = (request: unknown) => {
      if ((request as { step: string }).step === 'collect') closes++;
      return answer(request);
    };
    const days: PulseEvent[][] = [];
    for (let d = 0; d < 30; d++) days.push(['A', 'B'].map((c) => tx(`${c}-${d}`, c, d * MS_PER_DAY + 3_600_000, 50)));
    const alerts = runDays(op, days);
    const far = (30 + gapDays) * MS_PER_DAY + 3_600_000;
    op.process(tx('far', 'A', far, 50));
    op.onWatermark(far + MS_PER_DAY);
    op.onWatermark(Number.POSITIVE_INFINITY);
    alerts.push(...alertsOf(op));
    return { closes, alerts };
  }

  test('an event years ahead costs the same bounded number of window closes as one months ahead', () => {
    const months = closesAcross(200);
    const years = closesAcross(3 * 365);
    const decades = closesAcross(30 * 365);
    // 30 days with events, then at most ringWindows (84) empty windows (after those every series
    // holds only silence), then the far event's window.
    expect(months.closes).toBeLessThanOrEqual(30 + 84 + 1);
    expect(years.closes).toBe(months.closes);
    expect(decades.closes).toBe(months.closes);
  });

  test('a window close writes only customers whose state changed', () => {
    const op = new CustomerShiftOperator('shifts', resolveShiftConfig({ instant: [] }));
    const customers = op.states['customers']!;
    op.process(tx('a0', 'A', 3_600_000, 50));
    op.process(tx('r0', 'R', 3_600_000, -20)); // refunds only: known, but no series
    op.process({
      type: 'profile',
      event_id: 'p',
      ts: 3_600_000,
      customer_id: 'P',
      account_owner: null,
      region: 'north',
      age_band: null,
      tier: null,
      signup_date: null,
      attributes: {},
    });
    op.onWatermark(MS_PER_DAY);
    customers.drainChanges();
    op.process(tx('a1', 'A', MS_PER_DAY + 3_600_000, 50));
    op.onWatermark(2 * MS_PER_DAY);
    expect(customers.drainChanges().upserts.map(([k]) => k)).toEqual(['A']);
  });
});

describe('population moves per segment (issue 17, item 3)', () => {
  /**
   * 240 customers, half in region north. From day 50 every northern customer pays 1.8x per purchase
   * (the generator's drift: amounts up, counts unchanged). Two customers, one per region, also buy
   * 4x as often from day 60: individual shifts, one inside the moving segment.
   */
  function segmentStep(shiftDay = 60): {
    days: PulseEvent[][];
    north: Set<string>;
    shifted: string[];
    /** The alerts from day 50 on with these `population` settings (spend_total only). */
    run: (population: object) => OutputRow[];
    /** Jump alerts of northern customers without an individual shift. */
    northJumps: (alerts: OutputRow[]) => number;
  } {
    const customers = makeCustomers({ customers: 240, days: 90, seed: 21, weekendShare: 0 });
    const shifted = [customers[0]!.id, customers[1]!.id]; // c00000 north, c00001 south
    for (const c of customers.slice(0, 2)) Object.assign(c, { shiftDay, shiftFactor: 4 });
    const north = new Set(customers.filter((_, i) => i % 2 === 0).map((c) => c.id));
    const days: PulseEvent[][] = simulateDays(customers, 90, 22).map((evs, d) =>
      evs.map((e) => (d >= 50 && north.has(e.customer_id) ? { ...e, amount: Math.round(e.amount * 180) / 100 } : e)),
    );
    days[0]!.unshift(
      ...customers.map((c): PulseEvent => ({
        type: 'profile',
        event_id: `p-${c.id}`,
        ts: 0,
        customer_id: c.id,
        account_owner: null,
        region: north.has(c.id) ? 'north' : 'south',
        age_band: null,
        tier: null,
        signup_date: null,
        attributes: {},
      })),
    );
    const run = (population: object): OutputRow[] =>
      runDays(
        new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false }, population })),
        days,
      ).filter((a) => (a.window_start as number) >= 50 * MS_PER_DAY);
    const northJumps = (alerts: OutputRow[]): number =>
      alerts.filter((a) => north.has(a.customer_id as string) && !shifted.includes(a.customer_id as string) && a.rule === 'CustomerSpendJump').length;
    return { days, north, shifted, run, northJumps };
  }

  test('a segment-wide step gives no per-customer alerts, while individual shifts inside and outside it are found', () => {
    const { shifted, run, northJumps } = segmentStep();
    const naive = run({ enabled: false });
    const segmented = run({ segmentBy: 'region', sizes: true });
    // A 1.8x amount step over 40 days is ~0.17 nats a purchase in the log sizes (sd 1): most
    // northern customer alerts when nothing takes the segment's move out.
    expect(northJumps(naive)).toBeGreaterThan(50);
    // With the segment's log-size departure taken out, the step is the segment's, not a customer's.
    expect(northJumps(segmented)).toBeLessThanOrEqual(3);
    expect(segmented.filter((a) => !shifted.includes(a.customer_id as string)).length).toBeLessThanOrEqual(6);
    // (Measured: 72 northern jump alerts without population factors, 2 with segmentBy region and
    // sizes; one population with sizes takes out the half-population step too, 0.29 in log sizes,
    // at the price of drop alerts in the other half: 10 alerts in all.)
    // Both individual shifts (4x the purchases from day 60) are still found, in their direction.
    for (const id of shifted) {
      const found = segmented.filter((a) => a.customer_id === id && a.rule === 'CustomerSpendJump' && (a.window_start as number) >= 60 * MS_PER_DAY);
      expect(found.length, id).toBeGreaterThan(0);
    }
  });

  test('customers buying 4x as often from the day others start paying 1.8x are not taken for part of that move', () => {
    const { shifted, run } = segmentStep(50);
    const alerts = run({});
    // The move is of the amounts; their change is of the purchases (its count part leads).
    expect(alerts.filter((a) => a.rule === 'GroupSpendJump')).toHaveLength(1);
    for (const id of shifted) expect(alerts.filter((a) => a.customer_id === id && a.rule === 'CustomerSpendJump').length, id).toBeGreaterThan(0);
  });

  test('a restart before or after the move is found continues exactly (its onsets are checkpointed)', () => {
    const { days } = segmentStep();
    const cfg = resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false } });
    const kinds: OutputKind[] = ['alert', 'move_member'];
    const straight = runDays(new CustomerShiftOperator('shifts', cfg), days, 0, days.length, kinds);
    expect(straight.filter((a) => a.rule === 'GroupSpendJump')).toHaveLength(1);
    // Customers held back after day 60 are listed under the alert told before it (its id is checkpointed).
    expect(straight.filter((r) => r['onset_start'] !== undefined && (r.window_start as number) >= 60 * MS_PER_DAY).length).toBeGreaterThan(0);
    for (const crashDay of [52, 60]) {
      const first = new CustomerShiftOperator('shifts', cfg);
      const { checkpoint, restart } = checkpointStore(first);
      const before: OutputRow[] = [];
      for (let d = 0; d < crashDay; d++) {
        before.push(...runDays(first, days, d, d + 1, kinds));
        if (d % 7 === 3) checkpoint();
      }
      checkpoint();
      expect([...before, ...runDays(restart(cfg), days, crashDay, days.length, kinds)], `crash after day ${crashDay - 1}`).toEqual(straight);
    }
  });

  test("state written before moves kept their alert ids: the customers held back after a restart are listed under the id its onset's alert has", () => {
    const { days } = segmentStep();
    const cfg = resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false } });
    const kinds: OutputKind[] = ['alert', 'move_member'];
    const straight = runDays(new CustomerShiftOperator('shifts', cfg), days, 0, days.length, kinds);
    const first = new CustomerShiftOperator('shifts', cfg);
    const { stored, checkpoint, restart } = checkpointStore(first);
    runDays(first, days, 0, 55, kinds);
    checkpoint();
    const population = stored['population']!;
    let stripped = 0;
    for (const [key, json] of population) {
      const { moveAlerts, ...before } = JSON.parse(json) as Record<string, unknown>;
      if (moveAlerts === undefined) continue;
      population.set(key, JSON.stringify(before));
      stripped++;
    }
    expect(stripped).toBe(1);
    const after = runDays(restart(cfg), days, 55, days.length, kinds);
    const later = (rows: OutputRow[]): OutputRow[] => rows.filter((r) => r['onset_start'] !== undefined && (r.window_start as number) >= 55 * MS_PER_DAY);
    expect(later(after).length).toBeGreaterThan(0);
    expect(later(after)).toEqual(later(straight));
  });

  test('the move, every alert and the customers it holds back are the same with the customers split over 1 or 3 shards', () => {
    const { days } = segmentStep();
    const settings = resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false } });
    /** Every alert (as JSON, sorted) of the operator's parts run as the runner runs them: customers hashed to `shards` local parts, one global part. */
    const sharded = (shards: number): string[] => {
      const profiles = Array.from({ length: shards }, () => new ProfileStore(false));
      const locals: CustomerShiftLocal[] = profiles.map((store) => new CustomerShiftLocal('shifts', settings, store));
      const global = new CustomerShiftGlobal('shifts', settings);
      const rows: OutputRow[] = [];
      days.forEach((events, d) => {
        for (const e of events) {
          const shard = Number(e.customer_id?.slice(1)) % shards;
          profiles[shard]!.process(e);
          locals[shard]!.process(e);
        }
        global.merge(locals.flatMap((l) => l.drainPartial() ?? []));
        driveInline(global.onWatermark((d + 1) * MS_PER_DAY), (request) => locals.map((l) => l.answer(request)));
        for (const part of [...locals, global])
          for (const out of part.drainOutputs()) if (out.kind === 'alert' || out.kind === 'move_member') rows.push(...out.rows);
      });
      return rows.map((r) => JSON.stringify(r)).sort();
    };
    const one = sharded(1);
    expect(one.filter((r) => r.includes('"GroupSpendJump"'))).toHaveLength(1);
    expect(one.filter((r) => r.includes('"onset_start"')).length).toBeGreaterThan(40);
    expect(sharded(3)).toEqual(one);
  });

  test('a third of the customers going quiet on one day (stores of a region closed) is one move, not their silences', () => {
    // 240 customers; those with an index divisible by 3 buy nothing from day 50 on, and customer
    // c00001 (not one of them) stops on its own from day 62.
    const customers = makeCustomers({ customers: 240, days: 90, seed: 23, weekendShare: 0 });
    const closed = new Set(customers.filter((_, i) => i % 3 === 0).map((c) => c.id));
    for (const c of customers) if (closed.has(c.id)) Object.assign(c, { shiftDay: 50, shiftFactor: 0 });
    Object.assign(customers[1]!, { shiftDay: 62, shiftFactor: 0 });
    const days = simulateDays(customers, 90, 24);
    const run = (population: object, measures = ['spend_count']): OutputRow[] =>
      runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ measures, instant: [], population })), days);
    const quietOf = (alerts: OutputRow[], ids: Set<string>): number =>
      alerts.filter((a) => a.rule === 'CustomerWentQuiet' && ids.has(a.customer_id as string)).length;
    const without = run({ together: { enabled: false } });
    const alerts = run({});
    expect(quietOf(without, closed)).toBeGreaterThan(40);
    const moves = alerts.filter((a) => a.rule === 'GroupSpendDrop');
    expect(moves).toHaveLength(1);
    expect(moves[0]!.labels).toMatchObject({ part: 'purchases', direction: 'down' });
    expect(Math.abs((moves[0]!.window_start as number) / MS_PER_DAY - 50)).toBeLessThanOrEqual(1);
    // Measured: 80 silences of closed customers without it, none with it (18 at the onset when found).
    expect(quietOf(alerts, closed)).toBeLessThanOrEqual(5);
    // The customer who stopped on its own is still reported.
    expect(quietOf(alerts, new Set([customers[1]!.id]))).toBe(quietOf(without, new Set([customers[1]!.id])));
    expect(quietOf(without, new Set([customers[1]!.id]))).toBe(1);
    // Both purchase measures show the move (each its own population): still one alert for it.
    const both = run({}, ['spend_total', 'spend_count']);
    expect(both.filter((a) => a.rule === 'GroupSpendDrop')).toHaveLength(1);
    expect(quietOf(both, closed)).toBeLessThanOrEqual(5);
  });

  test('half the population moving with no label for it: one analytic alert for the move, individual shifts inside and outside it still found', () => {
    const { north, shifted, run, northJumps } = segmentStep();
    const without = run({ together: { enabled: false } });
    const alerts = run({});
    expect(northJumps(without)).toBeGreaterThan(50);
    // The move is one analytic alert, at its onset (day 50, give or take a window)...
    const moves = alerts.filter((a) => a.rule === 'GroupSpendJump');
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({ kind: 'analytic', customer_id: null });
    expect(Math.abs((moves[0]!.window_start as number) / MS_PER_DAY - 50)).toBeLessThanOrEqual(1);
    // ... in place of the movers' alerts (but for those that alert before it is found), and no drops
    // in the half that did not move (which taking the mean move out of everyone would make).
    // Measured: 72 northern jump alerts without it, 2 with it (days 50 and 53), no other alert.
    expect(northJumps(alerts)).toBeLessThanOrEqual(6);
    const south = alerts.filter((a) => a.customer_id !== null && !north.has(a.customer_id as string) && !shifted.includes(a.customer_id as string));
    expect(south.length).toBeLessThanOrEqual(2);
    for (const id of shifted) {
      const found = alerts.filter((a) => a.customer_id === id && a.rule === 'CustomerSpendJump' && (a.window_start as number) >= 60 * MS_PER_DAY);
      expect(found.length, id).toBeGreaterThan(0);
    }
  });
  test('the customers whose alerts a move holds back are listed under its alert (move_members)', () => {
    const { north, shifted, days } = segmentStep();
    const cfg = (population: object): ShiftSettings => resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false }, population });
    const rows = runDays(new CustomerShiftOperator('shifts', cfg({})), days, 0, days.length, ['alert', 'move_member']);
    const without = runDays(new CustomerShiftOperator('shifts', cfg({ together: { enabled: false } })), days);
    const move = rows.find((r) => r.rule === 'GroupSpendJump')!;
    const members = rows.filter((r) => r['onset_start'] !== undefined);
    const alerts = rows.filter((r) => r['onset_start'] === undefined);
    // Each is a northern customer's jump of spend_total, listed once under the move's alert and its onset.
    for (const m of members) {
      expect(m).toMatchObject({ alert_id: move.alert_id, measure: 'spend_total', rule: 'CustomerSpendJump', onset_start: move.window_start });
      expect(north.has(m.customer_id as string), String(m.customer_id)).toBe(true);
    }
    expect(new Set(members.map((m) => m.customer_id)).size).toBe(members.length);
    // They are the jump alerts the move took: the northern customers' jumps without it are those with
    // it and those listed, give or take a few that fall on other windows (measured: 72 = 3 + 69).
    const jumps = (of: OutputRow[]): OutputRow[] =>
      of.filter(
        (a) =>
          a.rule === 'CustomerSpendJump' &&
          north.has(a.customer_id as string) &&
          !shifted.includes(a.customer_id as string) &&
          (a.window_start as number) >= 50 * MS_PER_DAY,
      );
    expect(members.length).toBeGreaterThanOrEqual(jumps(without).length - jumps(alerts).length - 6);
    expect(members.length).toBeLessThanOrEqual(jumps(without).length);
    // No listed customer has an alert of its own for the jump the move holds back.
    const listed = new Set(members.map((m) => m.customer_id));
    expect(jumps(alerts).filter((a) => listed.has(a.customer_id) && (a.window_start as number) <= 60 * MS_PER_DAY)).toEqual([]);
    // The move's text says whom the table lists: the customers whose alert it held back, not every
    // series it counts (a tester's move of "10 customers" had no row while none of them had an alert).
    expect((move.annotations as Record<string, string>)['description']).toContain(
      "table move_members lists, by this alert's id, the customers whose alert it held back",
    );
  });

  test('a move on the first day a job can judge its customers (all of them new, minHistory windows in) is found', () => {
    // 600 customers from day 0, the even ones paying 1.8x from day 14 (minHistory): every series'
    // earliest split, where series that began together pile up their chance splits too. The move
    // is judged against the windows after it (the population's edge has no left flank).
    const customers = makeCustomers({ customers: 600, days: 50, seed: 41, weekendShare: 0 });
    const movers = new Set(customers.filter((_, i) => i % 2 === 0).map((c) => c.id));
    const days: PulseEvent[][] = simulateDays(customers, 50, 42).map((evs, d) =>
      evs.map((e) => (d >= 14 && movers.has(e.customer_id) ? { ...e, amount: Math.round(e.amount * 180) / 100 } : e)),
    );
    const run = (population: object): OutputRow[] =>
      runDays(
        new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false }, population })),
        days,
      );
    const moverJumps = (alerts: OutputRow[]): number => alerts.filter((a) => a.rule === 'CustomerSpendJump' && movers.has(a.customer_id as string)).length;
    const without = run({ together: { enabled: false } });
    const alerts = run({});
    // Measured: 27 jumps of movers without it; one move at day 14 and 2 jumps with it (no move
    // found, 27 jumps, when only changes 11 windows past a series' own edge counted).
    expect(moverJumps(without)).toBeGreaterThan(15);
    const moves = alerts.filter((a) => a.rule === 'GroupSpendJump');
    expect(moves).toHaveLength(1);
    expect(Math.abs((moves[0]!.window_start as number) / MS_PER_DAY - 14)).toBeLessThanOrEqual(1);
    expect(moverJumps(alerts)).toBeLessThanOrEqual(moverJumps(without) / 4);
  });

  test('customers who buy on two weekdays of their own, half of them paying 1.8x from one day, the others changing on their own: one move, found at its day', () => {
    // 600 customers, each buying on two weekdays of its own (a lognormal rate, 3.5 purchases a
    // shopping day at the median; amounts lognormal around 33). The even ones pay 1.8x from day 50;
    // each odd one changes on its own, x3 or x0.3 amounts from a day of days 33-66 (as
    // bench/changing-buyers.ts). Between two purchases nothing tells on which day the move started,
    // so the movers' best splits spread over the week around it, among the others' changes, while
    // every mover's change interval holds it.
    const r = rng(31);
    const days: PulseEvent[][] = Array.from({ length: 90 }, () => []);
    const movers = new Set<string>();
    const own = new Map<string, { day: number; factor: number }>();
    for (let c = 0; c < 600; c++) {
      const id = `w${String(c).padStart(3, '0')}`;
      const first = c % 7;
      const second = (first + 1 + (Math.floor(c / 7) % 6)) % 7;
      const rate = 3.5 * Math.min(12, Math.max(0.05, Math.exp(normal(r))));
      const change = { day: 33 + Math.floor(r() * 34), factor: r() < 0.5 ? 3 : 0.3 };
      if (c % 2 === 0) movers.add(id);
      else own.set(id, change);
      for (let d = 0; d < 90; d++) {
        if (d % 7 !== first && d % 7 !== second) continue;
        const factor = movers.has(id) ? (d >= 50 ? 1.8 : 1) : d >= change.day ? change.factor : 1;
        const n = poisson(r, rate);
        for (let k = 0; k < n; k++)
          days[d]!.push(tx(`${id}-${d}-${k}`, id, d * MS_PER_DAY + 36_000_000 + k * 60_000, Math.round(3300 * factor * Math.exp(0.7 * normal(r))) / 100));
      }
    }
    const run = (population: object): OutputRow[] =>
      runDays(
        new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [], silence: { enabled: false }, population })),
        days,
      );
    const moverJumps = (alerts: OutputRow[]): number => alerts.filter((a) => a.rule === 'CustomerSpendJump' && movers.has(a.customer_id as string)).length;
    /** Customers who changed on their own with an alert in its direction on its day or later. */
    const ownFound = (alerts: OutputRow[]): number =>
      [...own].filter(([id, c]) =>
        alerts.some(
          (a) =>
            a.customer_id === id && a.rule === (c.factor > 1 ? 'CustomerSpendJump' : 'CustomerSpendDrop') && (a.window_start as number) >= c.day * MS_PER_DAY,
        ),
      ).length;
    const without = run({ together: { enabled: false } });
    const alerts = run({});
    // Measured: 104 jumps of movers without it (and, locating changes at their best splits, no
    // move found and 104 with it too); one move at day 50 and 14 jumps of movers with it; changes
    // on their own found in their direction 229 -> 198 times (x3 amounts near day 50 held back).
    expect(moverJumps(without)).toBeGreaterThan(60);
    const moves = alerts.filter((a) => a.rule === 'GroupSpendJump');
    expect(moves).toHaveLength(1);
    expect(moves[0]!.labels).toMatchObject({ part: 'amounts', direction: 'up' });
    expect(Math.abs((moves[0]!.window_start as number) / MS_PER_DAY - 50)).toBeLessThanOrEqual(1);
    expect(moverJumps(alerts)).toBeLessThanOrEqual(moverJumps(without) / 4);
    // The price: changes of the same kind on their own near the move are taken for part of it.
    expect(ownFound(alerts)).toBeGreaterThanOrEqual(0.8 * ownFound(without));
  });
});

describe('patterns the detector was not tuned on (issue 17, item 2)', () => {
  /**
   * Customer A buys Poisson(`rate` x factor(d)) times a day for `days` days (amounts lognormal around
   * 60); B and C buy once a day as the population. `factor` gives A's rate factor of day d.
   */
  function customerA(seed: number, days: number, rate: number, factor: (d: number) => number): PulseEvent[][] {
    const r = rng(seed);
    const out: PulseEvent[][] = [];
    for (let d = 0; d < days; d++) {
      const day: PulseEvent[] = [];
      const count = poisson(r, rate * factor(d));
      for (let k = 0; k < count; k++) day.push(tx(`A-${d}-${k}`, 'A', d * MS_PER_DAY + 3_600_000 + k, Math.round(60 * Math.exp(0.8 * normal(r)) * 100) / 100));
      for (const c of ['B', 'C']) day.push(tx(`${c}-${d}`, c, d * MS_PER_DAY + 3_600_000, 40));
      out.push(day);
    }
    return out;
  }
  const shiftAlerts = (days: PulseEvent[][], extra: object = {}): Array<[string, number]> =>
    runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total', 'spend_count'], instant: [], ...extra })), days)
      .filter((a) => a.customer_id === 'A')
      .map((a) => [a.rule as string, (a.window_start as number) / MS_PER_DAY]);
  /** Pay day every 30 days from day 25: x1.8 for 5 days, x0.85 otherwise (the generator's cycle, read off a 30-day month). */
  const payday = (d: number): number => ((d - 25 + 30) % 30 < 5 ? 1.8 : 0.85);
  /**
   * `customers` steady customers who buy in baskets: Poisson(visits) visits a day (0.2-3, by customer),
   * each of 1 + Poisson(1.5) transactions a minute apart (the counts' variance is 3.1 times their
   * mean), amounts lognormal around 60. Any shift or silence alert is a false one.
   */
  function basketShoppers(seed: number, customers: number, days: number): PulseEvent[][] {
    const r = rng(seed);
    const visits = Array.from({ length: customers }, (_, c) => 0.2 + (2.8 * c) / customers);
    return Array.from({ length: days }, (_, d) => {
      const day: PulseEvent[] = [];
      visits.forEach((rate, c) => {
        const count = poisson(r, rate);
        for (let v = 0; v < count; v++) {
          const items = 1 + poisson(r, 1.5);
          for (let k = 0; k < items; k++) {
            const at = d * MS_PER_DAY + 3_600_000 * (1 + v) + 60_000 * k;
            day.push(tx(`K${c}-${d}-${v}-${k}`, `K${c}`, at, Math.round(60 * Math.exp(0.8 * normal(r)) * 100) / 100));
          }
        }
      });
      return day.sort((x, y) => x.ts - y.ts);
    });
  }
  /** Pauses of weeks: no purchase on days 30-50 and 80-104. */
  const gaps = (d: number): number => ((d >= 30 && d < 51) || (d >= 80 && d < 105) ? 0 : 1);

  test('buying in baskets (several transactions a visit) is no shift and no silence: the counts are weighed with their own dispersion', () => {
    const alerts = runDays(
      new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total', 'spend_count'], instant: [] })),
      basketShoppers(7, 250, 120),
    );
    const shifts = alerts.filter((a) => a.rule !== 'CustomerWentQuiet').length;
    const silences = alerts.length - shifts;
    // 30,000 customer-days. Measured: 2 shift alerts and 3 silences; with the dispersion of a
    // customer's first 14 windows less two standard errors (before 2026-12-05) 59 and 35.
    expect(shifts).toBeLessThanOrEqual(6);
    expect(silences).toBeLessThanOrEqual(8);
  });

  test('gaps of weeks: one CustomerWentQuiet per pause, no drop into it and no jump out of it', () => {
    for (const seed of [1, 2, 3]) {
      const alerts = shiftAlerts(customerA(seed, 130, 2, gaps));
      expect(alerts.map(([rule]) => rule)).toEqual(['CustomerWentQuiet', 'CustomerWentQuiet']);
      // 2 a day: the first pause is a silence after ~6 empty days (60 ln(1 + m / 30) > 11 at m = 6)
      expect(alerts[0]![1]).toBeGreaterThanOrEqual(33);
      expect(alerts[0]![1]).toBeLessThanOrEqual(40);
      expect(alerts[1]![1]).toBeGreaterThanOrEqual(83);
    }
    // With the silence rule off the GLR reports each pause as a drop (its own evidence). A drop to
    // no events at all is a stop: the pause leaves the GLR and the way back is no jump. A drop whose
    // split keeps the last purchases before the pause restarts the baseline as any shift does, and
    // the way back is then a jump: once in these three customers' six pauses (seed 2, day 107).
    // (Before issue 17 the GLR restarted its baseline at every drop.)
    let drops = 0;
    let jumps = 0;
    for (const seed of [1, 2, 3]) {
      const without = shiftAlerts(customerA(seed, 130, 2, gaps), { silence: { enabled: false } }).map(([rule]) => rule);
      drops += without.filter((rule) => rule === 'CustomerSpendDrop').length;
      jumps += without.filter((rule) => rule === 'CustomerSpendJump').length;
    }
    expect(drops).toBeGreaterThanOrEqual(6);
    expect(jumps).toBeLessThanOrEqual(1);
  });

  test('a low stretch, then a pause of weeks: the silence rule reports it, the GLR neither drops into it nor jumps out of it (glr.pauses)', () => {
    // 1.5 a day; days 36-41 at 0.3x, then no purchase on days 42-66, then 1.5 a day again. The low
    // days and the first empty ones are a drop for the GLR (h 13) before the silence rule's evidence
    // (the empty days alone) reaches its 11 nats. With glr.pauses the drop must hold without the
    // pause going on, at h: it does not, the silence rule reports the pause, and the way back is
    // judged against the level before it. Without glr.pauses: drops and jumps (measured: a drop in
    // 3 of these 12 seeds, in 2 of them also a jump on the way back).
    const lowThenPause = (d: number): number => (d >= 36 && d < 42 ? 0.3 : d >= 42 && d < 67 ? 0 : 1);
    let without = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const days = customerA(seed, 100, 1.5, lowThenPause);
      const alerts = shiftAlerts(days);
      expect(alerts.map(([rule]) => rule)).toEqual(['CustomerWentQuiet']);
      expect(alerts[0]![1]).toBeGreaterThanOrEqual(42);
      expect(alerts[0]![1]).toBeLessThan(67);
      without += shiftAlerts(days, { glr: { pauses: false } }).filter(([rule]) => rule !== 'CustomerWentQuiet').length;
    }
    expect(without).toBeGreaterThanOrEqual(4);
  });

  test('a real drop of a customer who pauses is still found: 4 a day, a pause on days 20-40, down to 0.25x from day 60', () => {
    // The drop's own empty runs (at 1 a day) are left out of its evidence (glr.pauses): found the
    // same day or up to a week later than without (measured, seeds 1-4: 6, 1, 0 and 4 windows later).
    for (const seed of [1, 2, 3, 4]) {
      const days = customerA(seed, 120, 4, (d) => (d >= 20 && d < 41 ? 0 : d >= 60 ? 0.25 : 1));
      const firstDrop = (extra: object): number =>
        Math.min(...shiftAlerts(days, extra).flatMap(([rule, d]) => (rule === 'CustomerSpendDrop' && d >= 60 ? [d] : [])));
      const before = firstDrop({ glr: { pauses: false } });
      expect(before).toBeLessThan(80);
      expect(firstDrop({})).toBeGreaterThanOrEqual(before);
      expect(firstDrop({})).toBeLessThanOrEqual(before + 7);
    }
  });

  test('a customer buying on two weekdays, after a jump and a holiday, is judged on weeks of evidence: back at its level is no drop', () => {
    // Tuesdays and Wednesdays, about 8 purchases each (0.15 on other days); amounts x2 from day 42
    // (a jump, mostly found by day 44, and its series restarts), no purchase on days 45-63 (the
    // silence rule reports it), then back at the new level. Counting the holiday's windows as history, the baseline after it was its four
    // buying days alone, and the next Thursday to Monday read as a -96% drop (critical; a tester's
    // customer, 2026-12-06): a split needs minHistory windows outside a reported silence before it.
    const twoDays = (d: number): boolean => d % 7 === 1 || d % 7 === 2;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = rng(seed);
      const days: PulseEvent[][] = Array.from({ length: 100 }, (_, d) => {
        const day: PulseEvent[] = [];
        const count = d >= 45 && d < 64 ? 0 : poisson(r, twoDays(d) ? 8 : 0.15);
        const scale = d >= 42 ? 2 : 1;
        for (let k = 0; k < count; k++)
          day.push(tx(`A-${d}-${k}`, 'A', d * MS_PER_DAY + 3_600_000 + k, Math.round(scale * 80 * Math.exp(0.4 * normal(r)) * 100) / 100));
        for (const c of ['B', 'C']) day.push(tx(`${c}-${d}`, c, d * MS_PER_DAY + 3_600_000, 40));
        return day;
      });
      const alerts = shiftAlerts(days);
      expect(alerts.filter(([rule, d]) => rule === 'CustomerWentQuiet' && d >= 45 && d < 64)).toHaveLength(1);
      expect(alerts.filter(([rule, d]) => rule === 'CustomerSpendDrop' && d >= 64)).toEqual([]);
    }
  });

  test("one very large purchase among a day of ordinary ones is the instant rule's, not a new level of amounts", () => {
    // A tester's big-ticket buyer (fixtures/big-ticket-buyer.ndjson, 138 purchases over 90 days, its
    // generator's own): on 2026-04-04 one purchase of about x40 among three. Its window's mean log
    // size rose by less than the clip, and the day's other purchases made up the events a size part
    // needs: a critical CustomerSpendJump of +3,843% from that one day.
    const decoder = new EventDecoder();
    const events = readFileSync(new URL('fixtures/big-ticket-buyer.ndjson', import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .flatMap((line) => {
        const decoded = decoder.decode(line);
        return decoded.ok && decoded.event.type === 'transaction' ? [decoded.event] : [];
      });
    const first = Math.floor(events[0]!.ts / MS_PER_DAY) * MS_PER_DAY;
    const days: PulseEvent[][] = [];
    for (const e of events) (days[Math.floor((e.ts - first) / MS_PER_DAY)] ??= []).push({ ...e, ts: e.ts - first, customer_id: 'A' });
    const alerts = shiftAlerts(Array.from(days, (day) => day ?? []));
    expect(alerts.filter(([rule]) => rule === 'CustomerSpendJump')).toEqual([]);
  });

  test('a real new level of amounts is still found when its largest window is left out: x2 from day 55', () => {
    const r = rng(9);
    const days = Array.from({ length: 80 }, (_, d) => {
      const day: PulseEvent[] = [];
      const count = poisson(r, 3);
      for (let k = 0; k < count; k++)
        day.push(tx(`A-${d}-${k}`, 'A', d * MS_PER_DAY + 3_600_000 + k, Math.round((d >= 55 ? 2 : 1) * 60 * Math.exp(0.3 * normal(r)) * 100) / 100));
      return day;
    });
    // Measured: day 56 with and without the rule.
    expect(shiftAlerts(days).find(([rule]) => rule === 'CustomerSpendJump')).toEqual(['CustomerSpendJump', 56]);
  });

  test('a real shift after a pause is still found: back at 3x the rate gives a jump', () => {
    const days = customerA(4, 90, 2, (d) => (d >= 30 && d < 51 ? 0 : d >= 51 ? 3 : 1));
    // Its description says that the pause's windows are left out of the baseline's mean (a tester's
    // "+186%, mean of the 38 windows" was over the 10 outside a holiday; the 38 fell 27%).
    const jump = runDays(new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total'], instant: [] })), days).find(
      (a) => a.customer_id === 'A' && a.rule === 'CustomerSpendJump',
    );
    expect(String((jump!['annotations'] as Record<string, string>)['description'])).toMatch(
      /adjusted for the customer's weekday profile and the population's movement: baseline [\d.]+ \(mean of the \d+ windows before [\d-]+, \d+ of them a reported silence left out\)/,
    );
    const alerts = shiftAlerts(days);
    const jumps = alerts.filter(([rule]) => rule === 'CustomerSpendJump');
    expect(jumps.length).toBeGreaterThan(0);
    expect(jumps[0]![1]).toBeGreaterThanOrEqual(51);
    // 61: the new level must also hold beyond a burst of glr.persistWindows (7) windows (60 without).
    expect(jumps[0]![1]).toBeLessThanOrEqual(62);
  });

  test("pay-day sprees (x1.8 five days a month) at 8 purchases a day: the first spree is a burst, later ones are weighed with the counts' dispersion", () => {
    // Persistence (glr.persistWindows): no spree outlasts a week, so none is a jump, the first
    // one (days 25-29, nothing like it in the baseline yet) included.
    // Without it, later sprees are weighed with the dispersion of the counts around each split's
    // rates, and of the baseline's sums over as many days as the segment (glr.scaleDispersion).
    let persist = 0;
    let firstSprees = 0;
    let scaled = 0;
    let daily = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const days = customerA(seed, 120, 8, payday);
      persist += shiftAlerts(days).length;
      const plain = shiftAlerts(days, { glr: { persistWindows: 0 } });
      // Seeds whose first spree jumps (one alert tells of both purchase measures when both fire).
      if (plain.some(([, d]) => d < 50)) firstSprees += 1;
      scaled += plain.filter(([, d]) => d >= 50).length;
      daily += shiftAlerts(days, { glr: { scaleDispersion: false, persistWindows: 0 } }).filter(([, d]) => d >= 50).length;
    }
    // Later sprees are in the baseline of the splits that could make them jumps: the counts'
    // dispersion over those windows weighs them (2 alerts over 8 seeds with the dispersion of sums
    // and without it; 6 or more without it when the daily dispersion came from a customer's first
    // 14 windows, before 2026-12-05).
    expect(daily).toBeLessThanOrEqual(2);
    expect(scaled).toBeLessThanOrEqual(daily);
    // Measured: without persistence the first spree jumps in 4 of 8 seeds, on both purchase
    // measures (and 2 later sprees); with it 2 alerts in all (0 with glr.persistH 6).
    expect(firstSprees).toBeGreaterThanOrEqual(4);
    expect(persist).toBeLessThanOrEqual(2);
  });

  test('one shift of purchases and spend makes one alert that tells of both measures', () => {
    // A triples its purchases from day 70 (amounts as before): both purchase measures jump.
    const rows = runDays(
      new CustomerShiftOperator('shifts', resolveShiftConfig({ measures: ['spend_total', 'spend_count'], instant: [] })),
      customerA(3, 110, 4, (d) => (d >= 70 ? 3 : 1)),
    ).filter((a) => a.customer_id === 'A' && (a.window_start as number) >= 70 * MS_PER_DAY);
    expect(rows.length).toBeGreaterThan(0);
    // One alert per window close, not one per measure.
    const windows = rows.map((a) => a.window_start);
    expect(new Set(windows).size).toBe(windows.length);
    const first = rows[0]!;
    const labels = first.labels as Record<string, string>;
    const annotations = first.annotations as Record<string, string>;
    expect(first.rule).toBe('CustomerSpendJump');
    expect(annotations['also_measure']).toBe(labels['measure'] === 'spend_total' ? 'spend_count' : 'spend_total');
    // A label too, for routes and silences on the measure.
    expect(labels['also_measure']).toBe(annotations['also_measure']);
    expect(Number(annotations['also_change_percent'])).toBeGreaterThan(50);
    expect(annotations['summary']).toMatch(new RegExp(`${labels['measure']} jumped .*, ${annotations['also_measure']} \\+`));
    expect(annotations['description']).toContain(`${annotations['also_measure']} jumped at the same window close`);
  });

  test('a real shift inside a pay-day customer is still found (rate x2 from day 80)', () => {
    const alerts = shiftAlerts(customerA(5, 120, 8, (d) => payday(d) * (d >= 80 ? 2 : 1))).filter(([, d]) => d >= 80);
    expect(alerts.map(([rule]) => rule)).toContain('CustomerSpendJump');
    expect(Math.min(...alerts.map(([, d]) => d))).toBeLessThanOrEqual(88);
  });
});
