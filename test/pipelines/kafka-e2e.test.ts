import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sources/generator/index.js';
import { Rng } from '../../sources/generator/rng.js';
import { startMockCluster, type MockCluster } from '../../sources/kafka/mock-cluster.js';
import { query } from '../helpers/duckdb.js';
import { killKcats } from '../sources/kafka/helpers.js';
import {
  PulseProcess,
  customerKey,
  hasKcat,
  killAllPulse,
  placeLines,
  produceLines,
  reachedEnds,
  runFile,
  topicLayout,
  waitFor,
  writeKafkaJob,
  type TopicLayout,
} from './kafka-helpers.js';

/**
 * End-to-end: `pulse run --source kafka` child processes against librdkafka's mock cluster (hosted
 * by this test process), compared with `pulse run --input` over the same NDJSON.
 *
 * Why a Kafka run and a file run of the same lines give the same `customer_windows`, although
 * Kafka interleaves the 4 partitions in an order of its own:
 * - Windows are assigned by event time and kept in one state map per customer, so arrival order
 *   only matters through lateness and dedup.
 * - Lateness cannot trigger. Each partition is a subsequence of the file in file order, so when a
 *   record is processed its partition has seen at most what the file run had seen before it, and
 *   the job watermark (minimum over partitions) is at most the file run's watermark at the same
 *   record. The generator (lateRate 0) delays deliveries by at most 300 s, so two events are out of
 *   order by at most 2 x 300 s < 5 min out-of-orderness + 1 h allowed lateness: nothing is late in
 *   either run.
 * - Dedup: an exact duplicate line carries the same key (its customer id), so it lands in the same
 *   partition after its original, and the run that processes the copy has processed the original.
 * What can differ: `contact_kpis.fcr_final` (a Kafka run never reaches the final watermark that a
 * bounded file closes everything with) and windows a Kafka run has not closed yet.
 */

const HAS_KCAT = hasKcat();
if (!HAS_KCAT) process.stderr.write('kafka-e2e: kcat not found on PATH; skipping the end-to-end Kafka pipeline tests\n');

const CUSTOMER_WINDOWS = `SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, spend_total, spend_count, spend_max,
  refund_total, usage_total, CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`;
const KPI_COLUMNS = `epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, queue, channel, offered, handled, abandoned, short_abandoned,
  self_service, abandon_rate, aht_seconds, asa_seconds, avg_queue_seconds, service_level, transfer_rate, self_service_rate, fcr_rate,
  transferred, resolved, resolved_per_minute`;
const CONTACT_KPIS = `SELECT ${KPI_COLUMNS} FROM contact_kpis ORDER BY ALL`;
const ALERTS = `SELECT alert_id, kind, rule, severity, customer_id, epoch_ms(window_start) AS ws, epoch_ms(fired_at) AS fired,
  CAST(labels AS VARCHAR) AS labels, CAST(annotations AS VARCHAR) AS annotations, status FROM alerts ORDER BY ALL`;
const REJECTS_BY_REASON = `SELECT reason, count(*)::INTEGER AS n FROM dead_letters GROUP BY reason ORDER BY reason`;
const REJECTED_RAW = `SELECT reason, raw FROM dead_letters ORDER BY ALL`;
const DEAD_POSITIONS = `SELECT position, reason FROM dead_letters ORDER BY ALL`;
const CHECKPOINTS = `SELECT partition, "offset"::BIGINT AS "offset" FROM pulse_checkpoints ORDER BY ALL`;

const GROUP_JOIN_MS = 60_000;
const CATCH_UP_MS = 120_000;

let cluster: MockCluster | undefined;
let dir = '';
let lines: string[] = [];

function partitionOfKeys(layout: TopicLayout): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of layout.records) {
    const key = r.key ?? '';
    const seen = out.get(key);
    if (seen !== undefined && seen !== r.partition) throw new Error(`key ${key} is in partitions ${seen} and ${r.partition}`);
    out.set(key, r.partition);
  }
  return out;
}

/** Produces `lines` to a fresh topic and checks where each line went against what kcat reads back. */
async function produceTopic(topic: string, batch: readonly string[] = lines): Promise<TopicLayout> {
  await produceLines(cluster!.bootstrap, topic, batch);
  const layout = await topicLayout(cluster!.bootstrap, topic);
  expect(layout.records.length).toBe(batch.length);
  expect(layout.ends.size).toBe(4);
  return layout;
}

/** Runs one Kafka pipeline over the whole topic and stops it once every partition is processed. */
async function runKafkaToEnd(config: string, db: string, ends: ReadonlyMap<number, number>): Promise<void> {
  const run = await PulseProcess.kafka(config, db);
  try {
    await waitFor('all partitions processed', async () => reachedEnds(await run.positions(), ends), GROUP_JOIN_MS + CATCH_UP_MS);
  } finally {
    expect(await run.stop()).toBe(0);
  }
}

function withoutFcrFinal(rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return rows;
}

describe.skipIf(!HAS_KCAT)('Kafka pipeline end to end (mock cluster, pulse run child processes)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-kafka-e2e-'));
    const input = join(dir, 'events.ndjson');
    await generate({ out: input, customers: 200, days: 10, seed: 42, lateRate: 0, malformedRate: 0.001 });
    lines = readFileSync(input, 'utf8').split('\n').filter((line) => line.length > 0);
    cluster = await startMockCluster(3);
  }, 120_000);

  afterAll(async () => {
    killAllPulse();
    killKcats();
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads a customer-keyed topic into the same customer_windows and rejects as a file run of the same lines', async () => {
    expect(lines.length).toBeGreaterThan(10_000);
    const layout = await produceTopic('events-equal');
    // Independent check of the keying: every line is where kcat says, in produce order per partition.
    for (const placed of placeLines(lines, layout, partitionOfKeys(layout))) {
      expect(layout.byPosition.get(`${placed.partition}:${placed.offset}`)).toBe(placed.line);
    }
    const config = writeKafkaJob(dir, 'equal', { bootstrap: cluster!.bootstrap, topic: 'events-equal', group: 'g-equal' });
    const fileDb = join(dir, 'file.duckdb');
    const kafkaDb = join(dir, 'kafka.duckdb');
    await runFile(config, join(dir, 'events.ndjson'), fileDb);
    await runKafkaToEnd(config, kafkaDb, layout.ends);

    const [fileWindows, fileKpis, fileReasons, fileRaw] = await query(fileDb, CUSTOMER_WINDOWS, CONTACT_KPIS, REJECTS_BY_REASON, REJECTED_RAW);
    const [kafkaWindows, kafkaKpis, kafkaReasons, kafkaRaw, checkpoints] = await query(kafkaDb, CUSTOMER_WINDOWS, CONTACT_KPIS, REJECTS_BY_REASON, REJECTED_RAW, CHECKPOINTS);
    expect(fileWindows!.length).toBeGreaterThan(1000);
    expect(kafkaWindows).toEqual(fileWindows);
    expect(kafkaReasons).toEqual(fileReasons);
    expect(kafkaRaw).toEqual(fileRaw);
    console.log(fileReasons, fileKpis!.length, kafkaKpis!.length);
    expect(checkpoints).toEqual([...layout.ends].sort((a, b) => a[0] - b[0]).map(([p, end]) => ({ partition: `events-equal/${p}`, offset: end - 1 })));
  }, 300_000);
});

void Rng;
void writeFileSync;
void customerKey;
void withoutFcrFinal;
void ALERTS;
void DEAD_POSITIONS;
