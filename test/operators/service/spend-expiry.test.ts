import { describe, expect, test } from 'vitest';
import type { SpendState } from '../../../operators/service/types.js';
import { DAY, HOUR, T0, contact, operatorFromYaml, persist, transaction } from './helpers.js';

const RULES = `
trailing_spend_days: 3
survey_rules:
  - name: hard_install
    when: answers.ease_of_install <= 5
`;

describe('trailing spend state expiry', () => {
  test('keeps exactly the days a later event can still count, as the watermark moves hour by hour', () => {
    const lateness = 2 * HOUR;
    const op = operatorFromYaml(RULES, lateness);
    const store = new Map<string, Map<string, unknown>>();
    const day0 = T0 / DAY;
    // One purchase a day at 10:00 for 8 days, for two customers (one stops after day 2).
    const spendDays = (customer: string): number[] | undefined => (store.get('spend')?.get(customer) as SpendState | undefined)?.days;
    for (let d = 0; d < 8; d++) {
      op.process(transaction('steady', 10, T0 + d * DAY + 10 * HOUR));
      if (d < 3) op.process(transaction('stops', 10, T0 + d * DAY + 10 * HOUR));
      for (let h = 11; h <= 34; h++) {
        const watermark = T0 + d * DAY + h * HOUR;
        op.onWatermark(watermark);
        persist(op, store);
        // Hand-computed: days from utcDay(watermark - lateness) - 3 + 1 on, of the days with a purchase.
        const firstKept = Math.floor((watermark - lateness) / DAY) - 2;
        const purchased = (last: number): number[] => Array.from({ length: last + 1 }, (_, i) => day0 + i).filter((day) => day >= firstKept);
        expect(spendDays('steady'), `day ${d} hour ${h}`).toEqual(purchased(d));
        const stops = purchased(Math.min(d, 2));
        expect(spendDays('stops'), `day ${d} hour ${h}`).toEqual(stops.length > 0 ? stops : undefined);
      }
    }
  });
});

describe('recent contacts and cooldowns expiry', () => {
  const FOLLOWED = `
interaction_rules:
  - name: irate
    trigger: unresolved_contacts
    count: 3
    within: 8d
    cooldown: 16h
  - name: angry
    trigger: negative_text
    threshold: -3
    cooldown: 16h
`;

  test('each is kept while an event within the lateness can use it, and goes within an eighth of its horizon after', () => {
    const lateness = 2 * HOUR;
    const op = operatorFromYaml(FOLLOWED, lateness);
    const store = new Map<string, Map<string, unknown>>();
    op.process(contact('c', T0, { disposition: 'unresolved', text: 'terrible, awful, horrible service' }));
    // Hour by hour; the horizon is watermark - lateness.
    for (let h = 1; h <= 10 * 24; h++) {
      const watermark = T0 + h * HOUR;
      op.onWatermark(watermark);
      persist(op, store);
      const horizon = watermark - lateness;
      const contactKept = store.get('contacts')?.has('c') ?? false;
      const cooldownKept = (store.get('cooldowns')?.size ?? 0) > 0;
      // A later contact at the horizon still counts this one within 8 days, and the cooldown still holds it back.
      if (horizon - 8 * DAY < T0 + 1) expect(contactKept, `hour ${h}`).toBe(true);
      if (horizon - T0 < 16 * HOUR) expect(cooldownKept, `hour ${h}`).toBe(true);
      // Gone within an eighth of the horizon (and the hour between passes).
      if (horizon - 8 * DAY >= T0 + DAY + HOUR) expect(contactKept, `hour ${h}`).toBe(false);
      if (horizon - T0 >= 16 * HOUR + 2 * HOUR + HOUR) expect(cooldownKept, `hour ${h}`).toBe(false);
    }
  });
});
