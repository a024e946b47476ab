import { describe, expect, it } from 'vitest';
import { stableAlertId } from '../../../operators/alert.js';
import type { PulseEvent } from '../../../operators/events.js';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';
import { periodStart, populationDriftOptionsFromConfig, RESCORE_RULE } from '../../../operators/population-drift/index.js';
import { query } from '../../helpers/duckdb.js';
import { Collected, DAY, MON, WEEK, build, contact, lognormal, profile, rng, run, scipy, tx } from './helpers.js';

/** Timestamp of the i-th event of a week, spread over all 7 days so the week's data reaches Sunday. */
const at = (week: number, i: number): number => MON + week * WEEK + (i % 7) * DAY + 3_600_000 + (i % 97) * 1000;

/** 2,000 customers, one purchase a week; in week 1, customers 0..999 spend 1.8x. */
function spendShift(seed: number, n = 2000): { events: PulseEvent[]; ref: number[]; cur: number[] } {
  const r = rng(seed);
  const events: PulseEvent[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = lognormal(r, 3, 1.1);
    const b = lognormal(r, 3, 1.1) * (i < n / 2 ? 1.8 : 1);
    ref.push(a);
    cur.push(b);
    const ch = ['web', 'store', 'app'][i % 3]!;
    events.push(tx(`c${i}`, at(0, i), a, ch), tx(`c${i}`, at(1, i), b, ch));
    if (i % 2 === 0) events.push(contact(`c${i}`, at(0, i), i % 4 === 0 ? 'billing' : 'tech'), contact(`c${i}`, at(1, i), i % 4 === 0 ? 'billing' : 'tech'));
    events.push(profile(`c${i}`, at(0, i) - 1, ['north', 'south'][i % 2]!));
  }
  return { events, ref, cur };
}

const FEATURES = [
  { name: 'spend', source: 'spend', key: true },
  { name: 'channel', source: 'channel' },
  { name: 'reason', source: 'contact_reason' },
  { name: 'region', source: 'profile', attribute: 'region' },
];

describe('period alignment and closing', () => {
  it('aligns 7d periods to Monday 00:00 UTC and closes them when the watermark passes the end', () => {
    const o = populationDriftOptionsFromConfig({});
    expect(periodStart(Date.parse('2024-01-03T10:00:00Z'), o.periodMs, o.offsetMs)).toBe(MON);
    expect(periodStart(Date.parse('2024-01-07T23:59:59.999Z'), o.periodMs, o.offsetMs)).toBe(MON);
    expect(periodStart(Date.parse('2024-01-08T00:00:00Z'), o.periodMs, o.offsetMs)).toBe(MON + WEEK);
    expect(new Date(periodStart(0, o.periodMs, o.offsetMs)).getUTCDay()).toBe(1); // Monday

    const op = build({ features: [{ name: 'spend', source: 'spend' }] });
    op.process(tx('a', MON + DAY, 10));
    op.process(tx('a', MON + WEEK + DAY, 10));
    op.onWatermark(MON + WEEK - 1);
    expect(op.drainOutputs()).toEqual([]);
    op.onWatermark(MON + WEEK); // end of week 0 reached: closed, no reference yet, segments written
    const first = op.drainOutputs();
    expect(first.map((o) => o.kind)).toEqual(['customer_segment']);
    expect(first[0]!.rows[0]!['updated_at']).toBe(MON + WEEK);
    op.onWatermark(MON + 2 * WEEK);
    const drift = op.drainOutputs().find((o) => o.kind === 'drift_metric')!;
    expect(drift.rows[0]).toMatchObject({
      run_id: `drift-${new Date(MON + WEEK).toISOString()}`,
      reference_start: MON,
      reference_end: MON + WEEK,
      current_start: MON + WEEK,
      current_end: MON + 2 * WEEK,
    });
  });
});

