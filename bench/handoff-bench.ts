/**
 * Partition hand-over cost (issue 6): what moving one Kafka partition's state to another member
 * costs, compared in the same run with what a member pays anyway on a restart.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/handoff-bench.js [--customers 50000 --days 14 --partitions 4]
 *
 * 1. Runs the default job (every operator) over a generated dataset into a database, as a member
 *    that has been running for `days`.
 * 2. Spreads the customers over `partitions` source partitions (by hash of the customer id, as a
 *    customer-keyed topic does) in `pulse_partition_owners` and `pulse_dedup`, with a position each.
 * 3. Times the export of one partition (Parquet snapshot + delete) and its import into another
 *    member's database, and prints the snapshot's size and rows. Open windows are those a live
 *    member holds: the job's last event-time watermark, not the end-of-file close.
 * 4. Baseline: `pulse run` restarting on the exported database with nothing new to read (open the
 *    file, restore every operator's state, checkpoint, exit).
 * 5. The same state carried by Kafka (`checkpoint.changelog`) on librdkafka's MOCK cluster (not a
 *    production figure): every partition published to a changelog topic, then restored from it into
 *    an empty database (read to the end, folded, imported in one transaction per partition), as a
 *    member assigned all of them would; printed per 100,000 customers. Run before step 3, which
 *    deletes partition events/0 from the member's database. A hand-over also rebuilds the
 *    member's operators from its database, so this is the part of the cost that does not shrink
 *    with the size of the moved partition.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { promChangelogMetrics } from '../sinks/changelog/metrics.js';
import { ChangelogTopic } from '../sinks/changelog/topic.js';
import { readPartitionState } from '../sinks/changelog/partition-state.js';
import { StateChangelog } from '../sinks/changelog/state-changelog.js';
import { PartitionHandoffDir } from '../sinks/duckdb/partition-handoff.js';
import { startMockCluster } from '../sources/kafka/mock-cluster.js';
import { DuckDBStore } from '../sinks/duckdb/store.js';
import { cleanDataset } from './clean-dataset.js';
import type { WatermarkSnapshot } from '../operators/watermark.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '50000' },
    days: { type: 'string', default: '14' },
    seed: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '4' },
    dir: { type: 'string', default: 'bench/.data' },
  },
});
const customers = Number(values.customers);
const days = Number(values.days);
const partitions = Number(values.partitions);
const dir = values.dir!;
const events = await cleanDataset(dir, customers, days, Number(values.seed));

function pulseRun(db: string, input: string): number {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    ['dist/pipelines/cli.js', 'run', '--config', 'pipelines/customer-analytics.yaml', '--input', input, '--db', db, '--reports', join(dir, 'handoff-reports')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PULSE_LOG_LEVEL: 'warn' } },
  );
  if (run.status !== 0) throw new Error(`pulse run exited ${run.status}: ${run.stderr.toString().slice(-3000)}`);
  return (performance.now() - started) / 1000;
}

function removeDb(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

function sizeOf(path: string): number {
  return readdirSync(path).reduce((sum, name) => sum + statSync(join(path, name)).size, 0);
}

// 1. A member that has read the dataset.
const memberDb = join(dir, 'handoff-member.duckdb');
removeDb(memberDb);
process.stderr.write(`running the default job over ${events} ...\n`);
const runSeconds = pulseRun(memberDb, events);

// 2. Customers spread over partitions as a customer-keyed topic would.
const store = await DuckDBStore.open(memberDb);
const connection = store.connection;
const partitionOf = (column: string): string => `'events/' || (hash(${column}) % ${partitions})`;
await connection.run(`INSERT INTO pulse_partition_owners
  SELECT customer_id, ${partitionOf('customer_id')} FROM
    (SELECT customer_id FROM pulse_state WHERE customer_id IS NOT NULL UNION SELECT customer_id FROM customer_windows)`);
await connection.run(`UPDATE pulse_dedup SET partition = 'events/' || (hash(event_id) % ${partitions})`);
for (let p = 0; p < partitions; p++) {
  await connection.run(
    `INSERT OR REPLACE INTO pulse_checkpoints (source, partition, "offset", resume, updated_at) VALUES ('kafka', 'events/${p}', 1000, 1000, now())`,
  );
}
const { jobState } = await store.loadCheckpoint();
const watermark = (jobState['watermark'] as WatermarkSnapshot | undefined)?.current ?? Number.NEGATIVE_INFINITY;
const count = async (sql: string): Promise<number> => Number((await connection.runAndReadAll(sql)).getRows()[0]![0]);
const totals = {
  customers: await count(`SELECT count(*) FROM pulse_partition_owners`),
  stateRows: await count(`SELECT count(*) FROM pulse_state`),
  windowRows: await count(`SELECT count(*) FROM customer_windows`),
};

// 5 (run now: step 3 deletes a partition). Every partition through a changelog topic on the mock cluster.
const cluster = await startMockCluster(3);
const open = { allowedLatenessMs: 3_600_000, watermark };
const partitionNames = Array.from({ length: partitions }, (_, p) => `events/${p}`);
const stateChangelog = (): StateChangelog =>
  new StateChangelog({
    topic: new ChangelogTopic({ brokers: cluster.bootstrap, topic: 'bench-state-changelog' }),
    sourceTopic: 'events',
    allowedLatenessMs: open.allowedLatenessMs,
    minCompactionLagMs: 86_400_000,
    held: () => partitionNames,
    metrics: promChangelogMetrics(new Registry()),
  });
const publisher = stateChangelog();
// Creates the topic (the mock cluster refuses the admin request after 10 s; it is auto-created with 4 partitions).
await publisher.start([]);
// What is published, to check that it all comes back: the mock cluster keeps only about 5 MB or
// 100,000 messages per partition, so keep a partition's state below that (about 20,000 customers here).
let publishedEntries = 0;
for (const partition of partitionNames) publishedEntries += (await readPartitionState(connection, partition, open)).length;
const publishStart = performance.now();
for (const partition of partitionNames) {
  await publisher.takeOver(connection, { source: 'kafka', partition, local: { offset: 1000, resume: 1000 }, maxEventTime: watermark, open });
}
const publishSeconds = (performance.now() - publishStart) / 1000;
await publisher.close();
const restoredDb = join(dir, 'handoff-changelog.duckdb');
removeDb(restoredDb);
const restored = await DuckDBStore.open(restoredDb);
const restorer = stateChangelog();
let changelogRecords = 0;
let restoredEntries = 0;
const restoreStart = performance.now();
for (const partition of partitionNames) {
  const result = await restorer.takeOver(
    restored.connection,
    { source: 'kafka', partition, local: undefined, maxEventTime: Number.NEGATIVE_INFINITY, open },
    (read, total) => void (read === total && (changelogRecords += total)),
  );
  restoredEntries += result?.entries ?? 0;
}
const restoreSeconds = (performance.now() - restoreStart) / 1000;
const restoredCustomers = Number((await restored.connection.runAndReadAll(`SELECT count(*) FROM pulse_partition_owners`)).getRows()[0]![0]);
await restorer.close();
restored.close();
await cluster.close();

// 3. Export one partition, import it into another member's database.
const handoffRoot = join(dir, 'handoff-snapshots');
rmSync(handoffRoot, { recursive: true, force: true });
const handoff = new PartitionHandoffDir(handoffRoot);
const exportStart = performance.now();
const manifest = await handoff.export(connection, 'kafka', 'events/0', { offset: 1000, resume: 1000 }, watermark, {
  allowedLatenessMs: 3_600_000,
  watermark,
});
const exportSeconds = (performance.now() - exportStart) / 1000;
store.close();
const snapshot = handoff.newest('kafka', 'events/0')!;

const otherDb = join(dir, 'handoff-other.duckdb');
removeDb(otherDb);
const other = await DuckDBStore.open(otherDb);
const importStart = performance.now();
await handoff.import(other.connection, snapshot);
const importSeconds = (performance.now() - importStart) / 1000;
other.close();

// 4. Baseline: a restart of the member with nothing to read.
const empty = join(dir, 'handoff-empty.ndjson');
writeFileSync(empty, '');
const restartDb = join(dir, 'handoff-restart.duckdb');
removeDb(restartDb);
copyFileSync(memberDb, restartDb);
const restartSeconds = pulseRun(restartDb, empty);

const figures = {
  dataset: `${events} (${customers} customers, ${days} days; default job took ${runSeconds.toFixed(1)} s)`,
  member_state: `${totals.customers} customers, ${totals.stateRows} pulse_state rows, ${totals.windowRows} customer_windows rows`,
  moved_partition: `events/0 of ${partitions}: ${manifest.rows.customers} customers, ${manifest.rows.windows} open windows, ${manifest.rows.state} state rows, ${manifest.rows.dedup} dedup ids`,
  snapshot_mib: (sizeOf(snapshot.dir) / 2 ** 20).toFixed(1),
  export_seconds: exportSeconds.toFixed(2),
  import_seconds: importSeconds.toFixed(2),
  restart_seconds_baseline: restartSeconds.toFixed(2),
  handover_over_restart: ((exportSeconds + importSeconds) / restartSeconds).toFixed(2),
  changelog_mock_cluster: `${partitions} partitions, ${publishedEntries} entries published, ${changelogRecords} records read, ${restoredEntries} entries and ${restoredCustomers} customers restored`,
  changelog_publish_seconds: publishSeconds.toFixed(2),
  changelog_restore_seconds: restoreSeconds.toFixed(2),
  changelog_restore_per_100k: `${((restoreSeconds * 100_000) / Math.max(1, restoredCustomers)).toFixed(2)} s per 100,000 customers (MOCK cluster)`,
};
for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(26)} ${value}\n`);
