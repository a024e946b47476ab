import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECORD_LIMITS } from '../../../operators/record-limits.js';
import { KafkaSource } from '../../../sources/kafka/source.js';
import { RepeatedWarnings } from '../../../sources/kafka/repeated-warnings.js';

describe('repeated warnings', () => {
  it('passes the first on, counts repeats for a summary, and reports a new outage at once', () => {
    const logged: string[] = [];
    const warnings = new RepeatedWarnings((message, cause) => logged.push(`${message} [${(cause as Error | undefined)?.message ?? ''}]`));
    const down = new Error('all broker connections are down');
    for (let i = 0; i < 563; i++) warnings.warn('Kafka client error: all broker connections are down', down);
    // Counts inside a message do not make it another warning.
    warnings.warn('connect failed (after 3ms, 5 identical error(s) suppressed)');
    warnings.warn('connect failed (after 12ms, 9 identical error(s) suppressed)');
    expect(logged).toEqual([
      'Kafka client error: all broker connections are down [all broker connections are down]',
      'connect failed (after 3ms, 5 identical error(s) suppressed) []',
    ]);
    warnings.summarize();
    expect(logged.slice(2)).toEqual([
      'Kafka client error: all broker connections are down (repeated 562 more times since last reported) [all broker connections are down]',
      'connect failed (after 3ms, 5 identical error(s) suppressed) (repeated 1 more time since last reported) []',
    ]);
    warnings.warn('Kafka client error: all broker connections are down', down);
    warnings.summarize(); // one more: summarized
    warnings.summarize(); // quiet for an interval: forgotten
    expect(logged).toHaveLength(5);
    warnings.warn('Kafka client error: all broker connections are down', down);
    expect(logged).toHaveLength(6);
    expect(logged[5]).toBe('Kafka client error: all broker connections are down [all broker connections are down]');
  });

  it('a Kafka source whose broker drops every connection logs the outage once, then a summary', async () => {
    // A listener that closes each connection at once: the outage is the same on any machine, whatever
    // its firewall does with a closed port.
    const dropper = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const logged: string[] = [];
    const source = new KafkaSource({
      name: 'events',
      brokers: `127.0.0.1:${(dropper.address() as net.AddressInfo).port}`,
      topics: ['customer-events'],
      group: 'g',
      batchSize: 10,
      maxBufferedRecords: 100,
      pollTimeoutMs: 100,
      // Reconnect often, so that the client reports the outage many times before connect() gives up.
      clientProperties: { 'reconnect.backoff.ms': 10, 'reconnect.backoff.max.ms': 50 },
      maxRecordBytes: DEFAULT_RECORD_LIMITS.maxRecordBytes,
      onWarning: (message) => logged.push(message),
      // Longer than the test: repeats are counted, never forgotten, and summarized by close(). No timing
      // is assumed: the client hands its errors over in a burst when connect() gives up.
      warningSummaryIntervalMs: 3_600_000,
    });
    const abort = new AbortController();
    const reading = source.read(new Map(), abort.signal)[Symbol.asyncIterator]().next();
    await expect(reading).rejects.toThrow(
      /cannot connect to 127\.0\.0\.1:\d+: .*check sources\.events\.brokers \(or the environment variable it is read from, PULSE_KAFKA_BROKERS in the default job\)/,
    );
    abort.abort();
    await source.close();
    await new Promise<void>((resolve) => dropper.close(() => resolve()));
    const summary = /all broker connections are down \(repeated (\d+) more times? since last reported\)/;
    const first = logged.filter((m) => m.endsWith('Kafka client error: all broker connections are down'));
    expect(first).toHaveLength(1);
    const repeats = logged.filter((m) => summary.test(m)).map((m) => Number(summary.exec(m)![1]));
    expect(repeats).toHaveLength(1);
    expect(repeats[0]).toBeGreaterThanOrEqual(1);
    // Far fewer lines than errors: the summary line stands for many.
    expect(logged.length).toBeLessThan(1 + repeats[0]!);
  }, 120_000);
});
