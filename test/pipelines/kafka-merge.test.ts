import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockCluster } from '../../sources/kafka/mock-cluster.js';
import {
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
import { ALERTS, KPIS, differences, waitMergedToEnd } from './merge-helpers.js';

/**
 * Population results merged across members (job option `merge`), end to end on the mock cluster:
 * two `pulse run` members split a 4-partition topic; each publishes its partitions' KPI partials
 * and drift closes to the merge topic and merges the queues and channels of its merge partitions,
 * and the one that owns the drift's merge partition decides drift. The union of their
 * `contact_kpis`, alerts and drift tables equals a one-member run over the same events (same job
 * without `merge`), compared with DuckDB EXCEPT ALL both ways.
 */

const HAS_KCAT = hasKcat();
const GROUP_JOIN_MS = 90_000;
const CATCH_UP_MS = 180_000;
/** The drift tables, compared whole (every column). */
const DRIFT_TABLES = ['drift_metrics', 'customer_segments', 'segment_migrations'] as const;

let cluster: MockCluster | undefined;
let dir = '';
let lines: string[] = [];

async function assigned(member: PulseProcess): Promise<number> {
  return (await member.samples('pulse_partitions_assigned')).reduce((n, s) => n + s.value, 0);
}

async function positions(members: readonly PulseProcess[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const member of members) for (const [p, offset] of await member.positions()) out.set(p, Math.max(offset, out.get(p) ?? -1));
  return out;
}

describe.skipIf(!HAS_KCAT)('KPI and drift results merged across Kafka members (mock cluster, pulse run child processes)', () => {
  beforeAll(async () => {
    ({ dir, lines, cluster } = await startMockClusterSuite('pulse-merge-', { customers: 200, days: 10, seed: 17, lateRate: 0, malformedRate: 0 }));
  }, 120_000);

  afterAll(async () => {
    await stopMockClusterSuite({ dir, cluster }, process.env['PULSE_E2E_KEEP'] !== undefined);
  });

  it("two members' merged contact_kpis, drift tables and alerts equal a one-member run's (EXCEPT ALL both ways)", async () => {
    const topic = 'events-merge';
    const mergeTopic = 'pulse-merge';
    const bootstrap = cluster!.bootstrap;
    const merged = writeKafkaJob(dir, 'merged', { bootstrap, topic, group: 'g-merged', batchSize: 200, mergeTopic, drift: true });
    const single = writeKafkaJob(dir, 'single', { bootstrap, topic, group: 'g-single', batchSize: 200, drift: true });
    const dbA = join(dir, 'merge-a.duckdb');
    const dbB = join(dir, 'merge-b.duckdb');
    const dbOne = join(dir, 'merge-one.duckdb');

    // The source topic exists before the members start: a member's merge asks for its partitions
    // at start and stops when there are none (two members starting at once on a topic that does
    // not exist yet raced its auto-creation). A record that is no event: dead-lettered by both runs.
    await produceLines(bootstrap, topic, ['{"warm_up":"not an event"}']);
    // Both members hold their share before any event: a partition's cumulative partials stay with
    // the member that read them (README: moving a partition between members is not merged yet).
    const a = await PulseProcess.kafka(merged, dbA);
    const b = await PulseProcess.kafka(merged, dbB);
    await waitFor('each member to hold 2 of the 4 partitions', async () => (await assigned(a)) === 2 && (await assigned(b)) === 2, GROUP_JOIN_MS);

    await produceLines(bootstrap, topic, lines);
    const layout = await topicLayout(bootstrap, topic);
    expect(layout.ends.size).toBe(4);
    await waitFor('the members to checkpoint every partition to its end', async () => reachedEnds(await positions([a, b]), layout.ends), CATCH_UP_MS);
    // Then every merge partition merged to its end and committed.
    await waitMergedToEnd(bootstrap, mergeTopic, [a, b], CATCH_UP_MS);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);

    const one = await PulseProcess.kafka(single, dbOne);
    await waitFor('the one-member run to checkpoint every partition to its end', async () => reachedEnds(await one.positions(), layout.ends), CATCH_UP_MS);
    expect(await one.stop()).toBe(0);

    const paths = { a: dbA, b: dbB, one: dbOne };
    const kpis = await differences(
      paths,
      `SELECT ${KPIS} FROM a.contact_kpis UNION ALL SELECT ${KPIS} FROM b.contact_kpis`,
      `SELECT ${KPIS} FROM one.contact_kpis`,
    );
    expect(kpis.total).toBeGreaterThan(100);
    expect(kpis).toMatchObject({ onlyMerged: 0, onlyOne: 0 });
    const alerts = await differences(paths, `SELECT ${ALERTS} FROM a.alerts UNION ALL SELECT ${ALERTS} FROM b.alerts`, `SELECT ${ALERTS} FROM one.alerts`);
    expect(alerts.total).toBeGreaterThan(0);
    expect(alerts).toMatchObject({ onlyMerged: 0, onlyOne: 0 });
    // Drift decided once, for the whole population: daily periods, the first a warm-up.
    for (const table of DRIFT_TABLES) {
      const drift = await differences(paths, `SELECT * FROM a.${table} UNION ALL SELECT * FROM b.${table}`, `SELECT * FROM one.${table}`);
      expect(drift.total, table).toBeGreaterThan(0);
      expect(drift, table).toMatchObject({ onlyMerged: 0, onlyOne: 0 });
      // By one member only: the owner of the drift's merge partition.
      const both = await differences(
        paths,
        `SELECT count(*) FROM a.${table} HAVING count(*) > 0 UNION ALL SELECT count(*) FROM b.${table} HAVING count(*) > 0`,
        `SELECT 0 WHERE false`,
      );
      expect(both.onlyMerged, table).toBe(1);
    }
    // The drift rescored (migrations above), so its alerts are among those compared.
    const rescorings = await differences(paths, `SELECT alert_id FROM one.alerts WHERE rule = 'SegmentationRescoreNeeded'`, `SELECT NULL WHERE false`);
    expect(rescorings.onlyMerged).toBeGreaterThan(0);
    // Each member wrote a share: the queues and channels of its merge partitions.
    const shares = await differences(
      paths,
      `SELECT queue, channel FROM a.contact_kpis INTERSECT SELECT queue, channel FROM b.contact_kpis`,
      `SELECT NULL, NULL WHERE false`,
    );
    expect(shares.onlyMerged).toBe(0);
  }, 600_000);
});
