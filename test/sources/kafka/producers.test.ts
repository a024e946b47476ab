import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReceivers } from '../../../sinks/alerts/registry.js';
import { KafkaAlertReceiver } from '../../../sinks/alerts/kafka.js';
import { DEFAULT_DELIVERY, parseAlertingConfig } from '../../../sinks/alerts/config.js';
import { ZERO_TIME, type Notification } from '../../../sinks/alerts/types.js';
import { KafkaDeadLetterProducer, type DeadLetter } from '../../../sources/kafka/dead-letter.js';
import { startMockCluster, type MockCluster } from '../../../sources/kafka/mock-cluster.js';
import { killKcats, readAll } from './helpers.js';

let cluster: MockCluster;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cluster = await startMockCluster(3);
});

afterAll(async () => {
  for (const close of closers) await close();
  killKcats();
  await cluster?.close();
});

/** kcat -J lists headers as a flat array [name, value, name, value, ...]. */
function headerMap(flat: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; flat && i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

describe('Kafka producers on the mock cluster, read back with kcat', () => {
  it('dead-letter messages are the messages that came, key and headers kept, with the reason headers after theirs', async () => {
    const dlq = new KafkaDeadLetterProducer({ brokers: cluster.bootstrap, topic: 'pulse-dlq', timeoutMs: 10_000 });
    closers.push(() => dlq.close());
    const letters: DeadLetter[] = [
      {
        raw: 'not json {',
        reason: 'invalid_json',
        detail: 'not valid JSON: Unexpected token',
        partition: 'events/2',
        offset: 41,
        envelope: { key: Buffer.from('C17'), headers: [{ 'trace-id': Buffer.from('t-1') }, { origin: 'crm' }] },
      },
      { raw: '{"type":"usage","quantity":-2}', reason: 'impossible_value', detail: "field 'quantity': must be >= 0", partition: 'events/0', offset: 7 },
      {
        raw: '{"type":"x"}',
        reason: 'unknown_type',
        detail: 'field \'type\': "x" is not one of ...',
        partition: 'events/2',
        offset: 42,
        envelope: { key: 'C17', headers: [] },
      },
    ];
    await dlq.send(letters);
    const got = await readAll(cluster.bootstrap, 'pulse-dlq');
    expect(got.length).toBe(3);
    const byRaw = new Map(got.map((m) => [m.payload, m]));
    const pulseHeaders = (letter: DeadLetter): string[] => [
      'pulse-reason',
      letter.reason,
      'pulse-detail',
      letter.detail,
      'pulse-source-partition',
      letter.partition,
      'pulse-offset',
      String(letter.offset),
    ];
    expect(byRaw.get(letters[0]!.raw)).toMatchObject({ key: 'C17', headers: ['trace-id', 't-1', 'origin', 'crm', ...pulseHeaders(letters[0]!)] });
    expect(byRaw.get(letters[1]!.raw)).toMatchObject({ key: null, headers: pulseHeaders(letters[1]!) });
    expect(byRaw.get(letters[2]!.raw)).toMatchObject({ key: 'C17', headers: pulseHeaders(letters[2]!) });
    // The letters of one key share a Kafka partition, in order.
    const c17 = got.filter((m) => m.key === 'C17');
    expect(new Set(c17.map((m) => m.partition)).size).toBe(1);
    expect(c17.map((m) => m.payload)).toEqual([letters[0]!.raw, letters[2]!.raw]);
  });

  it('the kafka alert receiver is registered and produces one message per alert, keyed by alert id', async () => {
    const { config } = parseAlertingConfig({
      receivers: [{ name: 'bus', type: 'kafka', topic: 'pulse-alerts', brokers: cluster.bootstrap }],
      route: { receiver: 'bus' },
    });
    const receivers = buildReceivers(config.receivers, { ...DEFAULT_DELIVERY, timeoutMs: 10_000 }, {});
    const receiver = receivers.get('bus')!;
    expect(receiver).toBeInstanceOf(KafkaAlertReceiver);
    closers.push(() => receiver.close!());
    const alerts: Notification['alerts'] = [
      {
        alertId: 'a1b2c3',
        status: 'firing',
        labels: { alertname: 'SpendDrop', kind: 'sales', severity: 'warning', alert_id: 'a1b2c3' },
        annotations: { summary: 'spend fell', baseline: '120', current: '30' },
        startsAt: '2026-01-05T10:00:00Z',
        endsAt: ZERO_TIME,
        generatorURL: 'http://pulse/alerts/a1b2c3',
        customerId: 'C17',
      },
      {
        alertId: 'd4e5f6',
        status: 'resolved',
        labels: { alertname: 'AbandonRate', kind: 'service', severity: 'critical', alert_id: 'd4e5f6' },
        annotations: { summary: 'abandon rate high' },
        startsAt: '2026-01-05T09:00:00Z',
        endsAt: '2026-01-05T11:00:00Z',
        generatorURL: '',
        customerId: null,
      },
    ];
    const notification: Notification = {
      receiver: 'bus',
      groupKey: '{}:{kind="sales"}',
      groupLabels: {},
      status: 'firing',
      alerts,
      idempotencyKey: 'k-123',
      externalURL: 'http://pulse',
    };
    await receiver.send(notification);
    const got = await readAll(cluster.bootstrap, 'pulse-alerts');
    expect(got.map((m) => m.key).sort()).toEqual(['a1b2c3', 'd4e5f6']);
    for (const alert of alerts) {
      const m = got.find((x) => x.key === alert.alertId)!;
      // The webhook alert shape (Alertmanager webhook v4 `alerts[]`), written out by hand; the
      // customer an alert concerns as an annotation (SPEC section 5).
      expect(JSON.parse(m.payload!)).toEqual({
        status: alert.status,
        labels: alert.labels,
        annotations: alert.customerId === null ? alert.annotations : { ...alert.annotations, customer_id: alert.customerId },
        startsAt: alert.startsAt,
        endsAt: alert.endsAt,
        generatorURL: alert.generatorURL,
        fingerprint: alert.alertId,
      });
      expect(headerMap(m.headers)).toMatchObject({ 'pulse-idempotency-key': 'k-123', 'pulse-receiver': 'bus' });
    }
  });

  it('refuses a kafka receiver without brokers or with an unknown key mode', () => {
    const { config } = parseAlertingConfig({
      receivers: [{ name: 'bus', type: 'kafka', topic: 't' }],
      route: { receiver: 'bus' },
    });
    expect(() => buildReceivers(config.receivers, DEFAULT_DELIVERY, {})).toThrow(/alerting\.receivers\[0\]\.brokers/);
    expect(() =>
      parseAlertingConfig({
        receivers: [{ name: 'bus', type: 'kafka', topic: 't', brokers: 'x:1', key: 'event_id' }],
        route: { receiver: 'bus' },
      }),
    ).toThrow('alerting.receivers[0] (bus).key: "event_id" is not one of alert_id, customer_id');
  });
});
