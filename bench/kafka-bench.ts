/**
 * Kafka read-path benchmark (issue 6), on librdkafka's in-process MOCK cluster: NOT a production
 * figure (no network, no disk, brokers share the two cores with the consumer). It compares, in the
 * same run and over the same messages:
 *   (a) a bare consumer loop (assign all partitions, consume batches, JSON.parse each value);
 *   (b) KafkaSource (consumer group, seek, batching, backpressure) + EventDecoder (parse + schema);
 *   (c) the full pipeline: `pulse run --source kafka` as a child process (customer_windows,
 *       DuckDB checkpoints), timed from its first processed position to every partition's end
 *       (polling /metrics), so the group join and start-up are left out as in (a) and (b).
 *
 *   npm run build && node dist/bench/kafka-bench.js [--events 500000] [--batch 4096] [--seed 1] [--no-pipeline]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EventDecoder } from '../operators/decode.js';
import { DEFAULT_RECORD_LIMITS } from '../operators/record-limits.js';
import { rdkafka, type Message } from '../sources/kafka/client.js';
import { startMockCluster } from '../sources/kafka/mock-cluster.js';
import { KafkaSource } from '../sources/kafka/source.js';
import { freePort } from './free-port.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    batch: { type: 'string', default: '4096' },
    /** Extra librdkafka consumer properties for both loops, as JSON. */
    props: { type: 'string', default: '{}' },
    seed: { type: 'string', default: '1' },
    'no-pipeline': { type: 'boolean', default: false },
  },
});
const produced = Number(values.events);
const batchSize = Number(values.batch);
const consumerProps = JSON.parse(values.props!) as Record<string, string | number | boolean>;
const TOPIC = 'bench-events';
const PARTITIONS = 4; // the mock cluster's auto-created topics

/** Deterministic mix of transaction and usage events (~150 bytes each, like the NDJSON input). */
function eventAt(i: number, seed: number): { key: string; value: string } {
  const h = Math.imul(i + 1, 2654435761) ^ seed;
  const customer = `C${(h >>> 0) % 50_000}`;
  const ts = 1767225600000 + i * 10;
  const value =
    i % 3 === 0
      ? { type: 'usage', event_id: `u${i}`, ts, customer_id: customer, metric: 'data_mb', quantity: (h >>> 8) % 500 }
      : { type: 'transaction', event_id: `t${i}`, ts, customer_id: customer, amount: ((h >>> 4) % 20_000) / 100, currency: 'EUR', channel: 'web' };
  return { key: customer, value: JSON.stringify(value) };
}

async function produce(bootstrap: string): Promise<void> {
  const producer = new (rdkafka().Producer)({
    'bootstrap.servers': bootstrap,
    'linger.ms': 20,
    'batch.num.messages': 10_000,
    'queue.buffering.max.messages': 1_000_000,
    dr_cb: false,
  });
  await new Promise<void>((resolve, reject) => producer.connect({}, (e) => (e ? reject(e) : resolve())));
  producer.setPollInterval(50);
  const seed = Number(values.seed);
  for (let i = 0; i < produced; i++) {
    const { key, value } = eventAt(i, seed);
    for (;;) {
      try {
        producer.produce(TOPIC, null, Buffer.from(value), key);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 5)); // local queue full
      }
    }
  }
  await new Promise<void>((resolve, reject) => producer.flush(60_000, (e) => (e ? reject(e) : resolve())));
  producer.setPollInterval(0);
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
}

/**
 * Messages the topic holds now. The mock cluster keeps only the newest few MB of each partition,
 * so with many events the oldest are gone before anyone reads them; both loops read what is left.
 */
async function available(bootstrap: string): Promise<number> {
  const consumer = new (rdkafka().KafkaConsumer)({ 'bootstrap.servers': bootstrap, 'group.id': 'bench-probe' });
  await new Promise<void>((resolve, reject) => consumer.connect({}, (e) => (e ? reject(e) : resolve())));
  let total = 0;
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const w = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
      consumer.queryWatermarkOffsets(TOPIC, partition, 5_000, (e, offsets) => (e ? reject(e) : resolve(offsets))),
    );
    total += w.highOffset - w.lowOffset;
  }
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  return total;
}

/** (a) librdkafka consume loop + JSON.parse, nothing else. */
async function bareLoop(bootstrap: string, N: number): Promise<{ seconds: number; checksum: number }> {
  const consumer = new (rdkafka().KafkaConsumer)({ ...consumerProps, 'bootstrap.servers': bootstrap, 'group.id': 'bench-bare', 'enable.auto.commit': false });
  await new Promise<void>((resolve, reject) => consumer.connect({}, (e) => (e ? reject(e) : resolve())));
  consumer.setDefaultConsumeTimeout(100);
  // Same poll mode as KafkaSource: return what is there instead of waiting for a full batch.
  (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition, offset: -2 })));
  let started = 0;
  let count = 0;
  let checksum = 0;
  while (count < N) {
    const batch = await new Promise<Message[]>((resolve, reject) => consumer.consume(batchSize, (e, m) => (e ? reject(e) : resolve(m))));
    if (started === 0 && batch.length > 0) started = performance.now(); // as in (b): from the first message
    for (const m of batch) {
      const event = JSON.parse(m.value!.toString('utf8')) as { ts: number };
      checksum += event.ts % 7;
      count++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  return { seconds, checksum };
}

/** (b) KafkaSource batches + EventDecoder (what the runner does before the event gate). */
async function sourceLoop(bootstrap: string, N: number): Promise<{ seconds: number; checksum: number; rejected: number }> {
  const source = new KafkaSource({
    name: 'kafka',
    brokers: bootstrap,
    topics: [TOPIC],
    group: 'bench-source',
    batchSize,
    maxRecordBytes: DEFAULT_RECORD_LIMITS.maxRecordBytes,
    maxBufferedRecords: batchSize * 4,
    pollTimeoutMs: 100,
    clientProperties: consumerProps,
  });
  const decoder = new EventDecoder();
  const controller = new AbortController();
  let count = 0;
  let checksum = 0;
  let rejected = 0;
  let started = 0;
  for await (const message of source.read(new Map(), controller.signal)) {
    if (message.kind === 'revoke') message.done();
    if (message.kind !== 'records') continue;
    if (started === 0) started = performance.now(); // exclude the group join (mock: ~3 s)
    for (const record of message.records) {
      const result = decoder.decode(record.value);
      if (result.ok) checksum += result.event.ts % 7;
      else rejected++;
      count++;
    }
    if (count >= N) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await source.close();
  return { seconds, checksum, rejected };
}

async function positions(port: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const m of text.matchAll(/^pulse_source_position\{[^}]*partition="([^"]+)"[^}]*\} (\S+)$/gm)) out.set(m[1]!, Number(m[2]));
  } catch {
    // not serving yet
  }
  return out;
}

