import { describe, expect, it } from 'vitest';
import { DEFAULT_RECORD_LIMITS } from '../../../operators/record-limits.js';
import { KafkaSource } from '../../../sources/kafka/source.js';
import { RepeatedWarnings } from '../../../sources/kafka/repeated-warnings.js';
import { waitFor } from '../../pipelines/kafka-helpers.js';

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

  it('a Kafka source with no broker logs the outage once, then summaries', async () => {
    const logged: string[] = [];
    const source = new KafkaSource({
      name: 'events',
      brokers: '127.0.0.1:1',
      topics: ['customer-events'],
      group: 'g',
      batchSize: 10,
      maxBufferedRecords: 100,
      pollTimeoutMs: 100,
      clientProperties: {},
      maxRecordBytes: DEFAULT_RECORD_LIMITS.maxRecordBytes,
      onWarning: (message) => logged.push(message),
      warningSummaryIntervalMs: 200,
    });
    const abort = new AbortController();
    const batches = source.read(new Map(), abort.signal);
    const reading = batches[Symbol.asyncIterator]()
      .next()
      .catch((error: Error) => error);
    const summary = /all broker connections are down \(repeated (\d+) more times? since last reported\)/;
    // librdkafka reports the outage again only after a reconnect cycle; on a loaded CI machine the cycles
    // stretch (60 s once passed without a repeat), so the deadline is generous: it bounds a hang, not speed.
    await waitFor('a summary of the repeated broker error', async () => logged.some((m) => summary.test(m)), 150_000, 50);
    abort.abort();
    await source.close();
    expect(await reading).toBeInstanceOf(Error); // it cannot connect
    const first = logged.filter((m) => m.endsWith('Kafka client error: all broker connections are down'));
    expect(first).toHaveLength(1);
    const repeats = logged.filter((m) => summary.test(m)).map((m) => Number(summary.exec(m)![1]));
    expect(repeats.every((n) => n >= 1)).toBe(true);
    // Far fewer lines than errors: each summary line stands for many.
    expect(logged.length).toBeLessThan(1 + repeats.reduce((a, b) => a + b, 0));
  }, 180_000);
});
