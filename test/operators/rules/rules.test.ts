import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { stableAlertId, type Alert } from '../../../operators/alert.js';
import { RATE_KPIS, type ContactKpiRow, type RateCounts, type RateKpi } from '../../../operators/contact-kpis/kpis.js';
import { ContactKpiOperator } from '../../../operators/contact-kpis/operator.js';
import { RuleEvaluator } from '../../../operators/rules/evaluator.js';
import { RuleValidationError } from '../../../operators/rules/errors.js';
import { DEFAULT_MIN_OFFERED_FOR_SAMPLES } from '../../../operators/rules/types.js';
import { validateRules } from '../../../operators/rules/validate.js';
import { contact, DAY, HOUR, MIN, T0 } from '../contact-kpis/helpers.js';

const W15 = 15 * MIN;

/** A KPI row with every rate null except those given. */
function row(start: number, values: Partial<ContactKpiRow>, size = W15, queue = 'billing', channel = 'voice'): ContactKpiRow {
  return {
    window_start: start,
    window_end: start + size,
    queue,
    channel,
    offered: 100,
    handled: 90,
    abandoned: 10,
    short_abandoned: 0,
    self_service: 0,
    abandon_rate: null,
    aht_seconds: null,
    asa_seconds: null,
    avg_queue_seconds: null,
    service_level: null,
    transfer_rate: null,
    self_service_rate: null,
    fcr_rate: null,
    fcr_final: false,
    transferred: 0,
    resolved: 0,
    resolved_per_minute: 0,
    fcr_eligible: 0,
    fcr_resolved: 0,
    ...values,
  };
}

/** Rate counts for rules without a Wilson guard (they do not read them). */
const NO_COUNTS: RateCounts = Object.fromEntries(RATE_KPIS.map((k) => [k, { hits: 0, trials: 0 }])) as RateCounts;

function close(ev: RuleEvaluator, r: ContactKpiRow, counts: RateCounts = NO_COUNTS): Alert[] {
  return ev.onWindowClosed(r, counts);
}

/** Feeds consecutive windows; returns [window index, status] of each alert. */
function feed(ev: RuleEvaluator, kpi: keyof ContactKpiRow, values: Array<number | null>, size = W15, start = T0): Array<[number, string, Alert]> {
  const out: Array<[number, string, Alert]> = [];
  values.forEach((v, i) => {
    for (const a of close(ev, row(start + i * size, { [kpi]: v }, size))) out.push([i, a.status, a]);
  });
  return out;
}