describe('half the customers spending 1.8x', () => {
  const { events, ref, cur } = spendShift(7);
  const oracle = scipy<{ wn: number; ks: number }>(
    `r=np.array(data['ref']); c=np.array(data['cur'])\nprint(json.dumps({'wn': stats.wasserstein_distance(r,c)/max(np.std(r),0.001), 'ks': float(stats.ks_2samp(r,c).statistic)}))`,
    { ref, cur },
  );

  it('drifts the spend feature by normalised Wasserstein (SciPy oracle) and raises one stable alert', () => {
    const op = build({ name: 'population_drift', features: FEATURES });
    const out = new Collected();
    run(op, events, out);
    const spend = out.rows('drift_metric').find((r) => r['feature'] === 'spend')!;
    expect(spend['method']).toBe('wasserstein_norm');
    expect(spend['drifted']).toBe(true);
    expect(oracle.wn).toBeGreaterThan(0.15);
    // sketch accuracy 1%: well within 0.01 of the exact value
    expect(Math.abs((spend['score'] as number) - oracle.wn)).toBeLessThan(0.01);
    // SPEC section 7: the other statistics are stored too, whichever decides.
    const statistics = spend['statistics'] as Record<string, number>;
    expect(statistics['wasserstein_norm']).toBe(spend['score']);
    expect(Math.abs(statistics['ks_statistic']! - oracle.ks)).toBeLessThan(0.02);
    expect(statistics['psi']).toBeGreaterThan(0);
    expect([statistics['reference_size'], statistics['current_size']]).toEqual([ref.length, cur.length]);
    const alerts = out.rows('alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      alert_id: stableAlertId(RESCORE_RULE, MON + WEEK, 'population_drift'),
      kind: 'analytic',
      severity: 'warning',
      rule: RESCORE_RULE,
      labels: { alertname: RESCORE_RULE, kind: 'analytic', severity: 'warning' },
    });
    const ann = alerts[0]!['annotations'] as Record<string, string>;
    expect(ann['drifted_features']).toBe('spend');
    expect(ann['share']).toBe(String(1 / 4));
    expect(JSON.parse(ann['scores']!).spend.score).toBe(spend['score']);
    // The numbers that fired it (SPEC section 5): baseline, current value and change of the feature.
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const change = JSON.parse(ann['changes']!).spend as { of: string; baseline: number; current: number };
    expect(change.of).toBe('mean');
    expect(change.baseline).toBeCloseTo(mean(ref), 6);
    expect(change.current).toBeCloseTo(mean(cur), 6);
    const percent = ((mean(cur) / mean(ref) - 1) * 100).toFixed(1);
    expect(ann['description']).toContain(`spend: mean ${mean(ref).toFixed(2)} in the reference, ${mean(cur).toFixed(2)} now (+${percent}%)`);
    expect(ann['description']).toContain(`, wasserstein_norm ${(spend['score'] as number).toPrecision(4)} (threshold 0.1)`);
    // the other features did not move
    for (const f of ['channel', 'reason', 'region']) expect(out.rows('drift_metric').find((r) => r['feature'] === f)!['drifted']).toBe(false);
    expect(op.latestScores().find((s) => s.feature === 'spend')).toEqual({
      feature: 'spend',
      method: 'wasserstein_norm',
      score: spend['score'],
      threshold: 0.1,
      drifted: true,
    });
    // a replay yields the same alert id; nothing more is emitted afterwards
    const again = new Collected();
    run(build({ name: 'population_drift', features: FEATURES }), events, again);
    expect(again.rows('alert')[0]!['alert_id']).toBe(alerts[0]!['alert_id']);
    op.onWatermark(Infinity);
    expect(op.drainOutputs()).toEqual([]);
  });

  it('resolves the rescoring alert at the next period without dataset drift', () => {
    // A third week like the second: the population has settled at its new spending.
    const r = rng(99);
    const settled = Array.from({ length: 2000 }, (_, i) => {
      const ch = ['web', 'store', 'app'][i % 3]!;
      const week2: PulseEvent[] = [tx(`c${i}`, at(2, i), lognormal(r, 3, 1.1) * (i < 1000 ? 1.8 : 1), ch)];
      if (i % 2 === 0) week2.push(contact(`c${i}`, at(2, i), i % 4 === 0 ? 'billing' : 'tech'));
      return week2;
    }).flat();
    const op = build({ name: 'population_drift', features: FEATURES });
    for (const e of [...events, ...settled].sort((a, b) => a.ts - b.ts)) {
      op.onWatermark(e.ts);
      op.process(e);
    }
    op.onWatermark(Infinity);
    // Both rows, in order (the alerts table keeps the last one per id; the outbox sends both).
    const alerts = op.drainOutputs().flatMap((o) => (o.kind === 'alert' ? o.rows : []));
    expect(alerts.map((a) => [a['alert_id'], a['status']])).toEqual([
      [stableAlertId(RESCORE_RULE, MON + WEEK, 'population_drift'), 'firing'],
      [stableAlertId(RESCORE_RULE, MON + WEEK, 'population_drift'), 'resolved'],
    ]);
    expect((alerts[1]!['annotations'] as Record<string, string>)['resolution']).toMatch(/^no dataset drift in the period from \d{4}-\d{2}-\d{2}/);
  });

  it('does not raise dataset drift when spend is not a key feature and under half the features drift', () => {
    const out = new Collected();
    run(build({ features: FEATURES.map((f) => ({ ...f, key: false })) }), events, out);
    expect(
      out
        .rows('drift_metric')
        .filter((r) => r['drifted'] === true)
        .map((r) => r['feature']),
    ).toEqual(['spend']);
    expect(out.rows('alert')).toEqual([]);
    expect(out.rows('segment_migration')).toEqual([]);
  });
});

