/**
 * What a rebalance costs (issue 20 item 3), on librdkafka's in-process MOCK cluster: NOT a
 * production figure (no network, no disk of its own, brokers, members and producer share the two
 * cores). Per assignment strategy:
 *
 * 1. Member A (`pulse run --source kafka`, the default job with every operator,
 *    `checkpoint.handoff_dir`) reads a customer-keyed topic of `customers` x `days` generated events
 *    to its end, so it holds every customer's state.
 * 2. A trickle of new events (every customer, all partitions) starts; then member B is started.
 * 3. Timed from B's start, through `pulse status` of both members (the job API, 50 ms polls): B's
 *    API up (process start, empty database), A's last partition handed over (its log), B assigned
 *    partitions (the start of its first state restore), every state restore done, and every partition processing again (its checkpointed
 *    offset past where it was when B started, on the one member that holds it).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/rebalance-bench.js [--customers 5000 --days 3 --strategies cooperative-sticky,range]
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMockCluster } from '../sources/kafka/mock-cluster.js';
import { DeliveringProducer } from '../sources/kafka/producer.js';
import { cleanDataset } from './clean-dataset.js';
import { freePort } from './free-port.js';
import { kafkaJob, killMembers, memberStatus, sleep, startMember, stopMember, until } from './kafka-members.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '5000' },
    days: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    strategies: { type: 'string', default: 'cooperative-sticky,range' },
    checkpoint: { type: 'string', default: '500ms' },
    dir: { type: 'string', default: 'bench/.data' },
  },
});
const dir = values.dir!;
const customers = Number(values.customers);
const events = await cleanDataset(dir, customers, Number(values.days), Number(values.seed));
const lines = readFileSync(events, 'utf8')
  .split('\n')
  .filter((line) => line.length > 0);
const customerOf = (line: string): string => /"customer_id":"([^"]+)"/.exec(line)?.[1] ?? 'none';
const customerIds = [...new Set(lines.map(customerOf))];
/** The latest event time of the dataset: the trickle's events follow it (not late, not far ahead). */
const lastTs = lines.reduce((max, line) => {
  const event = JSON.parse(line) as { ts?: string | number; queued_at?: string };
  const at = event.ts ?? event.queued_at;
  return Math.max(max, typeof at === 'number' ? at : Date.parse(at ?? ''));
}, 0);

/** Epoch ms of the last log line of `db`'s member with message `msg` before `before` (its stop hands over too). */
function lastLogged(db: string, msg: string, before: number): number | undefined {
  let at: number | undefined;
  for (const line of readFileSync(`${db}.log`, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time?: number; msg?: string };
    if (entry.msg === msg && entry.time !== undefined && entry.time <= before) at = entry.time;
  }
  return at;
}

/** Customers and rows in the newest snapshot of each handed-over partition (their manifests). */
function handedOver(handoff: string): { customers: number; rows: number } {
  let customersMoved = 0;
  let rows = 0;
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name === 'manifest.json') {
        const manifest = JSON.parse(readFileSync(child, 'utf8')) as { rows: Record<string, number> };
        customersMoved += manifest.rows['customers'] ?? 0;
        rows += Object.values(manifest.rows).reduce((a, b) => a + b, 0);
      }
    }
  };
  walk(handoff);
  return { customers: customersMoved, rows };
}

