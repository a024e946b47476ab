import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rdkafka } from '../../../sources/kafka/client.js';
import { startMockCluster, type MockCluster } from '../../../sources/kafka/mock-cluster.js';
import { KafkaSource } from '../../../sources/kafka/source.js';
import type { PartitionPosition } from '../../../sources/source.js';
import { ConfigError } from '../../../operators/errors.js';
import { UnreadableRecord } from '../../../operators/record-limits.js';
import { waitFor } from '../../pipelines/kafka-helpers.js';
import { drive, eventPair, kcat, key, killKcats, produceKeyed, readAll, sourceOptions, type KcatRecord } from './helpers.js';

let cluster: MockCluster;
const sources: KafkaSource[] = [];

function track(source: KafkaSource): KafkaSource {
  sources.push(source);
  return source;
}

beforeAll(async () => {
  cluster = await startMockCluster(3);
});

afterAll(async () => {
  for (const s of sources) await s.close();
  killKcats();
  await cluster?.close();
});

async function committedOffsets(bootstrap: string, group: string, topic: string): Promise<Map<string, number>> {
  const probe = new (rdkafka().KafkaConsumer)({ 'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': false });
  await new Promise<void>((resolve, reject) => probe.connect({}, (e) => (e ? reject(e) : resolve())));
  try {
    const list = await new Promise<Array<{ topic: string; partition: number; offset: number }>>((resolve, reject) =>
      probe.committed(
        [0, 1, 2, 3].map((partition) => ({ topic, partition })),
        5_000,
        (e, tps) => (e ? reject(e) : resolve(tps)),
      ),
    );
    return new Map(list.map((tp) => [`${tp.topic}/${tp.partition}`, tp.offset]));
  } finally {
    await new Promise<void>((resolve) => probe.disconnect(() => resolve()));
  }
}

/** What kcat says is in the topic, as `partition@offset -> value`. */
function oracle(records: KcatRecord[]): Map<string, string> {
  return new Map(records.map((r) => [key(`${r.topic}/${r.partition}`, r.offset), r.payload ?? '']));
}