describe('validateRules', () => {
  const yaml = `
- name: billing_abandon
  when: abandon_rate > 0.08
  window: 15m
  queue: billing
  severity: critical
- name: billing_abandon_structured
  kpi: abandon_rate
  op: '>'
  threshold: 8%
  window: 15m
  queues: [billing]
  severity: critical
- name: sl_low
  when: service_level < 0.8
  for: 2
  resolve: { after: 2, threshold: 0.85 }
- name: aht_wow
  when: aht_seconds increases by 25% vs same hour last week
  window: 1h
- name: aht_wow_structured
  kpi: aht_seconds
  change: { direction: increase, by: 0.25, vs: 1w }
  window: 1h
- name: slow_resolution
  when: resolved_per_minute < 2
`;

  it('reads compact and structured forms to the same rule', () => {
    const rules = validateRules(parseYaml(yaml), { knownQueues: ['billing', 'tech'] });
    expect(rules).toHaveLength(6);
    const [compact, structured, sl, wow, wow2, rpm] = rules;
    expect({ ...compact, name: '', expression: '' }).toEqual({ ...structured, name: '', expression: '' });
    expect(compact).toMatchObject({
      kpi: 'abandon_rate',
      windowMs: W15,
      window: '15m',
      queues: ['billing'],
      channels: null,
      condition: { type: 'threshold', op: '>', threshold: 0.08 },
      forWindows: 1,
      resolveAfter: 1,
      resolveThreshold: null,
      severity: 'critical',
    });
    expect(sl).toMatchObject({ forWindows: 2, resolveAfter: 2, resolveThreshold: 0.85, window: '15m', severity: 'warning' });
    expect(wow!.condition).toEqual({ type: 'change', direction: 'increase', fraction: 0.25, offsetMs: 7 * DAY, offset: '1w' });
    expect(wow2!.condition).toEqual(wow!.condition);
    expect(rpm).toMatchObject({ kpi: 'resolved_per_minute', condition: { op: '<', threshold: 2 } });
  });

  function issuesOf(rules: unknown, opts = {}) {
    try {
      validateRules(rules, opts);
    } catch (err) {
      expect(err).toBeInstanceOf(RuleValidationError);
      return (err as RuleValidationError).issues;
    }
    throw new Error('expected a RuleValidationError');
  }

  it('names the rule, the field and what is allowed for an unknown KPI, window size or queue', () => {
    const issues = issuesOf(
      [
        { name: 'ok', when: 'abandon_rate > 0.1' },
        { name: 'bad_kpi', when: 'abandonment > 0.1' },
        { name: 'bad_window', when: 'abandon_rate > 0.1', window: '5m' },
        { name: 'bad_queue', when: 'abandon_rate > 0.1', queue: 'biling' },
      ],
      { knownQueues: ['billing', 'tech'] },
    );
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatchObject({ index: 1, rule: 'bad_kpi', field: 'kpi' });
    expect(issues[0]!.allowed).toContain('abandon_rate');
    expect(issues[1]).toMatchObject({ index: 2, rule: 'bad_window', field: 'window', allowed: ['15m', '1h', '1d'] });
    expect(issues[2]).toMatchObject({ index: 3, rule: 'bad_queue', field: 'queue', allowed: ['billing', 'tech'] });
    try {
      validateRules([{ name: 'bad_kpi', when: 'abandonment > 0.1' }]);
    } catch (err) {
      expect((err as Error).message).toContain('rule #0 "bad_kpi", field "kpi": unknown KPI "abandonment"');
      expect((err as RuleValidationError).code).toBe('CONFIG_INVALID');
    }
  });

  it('rejects unknown fields, unreadable conditions, wrong-side hysteresis, duplicates and bad channels', () => {
    const issues = issuesOf([
      { name: 'a', when: 'abandon_rate > 0.1', fro: 2 },
      { name: 'b', when: 'abandon_rate is high' },
      { name: 'c', when: 'abandon_rate > 0.1', resolve: { after: 2, threshold: 0.2 } },
      { name: 'c', when: 'abandon_rate > 0.1' },
      { name: 'd', when: 'abandon_rate > 0.1', channel: 'fax' },
      { name: 'e', when: 'aht_seconds increases by 25% vs fortnight' },
      { when: 'abandon_rate > 0.1' },
      { name: 'f', when: 'abandon_rate > 0.1', for: 0 },
      { name: 'g', when: 'aht_seconds increases by 25 vs 1w' },
    ]);
    expect(issues.map((i) => [i.index, i.field])).toEqual([
      [0, 'fro'],
      [1, 'when'],
      [2, 'resolve.threshold'],
      [3, 'name'],
      [4, 'channel'],
      [5, 'change.vs'],
      [6, 'name'],
      [7, 'for'],
      [8, 'when'],
    ]);
    // "by 25" without % was a change of 2,500% that never fired.
    expect(issues[8]!.message).toContain('"by 25" without % is a change of 2500%; write "by 25%"');
    // window sizes follow the operator's configuration
    expect(validateRules([{ name: 'x', when: 'offered > 1', window: '5m' }], { windowSizes: ['5m', '1h'] })[0]!.windowMs).toBe(5 * MIN);
  });

  it('refuses a rate threshold above 1 (a percent written without its sign: the rule could never fire); counts and 8% are fine', () => {
    const issues = issuesOf([
      { name: 'a', when: 'abandon_rate > 8' },
      { name: 'b', kpi: 'service_level', op: '<', threshold: 80 },
    ]);
    expect(issues.map((i) => [i.index, i.field, i.message])).toEqual([
      [0, 'when', 'abandon_rate is a fraction from 0 to 1, so 8 is never crossed; write 8% or 0.08'],
      [1, 'threshold', 'service_level is a fraction from 0 to 1, so 80 is never crossed; write 80% or 0.8'],
    ]);
    const fine = validateRules([
      { name: 'c', when: 'abandon_rate > 8%' },
      { name: 'd', when: 'offered > 8' },
      { name: 'e', when: 'service_level < 1' },
    ]);
    expect(fine.map((r) => r.condition)).toMatchObject([{ threshold: 0.08 }, { threshold: 8 }, { threshold: 1 }]);
  });
});