/**
 * (c) `pulse run --source kafka` (customer_windows, checkpoint every 1 s) until /metrics shows
 * every partition at its end. Positions appear after the first checkpoint, so the clock starts
 * there and only the records processed after it are counted.
 */
async function pipelineLoop(bootstrap: string, ends: Map<number, number>): Promise<{ seconds: number; events: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-kafka-bench-'));
  const config = join(dir, 'job.yaml');
  writeFileSync(
    config,
    `name: kafka-bench
source: kafka
sources:
  kafka: { type: kafka, brokers: "${bootstrap}", topics: ${TOPIC}, group: bench-pipeline, batch_size: ${batchSize}, options: ${JSON.stringify(consumerProps)} }
operators:
  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }]
checkpoint: { interval: 1s, max_events: 1000000 }
dead_letters: { rejects_files: false }
`,
  );
  const port = await freePort();
  const cli = join(dirname(fileURLToPath(import.meta.url)), '../pipelines/cli.js');
  const child = spawn(
    process.execPath,
    [cli, 'run', '--config', config, '--source', 'kafka', '--db', join(dir, 'bench.duckdb'), '--metrics-port', String(port)],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PULSE_LOG_LEVEL: 'warn' },
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    let started = 0;
    let before = 0;
    const deadline = Date.now() + 600_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`pulse run exited early with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('pulse run did not reach the end of the topic within 10 minutes');
      const seen = await positions(port);
      if (started === 0 && seen.size > 0) {
        // Count only what is processed after the clock starts (the first checkpoint's records are not).
        started = performance.now();
        before = [...seen.values()].reduce((sum, offset) => sum + offset + 1, 0);
      }
      if ([...ends].every(([p, end]) => end === 0 || (seen.get(String(p)) ?? -1) >= end - 1)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const total = [...ends.values()].reduce((sum, end) => sum + end, 0);
    return { seconds: (performance.now() - started) / 1000, events: total - before };
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function endOffsets(bootstrap: string): Promise<Map<number, number>> {
  const consumer = new (rdkafka().KafkaConsumer)({ 'bootstrap.servers': bootstrap, 'group.id': 'bench-probe' });
  await new Promise<void>((resolve, reject) => consumer.connect({}, (e) => (e ? reject(e) : resolve())));
  const ends = new Map<number, number>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const w = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
      consumer.queryWatermarkOffsets(TOPIC, partition, 5_000, (e, offsets) => (e ? reject(e) : resolve(offsets))),
    );
    ends.set(partition, w.highOffset);
  }
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  return ends;
}

const cluster = await startMockCluster(3);
try {
  process.stderr.write(`mock cluster at ${cluster.bootstrap}; producing ${produced} events ...\n`);
  const t0 = performance.now();
  await produce(cluster.bootstrap);
  process.stderr.write(`produced in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
  const N = await available(cluster.bootstrap);
  if (N < produced) process.stderr.write(`the mock cluster kept ${N} of ${produced} events (per-partition size limit); measuring those\n`);
  const bare = await bareLoop(cluster.bootstrap, N);
  const source = await sourceLoop(cluster.bootstrap, N);
  const bareRate = N / bare.seconds;
  const sourceRate = N / source.seconds;
  const out = {
    note: 'librdkafka MOCK cluster on this machine: NOT a production figure',
    events_produced: produced,
    events_read: N,
    batch_size: batchSize,
    bare_consume_json_parse: { seconds: +bare.seconds.toFixed(3), events_per_s: Math.round(bareRate) },
    kafka_source_decode: { seconds: +source.seconds.toFixed(3), events_per_s: Math.round(sourceRate), rejected: source.rejected },
    ratio_source_to_bare: +(sourceRate / bareRate).toFixed(3),
  } as Record<string, unknown>;
  if (!values['no-pipeline']) {
    const pipeline = await pipelineLoop(cluster.bootstrap, await endOffsets(cluster.bootstrap));
    const pipelineRate = pipeline.events / pipeline.seconds;
    out['pulse_run_pipeline'] = {
      seconds: +pipeline.seconds.toFixed(3),
      events_timed: pipeline.events,
      events_per_s: Math.round(pipelineRate),
      operators: 'customer_windows (1h, 1d) + DuckDB checkpoints',
    };
    out['ratio_pipeline_to_bare'] = +(pipelineRate / bareRate).toFixed(3);
  }
  if (bare.checksum !== source.checksum) throw new Error(`the two loops saw different events (checksum ${bare.checksum} vs ${source.checksum})`);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.stderr.write('NOTE: librdkafka MOCK cluster in this process, on this machine: NOT a production figure.\n');
} finally {
  await cluster.close();
}