describe('KafkaSource against the librdkafka mock cluster', () => {
  const N = 2_000;
  const topic = 'events-a';
  let truth: Map<string, string>;

  it('delivers every produced record once, with its partition and offset', async () => {
    await produceKeyed(
      cluster.bootstrap,
      topic,
      Array.from({ length: N }, (_, i) => eventPair(i)),
    );
    const kcatView = await readAll(cluster.bootstrap, topic);
    truth = oracle(kcatView);
    expect(truth.size).toBe(N);
    // Keyed by customer: kcat must have spread the keys over the 4 auto-created partitions.
    expect(new Set(kcatView.map((r) => r.partition)).size).toBe(4);

    const source = track(new KafkaSource(sourceOptions(cluster.bootstrap, topic, 'group-a')));
    const log = await drive(source, new Map(), { until: (l) => l.records.length >= N });
    expect(log.records.length).toBe(N);
    const got = new Map(log.records.map((r) => [key(r.partition, r.offset), r.value]));
    expect(got.size).toBe(N); // no duplicates
    expect(got).toEqual(truth);

    // Batches: one partition each, offsets increasing, position = last offset.
    for (const batch of log.batches) {
      const offsets = batch.records.map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(batch.position).toEqual({ offset: offsets.at(-1), resume: offsets.at(-1) });
      expect(batch.records.length).toBeLessThanOrEqual(100);
    }
    expect(log.messages[0]).toMatchObject({ kind: 'assign' });
    expect(new Set((log.messages[0] as { partitions: string[] }).partitions)).toEqual(new Set([0, 1, 2, 3].map((p) => `${topic}/${p}`)));

    // All read: lag is zero on every partition whose watermark is known.
    const lag = source.lag();
    expect(lag.size).toBe(4);
    for (const value of lag.values()) expect(value).toBe(0);

    // Commit the checkpointed positions to Kafka (lag tools only), then stop.
    const positions = new Map<string, PartitionPosition>();
    for (const b of log.batches) positions.set(b.partition, b.position);
    // Given the runner's checkpointed positions, lag counts from them (it may hold batches it was
    // handed but has not processed: they are decoded ahead).
    const behind = new Map([...positions].map(([partition, p]) => [partition, { offset: p.offset - 5, resume: p.resume - 5 }]));
    expect([...source.lag(behind).values()]).toEqual([5, 5, 5, 5]);
    source.commitCheckpointed(positions);
    // The commit is asynchronous: read the group's committed offsets with a separate client until
    // they are there (next offset = position + 1), then stop.
    let committed = new Map<string, number>();
    const arrived = async (): Promise<boolean> => {
      committed = await committedOffsets(cluster.bootstrap, 'group-a', topic);
      return [...positions].every(([partition, position]) => committed.get(partition) === position.offset + 1);
    };
    await waitFor('the checkpointed offsets committed to Kafka', arrived, 20_000).catch(() => undefined);
    await source.close();
    for (const [partition, position] of positions) expect(committed.get(partition)).toBe(position.offset + 1);
  });

  it('restarts from stored positions, not from offsets committed to Kafka', async () => {
    // Stored positions: the middle of partitions 0 and 1, the end of 2, nothing for 3.
    const byPartition = new Map<number, number[]>();
    for (const k of truth.keys()) {
      const [name, offset] = k.split('@') as [string, string];
      const p = Number(name.split('/')[1]);
      if (!byPartition.has(p)) byPartition.set(p, []);
      byPartition.get(p)!.push(Number(offset));
    }
    const last = (p: number): number => Math.max(...byPartition.get(p)!);
    const stored = new Map<string, PartitionPosition>([
      [`${topic}/0`, { offset: Math.floor(last(0) / 2), resume: Math.floor(last(0) / 2) }],
      [`${topic}/1`, { offset: 0, resume: 0 }],
      [`${topic}/2`, { offset: last(2), resume: last(2) }],
    ]);
    const expected = new Map(
      [...truth].filter(([k]) => {
        const [name, offset] = k.split('@') as [string, string];
        const pos = stored.get(name);
        return pos === undefined || Number(offset) > pos.offset;
      }),
    );
    // Same group as the first test, whose committed offsets are at the end of every partition:
    // DuckDB's positions must win.
    const source = track(new KafkaSource(sourceOptions(cluster.bootstrap, topic, 'group-a')));
    const log = await drive(source, stored, { until: (l) => l.records.length >= expected.size, timeoutMs: 20_000 });
    // Give the source a moment to read anything beyond what was expected (it must not).
    await new Promise((r) => setTimeout(r, 500));
    const extra = source.bufferedRecords;
    await source.close();
    expect(extra).toBe(0);
    const got = new Map(log.records.map((r) => [key(r.partition, r.offset), r.value]));
    expect(log.records.length).toBe(expected.size);
    expect(got).toEqual(expected);
  });

  it('with deferAssignment, holds assigned partitions unread until the runner calls started, then reads after the restored offsets', async () => {
    const restoredTo = 10;
    const stored = new Map<string, PartitionPosition>([[`${topic}/1`, { offset: 3, resume: 3 }]]);
    // Partition 0 restored to offset 10 (a changelog), 1 from its stored position (later than a restore to 1), the others from the start.
    const restored = new Map([
      [`${topic}/0`, restoredTo],
      [`${topic}/1`, 1],
    ]);
    const expected = new Map(
      [...truth].filter(([k]) => {
        const [name, offset] = k.split('@') as [string, string];
        const after = name === `${topic}/0` ? restoredTo : name === `${topic}/1` ? 3 : -1;
        return Number(offset) > after;
      }),
    );
    const source = track(new KafkaSource({ ...sourceOptions(cluster.bootstrap, topic, 'group-deferred'), deferAssignment: true }));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 60_000);
    const got = new Map<string, string>();
    let heldAtAssign: string[] | undefined;
    try {
      for await (const message of source.read(stored, controller.signal)) {
        if (message.kind === 'assign') {
          expect(message.started).toBeTypeOf('function');
          // Not assigned to the consumer yet: nothing of these partitions can be fetched.
          heldAtAssign = source.held();
          message.started!(restored);
        } else if (message.kind === 'records') {
          for (const r of message.records) got.set(key(message.partition, r.offset), String(r.value));
        } else if (message.kind === 'revoke') message.done();
        if (got.size >= expected.size) break;
      }
    } finally {
      clearTimeout(timer);
      await source.close();
    }
    expect(heldAtAssign).toEqual([]);
    expect(got).toEqual(expected);
  });

  it('pauses fetching when the runner is slow, keeps memory bounded, loses nothing', async () => {
    const topicB = 'events-b';
    const M = 4_000;
    await produceKeyed(
      cluster.bootstrap,
      topicB,
      Array.from({ length: M }, (_, i) => eventPair(i, 101)),
    );
    const truthB = oracle(await readAll(cluster.bootstrap, topicB));
    const batchSize = 50;
    const maxBuffered = 200;
    const source = track(new KafkaSource(sourceOptions(cluster.bootstrap, topicB, 'group-b', { batchSize, maxBufferedRecords: maxBuffered })));
    let maxSeen = 0;
    let pausedSeen = false;
    let lagChecked = false;
    const log = await drive(source, new Map(), {
      until: (l) => l.records.length >= M,
      timeoutMs: 40_000,
      onBatch: async (_batch, l) => {
        maxSeen = Math.max(maxSeen, source.bufferedRecords);
        if (l.batches.length === 3) {
          // A slow runner: stall, and watch the buffer while the poll loop keeps running.
          for (let i = 0; i < 15; i++) {
            await new Promise((r) => setTimeout(r, 100));
            maxSeen = Math.max(maxSeen, source.bufferedRecords);
            pausedSeen ||= source.isPaused;
          }
        }
        // Lag: everything produced minus what the runner has taken. It counts once librdkafka has
        // cached a high watermark of all four partitions (from their fetch responses, which a
        // loaded machine may get late): checked at the first batch from the stall on where it has.
        if (!lagChecked && l.batches.length >= 3) {
          const lag = source.lag();
          if (lag.size === 4) {
            const total = [...lag.values()].reduce((a, b) => a + b, 0);
            expect(total).toBe(M - l.records.length);
            lagChecked = true;
          }
        }
      },
    });
    await source.close();
    expect(pausedSeen).toBe(true);
    // One poll may land after the pause decision: at most one batch over the bound.
    expect(maxSeen).toBeLessThanOrEqual(maxBuffered + batchSize);
    expect(maxSeen).toBeGreaterThanOrEqual(maxBuffered);
    expect(lagChecked).toBe(true);
    const got = new Map(log.records.map((r) => [key(r.partition, r.offset), r.value]));
    expect(log.records.length).toBe(M);
    expect(got).toEqual(truthB);
  });

  it('stops with a configuration error naming a subscribed topic the cluster does not have (a typo read like an idle job)', async () => {
    const warnings: string[] = [];
    const source = track(
      new KafkaSource(
        sourceOptions(cluster.bootstrap, 'no-such-topic', 'group-missing', { onWarning: (message) => warnings.push(message), topicWaitMs: 1_000 }),
      ),
    );
    const reading = source.read(new Map(), new AbortController().signal)[Symbol.asyncIterator]().next();
    await expect(reading).rejects.toThrow(ConfigError);
    await expect(reading).rejects.toThrow(
      `Kafka source 'kafka': the cluster at ${cluster.bootstrap} has no topic no-such-topic; create it, or correct the name in sources.kafka.topics`,
    );
    await source.close();
    expect(warnings).toEqual([]);
  });

  it('says after assignmentNoticeMs that no partition is assigned yet, while the member that holds them has not let them go', async () => {
    const topicHeld = 'events-held';
    await produceKeyed(cluster.bootstrap, topicHeld, [eventPair(0)]);
    const warnings: string[] = [];
    const noticed = new AbortController();
    // The first member reads the topic alone; when the second joins, it is told to give its
    // partitions up and, like a runner whose checkpoint takes long, does so only after the notice.
    const holder = track(new KafkaSource(sourceOptions(cluster.bootstrap, topicHeld, 'group-notice')));
    let holds = (): void => undefined;
    const holdsPartitions = new Promise<void>((resolve) => (holds = resolve));
    const holding = drive(holder, new Map(), {
      until: () => false,
      stop: noticed.signal,
      timeoutMs: 40_000,
      onBatch: async () => holds(),
      onRevoke: async (message) => {
        await new Promise<void>((resolve) => (noticed.signal.aborted ? resolve() : noticed.signal.addEventListener('abort', () => resolve())));
        message.done();
      },
    });
    await Promise.race([holdsPartitions, holding]);
    const waiter = track(
      new KafkaSource(
        sourceOptions(cluster.bootstrap, topicHeld, 'group-notice', {
          assignmentNoticeMs: 1_000,
          onWarning: (message) => {
            warnings.push(message);
            if (message.includes('no partition of')) noticed.abort();
          },
        }),
      ),
    );
    const waited = await drive(waiter, new Map(), { until: () => false, stop: noticed.signal, timeoutMs: 30_000 });
    const held = await holding;
    await waiter.close();
    await holder.close();
    expect(noticed.signal.aborted).toBe(true);
    expect(warnings.filter((w) => w.includes('no partition of'))).toEqual([
      `Kafka source 'kafka': no partition of ${topicHeld} assigned yet: the group assigns them when its members agree, and a member that stopped without ` +
        'leaving the group (killed) holds its partitions until its session times out (session.timeout.ms, 45 s by default), and a ' +
        'group with more members than partitions leaves some without any',
    ]);
    expect(waited.records).toEqual([]);
    expect(held.records.map((r) => r.value)).toEqual([eventPair(0)[1]]);
  });

  it('reads a topic created while it waits for the topic to appear', async () => {
    const topicLate = 'events-created-late';
    const source = track(new KafkaSource(sourceOptions(cluster.bootstrap, topicLate, 'group-late', { topicWaitMs: 60_000 })));
    const reading = drive(source, new Map(), { until: (l) => l.records.length >= 1, timeoutMs: 60_000 });
    await produceKeyed(cluster.bootstrap, topicLate, [eventPair(0)]);
    const log = await reading;
    await source.close();
    expect(log.records.map((r) => r.value)).toEqual([eventPair(0)[1]]);
  });

  it('hands a value over the size limit, or not UTF-8, on as an unreadable record at its offset', async () => {
    const topicC = 'events-hostile';
    const valid = JSON.stringify({ type: 'usage', event_id: 'u1', ts: 1767225600000, customer_id: 'C1', metric: 'logins', quantity: 1 });
    const big = `{"pad":"${'x'.repeat(3000)}"}`;
    const lines = Buffer.concat([Buffer.from(`C1:${valid}\nC1:${big}\nC1:{"customer_id":"C`), Buffer.from([0xff, 0xfe]), Buffer.from(`"}\nC1:${valid}\n`)]);
    await kcat(['-b', cluster.bootstrap, '-P', '-t', topicC, '-K:', '-p', '0'], lines);
    const source = track(new KafkaSource(sourceOptions(cluster.bootstrap, topicC, 'group-c', { maxRecordBytes: 1000 })));
    const log = await drive(source, new Map(), { until: (l) => l.records.length >= 4 });
    await source.close();
    const values = log.batches
      .flatMap((b) => b.records)
      .sort((a, b) => a.offset - b.offset)
      .map((r) => r.value);
    expect(values[0]).toBe(valid);
    expect(values[1]).toBeInstanceOf(UnreadableRecord);
    expect(values[1]).toMatchObject({ reason: 'too_large', detail: expect.stringMatching(/is 3010 bytes, more than limits\.max_record_bytes \(1000\)/) });
    expect((values[1] as UnreadableRecord).raw).toBe(big.slice(0, 1000));
    expect(values[2]).toMatchObject({ reason: 'invalid_json', detail: expect.stringMatching(/not valid UTF-8/) });
    expect(values[3]).toBe(valid);
  });

  it("reads a value of Confluent's JSON Schema serializer (the Schema Registry header, then JSON) as its JSON", async () => {
    const topicD = 'events-registry';
    const valid = JSON.stringify({ type: 'usage', event_id: 'u1', ts: 1767225600000, customer_id: 'C1', metric: 'logins', quantity: 1 });
    const header = Buffer.from([0, 0, 0, 0, 42]); // magic byte, schema id 42
    await kcat(['-b', cluster.bootstrap, '-P', '-t', topicD, '-K:', '-p', '0'], Buffer.concat([Buffer.from('C1:'), header, Buffer.from(`${valid}\n`)]));
    const source = track(new KafkaSource(sourceOptions(cluster.bootstrap, topicD, 'group-d')));
    const log = await drive(source, new Map(), { until: (l) => l.records.length >= 1 });
    await source.close();
    expect(log.batches.flatMap((b) => b.records).map((r) => r.value)).toEqual([valid]);
  });
});
