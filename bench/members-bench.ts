/**
 * End-to-end throughput of 1, 2 and 3 members of one consumer group (issue 20), on librdkafka's
 * in-process MOCK cluster: NOT a production figure (no network, no disk of its own; brokers,
 * members and producer share this machine's cores).
 *
 * For each member count N: a fresh topic (4 partitions, the mock cluster's) gets the dataset's
 * first `WARM_UP` events, N members of the default job (every operator, `--workers` each) start at
 * once, and the bench polls `pulse status` of every member until the group has settled (each
 * partition held by exactly one member, each member holding one) and has committed those events.
 * Then it produces the rest of the dataset and times from the first of them sent to every
 * partition's committed offset at its end: events per second end to end, and the CPU seconds all
 * members spent per 100,000 of them (from /proc). On a machine with cores to spare, N members'
 * throughput is about (cores they get) / (CPU seconds per event), while each has a partition to
 * read; on a machine without, the figure shows what the extra members cost (each keeps its own
 * copy of the job's fixed work: population operators, checkpoints, its DuckDB).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/members-bench.js [--customers 5000 --days 7 --members 1,2,3 --workers 1]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { MemberStatus } from '../pipelines/job-status.js';
import { startMockCluster } from '../sources/kafka/mock-cluster.js';
import { DeliveringProducer } from '../sources/kafka/producer.js';
import { cleanDataset } from './clean-dataset.js';
import { freePort } from './free-port.js';
import { cpuSecondsOf, kafkaJob, killMembers, memberStatus, startMember, stopMember, until } from './kafka-members.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '5000' },
    days: { type: 'string', default: '7' },
    seed: { type: 'string', default: '1' },
    members: { type: 'string', default: '1,2,3' },
    workers: { type: 'string', default: '1' },
    checkpoint: { type: 'string', default: '1s' },
    dir: { type: 'string', default: 'bench/.data' },
  },
});
const PARTITIONS = 4; // the mock cluster's auto-created topics
/** Events sent before the members start: they create the topic and every partition gets some. */
const WARM_UP = 1000;
const dir = values.dir!;
const events = await cleanDataset(dir, Number(values.customers), Number(values.days), Number(values.seed));
const lines = readFileSync(events, 'utf8')
  .split('\n')
  .filter((line) => line.length > 0);
const customerOf = (line: string): string => /"customer_id":"([^"]+)"/.exec(line)?.[1] ?? 'none';

/** Every member's status once each of the topic's partitions is held by exactly one member and each member holds one. */
async function settled(dbs: string[]): Promise<MemberStatus[] | undefined> {
  const all = await Promise.all(dbs.map(memberStatus));
  if (all.some((s) => s === undefined || s.partitions.length === 0)) return undefined;
  const held = all.flatMap((s) => s!.partitions.map((p) => p.name));
  return held.length === PARTITIONS && new Set(held).size === PARTITIONS ? (all as MemberStatus[]) : undefined;
}

/** Sum over partitions of the committed offsets (-1 counts as 0: nothing committed yet). */
function committed(members: MemberStatus[]): number {
  return members.flatMap((m) => m.partitions).reduce((sum, p) => sum + Math.max(0, p.committedOffset ?? 0), 0);
}

const cluster = await startMockCluster(3);
const producer = new DeliveringProducer({ 'bootstrap.servers': cluster.bootstrap, 'linger.ms': 5 });
const rows: string[][] = [];
try {
  for (const count of values.members!.split(',').map(Number)) {
    const work = join(dir, `members-${count}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const topic = `members-${count}-${Date.now()}`;
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 5000) {
        await producer.send(lines.slice(i, Math.min(i + 5000, to)).map((line) => ({ topic, key: customerOf(line), value: line })));
      }
    };
    await send(0, WARM_UP);
    const config = join(work, 'job.yaml');
    writeFileSync(
      config,
      kafkaJob(cluster.bootstrap, topic, `g-${topic}`, {}, [
        [['checkpoint', 'interval'], values.checkpoint],
        [['workers'], values.workers === 'auto' ? 'auto' : Number(values.workers)],
      ]),
    );
    const dbs = Array.from({ length: count }, (_, i) => join(work, `m${i}.duckdb`));
    const children: ChildProcess[] = [];
    for (const db of dbs) children.push(startMember(config, db, await freePort(), work));
    process.stderr.write(`[${count} member(s)] waiting for the group to settle ...\n`);
    const caughtUp = async (): Promise<MemberStatus[] | undefined> => {
      const all = await settled(dbs);
      return all?.every((m) => m.partitions.every((p) => p.lag === 0 && p.committedOffset !== null)) ? all : undefined;
    };
    const start = await until('the group to settle and read the first events', caughtUp, 300_000, 100);
    const startCommitted = committed(start);
    const startCpu = children.map(cpuSecondsOf);
    const startedAt = Date.now();
    process.stderr.write(`[${count} member(s)] producing ${lines.length - WARM_UP} events ...\n`);
    await send(WARM_UP, lines.length);
    const producedSeconds = (Date.now() - startedAt) / 1000;
    const end = await until('every partition committed to its end', caughtUp, 1_800_000, 100);
    const seconds = (Date.now() - startedAt) / 1000;
    const cpu = children.map((child, i) => cpuSecondsOf(child) - startCpu[i]!);
    const measured = committed(end) - startCommitted;
    await Promise.all(children.map(stopMember));
    const cpuTotal = cpu.reduce((a, b) => a + b, 0);
    rows.push([
      String(count),
      end.map((m) => m.partitions.length).join('/'),
      String(measured),
      seconds.toFixed(1),
      producedSeconds.toFixed(1),
      (measured / seconds).toFixed(0),
      ((cpuTotal / measured) * 1e5).toFixed(1),
      cpu.map((s) => s.toFixed(1)).join(' '),
    ]);
  }
} finally {
  killMembers();
  await producer.close();
  await cluster.close();
}
const header = ['members', 'partitions', 'events_timed', 'seconds', 'produced_in_s', 'events_per_s', 'cpu_s_per_100k', 'cpu_s_each'];
process.stdout.write(
  `mock cluster, ${cpus().length} cores, ${lines.length} events of ${values.customers} customers x ${values.days} days, workers ${values.workers} per member\n`,
);
for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell) => cell.padEnd(14)).join(' ')}\n`);
