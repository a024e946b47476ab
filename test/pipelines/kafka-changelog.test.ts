import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockCluster } from '../../sources/kafka/mock-cluster.js';
import { ChangelogFold } from '../../sinks/changelog/records.js';
import { query } from '../helpers/duckdb.js';
import { readAll } from '../sources/kafka/helpers.js';
import {
  CUSTOMER_WINDOWS,
  PulseProcess,
  hasKcat,
  produceLines,
  reachedEnds,
  runFile,
  startMockClusterSuite,
  stopMockClusterSuite,
  topicLayout,
  waitFor,
  writeKafkaJob,
} from './kafka-helpers.js';

/**
 * State carried by Kafka (`checkpoint.changelog`), end to end on the mock cluster: `pulse run`
 * members whose per-customer state moves through a compacted changelog topic, one of them killed.
 *
 * The reference is a file run over the same lines: a Kafka run's `customer_windows` equal a file
 * run's (kafka-e2e.test.ts says why: nothing is late with these events, dedup copies share a partition).
 */

const HAS_KCAT = hasKcat();
const GROUP_JOIN_MS = 60_000;
const CATCH_UP_MS = 180_000;

let cluster: MockCluster | undefined;
let dir = '';
let lines: string[] = [];

type Row = Record<string, unknown>;
const keyOf = (w: Row): string => `${String(w['customer_id'])}|${String(w['ws'])}|${String(w['we'])}`;
const text = (rows: readonly Row[]): string[] =>
  rows.map((r) => JSON.stringify(r, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))).sort();

