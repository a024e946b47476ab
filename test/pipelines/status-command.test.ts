import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockCluster } from '../../sources/kafka/mock-cluster.js';
import type { MemberStatus } from '../../pipelines/job-status.js';
import { CLI, PulseProcess, hasKcat, produceLines, startMockClusterSuite, stopMockClusterSuite, topicLayout, waitFor, writeKafkaJob } from './kafka-helpers.js';

/**
 * `pulse status` against running `pulse run --source kafka` members on librdkafka's mock cluster.
 * The expected offsets and lags come from kcat: what was produced to each partition, read back
 * independently of the job (`topicLayout`), not from the job's own figures.
 */

const HAS_KCAT = hasKcat();
const JOIN_MS = 90_000;
const run = promisify(execFile);

let cluster: MockCluster | undefined;
let dir = '';
let lines: string[] = [];

async function status(...dbs: string[]): Promise<MemberStatus[]> {
  const { stdout } = await run(process.execPath, [CLI, 'status', ...dbs.flatMap((db) => ['--db', db]), '--json'], { timeout: 60_000 });
  return (JSON.parse(stdout) as { members: MemberStatus[] }).members;
}

async function statusText(...dbs: string[]): Promise<string> {
  return (await run(process.execPath, [CLI, 'status', ...dbs.flatMap((db) => ['--db', db])], { timeout: 60_000 })).stdout;
}

/** Partition number -> the next offset of the partition (= messages in it), counted by kcat. */
async function ends(topic: string): Promise<Map<number, number>> {
  return (await topicLayout(cluster!.bootstrap, topic)).ends;
}

const partitionOf = (name: string): number => Number(name.slice(name.lastIndexOf('/') + 1));