describe('an undrifted population over 20 weeks', () => {
  it('never raises dataset drift after the warm-up period (seeded simulation)', () => {
    const r = rng(2024);
    const events: PulseEvent[] = [];
    const channels = ['web', 'web', 'store', 'app', 'phone'];
    for (let w = 0; w < 20; w++) {
      for (let i = 0; i < 3000; i++) {
        if (r() < 0.75) events.push(tx(`c${i}`, at(w, i), lognormal(r, 3, 0.8), channels[Math.floor(r() * channels.length)]!));
        if (r() < 0.4) events.push(contact(`c${i}`, at(w, i), ['billing', 'tech', 'move'][Math.floor(r() * 3)]!));
      }
    }
    const out = new Collected();
    const op = build({
      warmup_periods: 1,
      features: [...FEATURES.slice(0, 3), { name: 'tier', source: 'segment' }, { name: 'count', source: 'transaction_count' }],
    });
    run(op, events, out);
    const rows = out.rows('drift_metric');
    expect(new Set(rows.map((r) => r['run_id'])).size).toBe(18);
    expect(rows).toHaveLength(18 * 5);
    expect(out.rows('alert')).toEqual([]);
    const spend = rows.filter((r) => r['feature'] === 'spend');
    expect(spend.every((r) => r['method'] === 'wasserstein_norm' && (r['score'] as number) < 0.1)).toBe(true);
    const sizes = op.segmentSizes();
    expect(sizes.Gold + sizes.Silver + sizes.Bronze).toBe(3000);
  });
});

describe('a period whose events begin late in it', () => {
  it('is no reference: a stray record months before data that start on a Thursday changes no run', () => {
    const r = rng(7);
    const events: PulseEvent[] = [];
    // 500 customers from Thursday of week 0 to the end of week 5: the first week has 4 days of spend.
    for (let day = 3; day < 42; day++) {
      for (let i = 0; i < 500; i++) if (r() < 0.3) events.push(tx(`c${i}`, MON + day * DAY + 3_600_000 + i * 1000, lognormal(r, 3, 0.5)));
    }
    const runs = (input: PulseEvent[]) => {
      const op = build({ warmup_periods: 1, features: FEATURES.slice(0, 2) });
      // The watermark 5 minutes behind the events, as the job's: a week closes once the next one's first events are in.
      for (const e of [...input].sort((a, b) => a.ts - b.ts)) {
        op.process(e);
        op.onWatermark(e.ts - 5 * 60_000);
      }
      op.onWatermark(Infinity);
      const out = new Collected();
      out.add(op.drainOutputs());
      return { runs: [...new Set(out.rows('drift_metric').map((m) => m['run_id']))].sort(), alerts: out.rows('alert').map((a) => a['rule']) };
    };
    const plain = runs(events);
    // The partial first week is the warm-up; week 1 becomes the reference, weeks 2 to 5 are compared.
    expect(plain.runs).toHaveLength(4);
    expect(plain.alerts).toEqual([]);
    // A record 20 weeks earlier takes the warm-up: the partial week still neither compares nor is a
    // reference (it was, and week 1 drifted against it: per-customer spend 7/4 of it).
    expect(runs([tx('c1', MON - 20 * WEEK, 25), ...events])).toEqual(plain);
  });
});

