import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberStatus } from '../../pipelines/job-status.js';
import type { MockCluster } from '../../sources/kafka/mock-cluster.js';
import {
  CLI,
  PulseProcess,
  hasKcat,
  produceLines,
  reachedEnds,
  startMockClusterSuite,
  stopMockClusterSuite,
  topicLayout,
  waitFor,
  writeKafkaJob,
} from './kafka-helpers.js';
import { ALERTS, ALERT_KEY, KPIS, KPI_KEY, differences, lastOwners, waitMergedToEnd, withBusyRule } from './merge-helpers.js';

/**
 * Merged KPIs across partition moves (job option `merge`), end to end on the mock cluster: A reads
 * every partition alone while windows open; B joins (two partitions move to B with their
 * cumulative KPI accumulators and the merge of the same-numbered merge partitions); A leaves and B
 * reads to the end. Twice: state carried by the changelog with A SIGKILLed (B restores A's
 * partitions from A's last markers), and by a hand-over directory with A stopped gracefully (it
 * exports them). A part of the input goes out after each step.
 *
 * The members' `contact_kpis`, alerts and drift tables (daily drift periods: the drift's open
 * periods, closes and decision move too), each key taken from the member that holds its merge
 * partition last (B, where both have a row: A's is the version it wrote before the move), equal a
 * one-member run over the same events (same job without `merge`): DuckDB EXCEPT ALL both ways.
 */

/** The drift tables and the key of their rows. */
const DRIFT_KEYS = {
  drift_metrics: 's.run_id = t.run_id AND s.feature = t.feature',
  customer_segments: 's.customer_id = t.customer_id',
  segment_migrations: 's.run_id = t.run_id AND s.from_tier = t.from_tier AND s.to_tier = t.to_tier',
} as const;

const HAS_KCAT = hasKcat();
const GROUP_JOIN_MS = 90_000;
const CATCH_UP_MS = 180_000;
const run = promisify(execFile);

let cluster: MockCluster | undefined;
let dir = '';
let lines: string[] = [];

async function assigned(member: PulseProcess): Promise<number> {
  return (await member.samples('pulse_partitions_assigned')).reduce((n, s) => n + s.value, 0);
}

