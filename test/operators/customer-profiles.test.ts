/**
 * One store of customer profiles per shard, read by service_triggers, customer_shifts and
 * population_drift (operators/customer-profiles.ts): each reads the profile as it was when its
 * event arrived whatever the batch, the profile is kept once, and state an earlier version wrote
 * (each operator's own copy) is taken into the store on restore.
 */
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import type { Alert } from '../../operators/alert.js';
import { CUSTOMER_PROFILES, ProfileStore, withProfileStore } from '../../operators/customer-profiles.js';
import { EventDecoder } from '../../operators/decode.js';
import type { ProfileEvent } from '../../operators/events.js';
import { createLocals, type OperatorPlan } from '../../operators/parallel.js';
import { populationDriftOptionsFromConfig, populationDriftPlan } from '../../operators/population-drift/index.js';
import { SERVICE_TRIGGERS_OPERATOR } from '../../operators/service/index.js';
import { customerShiftPlan, resolveShiftConfig } from '../../operators/shifts/index.js';
import { stateRowsOf } from '../../operators/state-pack.js';
import { Shard } from '../../pipelines/shards/shard.js';

const MON = Date.UTC(2026, 2, 2);
const GATE = { allowedLatenessMs: 7 * 86_400_000, maxFutureMs: 86_400_000, minTimeMs: 0 };
let seq = 0;

const profile = (customer: string, ts: number, fields: Record<string, unknown>): string =>
  JSON.stringify({ type: 'profile', event_id: `p${++seq}`, ts, customer_id: customer, ...fields });
const survey = (customer: string, ts: number): string =>
  JSON.stringify({ type: 'survey', event_id: `s${++seq}`, ts, customer_id: customer, survey_id: `S${seq}`, answers: { q: 1 } });
const refund = (customer: string, ts: number): string =>
  JSON.stringify({ type: 'transaction', event_id: `t${++seq}`, ts, customer_id: customer, amount: -900, currency: 'EUR', channel: 'web' });

/** A service rule that fires on every survey answer of 1 from a southern customer, labelled with the tier. */
const servicePlan = (): OperatorPlan =>
  SERVICE_TRIGGERS_OPERATOR.build('service', parse('survey_rules: [{ name: south_survey, when: answers.q == 1, customer: region == south }]'), {
    allowedLatenessMs: GATE.allowedLatenessMs,
  });
const shiftsPlan = (): OperatorPlan =>
  customerShiftPlan(
    'customer_shifts',
    resolveShiftConfig({ measures: ['spend_total'], instant: [{ rule: 'refund', threshold: 100 }], silence: { enabled: false } }),
  );
const driftPlan = (): OperatorPlan => populationDriftPlan(populationDriftOptionsFromConfig({ name: 'population_drift', period: '7d' }));

/** The plans as the runner builds them (the profile store first) and one shard over them. */
function shardOf(...plans: OperatorPlan[]): Shard {
  const all = withProfileStore(plans);
  return new Shard(() => createLocals(all), { gate: GATE, trackOwners: false, portable: false });
}

/** Runs `lines` through the shard in batches of `size` records; the alerts. */
function alertsOf(shard: Shard, lines: readonly string[], size: number): Alert[] {
  for (let at = 0; at < lines.length; at += size) {
    const records = lines.slice(at, at + size).map((value, i) => ({ offset: at + i, value }));
    const result = shard.process({ source: 'events', partition: 'p', records, now: MON + 30 * 86_400_000 });
    expect(result.rejections).toEqual([]);
  }
  return shard.drain().outputs.flatMap((out) => (out.kind === 'alert' && 'rows' in out ? (out.rows as unknown as Alert[]) : []));
}