describe.skipIf(!HAS_KCAT)('state changelog on Kafka (mock cluster, pulse run child processes)', () => {
  beforeAll(async () => {
    ({ dir, lines, cluster } = await startMockClusterSuite('pulse-changelog-', { customers: 200, days: 10, seed: 11, lateRate: 0, malformedRate: 0 }));
  }, 120_000);

  afterAll(async () => {
    await stopMockClusterSuite({ dir, cluster }, process.env['PULSE_E2E_KEEP'] !== undefined);
  });

  it(
    'member A is SIGKILLed after some checkpoints; B restores its partitions from the changelog and resumes from the markers: ' +
      "the union of the two databases' customer windows (the survivor's row where both have one) equals a one-member run",
    async () => {
      const topic = 'events-changelog';
      const changelogTopic = 'pulse-state-changelog';
      // A long allowed lateness: B resumes A's partitions from A's last marker, which may be some
      // checkpoints behind A's last commit (A dies while producing); meanwhile B has read its own
      // partitions on, days of event time in seconds here, and with 1 h the replayed records would be
      // late. A live stream moves seconds of event time in that time (README "State carried by Kafka").
      const config = writeKafkaJob(dir, 'changelog', {
        bootstrap: cluster!.bootstrap,
        topic,
        group: 'g-changelog',
        batchSize: 200,
        changelogTopic,
        allowedLateness: '30d',
      });
      const dbA = join(dir, 'changelog-a.duckdb');
      const dbB = join(dir, 'changelog-b.duckdb');
      const fileDb = join(dir, 'changelog-file.duckdb');
      await runFile(config, join(dir, 'events.ndjson'), fileDb);
      const cut1 = Math.floor(lines.length * 0.35);
      const cut2 = Math.floor(lines.length * 0.65);

      // A reads part 1 alone.
      await produceLines(cluster!.bootstrap, topic, lines.slice(0, cut1));
      const part1 = await topicLayout(cluster!.bootstrap, topic);
      const a = await PulseProcess.kafka(config, dbA);
      await waitFor('A to process part 1', async () => reachedEnds(await a.positions(), part1.ends), GROUP_JOIN_MS + CATCH_UP_MS);

      // B joins: A hands partitions over through the changelog (graceful revoke), then part 2 goes out.
      const b = await PulseProcess.kafka(config, dbB);
      const assigned = async (member: PulseProcess): Promise<number> => (await member.samples('pulse_partitions_assigned'))[0]?.value ?? 0;
      await waitFor('B to be assigned partitions', async () => (await assigned(b)) > 0 && (await assigned(a)) > 0, GROUP_JOIN_MS * 2);
      await produceLines(cluster!.bootstrap, topic, lines.slice(cut1, cut2));
      const part2 = await topicLayout(cluster!.bootstrap, topic);
      const union = async (): Promise<Map<number, number>> => {
        const out = new Map(await a.positions());
        for (const [p, o] of await b.positions()) out.set(p, Math.max(o, out.get(p) ?? -1));
        return out;
      };
      await waitFor('part 2 processed by the two members', async () => reachedEnds(await union(), part2.ends), CATCH_UP_MS);
      const ownedByB = new Set((await b.positions()).keys());
      expect(ownedByB.size).toBeGreaterThan(0);
      expect(ownedByB.size).toBeLessThan(4);

      // A is still running here: it handed partitions over and kept processing its own.
      expect(a.running, `A exited early: ${a.stderr.slice(-3000)}`).toBe(true);
      // A dies without handing anything over; part 3 can only be read by B, after taking A's partitions.
      // It goes out once B holds them: records of A's partitions that B reads after its watermark has
      // gone far past them (its own partitions' part 3, read in seconds) would be late, in any run.
      await a.kill();
      await waitFor('B to take over every partition', async () => (await assigned(b)) === 4, GROUP_JOIN_MS * 2);
      await produceLines(cluster!.bootstrap, topic, lines.slice(cut2));
      const layout = await topicLayout(cluster!.bootstrap, topic);
      expect(layout.records.length).toBe(lines.length);
      await waitFor('B to reach the end of every partition', async () => reachedEnds(await b.positions(), layout.ends), GROUP_JOIN_MS + CATCH_UP_MS);
      const restoredRows = (await b.samples('pulse_partition_restored_rows_total'))[0]?.value ?? 0;
      const readByB = (await b.samples('pulse_events_ingested_total')).reduce((n, x) => n + x.value, 0);
      const rejectedByB = (await b.samples('pulse_events_rejected_total')).reduce((n, x) => n + x.value, 0);
      const producedByB = new Map((await b.samples('pulse_changelog_records_total')).map((x) => [x.labels['kind'], x.value]));
      const unroutedByB = await b.samples('pulse_changelog_unrouted_total');
      expect(await b.stop()).toBe(0);

      // The changelog: a marker last-but-compaction in every partition, which a fold reads back.
      const records = await readAll(cluster!.bootstrap, changelogTopic);
      const folds = new Map<number, ChangelogFold>();
      for (const r of records) {
        const fold = folds.get(r.partition) ?? new ChangelogFold();
        fold.add({ key: r.key ?? '', value: r.payload });
        folds.set(r.partition, fold);
      }
      for (const p of layout.ends.keys()) expect(folds.get(p)?.marker?.position.offset, `marker of partition ${p}`).toBe(layout.ends.get(p)! - 1);
      // B's metrics count what it produced: state, windows, event ids and markers, and every change found its partition.
      for (const kind of ['state', 'window', 'dedup', 'marker'])
        expect(producedByB.get(kind), `pulse_changelog_records_total{kind="${kind}"}`).toBeGreaterThan(0);
      expect(unroutedByB.map((x) => x.value)).toEqual([0]);

      const [fileWindows] = await query(fileDb, CUSTOMER_WINDOWS);
      const [windowsA] = await query(dbA, CUSTOMER_WINDOWS);
      const [windowsB] = await query(dbB, CUSTOMER_WINDOWS);
      const merged = new Map<string, Row>();
      for (const w of windowsA!) merged.set(keyOf(w), w);
      let stale = 0;
      for (const w of windowsB!) {
        const earlier = merged.get(keyOf(w));
        if (earlier && JSON.stringify(text([earlier])) !== JSON.stringify(text([w]))) stale++;
        merged.set(keyOf(w), w);
      }
      expect(fileWindows!.length).toBeGreaterThan(1000);
      expect(text([...merged.values()])).toEqual(text(fileWindows!));
      // B restored state (rows read from the changelog) and did not re-read A's partitions from their
      // start: reading them from offset 0, and its own from where A had left them after part 1, is
      // more than B read (it resumed A's after A's last markers).
      expect(restoredRows).toBeGreaterThan(0);
      expect(readByB).toBeGreaterThan(0);
      let fullReread = 0;
      for (const [p, end] of layout.ends) fullReread += ownedByB.has(p) ? end - (part1.ends.get(p) ?? 0) : end;
      expect(readByB + rejectedByB).toBeLessThan(fullReread);
      // The rows A had of windows still open when it died are older versions of B's rows (stale).
      process.stderr.write(
        `kafka-changelog: A ${windowsA!.length} windows, B ${windowsB!.length}, stale in A ${stale}, B read ${readByB}, restored rows ${restoredRows}\n`,
      );
    },
    600_000,
  );
});