describe('RuleEvaluator', () => {
  it('fires after `for` consecutive breaching windows and resolves after N recovered ones', () => {
    const [rule] = validateRules([{ name: 'sl_low', when: 'service_level < 0.8', for: 2, resolve: { after: 2 } }]);
    const ev = new RuleEvaluator([rule!]);
    //            0    1    2    3    4    5     6     7     8
    const vals = [0.9, 0.7, 0.9, 0.7, 0.7, 0.75, 0.85, 0.95, 0.7];
    const alerts = feed(ev, 'service_level', vals);
    // 1 alone does not fire; 3+4 fire at 4; 5 still breaching; 6, 7 recovered -> resolved at 7.
    expect(alerts.map(([i, s]) => [i, s])).toEqual([
      [4, 'firing'],
      [7, 'resolved'],
    ]);
    const firing = alerts[0]![2];
    const resolved = alerts[1]![2];
    const start4 = T0 + 4 * W15;
    expect(firing).toMatchObject({
      alert_id: stableAlertId('sl_low', start4, 'billing', 'voice'),
      kind: 'analytic',
      rule: 'sl_low',
      severity: 'warning',
      customer_id: null,
      window_start: start4,
      fired_at: start4 + W15,
      status: 'firing',
      labels: { alertname: 'sl_low', kind: 'analytic', severity: 'warning', queue: 'billing', channel: 'voice', window: '15m' },
    });
    expect(firing.annotations).toMatchObject({ current: '0.7', baseline: '0.7', threshold: '< 0.8', change: '+0%' });
    expect(firing.annotations.description).toContain('2 consecutive windows');
    expect(resolved.alert_id).toBe(firing.alert_id);
    expect(resolved.fired_at).toBe(firing.fired_at);
    expect(resolved.annotations.resolved_at).toBe(new Date(T0 + 8 * W15).toISOString());
  });

  it("matches a rule's queue whatever its case (the platform may write Billing, the rule billing)", () => {
    const ev = new RuleEvaluator(validateRules([{ name: 'ab', when: 'abandon_rate > 0.08', queue: 'billing' }]));
    const fired = [...close(ev, row(T0, { abandon_rate: 0.2 }, W15, 'Billing')), ...close(ev, row(T0, { abandon_rate: 0.2 }, W15, 'tech'))];
    expect(fired.map((a) => [a.status, a.labels.queue])).toEqual([['firing', 'Billing']]);
  });

  it('hysteresis stops flapping around the threshold from storming', () => {
    const flapping = [0.09, 0.07, 0.09, 0.07, 0.09, 0.07, 0.04, 0.03];
    const plain = new RuleEvaluator(validateRules([{ name: 'ab', when: 'abandon_rate > 0.08' }]));
    expect(feed(plain, 'abandon_rate', flapping).map(([i, s]) => `${i}${s[0]}`)).toEqual(['0f', '1r', '2f', '3r', '4f', '5r']);
    const damped = new RuleEvaluator(validateRules([{ name: 'ab', when: 'abandon_rate > 0.08', resolve: { after: 2, threshold: 0.05 } }]));
    expect(feed(damped, 'abandon_rate', flapping).map(([i, s]) => `${i}${s[0]}`)).toEqual(['0f', '7r']);
  });

  it('compares with the same window one week earlier', () => {
    const [rule] = validateRules([{ name: 'aht_wow', when: 'aht_seconds increases by 25% vs 1w', window: '1h' }]);
    const ev = new RuleEvaluator([rule!]);
    const week = 7 * DAY;
    const at = (start: number, aht: number | null) => close(ev, row(start, { aht_seconds: aht }, HOUR));
    expect(at(T0, 300)).toEqual([]); // no baseline yet
    expect(at(T0 + HOUR, 400)).toEqual([]);
    expect(at(T0 + week, 370)).toEqual([]); // +23.3% vs 300
    const fired = at(T0 + week + HOUR, 500); // +25% vs 400 exactly: "increases by 25%" is reached
    expect(fired).toHaveLength(1);
    expect(fired[0]!.annotations).toMatchObject({ baseline: '400', current: '500', change: '+25%', threshold: '+25% vs 1w earlier' });
    expect(fired[0]!.annotations.description).toContain('the same window 1w earlier');
    // A missing baseline (no window a week before) is no data: it resolves.
    expect(at(T0 + week + 2 * HOUR, 900).map((a) => a.status)).toEqual(['resolved']);
  });

  it('missing windows break a streak (no data), and min_offered skips thin windows', () => {
    const [rule] = validateRules([{ name: 'sl', when: 'service_level < 0.8', for: 2, min_offered: 10 }]);
    const ev = new RuleEvaluator([rule!]);
    expect(close(ev, row(T0, { service_level: 0.5 }))).toEqual([]);
    expect(close(ev, row(T0 + 2 * W15, { service_level: 0.5 }))).toEqual([]); // T0+W15 missing
    expect(close(ev, row(T0 + 3 * W15, { service_level: 0.5, offered: 3 }))).toEqual([]); // too thin
    expect(close(ev, row(T0 + 4 * W15, { service_level: 0.5 }))).toEqual([]);
    expect(close(ev, row(T0 + 5 * W15, { service_level: 0.5 }))).toHaveLength(1);
    // Replaying an evaluated window does nothing.
    expect(close(ev, row(T0 + 5 * W15, { service_level: 0.5 }))).toEqual([]);
  });

  it('keeps its progress in KeyedState across a restart', () => {
    const rules = validateRules([{ name: 'sl', when: 'service_level < 0.8', for: 2 }]);
    const ev1 = new RuleEvaluator(rules);
    expect(close(ev1, row(T0, { service_level: 0.5 }))).toEqual([]);
    const saved = JSON.parse(JSON.stringify(ev1.status.drainChanges().upserts)) as Array<[string, never]>;
    const ev2 = new RuleEvaluator(rules);
    ev2.status.restore(saved);
    expect(close(ev2, row(T0 + W15, { service_level: 0.5 }))).toHaveLength(1);
  });

  it('resolves a firing alert whose rule has left the job (removed or renamed), saying so; it stayed firing for good', () => {
    const ev1 = new RuleEvaluator(validateRules([{ name: 'sl', when: 'service_level < 0.8' }]));
    const [firing] = close(ev1, row(T0, { service_level: 0.5 }));
    expect(firing!.status).toBe('firing');
    const saved = JSON.parse(JSON.stringify(ev1.status.drainChanges().upserts)) as Array<[string, never]>;
    // The next run's job calls the rule sl_low.
    const ev2 = new RuleEvaluator(validateRules([{ name: 'sl_low', when: 'service_level < 0.8' }]));
    ev2.status.restore(saved);
    const emptyRow = (size: number, start: number, queue: string, channel: string) => row(start, {}, size, queue, channel);
    const [resolved, ...more] = ev2.onWatermark(T0 + 3 * W15, emptyRow);
    expect(more).toEqual([]);
    expect(resolved).toMatchObject({ alert_id: firing!.alert_id, rule: 'sl', status: 'resolved' });
    expect(resolved!.annotations).toMatchObject({
      resolved_at: new Date(T0 + 3 * W15).toISOString(),
      resolution:
        'the rule sl no longer judges billing/voice in 15m windows (removed, renamed, or its queues, channels or window changed): its alert is closed unjudged',
    });
    // Once: its progress is gone.
    expect(ev2.onWatermark(T0 + 4 * W15, emptyRow)).toEqual([]);
    expect(ev2.status.size).toBe(0);
  });

  it('resolves it so too when the rule keeps its name but no longer judges its queue (it read "back within threshold" at 31% against 10%)', () => {
    const ev1 = new RuleEvaluator(validateRules([{ name: 'sl', when: 'service_level < 0.8' }]));
    const [firing] = close(ev1, row(T0, { service_level: 0.5 }));
    const saved = JSON.parse(JSON.stringify(ev1.status.drainChanges().upserts)) as Array<[string, never]>;
    const emptyRow = (size: number, start: number, queue: string, channel: string) => row(start, {}, size, queue, channel);
    for (const changed of [
      { name: 'sl', when: 'service_level < 0.8', queue: 'tech' },
      { name: 'sl', when: 'service_level < 0.8', channels: ['chat'] },
      { name: 'sl', when: 'service_level < 0.8', window: '1h' },
    ]) {
      const ev2 = new RuleEvaluator(validateRules([changed], { windowSizes: ['15m', '1h'] }));
      ev2.status.restore(saved);
      const [resolved] = ev2.onWatermark(T0 + 3 * W15, emptyRow);
      expect([changed, resolved!.alert_id, resolved!.annotations.resolution]).toEqual([changed, firing!.alert_id, expect.stringContaining('closed unjudged')]);
    }
    // Unchanged, it steps through the windows without contacts as before (no data: resolved as recovered).
    const same = new RuleEvaluator(validateRules([{ name: 'sl', when: 'service_level < 0.8' }]));
    same.status.restore(saved);
    expect(same.onWatermark(T0 + 3 * W15, emptyRow).map((a) => a.annotations.resolution)).toEqual([expect.stringContaining('back within threshold')]);
  });
});