describe.skipIf(!HAS_KCAT)('merged KPIs and drift across partition moves: a late join and a SIGKILL (mock cluster, state changelog)', () => {
  beforeAll(async () => {
    ({ dir, lines, cluster } = await startMockClusterSuite('pulse-merge-moves-', { customers: 200, days: 10, seed: 17, lateRate: 0, malformedRate: 0 }));
  }, 120_000);

  afterAll(async () => {
    await stopMockClusterSuite({ dir, cluster }, process.env['PULSE_E2E_KEEP'] !== undefined);
  });

  it.each([
    { how: 'state changelog, A SIGKILLed', carry: 'changelog', leave: 'kill' },
    { how: 'handoff directory, A stopped gracefully', carry: 'handoff', leave: 'stop' },
  ] as const)(
    "the last owners' contact_kpis, alerts and drift tables equal a one-member run's, EXCEPT ALL both ways ($how)",
    async ({ carry, leave }) => {
      const topic = `events-moves-${carry}`;
      const mergeTopic = `pulse-merge-moves-${carry}`;
      const bootstrap = cluster!.bootstrap;
      // Allowed lateness 2 days of the 10 (as kafka-three-members): B, taking A's partitions over,
      // replays them from A's last markers after its own partitions have read the same part of the input.
      const common = { bootstrap, topic, batchSize: 200, allowedLateness: '2d' };
      const moves = carry === 'changelog' ? { changelogTopic: `pulse-moves-changelog-${carry}` } : { handoffDir: join(dir, `handoff-${carry}`) };
      const merged = withBusyRule(writeKafkaJob(dir, `merged-${carry}`, { ...common, group: `g-merged-${carry}`, mergeTopic, drift: true, ...moves }));
      const single = withBusyRule(writeKafkaJob(dir, `single-${carry}`, { ...common, group: `g-single-${carry}`, drift: true }));
      const dbA = join(dir, `moves-a-${carry}.duckdb`);
      const dbB = join(dir, `moves-b-${carry}.duckdb`);
      const dbOne = join(dir, `moves-one-${carry}.duckdb`);
      const cuts = [0.4, 0.7, 1].map((share) => Math.floor(lines.length * share));
      const produceAndCatchUp = async (step: number, members: readonly PulseProcess[], what: string): Promise<void> => {
        await produceLines(bootstrap, topic, lines.slice(step === 0 ? 0 : cuts[step - 1], cuts[step]));
        const { ends } = await topicLayout(bootstrap, topic);
        await waitFor(
          what,
          async () => {
            const union = new Map<number, number>();
            for (const member of members) for (const [p, o] of await member.positions()) union.set(p, Math.max(o, union.get(p) ?? -1));
            return reachedEnds(union, ends);
          },
          GROUP_JOIN_MS + CATCH_UP_MS,
        );
      };

      const a = await PulseProcess.kafka(merged, dbA);
      await waitFor('A to hold the 4 partitions', async () => (await assigned(a)) === 4, GROUP_JOIN_MS);
      await produceAndCatchUp(0, [a], 'A to process part 1');
      await waitMergedToEnd(bootstrap, mergeTopic, [a], CATCH_UP_MS);

      const b = await PulseProcess.kafka(merged, dbB);
      await waitFor('A and B to share the partitions', async () => (await assigned(a)) === 2 && (await assigned(b)) === 2, GROUP_JOIN_MS * 2);
      await produceAndCatchUp(1, [a, b], 'A and B to process part 2');
      await waitMergedToEnd(bootstrap, mergeTopic, [a, b], CATCH_UP_MS);
      expect(a.running, `A exited early: ${a.stderr.slice(-3000)}`).toBe(true);

      if (leave === 'kill') await a.kill();
      else expect(await a.stop()).toBe(0);
      await waitFor("B to take A's partitions over", async () => (await assigned(b)) === 4, GROUP_JOIN_MS * 2);
      await produceAndCatchUp(2, [b], 'B to process the rest');
      await waitMergedToEnd(bootstrap, mergeTopic, [b], CATCH_UP_MS);
      // B follows every merge partition now: `pulse status` and the metrics show each merged to its end
      // (the ends counted by kcat, not by the job), A's merge partitions included.
      const mergeEnds = (await topicLayout(bootstrap, mergeTopic)).ends;
      const { stdout } = await run(process.execPath, [CLI, 'status', '--db', dbB, '--json'], { timeout: 60_000 });
      const [status] = (JSON.parse(stdout) as { members: MemberStatus[] }).members;
      expect(status!.merge).toEqual({
        topic: mergeTopic,
        partitions: [...mergeEnds].sort(([x], [y]) => x - y).map(([partition, end]) => ({ partition, mergedOffset: end - 1, highWatermark: end, lag: 0 })),
        errors: [],
      });
      const highs = new Map((await b.samples('pulse_merge_high_watermark')).map((s) => [Number(s.labels['partition']), s.value]));
      expect(highs).toEqual(mergeEnds);
      // What B produced to the changelog, by kind (the carried KPI state is `partition_state`).
      const produced = (await b.samples('pulse_changelog_records_total')).map((s) => `${s.labels['kind']} ${s.value}`).join(', ');
      expect(await b.stop()).toBe(0);

      const one = await PulseProcess.kafka(single, dbOne);
      const { ends } = await topicLayout(bootstrap, topic);
      await waitFor('the one-member run to checkpoint every partition to its end', async () => reachedEnds(await one.positions(), ends), CATCH_UP_MS);
      expect(await one.stop()).toBe(0);

      const paths = { a: dbA, b: dbB, one: dbOne };
      const kpis = await differences(paths, lastOwners(KPIS, 'contact_kpis', KPI_KEY, ['b', 'a']), `SELECT ${KPIS} FROM one.contact_kpis`);
      const alerts = await differences(paths, lastOwners(ALERTS, 'alerts', ALERT_KEY, ['b', 'a']), `SELECT ${ALERTS} FROM one.alerts`);
      expect(kpis.total).toBeGreaterThan(100);
      expect(alerts.total).toBeGreaterThan(0);
      expect({ kpis, alerts }).toMatchObject({ kpis: { onlyMerged: 0, onlyOne: 0 }, alerts: { onlyMerged: 0, onlyOne: 0 } });
      const drift: Record<string, { onlyMerged: number; onlyOne: number; total: number }> = {};
      for (const [table, key] of Object.entries(DRIFT_KEYS))
        drift[table] = await differences(paths, lastOwners('*', table, key, ['b', 'a']), `SELECT * FROM one.${table}`);
      for (const [table, d] of Object.entries(drift)) {
        expect(d.total, table).toBeGreaterThan(0);
        expect(d, table).toMatchObject({ onlyMerged: 0, onlyOne: 0 });
      }
      // Both members wrote merged rows: A before the moves, B after them.
      const written = await differences(paths, `SELECT ${KPIS} FROM a.contact_kpis`, `SELECT ${KPIS} FROM b.contact_kpis`);
      expect(written.total).toBeGreaterThan(0);
      expect(written.onlyMerged).toBeGreaterThan(0);
      process.stderr.write(
        `kafka-merge-moves (${carry}, A ${leave}): ${kpis.total} contact_kpis rows, ${alerts.total} alerts, ` +
          `${Object.entries(drift)
            .map(([table, d]) => `${d.total} ${table}`)
            .join(', ')}; A wrote ${written.onlyMerged} rows B has not` +
          (produced ? `; B's changelog records: ${produced}\n` : '\n'),
      );
    },
    900_000,
  );
});
