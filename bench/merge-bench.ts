/**
 * The merge's lag (issue 20 item 1, job option `merge`), on librdkafka's in-process MOCK cluster:
 * NOT a production figure (no network, brokers, members and producer share the two cores).
 *
 * Two `pulse run` members (customer_windows and contact_kpis of the default job; with `--drift PERIOD`
 * also its population_drift, with that period) split a 4-partition
 * topic; once each holds two partitions, `customers` x `days` generated events are produced. Sampled
 * every 200 ms from the members' /metrics and the merge topic's high watermarks: records produced to
 * the merge topic and not yet merged and committed by their owner (the merge's lag), and at the end
 * the seconds from the sources read to their end to the merge topic merged to its end. The same
 * members without `merge` give the baseline read time.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/merge-bench.js [--customers 2000 --days 3 --checkpoint 500ms] [--drift 1d]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { rdkafka } from '../sources/kafka/client.js';
import { startMockCluster } from '../sources/kafka/mock-cluster.js';
import { DeliveringProducer } from '../sources/kafka/producer.js';
import { cleanDataset } from './clean-dataset.js';
import { freePort } from './free-port.js';
import { kafkaJob, killMembers, sleep, startMember, stopMember } from './kafka-members.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '2000' },
    days: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    checkpoint: { type: 'string', default: '500ms' },
    dir: { type: 'string', default: 'bench/.data' },
    drift: { type: 'string' },
  },
});
const dir = values.dir!;
const events = await cleanDataset(dir, Number(values.customers), Number(values.days), Number(values.seed));
const lines = readFileSync(events, 'utf8')
  .split('\n')
  .filter((line) => line.length > 0);
const customerOf = (line: string): string => /"customer_id":"([^"]+)"/.exec(line)?.[1] ?? 'none';
const PARTITIONS = 4;
/** The default job's per-customer windows and contact KPIs, and with `--drift` its population drift (the shift detector is not merged). */
const operators = (parse(readFileSync('pipelines/customer-analytics.yaml', 'utf8')) as { operators: Array<{ type: string }> }).operators
  .filter((op) => op.type === 'customer_windows' || op.type === 'contact_kpis' || (op.type === 'population_drift' && values.drift !== undefined))
  .map((op) => (op.type === 'population_drift' ? { ...op, period: values.drift } : op));

interface Member {
  child: ChildProcess;
  port: number;
}

/** A member's /metrics text (empty while it does not answer). */
async function scrape(member: Member): Promise<string> {
  return fetch(`http://127.0.0.1:${member.port}/metrics`, { signal: AbortSignal.timeout(5_000) })
    .then((r) => r.text())
    .catch(() => '');
}