describe('categorical drift of the channel mix', () => {
  it('is detected by Jensen-Shannon distance (SciPy oracle)', () => {
    const events: PulseEvent[] = [];
    const mix = (week: number, shares: Record<string, number>): Record<string, number> => {
      let i = 0;
      for (const [ch, k] of Object.entries(shares)) for (let j = 0; j < k; j++, i++) events.push(tx(`c${i}`, at(week, i), 10, ch));
      return shares;
    };
    const a = mix(0, { web: 600, store: 360, app: 240 });
    const b = mix(1, { web: 360, store: 360, app: 480 });
    const js = scipy<number>(`print(json.dumps(float(distance.jensenshannon(data['a'], data['b'], base=2))))`, {
      a: ['app', 'store', 'web'].map((k) => a[k]),
      b: ['app', 'store', 'web'].map((k) => b[k]),
    });
    const out = new Collected();
    run(build({ features: [{ name: 'channel', source: 'channel' }] }), events, out);
    const row = out.rows('drift_metric')[0]!;
    expect(row['method']).toBe('jensenshannon');
    expect(row['score'] as number).toBeCloseTo(js, 12);
    expect(js).toBeGreaterThan(0.1);
    expect(row['drifted']).toBe(true);
  });
});

describe('numeric survey answers written as text', () => {
  it('count as the numbers they are ("9" is 9, as the service rules read it), not as missing answers', () => {
    const r = rng(7);
    const survey = (i: number, week: number, nps: number | string): PulseEvent => ({
      type: 'survey',
      event_id: `s${week}-${i}`,
      ts: at(week, i),
      customer_id: `c${i}`,
      survey_id: 'nps',
      answers: { nps },
      comment: null,
    });
    // Week 1's scores are two points lower: a real shift.
    const scores = [0, 1].map((week) => Array.from({ length: 600 }, () => Math.max(0, Math.min(10, Math.round(8 - 2 * week + 2 * (r() - 0.5) * 2)))));
    const drift = (asText: boolean): Array<Record<string, unknown>> => {
      const out = new Collected();
      const events = scores.flatMap((week, w) => week.map((nps, i) => survey(i, w, asText ? String(nps) : nps)));
      run(build({ features: [{ name: 'survey_nps', source: 'survey', question: 'nps' }] }), events, out);
      return out.rows('drift_metric');
    };
    const numbers = drift(false);
    expect(numbers).toHaveLength(1);
    expect(numbers[0]!['drifted']).toBe(true);
    expect(drift(true)).toEqual(numbers);
  });
});

describe('tiers and migration through the operator', () => {
  it('scores trailing 12-month spend and emits the migration matrix on rescoring (hand-computed)', () => {
    const ids = 'abcdefghij'.split('');
    const events: PulseEvent[] = ids.map((id, i) => tx(id, MON + i * 3_600_000, (i + 1) * 10));
    // a purchase 13 months before week 1 is outside the trailing 12 months of customer b
    events.push(tx('b', Date.parse('2022-12-05T10:00:00Z'), 1000));
    events.push(tx('a', MON + WEEK + DAY, 200), tx('k', MON + WEEK + 6 * DAY, 5));
    const out = new Collected();
    // a zero threshold makes every evaluated period drift, so week 1 rescores against week 0
    run(build({ features: [{ name: 'spend', source: 'spend', key: true, method: 'wasserstein_norm', wasserstein_threshold: 0 }] }), events, out);
    const seg = new Map(out.rows('customer_segment').map((r) => [r['customer_id'], r]));
    // trailing spend after week 1: a 210, b..j 20..100, k 5; q(0.9) = 100, q(0.6) = 70
    expect(seg.get('a')).toMatchObject({ tier: 'Gold', monetary: 210, trailing_spend: 210, frequency: 2 });
    expect(seg.get('b')).toMatchObject({ tier: 'Bronze', monetary: 20, frequency: 1 });
    expect(['h', 'i', 'j'].map((id) => seg.get(id)!['tier'])).toEqual(['Silver', 'Silver', 'Silver']);
    expect(['b', 'c', 'd', 'e', 'f', 'g', 'k'].every((id) => seg.get(id)!['tier'] === 'Bronze')).toBe(true);
    // recency at the end of week 1 (MON + 14d): k bought at MON + 13d
    expect(seg.get('k')!['recency_days']).toBeCloseTo(1, 12);
    const total = 755;
    const mig = out.rows('segment_migration').filter((r) => r['run_id'] === `drift-${new Date(MON + WEEK).toISOString()}`);
    const cells = Object.fromEntries(mig.map((r) => [`${String(r['from_tier'])}>${String(r['to_tier'])}`, [r['customers'], r['revenue_share']]]));
    expect(cells).toEqual({
      'Bronze>Gold': [1, 210 / total],
      'Bronze>Bronze': [5, 200 / total],
      'Silver>Silver': [2, 170 / total],
      'Silver>Bronze': [1, 70 / total],
      'Gold>Silver': [1, 100 / total],
      'none>Bronze': [1, 5 / total],
    });
  });
});

