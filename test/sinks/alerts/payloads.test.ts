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
});
