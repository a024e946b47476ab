import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../sinks/alerts/errors.js';
import { KafkaAlertReceiver } from '../../../sinks/alerts/kafka.js';
import { deliveredAlert } from '../../../sinks/alerts/outbox.js';
import { makeAlert } from './helpers.js';

describe('Kafka alert receiver', () => {
  it('brokers it cannot reach fail a send within the delivery timeout, as a timeout (it connected for 30 s whatever the timeout)', async () => {
    const receiver = new KafkaAlertReceiver({ name: 'alerts-topic', brokers: '127.0.0.1:1', topic: 'pulse-alerts', key: 'alert_id', timeoutMs: 500 });
    const alert = deliveredAlert(makeAlert({ rule: 'AbandonHigh', subject: 'billing' }));
    const notification = {
      receiver: 'alerts-topic',
      groupKey: '{}',
      groupLabels: {},
      status: 'firing' as const,
      alerts: [alert],
      idempotencyKey: 'k',
      externalURL: '',
    };
    const error = await receiver.send(notification).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).reason).toBe('timeout');
    expect((error as DeliveryError).permanent).toBe(false);
    expect((error as Error).message).toMatch(/^Kafka receiver 'alerts-topic': cannot connect producer to 127\.0\.0\.1:1 within 500 ms/);
    await receiver.close();
  });
});