describe('rules fire on evidence', () => {
  /** Counts with the given hits and trials for one rate. */
  function counts(kpi: RateKpi, hits: number, trials: number): RateCounts {
    return { ...NO_COUNTS, [kpi]: { hits, trials } };
  }

  it('a rate rule skips windows below the default min_offered of 20; a count rule does not', () => {
    const [abandon, resolvedRate] = validateRules([
      { name: 'ab', when: 'abandon_rate > 0.08' },
      { name: 'slow', when: 'resolved_per_minute < 2' },
    ]);
    expect(abandon!.minOffered).toBe(DEFAULT_MIN_OFFERED_FOR_SAMPLES);
    expect(DEFAULT_MIN_OFFERED_FOR_SAMPLES).toBe(20);
    expect(resolvedRate!.minOffered).toBe(0);
    const ev = new RuleEvaluator([abandon!]);
    // Issue 14's case: "offered 1, handled 0, abandon 100%".
    expect(close(ev, row(T0, { offered: 1, handled: 0, abandoned: 1, abandon_rate: 1 }))).toEqual([]);
    expect(close(ev, row(T0 + W15, { offered: 19, abandon_rate: 0.5 }))).toEqual([]);
    const fired = close(ev, row(T0 + 2 * W15, { offered: 20, abandon_rate: 0.5 }));
    expect(fired.map((a) => a.status)).toEqual(['firing']);
    expect(fired[0]!.annotations.offered).toBe('20');
    expect(fired[0]!.annotations.description).toContain('offered 20');

    const thin = new RuleEvaluator([resolvedRate!]);
    expect(close(thin, row(T0, { offered: 1, resolved_per_minute: 0 }))).toHaveLength(1);
  });

  it("a rate's contacts are in the description: its denominator is not offered when short abandons are left out", () => {
    const ev = new RuleEvaluator(validateRules([{ name: 'ab', when: 'abandon_rate > 0.08', confidence: 0.95 }]));
    // 15 of 69 (offered 72 less 3 short abandons) = 21.7%.
    const fired = close(ev, row(T0, { offered: 72, short_abandoned: 3, abandon_rate: 15 / 69 }), counts('abandon_rate', 15, 69));
    expect(fired[0]!.annotations.description).toMatch(
      /^abandon_rate was 21\.7% \(15 of 69\) in the 15m window .*; offered 72, 95% Wilson interval 13\.6% to 32\.8%\.$/,
    );
  });

  it('min_offered: 0 restores firing on any volume', () => {
    const ev = new RuleEvaluator(validateRules([{ name: 'ab', when: 'abandon_rate > 0.08', min_offered: 0 }]));
    expect(close(ev, row(T0, { offered: 1, abandon_rate: 1 }))).toHaveLength(1);
  });

  it('the Wilson guard fires only when the whole 95% interval clears the threshold', () => {
    const ev = new RuleEvaluator(validateRules([{ name: 'ab', when: 'abandon_rate > 0.08', confidence: 0.95 }]));
    // 12 of 100 = 0.12 > 0.08, but the interval is [0.0700, 0.1981] (SciPy oracle in wilson.test.ts).
    expect(close(ev, row(T0, { abandon_rate: 0.12 }), counts('abandon_rate', 12, 100))).toEqual([]);
    // 30 of 200 = 0.15: interval [0.10714, 0.20606] (scipy.stats.norm.ppf(0.975) in the formula).
    const fired = close(ev, row(T0 + W15, { offered: 200, abandon_rate: 0.15 }), counts('abandon_rate', 30, 200));
    expect(fired).toHaveLength(1);
    expect(fired[0]!.annotations.interval).toBe('95% Wilson interval [0.107136, 0.206056]');
    // The description is for people: one format per kind (percent with one decimal).
    expect(fired[0]!.annotations.description).toContain('abandon_rate was 15.0% (30 of 200) in the 15m window');
    expect(fired[0]!.annotations.description).toContain('breaching > 8.0% for 1 consecutive window');
    expect(fired[0]!.annotations.description).toContain('offered 200, 95% Wilson interval 10.7% to 20.6%.');
  });

  it('the guard reads the upper bound for a rule that fires below its threshold', () => {
    const ev = new RuleEvaluator(validateRules([{ name: 'sl', when: 'service_level < 0.8', confidence: '95%' }]));
    // 15 of 20 = 0.75 < 0.8, interval [0.5313, 0.8881]: not evidence.
    expect(close(ev, row(T0, { offered: 20, service_level: 0.75 }), counts('service_level', 15, 20))).toEqual([]);
    // 70 of 100 = 0.70, interval [0.6042, 0.7811] wholly below 0.8: fires.
    expect(close(ev, row(T0 + W15, { service_level: 0.7 }), counts('service_level', 70, 100))).toHaveLength(1);
  });

  it('a guarded change rule must clear the moved baseline', () => {
    const [rule] = validateRules([{ name: 'ab_wow', when: 'abandon_rate increases by 50% vs 1w', confidence: 0.95 }]);
    const ev = new RuleEvaluator([rule!]);
    expect(close(ev, row(T0, { abandon_rate: 0.05 }))).toEqual([]); // baseline 0.05: the bar is 0.075
    // 12 of 100 = +140%, but the lower bound 0.0700 is below 0.075.
    expect(close(ev, row(T0 + 7 * DAY, { abandon_rate: 0.12 }), counts('abandon_rate', 12, 100))).toEqual([]);
    expect(close(ev, row(T0 + W15, { abandon_rate: 0.05 }))).toEqual([]);
    // 30 of 200: lower bound 0.1071 >= 0.075: fires.
    const fired = close(ev, row(T0 + 7 * DAY + W15, { offered: 200, abandon_rate: 0.15 }), counts('abandon_rate', 30, 200));
    expect(fired).toHaveLength(1);
  });

  it('rejects a guard on a KPI that is not a rate, and a confidence outside (0, 1)', () => {
    expect(() => validateRules([{ name: 'a', when: 'aht_seconds > 300', confidence: 0.95 }])).toThrow(
      /field "confidence": the Wilson guard needs a rate KPI, not aht_seconds \(allowed: abandon_rate/,
    );
    expect(() => validateRules([{ name: 'a', when: 'abandon_rate > 0.1', confidence: 1.5 }])).toThrow(/confidence/);
  });

  it('the KPI operator hands the rate counts to the guard', () => {
    const rules = validateRules([{ name: 'ab', when: 'abandon_rate > 0.08', confidence: 0.95 }]);
    const op = new ContactKpiOperator({ windowSizesMs: [W15], rules });
    // [T0, T0+15m): 3 long abandons of 20 = 0.15, interval [0.0524, 0.3604]: no alert.
    // [T0+15m, T0+30m): 60 of 200 = 0.3, interval lower bound well above 0.08: alert.
    for (let i = 0; i < 20; i++) op.process(contact({ queue: 'billing', queued: T0 + i * 30_000, answerAfter: i < 3 ? null : 3, duration: 60 }));
    for (let i = 0; i < 200; i++) {
      op.process(contact({ queue: 'billing', queued: T0 + W15 + i * 4_000, answerAfter: i < 60 ? null : 3, duration: 60 }));
    }
    op.onWatermark(T0 + 2 * W15);
    const alerts = op.drainOutputs().flatMap((o) => (o.kind === 'alert' ? (o.rows as unknown as Alert[]) : []));
    expect(alerts.map((a) => [a.window_start, a.status])).toEqual([[T0 + W15, 'firing']]);
  });
});

describe('rules inside the KPI operator', () => {
  function run(): Alert[] {
    const rules = validateRules(
      [
        { name: 'slow_resolution', when: 'resolved_per_minute < 2', queue: 'billing', severity: 'critical' },
        { name: 'tech_abandon', when: 'abandon_rate > 0.08', queue: 'tech', min_offered: 10 },
      ],
      { knownQueues: ['billing', 'tech'] },
    );
    const op = new ContactKpiOperator({ windowSizesMs: [W15], rules });
    // [10:00, 10:15): 20 resolved billing contacts -> 20/15 = 1.33 per minute < 2 -> fires.
    for (let i = 0; i < 20; i++) op.process(contact({ queue: 'billing', queued: T0 + i * 30_000, answerAfter: 3, duration: 60 }));
    // [10:15, 10:30): 45 resolved -> 3 per minute -> recovered -> resolves.
    for (let i = 0; i < 45; i++) op.process(contact({ queue: 'billing', queued: T0 + W15 + i * 20_000, answerAfter: 3, duration: 60 }));
    // tech: 1 long abandon of 10 offered -> 0.1 > 0.08 -> fires.
    for (let i = 0; i < 10; i++) {
      op.process(contact({ queue: 'tech', queued: T0 + i * MIN, answerAfter: i === 0 ? null : 3, duration: 60 }));
    }
    const alerts: Alert[] = [];
    op.onWatermark(T0 + W15 - 1);
    expect(op.drainOutputs().some((o) => o.kind === 'alert')).toBe(false); // not closed yet
    op.onWatermark(T0 + W15);
    op.onWatermark(T0 + 2 * W15);
    for (const o of op.drainOutputs()) if (o.kind === 'alert') alerts.push(...(o.rows as unknown as Alert[]));
    return alerts;
  }

  it('emits analytic alerts with stable ids when windows close', () => {
    const alerts = run();
    expect(alerts.map((a) => [a.rule, a.status, a.labels.queue])).toEqual([
      ['slow_resolution', 'firing', 'billing'],
      ['tech_abandon', 'firing', 'tech'],
      ['slow_resolution', 'resolved', 'billing'],
      // tech has no contact in [10:15, 10:30): no data, which resolves (resolve.after 1).
      ['tech_abandon', 'resolved', 'tech'],
    ]);
    expect(alerts[0]!.alert_id).toBe(stableAlertId('slow_resolution', T0, 'billing', 'voice'));
    expect(alerts[0]!.annotations.current).toBe(String(Number((20 / 15).toPrecision(6))));
    expect(alerts[0]!.severity).toBe('critical');
    expect(run().map((a) => a.alert_id)).toEqual(alerts.map((a) => a.alert_id)); // a replay gives the same ids
  });
});

describe('a firing rule whose queue goes quiet', () => {
  const rules = validateRules([{ name: 'abandon_high', when: 'abandon_rate > 0.10', queue: 'q2', min_offered: 10, resolve: { after: 2 } }], {
    knownQueues: ['q1', 'q2'],
  });
  /** q2: 20 contacts in the first window, 10 of them abandoned; q1 has contacts in every window up to `windows`. */
  function operator(windows: number): ContactKpiOperator {
    const op = new ContactKpiOperator({ windowSizesMs: [W15], rules });
    for (let i = 0; i < 20; i++) op.process(contact({ queue: 'q2', queued: T0 + i * 30_000, answerAfter: i % 2 === 0 ? null : 3, duration: 60 }));
    for (let w = 0; w < windows; w++) op.process(contact({ queue: 'q1', queued: T0 + w * W15 + MIN, answerAfter: 3, duration: 60 }));
    return op;
  }
  const alertsOf = (op: ContactKpiOperator): Alert[] => op.drainOutputs().flatMap((o) => (o.kind === 'alert' ? (o.rows as unknown as Alert[]) : []));

  it('resolves after resolve.after windows without contacts, dated by them (it stayed firing for good)', () => {
    const op = operator(6);
    op.onWatermark(T0 + W15);
    expect(alertsOf(op).map((a) => a.status)).toEqual(['firing']);
    op.onWatermark(T0 + 2 * W15);
    expect(alertsOf(op)).toEqual([]); // one quiet window of the two
    op.onWatermark(T0 + 5 * W15);
    const [resolved] = alertsOf(op);
    expect(resolved).toMatchObject({ status: 'resolved', labels: { queue: 'q2' } });
    expect(resolved!.annotations['resolved_at']).toBe(new Date(T0 + 3 * W15).toISOString());
  });

  it('at the end of an input, the windows after its last event are not quiet: no resolution from them', () => {
    const op = operator(1);
    op.onWatermark(T0 + W15);
    expect(alertsOf(op).map((a) => a.status)).toEqual(['firing']);
    op.onWatermark(Number.POSITIVE_INFINITY);
    expect(alertsOf(op)).toEqual([]);
  });
});