/** One metric's samples by their `partition` label. */
async function byPartition(member: Member, metric: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const line of (await scrape(member)).split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const partition = /partition="(\d+)"/.exec(line)?.[1];
    if (partition !== undefined) out.set(Number(partition), Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

async function assigned(member: Member): Promise<number> {
  const line = (await scrape(member)).split('\n').find((l) => l.startsWith('pulse_partitions_assigned{'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Largest value per partition over the members (a partition's owner has the current one). */
async function maxOver(group: readonly Member[], metric: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const member of group) for (const [p, v] of await byPartition(member, metric)) out.set(p, Math.max(v, out.get(p) ?? -1));
  return out;
}

function atEnds(offsets: ReadonlyMap<number, number>, ends: ReadonlyMap<number, number>): boolean {
  for (const [p, end] of ends) if (end > 0 && (offsets.get(p) ?? -1) < end - 1) return false;
  return true;
}

const cluster = await startMockCluster(3);
const producer = new DeliveringProducer({ 'bootstrap.servers': cluster.bootstrap, 'linger.ms': 5 });
const watcher = new (rdkafka().KafkaConsumer)({ 'bootstrap.servers': cluster.bootstrap, 'group.id': 'merge-bench-watcher', 'enable.auto.commit': false }, {});
await new Promise<void>((resolve, reject) => watcher.connect({ timeout: 30_000 }, (error) => (error ? reject(new Error(error.message)) : resolve())));

async function highWatermarks(topic: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    const high = await new Promise<number>((resolve) =>
      watcher.queryWatermarkOffsets(topic, p, 5_000, (error, offsets) => resolve(error ? 0 : offsets.highOffset)),
    );
    out.set(p, high);
  }
  return out;
}

const results: Array<Record<string, string>> = [];
try {
  for (const merged of [false, true]) {
    const label = merged ? 'merge' : 'per-member';
    const work = join(dir, `merge-bench-${label}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const topic = `merge-bench-${label}`;
    const mergeTopic = `${topic}-merge`;
    const settings: Array<[string[], unknown]> = [
      [['operators'], operators],
      [['checkpoint', 'interval'], values.checkpoint],
    ];
    if (merged) settings.push([['merge'], { topic: mergeTopic }]);
    const config = join(work, 'job.yaml');
    writeFileSync(config, kafkaJob(cluster.bootstrap, topic, `g-${label}`, {}, settings));
    // The topic exists (4 partitions on the mock cluster) before the members join.
    await producer.send([{ topic, key: 'warm-up', value: 'not json: dead-lettered' }]);
    const group: Member[] = [];
    for (const name of ['a', 'b']) {
      const port = await freePort();
      group.push({ child: startMember(config, join(work, `${name}.duckdb`), port, work), port });
    }
    const joinStarted = Date.now();
    while (!((await assigned(group[0]!)) === 2 && (await assigned(group[1]!)) === 2)) {
      if (Date.now() - joinStarted > 120_000) throw new Error('the members did not split the partitions within 120 s');
      await sleep(200);
    }
    process.stderr.write(`[${label}] producing ${lines.length} events ...\n`);
    const started = Date.now();
    for (let i = 0; i < lines.length; i += 5000) {
      await producer.send(lines.slice(i, i + 5000).map((line) => ({ topic, key: customerOf(line), value: line })));
    }
    const sourceEnds = await highWatermarks(topic);
    let readAt: number | undefined;
    let mergedAt: number | undefined;
    /** When the merge was last seen at the end with the sources read (confirmed after 1 s without new records). */
    let caughtUp: number | undefined;
    const lags: number[] = [];
    for (;;) {
      if (Date.now() - started > 900_000) throw new Error(`[${label}] not done within 900 s`);
      readAt ??= atEnds(await maxOver(group, 'pulse_source_position'), sourceEnds) ? Date.now() : undefined;
      if (merged) {
        const ends = await highWatermarks(mergeTopic);
        const done = await maxOver(group, 'pulse_merge_offset');
        let behind = 0;
        for (const [p, end] of ends) behind += Math.max(0, end - 1 - (done.get(p) ?? -1));
        lags.push(behind);
        // Merged to the end after the sources were read; a member's last partials follow its last
        // checkpoint within ms, so the end counts once it has held for a second.
        caughtUp = readAt !== undefined && behind === 0 ? (caughtUp ?? Date.now()) : undefined;
        if (caughtUp !== undefined && Date.now() - caughtUp > 1_000) mergedAt = caughtUp;
      }
      if (readAt !== undefined && (!merged || mergedAt !== undefined)) break;
      await sleep(200);
    }
    for (const member of group) await stopMember(member.child);
    const sorted = [...lags].sort((x, y) => x - y);
    const mergeEnds = merged ? [...(await highWatermarks(mergeTopic)).values()].reduce((n, v) => n + v, 0) : 0;
    results.push({
      run: label,
      events: String(lines.length),
      'read to end (s)': ((readAt! - started) / 1000).toFixed(1),
      'merged to end (s)': merged ? ((mergedAt! - started) / 1000).toFixed(1) : '-',
      'merge records': merged ? String(mergeEnds) : '-',
      'merge lag p50 / max (records)': merged ? `${sorted[Math.floor(sorted.length / 2)]} / ${sorted[sorted.length - 1]}` : '-',
    });
  }
} finally {
  killMembers();
  await new Promise<void>((resolve) => watcher.disconnect(() => resolve()));
  await producer.close();
  await cluster.close();
}
process.stdout.write('MOCK cluster on this machine, 2 shared cores: NOT a production figure\n');
console.table(results);
