/**
 * Profile events that name only what changed (a CRM's change stream): every operator that keeps
 * profiles keeps the attributes an event leaves out and clears those it gives as null. The events
 * are decoded from NDJSON lines, so "left out" is what the decoder makes of a missing field.
 */
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import type { Alert } from '../../operators/alert.js';
import { EventDecoder } from '../../operators/decode.js';
import type { ProfileEvent, PulseEvent } from '../../operators/events.js';
import { resolveServiceTriggers } from '../../operators/service/config.js';
import { ServiceTriggersOperator } from '../../operators/service/operator.js';
import { resolveShiftConfig } from '../../operators/shifts/config.js';
import { CustomerShiftOperator } from '../../operators/shifts/operator.js';
import { Collected, MON, WEEK, build, run, tx } from './population-drift/helpers.js';

const decoder = new EventDecoder();
let seq = 0;

/** A profile event decoded from a record with exactly `fields` besides its id, time and customer. */
function profileRecord(customer: string, ts: number, fields: Record<string, unknown>): ProfileEvent {
  const result = decoder.decode(JSON.stringify({ type: 'profile', event_id: `p${++seq}`, ts, customer_id: customer, ...fields }));
  if (!result.ok) throw new Error(`profile record refused: ${result.detail}`);
  return result.event as ProfileEvent;
}

const FULL = { account_owner: 'ana@example.com', region: 'north', age_band: '35-44', tier: 'Gold', signup_date: '2024-01-01', segment: 'family' };

describe('decoding a profile change', () => {
  test('a field left out is undefined, one given as null is null', () => {
    const change = profileRecord('C1', MON, { tier: 'Silver', region: null, segment: null });
    expect(change.tier).toBe('Silver');
    expect(change.region).toBeNull();
    expect(change.account_owner).toBeUndefined();
    expect(change.age_band).toBeUndefined();
    expect(change.signup_date).toBeUndefined();
    expect({ ...change.attributes }).toEqual({ segment: null });
  });

  test('a blank tier, region, age band or owner (an empty cell) is none', () => {
    const blank = profileRecord('C1', MON, { tier: '  ', region: '', age_band: ' ', account_owner: '' });
    expect([blank.tier, blank.region, blank.age_band, blank.account_owner]).toEqual([null, null, null, null]);
  });
});

describe('service_triggers', () => {
  const op = (): ServiceTriggersOperator =>
    new ServiceTriggersOperator(
      'service',
      resolveServiceTriggers(
        parse(`
survey_rules:
  - name: gold_south_family
    when: answers.q == 1
    customer: tier == Gold and region == south and profile.segment == family
`),
        0,
      ),
    );
  const survey = (customer: string, ts: number): PulseEvent => ({
    type: 'survey',
    event_id: `s${++seq}`,
    ts,
    customer_id: customer,
    survey_id: `S${seq}`,
    answers: { q: 1 },
    comment: null,
  });
  const alerts = (service: ServiceTriggersOperator): Alert[] =>
    service.drainOutputs().flatMap((out) => (out.kind === 'alert' ? (out.rows as unknown as Alert[]) : []));

  test('a change of one attribute keeps the others; null clears one', () => {
    const service = op();
    service.process(profileRecord('C1', MON, FULL));
    service.process(profileRecord('C1', MON + 1000, { region: 'south' }));
    service.process(survey('C1', MON + 2000));
    const [fired] = alerts(service);
    expect(fired?.labels).toMatchObject({ tier: 'Gold', account_owner: 'ana@example.com' });

    service.process(profileRecord('C1', MON + 3000, { account_owner: null }));
    service.process(survey('C1', MON + 4000));
    const [again] = alerts(service);
    expect(again?.labels['tier']).toBe('Gold');
    expect(again?.labels['account_owner']).toBeUndefined();

    service.process(profileRecord('C1', MON + 5000, { segment: null }));
    service.process(survey('C1', MON + 6000));
    expect(alerts(service)).toEqual([]);
  });

  test('an older change arriving later fills in only what is still unknown', () => {
    const service = op();
    service.process(profileRecord('C1', MON + 1000, { ...FULL, region: 'south' }));
    service.process(profileRecord('C1', MON, { tier: 'Bronze', region: null }));
    service.process(survey('C1', MON + 2000));
    expect(alerts(service).map((a) => a.labels['tier'])).toEqual(['Gold']);

    // A change of the tier, then the whole profile from before it: the rest of the profile counts.
    const late = op();
    late.process(profileRecord('C2', MON + 1000, { tier: 'Gold' }));
    late.process(profileRecord('C2', MON, { ...FULL, tier: 'Bronze', region: 'south' }));
    late.process(survey('C2', MON + 2000));
    expect(alerts(late).map((a) => a.labels)).toEqual([expect.objectContaining({ tier: 'Gold', account_owner: 'ana@example.com' })]);
  });
});

