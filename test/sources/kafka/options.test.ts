import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../operators/errors.js';
import { parsePartitionName, partitionName } from '../../../sources/kafka/client.js';
import { kafkaSourceOptions } from '../../../sources/kafka/options.js';

describe('kafkaSourceOptions', () => {
  it('splits comma-separated topics and derives the buffer bound from the batch size', () => {
    const o = kafkaSourceOptions('kafka', { brokers: 'b:9092', topics: ' events , contacts,', group: 'g', batch_size: 500 }, 4096);
    expect(o.topics).toEqual(['events', 'contacts']);
    expect(o.batchSize).toBe(500);
    expect(o.maxBufferedRecords).toBe(2000);
    expect(o.group).toBe('g');
    expect(o.maxRecordBytes).toBe(4096);
  });

  it.each([
    [{ topics: ' , ' }, /sources\.kafka\.topics: no topic given/],
    [{ topics: 'ok,bad topic' }, /'bad topic' is not a valid Kafka topic name/],
    [{ options: { 'enable.auto.commit': true } }, /options\.enable\.auto\.commit: set by the source itself/],
    [{ options: { 'group.id': 'x' } }, /use `group`/],
    [
      { options: { 'heartbeat.interval.ms': 10_000, 'session.timeout.ms': 6000 } },
      /^sources\.kafka\.options\.heartbeat\.interval\.ms: heartbeat\.interval\.ms \(10000 ms\) is not below session\.timeout\.ms \(6000 ms\)/,
    ],
    [
      { options: { 'heartbeat.interval.ms': '45000' } },
      /heartbeat\.interval\.ms \(45000 ms\) is not below session\.timeout\.ms \(45000 ms, librdkafka's default\)/,
    ],
    [{ options: { 'session.timeout.ms': 3000 } }, /^sources\.kafka\.options\.session\.timeout\.ms: heartbeat\.interval\.ms \(3000 ms, librdkafka's default\)/],
  ])('refuses %j', (patch, message) => {
    const entry = { brokers: 'b:9092', topics: 'events', group: 'g', ...patch };
    expect(() => kafkaSourceOptions('kafka', entry, 4096)).toThrow(ConfigError);
    expect(() => kafkaSourceOptions('kafka', entry, 4096)).toThrow(message);
  });

  it('takes a heartbeat interval below the session timeout, set or left at their defaults', () => {
    const accepted: Array<Record<string, number>> = [
      {},
      { 'heartbeat.interval.ms': 14_999 },
      { 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 3000 },
      { 'session.timeout.ms': 3001 },
    ];
    for (const options of accepted) {
      expect(kafkaSourceOptions('kafka', { brokers: 'b:9092', topics: 'events', group: 'g', options }, 4096).clientProperties).toEqual(options);
    }
  });

  it('names partitions topic/partition and parses them back (topics may contain dots and dashes)', () => {
    expect(partitionName('customer.events-v2', 3)).toBe('customer.events-v2/3');
    expect(parsePartitionName('customer.events-v2/3')).toEqual({ topic: 'customer.events-v2', partition: 3 });
    expect(parsePartitionName('/var/data/file.ndjson')).toBeUndefined();
    expect(parsePartitionName('events/x')).toBeUndefined();
  });
});
