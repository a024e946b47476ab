import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockCluster, type MockCluster } from '../../../sources/kafka/mock-cluster.js';
import { KafkaSource } from '../../../sources/kafka/source.js';
import type { PartitionPosition, PartitionsRevoked } from '../../../sources/source.js';
import { drive, eventPair, key, killKcats, produceKeyed, readAll, sourceOptions, type DriveLog } from './helpers.js';

let cluster: MockCluster;
const sources: KafkaSource[] = [];

beforeAll(async () => {
  cluster = await startMockCluster(3);
});

afterAll(async () => {
  for (const s of sources) await s.close();
  killKcats();
  await cluster?.close();
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Two processes in one group. `store` plays a checkpoint table both can see: a runner writes its
 * positions there when a revoke asks it to checkpoint, and passes them to the sources with
 * commitCheckpointed, so a partition that moves starts after the previous owner's checkpoint.
 */
describe('KafkaSource consumer-group rebalance', () => {
  it('a second member takes half the partitions; revokes wait for the checkpoint; nothing lost or repeated', async () => {
    const topic = 'events-r';
    const FIRST = 1_000;
    const TOTAL = 2_000;
    await produceKeyed(
      cluster.bootstrap,
      topic,
      Array.from({ length: FIRST }, (_, i) => eventPair(i)),
    );

    const CHECKPOINT_MS = 1_000;
    const store = new Map<string, PartitionPosition>();
    const options = sourceOptions(cluster.bootstrap, topic, 'group-r');
    const a = new KafkaSource(options);
    const b = new KafkaSource(options);
    sources.push(a, b);
    const timeline: Array<{ at: number; who: string; what: string }> = [];
    const stop = new AbortController();
    const heldDuring: Array<Set<string>> = [];
    const heldAfter: Array<Set<string>> = [];
    const revokedSets: string[][] = [];
    const logs: Record<string, DriveLog | undefined> = {};

    const run = (who: string, self: KafkaSource, other: KafkaSource): Promise<DriveLog> =>
      drive(self, new Map(), {
        timeoutMs: 60_000,
        stop: stop.signal,
        until: (log) => {
          logs[who] = log;
          return false;
        },
        onRevoke: async (message: PartitionsRevoked, log: DriveLog) => {
          timeline.push({ at: Date.now(), who, what: 'revoke' });
          // The checkpoint: positions of every batch yielded so far.
          for (const batch of log.batches) if (message.partitions.includes(batch.partition)) store.set(batch.partition, batch.position);
          self.commitCheckpointed(store);
          other.commitCheckpointed(store);
          // A slow checkpoint: the consumer must keep holding the partitions in the group meanwhile
          // (librdkafka's own assignment), and give them up right after `done`.
          heldDuring.push(new Set(self.held()));
          await new Promise((r) => setTimeout(r, CHECKPOINT_MS));
          heldDuring.push(new Set(self.held()));
          timeline.push({ at: Date.now(), who, what: 'done' });
          message.done();
          heldAfter.push(new Set(self.held()));
          revokedSets.push(message.partitions);
        },
      });
    // When each member really owns partitions (the source's own view, not when a driver gets to it).
    const watcher = setInterval(() => {
      for (const [who, s] of [
        ['A', a],
        ['B', b],
      ] as const) {
        const owns = s.assignment().join(',');
        const prev = timeline.filter((e) => e.who === who && e.what.startsWith('owns')).at(-1);
        if ((prev?.what ?? 'owns ') !== `owns ${owns}`) timeline.push({ at: Date.now(), who, what: `owns ${owns}` });
      }
    }, 20);
    const count = (): number => (logs.A?.records.length ?? 0) + (logs.B?.records.length ?? 0);

    // A reads the first 1,000 alone.
    const aRun = run('A', a, b);
    await waitFor(() => count() >= FIRST, 30_000);
    expect(count()).toBe(FIRST);

    // B joins: A's partitions are revoked and half of them come back to A.
    const bRun = run('B', b, a);
    await waitFor(() => a.assignment().length > 0 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === 4, 40_000);
    expect(new Set([...a.assignment(), ...b.assignment()])).toEqual(new Set([0, 1, 2, 3].map((p) => `${topic}/${p}`)));
    expect(a.assignment().length).toBeGreaterThan(0);
    expect(b.assignment().length).toBeGreaterThan(0);

    await produceKeyed(
      cluster.bootstrap,
      topic,
      Array.from({ length: TOTAL - FIRST }, (_, i) => eventPair(FIRST + i)),
    );
    const truth = new Map((await readAll(cluster.bootstrap, topic)).map((r) => [key(`${r.topic}/${r.partition}`, r.offset), r.payload]));
    expect(truth.size).toBe(TOTAL);
    await waitFor(() => count() >= TOTAL, 30_000);
    await new Promise((r) => setTimeout(r, 300)); // anything extra (a duplicate) would arrive now
    stop.abort();
    clearInterval(watcher);
    const [logA, logB] = await Promise.all([aRun, bRun]);

    // Exactly once across both members.
    const all = [...logA.records, ...logB.records];
    const got = new Map(all.map((r) => [key(r.partition, r.offset), r.value]));
    expect(all.length).toBe(TOTAL);
    expect(got).toEqual(truth);
    expect(logB.records.length).toBeGreaterThan(0);
    // B's records of the moved partitions start right after A's checkpoint.
    for (const partition of b.assignment()) {
      const first = logB.records.find((r) => r.partition === partition);
      if (first) expect(first.offset).toBe((store.get(partition)?.offset ?? -1) + 1);
    }

    // Revokes were honoured: partitions stayed held until `done`, and were released by it.
    expect(revokedSets.length).toBeGreaterThanOrEqual(1);
    revokedSets.forEach((partitions, i) => {
      for (const p of partitions) {
        expect(heldDuring[2 * i]!.has(p)).toBe(true);
        expect(heldDuring[2 * i + 1]!.has(p)).toBe(true);
        expect(heldAfter[i]!.has(p)).toBe(false);
      }
    });
    // And B got partitions only after A's checkpoint was done.
    const aDone = timeline.find((e) => e.who === 'A' && e.what === 'done');
    const bAssign = timeline.find((e) => e.who === 'B' && e.what !== 'owns ');
    expect(aDone).toBeDefined();
    expect(bAssign).toBeDefined();
    expect(bAssign!.at).toBeGreaterThanOrEqual(aDone!.at);

    // A's stream: `end` for each revoked partition, then `revoke`, and no batch of a revoked
    // partition until it is assigned again.
    const revokeAt = logA.messages.findIndex((m) => m.kind === 'revoke');
    const revoked = (logA.messages[revokeAt] as PartitionsRevoked).partitions;
    const ends = logA.messages.slice(revokeAt - revoked.length, revokeAt);
    expect(ends.map((m) => (m.kind === 'end' ? m.partition : '?')).sort()).toEqual([...revoked].sort());
    const nextAssign = logA.messages.findIndex((m, i) => i > revokeAt && m.kind === 'assign');
    const between = logA.messages.slice(revokeAt + 1, nextAssign < 0 ? undefined : nextAssign);
    expect(between.filter((m) => m.kind === 'records')).toEqual([]);
  }, 120_000);
});