describe('the migration matrix of the first rescoring', () => {
  it('is against the tiers of the close before it, not of the first close (a warm-up week where few had bought yet)', () => {
    // Week 0 (warm-up 0, the first close): 2 of 10 customers buy; week 1: all 10, as in week 2 for
    // half of them, while the other half spend 400x in week 2: only week 2 drifts (W1 threshold 10).
    const ids = 'abcdefghij'.split('');
    const events: PulseEvent[] = [tx('a', MON + 3_600_000, 50), tx('b', MON + 7_200_000, 60)];
    ids.forEach((id, i) => events.push(tx(id, MON + WEEK + i * 3_600_000, (i + 1) * 10)));
    ids.forEach((id, i) => events.push(tx(id, MON + 2 * WEEK + i * 3_600_000, (i + 1) * 10 * (i < 5 ? 1 : 400))));
    // Every week's events end on Monday: each closes at the end of the input as far as the one before reached.
    const out = new Collected();
    run(build({ features: [{ name: 'spend', source: 'spend', key: true, method: 'wasserstein_norm', wasserstein_threshold: 10 }] }), events, out);
    const runs = out.rows('drift_metric').map((r) => [r['current_start'], r['drifted']]);
    expect(runs).toEqual([
      [MON + WEEK, false],
      [MON + 2 * WEEK, true],
    ]);
    const mig = out.rows('segment_migration');
    // Against week 1's tiers every customer had one: none is new (against week 0's, eight were).
    expect(mig.filter((r) => r['from_tier'] === 'none')).toEqual([]);
    expect(mig.reduce((n, r) => n + (r['customers'] as number), 0)).toBe(10);
  });
});

describe('a period without any event (an outage, a gap in the input)', () => {
  it('is neither evaluated nor a reference: the next period is compared with the last one that had events', () => {
    // Week 0 and week 2 alike, week 1 empty. Compared, the empty week drifted (every spend 0,
    // -100%) and so did week 2 against it: two rescorings for a gap in the data.
    const r = rng(21);
    const events: PulseEvent[] = [];
    for (const week of [0, 2]) for (let i = 0; i < 1500; i++) events.push(tx(`c${i}`, at(week, i), lognormal(r, 3, 1.1), ['web', 'store'][i % 2]!));
    const op = build({
      features: [
        { name: 'spend', source: 'spend', key: true },
        { name: 'channel', source: 'channel' },
      ],
    });
    const out = new Collected();
    run(op, events, out);
    const drift = out.rows('drift_metric');
    expect(drift.map((d) => [d['current_start'], d['reference_start']])).toEqual([
      [MON + 2 * WEEK, MON],
      [MON + 2 * WEEK, MON],
    ]);
    expect(drift.every((d) => d['drifted'] === false)).toBe(true);
    expect(out.rows('alert')).toEqual([]);
  });
});

