import { describe, expect, it } from 'vitest';
import { deliveredAlert } from '../../../sinks/alerts/outbox.js';
import { postableAlerts, webhookPayload } from '../../../sinks/alerts/payloads.js';
import type { Notification } from '../../../sinks/alerts/types.js';
import { makeAlert } from './helpers.js';

function notification(customerIds: Array<string | null>): Notification {
  const alerts = customerIds.map((customer, i) =>
    deliveredAlert(makeAlert({ rule: 'CustomerSpendDrop', subject: `s${i}`, kind: 'sales', customer_id: customer })),
  );
  return { receiver: 'hook', groupKey: '{}', groupLabels: {}, status: 'firing', alerts, idempotencyKey: 'k', externalURL: '' };
}

describe('alert payloads', () => {
  it('name the customer an alert concerns (SPEC section 5) in its annotations, never in its bounded labels', () => {
    const n = notification(['C000123', null]);
    const webhook = webhookPayload(n);
    expect(webhook.alerts.map((a) => a.annotations['customer_id'])).toEqual(['C000123', undefined]);
    expect(webhook.alerts.every((a) => !('customer_id' in a.labels))).toBe(true);
    // Not common to the group: one alert has no customer.
    expect(webhook.commonAnnotations['customer_id']).toBeUndefined();
    expect(postableAlerts(n).map((a) => a.annotations['customer_id'])).toEqual(['C000123', undefined]);
    expect(webhookPayload(notification(['C1', 'C1'])).commonAnnotations['customer_id']).toBe('C1');
  });

  it('a resolved alert starts when it fired and ends when it resolved (its resolved_at), as the firing said', () => {
    // The shape of a KPI rule's and a drift rescoring's resolution: the firing record with status
    // resolved and the annotation resolved_at (operators/rules/evaluator.ts, population-drift/global.ts).
    const firing = makeAlert({
      rule: 'ServiceLevelLow',
      subject: 'billing',
      kind: 'analytic',
      window_start: Date.parse('2026-01-15T00:00:00Z'),
      fired_at: Date.parse('2026-01-16T00:00:00Z'),
    });
    const resolved = { ...firing, status: 'resolved' as const, annotations: { ...firing.annotations, resolved_at: '2026-01-19T00:00:00.000Z' } };
    expect(deliveredAlert(firing)).toMatchObject({ startsAt: '2026-01-16T00:00:00.000Z', endsAt: '0001-01-01T00:00:00Z' });
    expect(deliveredAlert(resolved)).toMatchObject({ startsAt: '2026-01-16T00:00:00.000Z', endsAt: '2026-01-19T00:00:00.000Z' });
    // Without resolved_at the record's own time ends it.
    const bare = { ...firing, status: 'resolved' as const };
    expect(deliveredAlert(bare)).toMatchObject({ startsAt: '2026-01-16T00:00:00.000Z', endsAt: '2026-01-16T00:00:00.000Z' });
  });
});