describe('customer_shifts', () => {
  test("an instant alert names the customer's owner, tier and region after a change of one of them", () => {
    const shifts = new CustomerShiftOperator('shifts', resolveShiftConfig({ instant: [{ rule: 'refund', threshold: 100 }] }));
    shifts.process(profileRecord('C1', MON, FULL));
    shifts.process(profileRecord('C1', MON + 1000, { tier: 'Platinum' }));
    shifts.process(tx('C1', MON + 2000, -150));
    const rows = shifts.drainOutputs().flatMap((out) => (out.kind === 'alert' ? (out.rows as unknown as Alert[]) : []));
    expect(rows.map((r) => r.labels)).toEqual([
      expect.objectContaining({ alertname: 'CustomerLargeRefund', account_owner: 'ana@example.com', tier: 'Platinum', region: 'north' }),
    ]);
  });

  test('the whole profile arriving after a newer change of the tier fills in the owner and region, not the tier', () => {
    const shifts = new CustomerShiftOperator('shifts', resolveShiftConfig({ instant: [{ rule: 'refund', threshold: 100 }] }));
    shifts.process(profileRecord('C1', MON + 1000, { tier: 'Platinum' }));
    shifts.process(profileRecord('C1', MON, FULL));
    shifts.process(tx('C1', MON + 2000, -150));
    const rows = shifts.drainOutputs().flatMap((out) => (out.kind === 'alert' ? (out.rows as unknown as Alert[]) : []));
    expect(rows.map((r) => r.labels)).toEqual([expect.objectContaining({ account_owner: 'ana@example.com', tier: 'Platinum', region: 'north' })]);
  });
});

describe('population_drift', () => {
  /**
   * 40 customers, half north and half south, spending in two weeks; at the start of the second
   * week customer i gets a change event with `second(i)`. The region feature compares the two weeks.
   */
  function regionDrift(second: (i: number) => Record<string, unknown>): Record<string, unknown> {
    const events: PulseEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `c${i}`;
      events.push(profileRecord(id, MON + i, { ...FULL, region: i % 2 === 0 ? 'north' : 'south' }));
      events.push(tx(id, MON + 1000 + i, 20 + i), tx(id, MON + WEEK + 1000 + i, 20 + i));
      events.push(profileRecord(id, MON + WEEK + 500 + i, second(i)));
    }
    const out = new Collected();
    run(
      build({
        features: [
          { name: 'spend', source: 'spend', key: true },
          { name: 'region', source: 'profile', attribute: 'region' },
        ],
      }),
      events,
      out,
    );
    const region = out.rows('drift_metric').find((r) => r['feature'] === 'region');
    if (region === undefined) throw new Error('no drift_metrics row for region');
    return region;
  }

  test('a change that leaves the region out does not move the region distribution', () => {
    const region = regionDrift(() => ({ tier: 'Silver' }));
    expect(region['statistics']).toMatchObject({ reference_size: 40, current_size: 40, chi2: 0 });
    expect(region['score']).toBe(0);
    expect(region['drifted']).toBe(false);
  });

  test("a change that clears the region takes the customer out of the region's counts", () => {
    const region = regionDrift((i) => (i % 2 === 0 ? { region: null } : { tier: 'Silver' }));
    // Only the south half has a region left: north 20 / south 20 before, 0 / 20 after. Chi-square
    // of that 2x2 table by hand: 60 * (20 * 20 - 20 * 0)^2 / (40 * 20 * 20 * 40) = 15.
    expect(region['statistics']).toMatchObject({ reference_size: 40, current_size: 20, chi2: 15 });
    expect(region['drifted']).toBe(true);
  });
});