describe('restart safety', () => {
  it('an input ending 12 hours before a period ends leaves it to the next run, which decides it as one run would', () => {
    // Until 2026-12-06 the week closed at the input's end (final_period_slack was 1d) without its
    // Sunday, was compared with full weeks (a false rescoring on a tester's stable population), and
    // the next run's records of it were not counted. The other tests here end their input where
    // every week's events end (Sunday 01:00): that closes the last week, as far as the one before reached.
    const { events } = spendShift(12, 1200);
    // Each week's last purchase half an hour before its end: the whole week is needed to compare like
    // for like, and one run over all of it closes the last week (within final_period_slack).
    const lastOfWeek = (week: number) => tx('c0', MON + (week + 1) * WEEK - 1_800_000, 10);
    const sorted = [...events, lastOfWeek(0), lastOfWeek(1)].sort((a, b) => a.ts - b.ts);
    const config = { features: FEATURES };
    const whole = new Collected();
    run(build(config), sorted, whole);
    const cut = sorted.findIndex((e) => e.ts >= MON + 2 * WEEK - 12 * 3_600_000);
    expect(cut).toBeGreaterThan(0);
    const first = build(config);
    const split = new Collected();
    run(first, sorted.slice(0, cut), split); // a bounded input to its end: the watermark goes to +infinity
    expect(split.rows('drift_metric')).toEqual([]);
    const second = build(config);
    for (const [name, state] of Object.entries(first.states)) {
      state.drainChanges();
      second.states[name]!.restore(JSON.parse(JSON.stringify([...state.entries()])) as Array<[string, unknown]>);
    }
    run(second, sorted.slice(cut), split);
    expect(whole.rows('drift_metric').length).toBeGreaterThan(0);
    for (const kind of ['drift_metric', 'alert', 'customer_segment', 'segment_migration']) expect(split.rows(kind)).toEqual(whole.rows(kind));
  });

  it('gives the same outputs when state is drained and restored mid-period', () => {
    const { events } = spendShift(11, 1200);
    const sorted = [...events].sort((a, b) => a.ts - b.ts);
    const config = { features: [...FEATURES, { name: 'tier', source: 'segment' }] };
    const whole = new Collected();
    run(build(config), sorted, whole);

    const cut = sorted.findIndex((e) => e.ts >= MON + WEEK + 3 * DAY);
    const first = build(config);
    const split = new Collected();
    run(first, sorted.slice(0, cut), split, false);
    const second = build(config);
    for (const [name, state] of Object.entries(first.states)) {
      state.drainChanges();
      second.states[name]!.restore(JSON.parse(JSON.stringify([...state.entries()])) as Array<[string, unknown]>);
    }
    run(second, sorted.slice(cut), split);
    for (const kind of ['drift_metric', 'alert', 'customer_segment', 'segment_migration']) {
      expect(split.rows(kind)).toEqual(whole.rows(kind));
    }
    expect(whole.rows('drift_metric').length).toBe(5);
    expect(second.latestScores().length).toBe(5);
  });

  it('continues from customer records written before they were compact (2026-12-03) and before their months were triples (2026-12-05): the same outputs', () => {
    const { events } = spendShift(11, 1200);
    const sorted = [...events].sort((a, b) => a.ts - b.ts);
    const config = { features: [...FEATURES, { name: 'tier', source: 'segment' }] };
    const whole = new Collected();
    run(build(config), sorted, whole);

    // A cut before the first close: no customer has a closed month yet.
    const cut = sorted.findIndex((e) => e.ts >= MON + 3 * DAY);
    const first = build(config);
    const split = new Collected();
    run(first, sorted.slice(0, cut), split, false);
    const customers = first.states['customers']!;
    customers.drainChanges();
    type Stored = { monthSpend: unknown; monthCount: unknown; open: Record<string, Record<string, unknown>> };
    const written = JSON.parse(JSON.stringify([...customers.entries()])) as Array<[string, Stored]>;
    // Compact now: no trailing months before the first close, no empty usage or month maps.
    expect(written.every(([, c]) => c.monthSpend === null && c.monthCount === null)).toBe(true);
    expect(written.some(([, c]) => Object.values(c.open).some((acc) => acc['months'] !== undefined))).toBe(true);
    expect(written.some(([, c]) => Object.values(c.open).some((acc) => acc['usage'] === undefined))).toBe(true);
    // As versions before 2026-12-03 wrote them: twelve zeros, every accumulator with both maps, and
    // the months of a period as an object of [spend, purchases] by month index (before 2026-12-05).
    const zeros = () => new Array<number>(12).fill(0);
    const byMonth = (months: unknown): Record<string, [number, number]> => {
      const triples = (months ?? []) as number[];
      const object: Record<string, [number, number]> = {};
      for (let i = 0; i < triples.length; i += 3) object[String(triples[i])] = [triples[i + 1]!, triples[i + 2]!];
      return object;
    };
    const previous = written.map(([id, c]): [string, unknown] => [
      id,
      {
        ...c,
        monthSpend: zeros(),
        monthCount: zeros(),
        open: Object.fromEntries(Object.entries(c.open).map(([start, { months, ...acc }]) => [start, { usage: {}, ...acc, byMonth: byMonth(months) }])),
      },
    ]);
    const second = build(config);
    for (const [name, state] of Object.entries(first.states)) {
      if (name !== 'customers') state.drainChanges();
      second.states[name]!.restore(name === 'customers' ? previous : (JSON.parse(JSON.stringify([...state.entries()])) as Array<[string, unknown]>));
    }
    run(second, sorted.slice(cut), split);
    for (const kind of ['drift_metric', 'alert', 'customer_segment', 'segment_migration']) {
      expect(split.rows(kind)).toEqual(whole.rows(kind));
    }
    expect(whole.rows('customer_segment').length).toBeGreaterThan(0);
  });
});

