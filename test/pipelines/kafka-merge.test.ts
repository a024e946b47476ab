import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
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
const KPIS = `epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, queue, channel, offered, handled, abandoned, short_abandoned,
  self_service, abandon_rate, aht_seconds, asa_seconds, avg_queue_seconds, service_level, transfer_rate, self_service_rate, fcr_rate,
  fcr_final, transferred, resolved, resolved_per_minute`;
/** The drift tables, compared whole (every column). */
const DRIFT_TABLES = ['drift_metrics', 'customer_segments', 'segment_migrations'] as const;
const ALERTS = `alert_id, kind, rule, severity, customer_id, epoch_ms(window_start) AS ws, epoch_ms(fired_at) AS fired,
  CAST(labels AS VARCHAR) AS labels, CAST(annotations AS VARCHAR) AS annotations, status`;

let cluster: MockCluster | undefined;
let dir = '';
let lines: string[] = [];

/** Rows of `select` over `from` that the other side lacks, both ways (multiset difference). */
async function differences(paths: Record<string, string>, merged: string, one: string): Promise<{ onlyMerged: number; onlyOne: number; total: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    for (const [alias, path] of Object.entries(paths)) await connection.run(`ATTACH '${path}' AS ${alias} (READ_ONLY)`);
    const count = async (sql: string): Promise<number> => Number((await connection.runAndReadAll(`SELECT count(*) FROM (${sql})`)).getRows()[0]![0]);
    return {
      // Each side as a subquery: UNION ALL and EXCEPT ALL bind left to right.
      onlyMerged: await count(`SELECT * FROM (${merged}) EXCEPT ALL SELECT * FROM (${one})`),
      onlyOne: await count(`SELECT * FROM (${one}) EXCEPT ALL SELECT * FROM (${merged})`),
      total: await count(one),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The members' merge-topic offsets merged and committed, by merge partition (only its owner follows one). */
async function mergedOffsets(members: readonly PulseProcess[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const member of members) {
    for (const s of await member.samples('pulse_merge_offset'))
      out.set(Number(s.labels['partition']), Math.max(s.value, out.get(Number(s.labels['partition'])) ?? -1));
  }
  return out;
}

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
    // Then every merge partition merged to its end and committed, twice in a row with the same ends
    // (a member's last partials are produced just after the checkpoint that shows its position).
    let before = '';
    await waitFor(
      'the merge topic to be merged to its end',
      async () => {
        const ends = (await topicLayout(bootstrap, mergeTopic)).ends;
        const done = reachedEnds(await mergedOffsets([a, b]), ends);
        const seen = JSON.stringify([...ends].sort());
        const stable = done && seen === before;
        before = done ? seen : '';
        return stable;
      },
      CATCH_UP_MS,
      1_000,
    );
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