describe.skipIf(!HAS_KCAT)('pulse status (mock Kafka cluster, pulse run child processes)', () => {
  beforeAll(async () => {
    ({ dir, lines, cluster } = await startMockClusterSuite('pulse-status-', { customers: 120, days: 4, seed: 7, lateRate: 0, malformedRate: 0 }));
  }, 120_000);

  afterAll(() => stopMockClusterSuite({ dir, cluster }));

  it('says that no job runs on a database and how to start one with an API', async () => {
    const db = join(dir, 'nothing.duckdb');
    writeFileSync(db, '');
    const failed = await run(process.execPath, [CLI, 'status', '--db', db], { timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('no job is running on');
    expect(failed?.stderr).toContain('--metrics-port');
  });

  it(
    'shows lag = produced - checkpointed per partition while nothing is checkpointed, then 0 once it is; the same lag on /metrics',
    async () => {
      const topic = 'status-lag';
      const half = Math.floor(lines.length / 2);
      await produceLines(cluster!.bootstrap, topic, lines.slice(0, half));
      const produced = await ends(topic);
      expect(produced.size).toBe(4);
      // Checkpoints only every hour: everything is read, nothing is committed.
      const lazy = writeKafkaJob(dir, 'lazy', { bootstrap: cluster!.bootstrap, topic, group: 'g-lag', checkpointInterval: '1h', maxEvents: 10_000_000 });
      const db = join(dir, 'lag.duckdb');
      const member = await PulseProcess.kafka(lazy, db);
      let members: MemberStatus[] = [];
      await waitFor(
        'every partition read to its end',
        async () => {
          if (!member.running) throw new Error(`pulse run exited: ${member.stderr.slice(-3000)}`);
          members = await status(db).catch(() => []);
          const parts = members[0]?.partitions ?? [];
          return parts.length === 4 && parts.every((p) => p.readOffset === produced.get(partitionOf(p.name))! - 1);
        },
        JOIN_MS,
        500,
      );
      const [self] = members;
      expect(self!.source).toEqual({ name: 'kafka', type: 'kafka' });
      expect(self!.group).toBe('g-lag');
      expect(self!.lastCheckpointAt).toBeNull();
      expect(self!.otherPartitions).toEqual([]);
      for (const p of self!.partitions) {
        const n = produced.get(partitionOf(p.name))!;
        expect(p.committedOffset, p.name).toBeNull();
        expect(p.highWatermark, p.name).toBe(n);
        expect(p.lag, p.name).toBe(n);
        expect(p.restore).toBeNull();
      }
      const lagSamples = await member.samples('pulse_source_lag_messages');
      expect(new Map(lagSamples.map((s) => [Number(s.labels['partition']), s.value]))).toEqual(produced);
      expect((await member.samples('pulse_partitions_assigned'))[0]?.value).toBe(4);
      expect(await member.stop()).toBe(0);

      // The same database with checkpoints every 300 ms: the rest of the lines, all committed.
      await produceLines(cluster!.bootstrap, topic, lines.slice(half));
      const all = await ends(topic);
      const eager = writeKafkaJob(dir, 'eager', { bootstrap: cluster!.bootstrap, topic, group: 'g-lag' });
      const again = await PulseProcess.kafka(eager, db);
      await waitFor(
        'every partition checkpointed at its end',
        async () => {
          members = await status(db).catch(() => []);
          const parts = members[0]?.partitions ?? [];
          return parts.length === 4 && parts.every((p) => p.committedOffset === all.get(partitionOf(p.name))! - 1);
        },
        JOIN_MS,
        500,
      );
      for (const p of members[0]!.partitions) {
        expect(p.lag, p.name).toBe(0);
        expect(p.highWatermark, p.name).toBe(all.get(partitionOf(p.name)));
      }
      expect(Date.parse(members[0]!.lastCheckpointAt!)).toBeGreaterThan(Date.now() - 60_000);
      // The watermark is the minimum over partitions: within the generated days.
      expect(Date.parse(members[0]!.watermark!)).toBeGreaterThan(Date.parse('2020-01-01T00:00:00Z'));
      const text = await statusText(db);
      expect(text).toContain(`group g-lag`);
      expect(text).toMatch(/PARTITION\s+COMMITTED\s+READ\s+HIGH\s+LAG\s+RESTORE/);
      for (const [partition, n] of all) expect(text).toMatch(new RegExp(`${topic}/${partition}\\s+${(n - 1).toLocaleString('en-US')}\\s`));
      expect(await again.stop()).toBe(0);
    },
    JOIN_MS * 3,
  );

  it(
    'two members: each shows its own partitions, the restore of the handed-over ones, and the other member’s as committed in Kafka',
    async () => {
      const topic = 'status-members';
      const handoffDir = join(dir, 'handoff');
      const config = writeKafkaJob(dir, 'members', { bootstrap: cluster!.bootstrap, topic, group: 'g-members', handoffDir });
      const third = Math.floor(lines.length / 3);
      await produceLines(cluster!.bootstrap, topic, lines.slice(0, third));
      const first = await ends(topic);
      const dbA = join(dir, 'a.duckdb');
      const dbB = join(dir, 'b.duckdb');
      const a = await PulseProcess.kafka(config, dbA);
      await waitFor(
        'member A checkpointed every partition',
        async () => {
          const parts = (await status(dbA).catch(() => []))[0]?.partitions ?? [];
          return parts.length === 4 && parts.every((p) => p.committedOffset === first.get(partitionOf(p.name))! - 1);
        },
        JOIN_MS,
        500,
      );
      const b = await PulseProcess.kafka(config, dbB);
      let members: MemberStatus[] = [];
      await waitFor(
        'member B assigned partitions and their state restored',
        async () => {
          members = await status(dbA, dbB).catch(() => []);
          const [sa, sb] = members;
          return (
            sa !== undefined &&
            sb !== undefined &&
            sb.partitions.length > 0 &&
            sa.partitions.length + sb.partitions.length === 4 &&
            sb.partitions.every((p) => p.restore?.phase === 'done')
          );
        },
        JOIN_MS,
        500,
      );
      // The rest of the lines reach both members; each checkpoints and copies its offsets to Kafka.
      await produceLines(cluster!.bootstrap, topic, lines.slice(third));
      const all = await ends(topic);
      await waitFor(
        'both members checkpointed their partitions at the end, and see the other’s offsets in Kafka',
        async () => {
          members = await status(dbA, dbB).catch(() => []);
          if (members.length !== 2) return false;
          const atEnd = (p: { name: string; committedOffset: number | null }): boolean => p.committedOffset === all.get(partitionOf(p.name))! - 1;
          return members.every((m) => m.partitions.every(atEnd) && m.otherPartitions.every(atEnd));
        },
        JOIN_MS,
        500,
      );
      const [sa, sb] = members;
      const names = [...sa!.partitions, ...sb!.partitions].map((p) => p.name).sort();
      expect(names).toEqual([0, 1, 2, 3].map((p) => `${topic}/${p}`));
      // Each member's "other partitions" are exactly the other member's, lag 0.
      expect(sa!.otherPartitions.map((p) => p.name).sort()).toEqual(sb!.partitions.map((p) => p.name).sort());
      expect(sb!.otherPartitions.map((p) => p.name).sort()).toEqual(sa!.partitions.map((p) => p.name).sort());
      for (const p of [...sa!.partitions, ...sb!.partitions, ...sa!.otherPartitions]) expect(p.lag, p.name).toBe(0);
      for (const p of sb!.partitions) {
        // B took the partition over from A's snapshot: it resumed after the offset A had checkpointed.
        expect(p.restore!.offset, p.name).toBe(first.get(partitionOf(p.name))! - 1);
        expect(p.restore!.rows, p.name).toBeGreaterThan(0);
        expect(p.restore!.rowsRestored, p.name).toBe(p.restore!.rows);
      }
      expect(sa!.member).not.toBe(sb!.member);
      const restored = await b.samples('pulse_partition_restored_rows_total');
      expect(restored[0]?.value).toBe(sb!.partitions.reduce((sum, p) => sum + p.restore!.rows, 0));
      expect((await b.samples('pulse_partition_restore_seconds_count'))[0]?.value).toBe(sb!.partitions.length);
      expect((await b.samples('pulse_partitions_restoring'))[0]?.value).toBe(0);
      const text = await statusText(dbA, dbB);
      expect(text).toMatch(/done in \d+\.\d s \([\d,]+\/[\d,]+ rows\)/);
      expect(text).not.toContain('partitions of other members');
      expect(await b.stop()).toBe(0);
      expect(await a.stop()).toBe(0);
    },
    JOIN_MS * 4,
  );
});