const cluster = await startMockCluster(3);
const producer = new DeliveringProducer({ 'bootstrap.servers': cluster.bootstrap, 'linger.ms': 5 });
const results: Array<Record<string, string>> = [];
try {
  for (const strategy of values.strategies!.split(',')) {
    const work = join(dir, `rebalance-${strategy}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const topic = `rebalance-${strategy}`;
    process.stderr.write(`[${strategy}] producing ${lines.length} events of ${customerIds.length} customers ...\n`);
    for (let i = 0; i < lines.length; i += 5000) {
      await producer.send(lines.slice(i, i + 5000).map((line) => ({ topic, key: customerOf(line), value: line })));
    }
    const job = kafkaJob(cluster.bootstrap, topic, `g-${strategy}`, { 'partition.assignment.strategy': strategy }, [
      [['checkpoint', 'interval'], values.checkpoint],
      [['checkpoint', 'handoff_dir'], join(work, 'handoff')],
    ]);
    const config = join(work, 'job.yaml');
    writeFileSync(config, job);
    const dbA = join(work, 'a.duckdb');
    const dbB = join(work, 'b.duckdb');
    const a = startMember(config, dbA, await freePort(), work);
    const loadStarted = Date.now();
    const ends = new Map<string, number>();
    await until(
      'A read the topic to its end',
      async () => {
        const s = await memberStatus(dbA);
        if (!s || s.partitions.length !== 4) return undefined;
        for (const p of s.partitions) ends.set(p.name, p.highWatermark ?? -1);
        return s.partitions.every((p) => p.lag === 0 && p.committedOffset !== null) ? s : undefined;
      },
      600_000,
      500,
    );
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    // New events for every customer while the rebalance runs: each partition has something to process.
    let trickling = true;
    let sent = 0;
    const trickle = (async () => {
      while (trickling) {
        const batch = customerIds.slice(0, 200).map((customer, i) => {
          const n = sent + i;
          return {
            topic,
            key: customer,
            value: JSON.stringify({ type: 'usage', event_id: `rebalance-${n}`, ts: lastTs + n, customer_id: customer, metric: 'logins', quantity: 1 }),
          };
        });
        sent += batch.length;
        await producer.send(batch);
        await sleep(100);
      }
    })();
    await sleep(1_000);
    const marks = new Map((await memberStatus(dbA))!.partitions.map((p) => [p.name, p.committedOffset ?? -1]));
    const joined = Date.now();
    const b = startMember(config, dbB, await freePort(), work);
    const apiUp = await until('B answering pulse status', async () => (await memberStatus(dbB)) && Date.now(), 120_000);
    const [restoredSeconds, processingSeconds, final] = await until(
      'every partition processing again',
      async () => {
        const [sa, sb] = [await memberStatus(dbA), await memberStatus(dbB)];
        if (!sa || !sb) return undefined;
        const all = [...sa.partitions, ...sb.partitions];
        // Settled: B holds some, and each partition is on exactly one member.
        if (sb.partitions.length === 0 || all.length !== 4 || new Set(all.map((p) => p.name)).size !== 4) return undefined;
        const restoring = all.some((p) => p.restore !== null && p.restore.phase !== 'done');
        if (restoring) return undefined;
        const restoredAt = Math.max(0, ...all.map((p) => p.restore?.finishedAt ?? 0));
        if (!all.every((p) => (p.committedOffset ?? -1) > marks.get(p.name)!)) return undefined;
        return [(restoredAt - joined) / 1000, (Date.now() - joined) / 1000, [sa, sb]] as const;
      },
      300_000,
    );
    const settled = Date.now();
    trickling = false;
    await trickle;
    const moved = handedOver(join(work, 'handoff'));
    // B's restores start in the rebalance callback's hand-over: when B was assigned its partitions.
    const assignedAt = Math.min(...final[1].partitions.map((p) => p.restore?.startedAt ?? Number.POSITIVE_INFINITY));
    const restoreTimes = final.flatMap((m) =>
      m.partitions.map((p) => (p.restore?.finishedAt ? (p.restore.finishedAt - p.restore.startedAt) / 1000 : undefined)),
    );
    await stopMember(b);
    await stopMember(a);
    const seconds = (at: number | undefined): string => (at === undefined ? '-' : ((at - joined) / 1000).toFixed(2));
    results.push({
      strategy,
      state: `${customerIds.length} customers (${lines.length} events; A read them in ${loadSeconds.toFixed(1)} s)`,
      handed_over: `${moved.customers} customers' state, ${moved.rows} rows (snapshots written in this rebalance)`,
      partitions_after: final.map((m) => m.partitions.map((p) => p.name.slice(p.name.lastIndexOf('/') + 1)).join(',')).join(' | '),
      b_api_up_s: ((apiUp - joined) / 1000).toFixed(2),
      a_handed_over_s: seconds(lastLogged(dbA, 'partition state handed over', settled)),
      b_assigned_s: Number.isFinite(assignedAt) ? ((assignedAt - joined) / 1000).toFixed(2) : 'no restore seen',
      restores_done_s: restoredSeconds.toFixed(2),
      restore_each_s: restoreTimes
        .filter((t) => t !== undefined)
        .map((t) => t.toFixed(2))
        .join(' '),
      all_processing_s: processingSeconds.toFixed(2),
    });
  }
} finally {
  killMembers();
  await producer.close();
  await cluster.close();
}
for (const result of results) {
  process.stdout.write('\n');
  for (const [key, value] of Object.entries(result)) process.stdout.write(`${key.padEnd(18)} ${value}\n`);
}