describe('output rows match the DuckDB tables', () => {
  it('has exactly the columns of drift_metrics, customer_segments and segment_migrations', async () => {
    const { events } = spendShift(3, 300);
    const out = new Collected();
    run(build({ features: FEATURES }), events, out);
    const ddl = OUTPUT_TABLES_DDL.filter((d) => /drift_metrics|customer_segments|segment_migrations/.test(d));
    const [, , , dm, cs, sm] = await query(
      ':memory:',
      ...ddl,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'drift_metrics' ORDER BY column_name`,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'customer_segments' ORDER BY column_name`,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'segment_migrations' ORDER BY column_name`,
    );
    const cols = (rows: Array<Record<string, unknown>> | undefined): string[] => (rows ?? []).map((r) => String(r['column_name']));
    const keys = (kind: string): string[] => Object.keys(out.rows(kind)[0]!).sort();
    expect(out.rows('drift_metric').length).toBe(4);
    expect(keys('drift_metric')).toEqual(cols(dm));
    expect(keys('customer_segment')).toEqual(cols(cs));
    expect(cols(sm)).toEqual(['customers', 'from_tier', 'revenue_share', 'run_id', 'to_tier']);
  });
});

describe('contact-reason mix counts first contacts only (issue 17)', () => {
  it("leaves out a contact with the reason of one of the customer's contacts in the previous 7 days", () => {
    const events: PulseEvent[] = [];
    const hour = 3_600_000;
    for (let i = 0; i < 80; i++) {
      const reason = i < 40 ? 'billing' : 'tech';
      // Week 0: one first contact each, on Saturday.
      events.push(contact(`c${i}`, MON + 5 * DAY + i * 1000, reason));
      // Week 1: 40 new customers of each reason.
      events.push(contact(`d${i}`, MON + 10 * DAY + i * 1000, reason));
    }
    for (let i = 0; i < 40; i++) {
      // Repeats 3 and 4 days later (same reason): not counted.
      events.push(contact(`c${i}`, MON + 8 * DAY + i * 1000, 'billing'), contact(`c${i}`, MON + 9 * DAY + i * 1000, 'billing'));
    }
    for (let i = 40; i < 50; i++) {
      // Same reason, but 7 days and an hour after the last one: a new contact, counted.
      events.push(contact(`c${i}`, MON + 12 * DAY + hour + i * 1000, 'tech'));
      // Another reason within the week: counted too.
      events.push(contact(`c${i}`, MON + 6 * DAY + i * 1000, 'device'));
    }
    // Purchases on the first and last days, so that both weeks are whole.
    events.push(tx('t', MON + hour, 10), tx('t', MON + 13 * DAY + hour, 10));
    // Week 0: billing 40, device 10, tech 40; week 1: billing 40, tech 50 (repeats counted: billing 120).
    const expected = scipy<[number, number]>(`r=stats.chi2_contingency(np.array(data), correction=False)\nprint(json.dumps([float(r[0]), float(r[1])]))`, [
      [40, 10, 40],
      [40, 0, 50],
    ]);
    const out = new Collected();
    run(build({ features: [{ name: 'reason', source: 'contact_reason' }] }), events, out);
    const row = out.rows('drift_metric').find((r) => r['current_start'] === MON + WEEK)!;
    expect(row['method']).toBe('chisquare');
    expect(row['score'] as number).toBeCloseTo(expected[0], 10);
    expect(row['p_value'] as number).toBeCloseTo(expected[1], 10);
  });
});