describe('the profile store on a shard', () => {
  const lines = [
    profile('C1', MON, { tier: 'Gold', region: 'south', account_owner: 'ana@example.com' }),
    survey('C1', MON + 1000),
    refund('C1', MON + 1500),
    profile('C1', MON + 2000, { tier: 'Silver' }),
    profile('C1', MON + 2500, { account_owner: 'bo@example.com' }),
    survey('C1', MON + 3000),
    refund('C1', MON + 3500),
    profile('C1', MON + 4000, { region: 'north' }),
    survey('C1', MON + 5000),
  ];

  test.each([1, 2, 4, 100])('each operator reads the profile as it was when its event arrived, in batches of %i', (size) => {
    const alerts = alertsOf(shardOf(servicePlan(), shiftsPlan()), lines, size);
    // The survey after the move north fires nothing; the refunds name the owner and tier of their time.
    expect(alerts.filter((a) => a.kind === 'service').map((a) => a.labels['tier'])).toEqual(['Gold', 'Silver']);
    expect(alerts.filter((a) => a.rule === 'CustomerLargeRefund').map((a) => [a.labels['tier'], a.labels['account_owner']])).toEqual([
      ['Gold', 'ana@example.com'],
      ['Silver', 'bo@example.com'],
    ]);
  });

  test('keeps the profile once: no operator writes it in its own state', () => {
    const shard = shardOf(servicePlan(), shiftsPlan(), driftPlan());
    alertsOf(shard, lines, 3);
    const rows = [...stateRowsOf(shard.drainState().state)];
    const withProfile = rows.filter((row) => row.value?.includes('ana@example.com') || row.value?.includes('bo@example.com'));
    expect(withProfile.map((row) => `${row.operator}/${row.state}/${row.key}`)).toEqual([`${CUSTOMER_PROFILES}/${CUSTOMER_PROFILES}/C1`]);
    // Drift reads the profile as of a week's end: the changes since the first are kept apart until then.
    expect(JSON.parse(withProfile[0]!.value!)).toMatchObject({
      ts: MON,
      tier: 'Gold',
      later: [
        { ts: MON + 2000, tier: 'Silver' },
        { ts: MON + 2500, account_owner: 'bo@example.com' },
        { ts: MON + 4000, region: 'north' },
      ],
    });
  });

  test('takes the profiles an earlier version kept in each operator into the store, and drops those copies', () => {
    const shard = shardOf(servicePlan(), shiftsPlan(), driftPlan());
    // State as the version before the store wrote it: each operator with its own copy.
    const profile = {
      tier: 'Gold',
      account_owner: 'ana@example.com',
      region: 'south',
      age_band: '35-44',
      signup_date: '2024-01-01',
      attributes: { segment: 'family' },
      ts: MON,
    };
    const legacy = {
      service: profile,
      shifts: {
        first: null,
        series: {},
        open: [],
        amounts: [],
        metrics: [],
        profile: { account_owner: 'ana@example.com', tier: 'Gold', region: 'south', ts: MON },
      },
      drift: {
        firstSeen: MON,
        lastSeen: MON,
        open: {},
        monthIdx: null,
        monthSpend: null,
        monthCount: null,
        lastPurchase: null,
        profiles: [{ ts: MON, attrs: { region: 'south', age_band: '35-44' } }],
        tier: null,
        scored: null,
      },
    };
    shard.restore({
      watermark: MON,
      // By plan: the store (none yet), service, shifts, drift.
      states: [
        {},
        { profiles: [['C1', JSON.stringify(legacy.service)]] },
        { customers: [['C1', JSON.stringify(legacy.shifts)]] },
        { customers: [['C1', JSON.stringify(legacy.drift)]] },
      ],
      windows: [],
      dedup: [],
      owners: [],
    });
    const alerts = alertsOf(shard, [survey('C1', MON + 1000), refund('C1', MON + 2000)], 10);
    expect(alerts.find((a) => a.kind === 'service')?.labels).toMatchObject({ tier: 'Gold', account_owner: 'ana@example.com' });
    expect(alerts.find((a) => a.rule === 'CustomerLargeRefund')?.labels).toMatchObject({ tier: 'Gold', region: 'south', account_owner: 'ana@example.com' });
    const rows = [...stateRowsOf(shard.drainState().state)];
    const row = (operator: string, state: string) => rows.find((r) => r.operator === operator && r.state === state && r.key === 'C1');
    expect(row('service', 'profiles')).toEqual(expect.objectContaining({ value: null }));
    expect(row('customer_shifts', 'customers')?.value).not.toContain('"profile"');
    expect(row('population_drift', 'customers')?.value).not.toContain('"profiles"');
    expect(JSON.parse(row(CUSTOMER_PROFILES, CUSTOMER_PROFILES)!.value!)).toMatchObject(profile);
  });
});

describe('ProfileStore', () => {
  const decoder = new EventDecoder();
  const change = (ts: number, fields: Record<string, unknown>): ProfileEvent => {
    const result = decoder.decode(profile('C1', ts, fields));
    if (!result.ok) throw new Error(result.detail);
    return result.event as ProfileEvent;
  };

  test('folds changes in event time: a late one fills in what the newer ones left unknown', () => {
    const changes = [
      change(MON + 2000, { tier: 'Gold' }),
      change(MON + 3000, { region: null }),
      // Arrives last, dated first: its tier and region are older than the changes above.
      change(MON + 1000, { tier: 'Bronze', region: 'south', age_band: '35-44', segment: 'family' }),
    ];
    for (const history of [false, true]) {
      const store = new ProfileStore(history);
      for (const c of changes) store.process(c);
      expect(store.latest('C1'), `history ${history}`).toMatchObject({
        tier: 'Gold',
        region: null,
        age_band: '35-44',
        attributes: { segment: 'family' },
        ts: MON + 3000,
      });
    }
  });

  test('as of a time, with the history kept: the changes before it, in event time', () => {
    const store = new ProfileStore(true);
    store.process(change(MON + 2000, { tier: 'Gold' }));
    store.process(change(MON + 4000, { tier: 'Platinum', region: 'north' }));
    store.process(change(MON + 1000, { tier: 'Bronze', region: 'south' }));
    expect(store.asOf('C1', MON + 500)).toBeUndefined();
    expect(store.asOf('C1', MON + 3000)).toMatchObject({ tier: 'Gold', region: 'south' });
    // A change that arrives after that time was asked for, dated before it, lands under the newer ones.
    store.process(change(MON + 2500, { tier: 'Silver', age_band: '25-34' }));
    expect(store.asOf('C1', MON + 3500)).toMatchObject({ tier: 'Silver', region: 'south', age_band: '25-34' });
    expect(store.latest('C1')).toMatchObject({ tier: 'Platinum', region: 'north', age_band: '25-34' });
  });

  test('an attribute named __proto__ stays an attribute', () => {
    const store = new ProfileStore(false);
    store.process(change(MON, JSON.parse('{"__proto__": "x", "segment": "family"}') as Record<string, unknown>));
    store.process(change(MON + 1, { tier: 'Gold' }));
    const attributes = store.latest('C1')!.attributes!;
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.hasOwn(attributes, '__proto__') && attributes['__proto__']).toBe('x');
  });
});
