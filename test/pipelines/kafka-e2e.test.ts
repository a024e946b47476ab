import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sources/generator/rng.js';
import type { MockCluster } from '../../sources/kafka/mock-cluster.js';
import { readAll } from '../sources/kafka/helpers.js';
import { query } from '../helpers/duckdb.js';
import { PartitionHandoffDir } from '../../sinks/duckdb/partition-handoff.js';
import {
  CUSTOMER_WINDOWS,
  PulseProcess,
  hasKcat,
  placeLines,
  produceLines,
  reachedEnds,
  runFile,
  startMockClusterSuite,
  stopMockClusterSuite,
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

const KPI_COLUMNS = `epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, queue, channel, offered, handled, abandoned, short_abandoned,
  self_service, abandon_rate, aht_seconds, asa_seconds, avg_queue_seconds, service_level, transfer_rate, self_service_rate, fcr_rate,
  transferred, resolved, resolved_per_minute`;
const CONTACT_KPIS = `SELECT ${KPI_COLUMNS} FROM contact_kpis ORDER BY ALL`;
const ALERTS = `SELECT alert_id, kind, rule, severity, customer_id, epoch_ms(window_start) AS ws, epoch_ms(fired_at) AS fired,
  CAST(labels AS VARCHAR) AS labels, CAST(annotations AS VARCHAR) AS annotations, status FROM alerts ORDER BY ALL`;
const REJECTS_BY_REASON = `SELECT reason, count(*)::INTEGER AS n FROM dead_letters GROUP BY reason ORDER BY reason`;
const REJECTED_RAW = `SELECT reason, raw FROM dead_letters ORDER BY ALL`;
const DEAD_POSITIONS = `SELECT position, reason FROM dead_letters ORDER BY ALL`;
const CHECKPOINTS = `SELECT partition, "offset"::INTEGER AS "offset" FROM pulse_checkpoints ORDER BY ALL`;

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
async function produceTopic(topic: string, batch: readonly string[] = lines, headers: readonly string[] = []): Promise<TopicLayout> {
  await produceLines(cluster!.bootstrap, topic, batch, headers);
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
  } catch (error) {
    throw new Error(
      `${String(error)}; positions ${JSON.stringify([...(await run.positions())])}, ends ${JSON.stringify([...ends])}; stderr: ${run.stderr.slice(-3000)}`,
      { cause: error },
    );
  } finally {
    expect(await run.stop()).toBe(0);
  }
}

/**
 * The dead-letter topic holds each rejected record once as the message it came in: its value, its
 * key (the customer id it was produced with) and its header, then the reason and position headers.
 */
async function expectDeadLetterTopic(db: string, layout: TopicLayout): Promise<void> {
  const [rejected] = await query(db, `SELECT position, reason, raw FROM dead_letters ORDER BY ALL`);
  const sourceKeys = new Map(layout.records.map((r) => [`events-equal/${r.partition}:${r.offset}`, r.key]));
  const letters = await readAll(cluster!.bootstrap, 'events-equal-dlq');
  const asRows = letters.map((m) => {
    const headers = m.headers ?? [];
    const position = `${headers[headers.indexOf('pulse-source-partition') + 1]}:${headers[headers.indexOf('pulse-offset') + 1]}`;
    expect(m.key).toBe(sourceKeys.get(position));
    expect(headers.slice(0, 4)).toEqual(['origin', 'crm-export', 'pulse-reason', headers[headers.indexOf('pulse-reason') + 1]]);
    return { position, reason: headers[headers.indexOf('pulse-reason') + 1], raw: m.payload ?? '' };
  });
  expect(rejected!.length).toBeGreaterThan(0);
  expect(asRows.sort((a, b) => a.position.localeCompare(b.position))).toEqual(
    [...rejected!].sort((a, b) => String(a['position']).localeCompare(String(b['position']))),
  );
  expect(letters.filter((m) => m.key?.startsWith('C')).length).toBeGreaterThan(0);
}

describe.skipIf(!HAS_KCAT)('Kafka pipeline end to end (mock cluster, pulse run child processes)', () => {
  beforeAll(async () => {
    ({ dir, lines, cluster } = await startMockClusterSuite('pulse-kafka-e2e-', { customers: 200, days: 10, seed: 42, lateRate: 0, malformedRate: 0.001 }));
  }, 120_000);

  afterAll(async () => {
    const keep = process.env['PULSE_E2E_KEEP'] !== undefined;
    await stopMockClusterSuite({ dir, cluster }, keep);
    if (keep && dir) process.stderr.write(`kafka-e2e: kept ${dir}\n`);
  });

  it('reads a customer-keyed topic into the same customer_windows and rejects as a file run of the same lines', async () => {
    expect(lines.length).toBeGreaterThan(10_000);
    const layout = await produceTopic('events-equal', lines, ['origin=crm-export']);
    // Independent check of the keying: every line is where kcat says, in produce order per partition.
    for (const placed of placeLines(lines, layout, partitionOfKeys(layout))) {
      expect(layout.byPosition.get(`${placed.partition}:${placed.offset}`)).toBe(placed.line);
    }
    const config = writeKafkaJob(dir, 'equal', { bootstrap: cluster!.bootstrap, topic: 'events-equal', group: 'g-equal', deadLetterTopic: 'events-equal-dlq' });
    const fileDb = join(dir, 'file.duckdb');
    const kafkaDb = join(dir, 'kafka.duckdb');
    await runFile(config, join(dir, 'events.ndjson'), fileDb);
    await runKafkaToEnd(config, kafkaDb, layout.ends);

    const [fileWindows, fileKpis, fileReasons, fileRaw] = await query(fileDb, CUSTOMER_WINDOWS, CONTACT_KPIS, REJECTS_BY_REASON, REJECTED_RAW);
    const [kafkaWindows, kafkaKpis, kafkaReasons, kafkaRaw, checkpoints] = await query(
      kafkaDb,
      CUSTOMER_WINDOWS,
      CONTACT_KPIS,
      REJECTS_BY_REASON,
      REJECTED_RAW,
      CHECKPOINTS,
    );
    expect(fileWindows!.length).toBeGreaterThan(1000);
    expect(kafkaWindows).toEqual(fileWindows);
    expect(kafkaReasons).toEqual(fileReasons);
    expect(kafkaRaw).toEqual(fileRaw);
    expect(fileReasons!.map((r) => r['reason'])).toEqual(expect.arrayContaining(['duplicate', 'invalid_json']));
    // A Kafka run never reaches the final watermark, so windows whose FCR lookahead is still open
    // keep fcr_final = false; every other column (counts, rates, fcr_rate) is the same.
    expect(kafkaKpis).toEqual(fileKpis);
    expect(fileKpis!.length).toBeGreaterThan(100);
    const [kafkaFinal] = await query(kafkaDb, `SELECT ${KPI_COLUMNS} FROM contact_kpis WHERE fcr_final ORDER BY ALL`);
    // The file run's end leaves provisional only windows whose look-ahead (7 days) its events had not passed.
    const [fileProvisional] = await query(
      fileDb,
      `SELECT count(*)::INTEGER AS n FROM contact_kpis WHERE NOT fcr_final AND window_end < (SELECT max(window_end) FROM contact_kpis) - INTERVAL 8 DAY`,
    );
    expect(fileProvisional![0]!['n']).toBe(0);
    for (const row of kafkaFinal!) expect(fileKpis).toContainEqual(row);
    // Alerts fire at the same windows; whether they have resolved depends on the final watermark
    // (the file run closes everything), so status and annotations are not compared here.
    const FIRED = `SELECT alert_id, kind, rule, severity, customer_id, epoch_ms(window_start) AS ws, epoch_ms(fired_at) AS fired FROM alerts ORDER BY ALL`;
    const [fileFired] = await query(fileDb, FIRED);
    expect(fileFired!.length).toBeGreaterThan(0);
    expect(await query(kafkaDb, FIRED)).toEqual([fileFired]);
    expect(checkpoints).toEqual([...layout.ends].sort((a, b) => a[0] - b[0]).map(([p, end]) => ({ partition: `events-equal/${p}`, offset: end - 1 })));
    await expectDeadLetterTopic(kafkaDb, layout);
  }, 300_000);

  it('SIGKILL at random moments and restarting gives the tables of one uninterrupted Kafka run (3 seeds)', async () => {
    const topic = 'events-crash';
    const layout = await produceTopic(topic);
    const reference = join(dir, 'crash-reference.duckdb');
    const job = (group: string): string => writeKafkaJob(dir, group, { bootstrap: cluster!.bootstrap, topic, group, batchSize: 200, maxEvents: 1000 });
    await runKafkaToEnd(job('g-crash-reference'), reference, layout.ends);
    const expected = await query(reference, CUSTOMER_WINDOWS, CONTACT_KPIS, ALERTS, REJECTED_RAW);
    expect(expected[0]!.length).toBeGreaterThan(1000);

    for (const seed of [21, 22, 23]) {
      const rng = new Rng(seed);
      const db = join(dir, `crashed-${seed}.duckdb`);
      // One group per seed, kept across restarts: the restarted member rejoins the group that the
      // killed one is still in until its session times out, as a restarted pod would.
      const config = job(`g-crash-${seed}`);
      let kills = 0;
      let finished = false;
      for (let attempt = 0; attempt < 12 && !finished; attempt++) {
        const run = await PulseProcess.kafka(config, db);
        // Kill windows grow with each attempt so that every seed finishes; the first ones fall
        // into the group join or the middle of the topic.
        const killAt = Date.now() + 1_500 + rng.int(0, 4_000) + attempt * 2_000;
        let done = false;
        while (Date.now() < killAt && run.running) {
          if (reachedEnds(await run.positions(), layout.ends)) {
            done = true;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (done) {
          expect(await run.stop()).toBe(0);
          finished = true;
        } else {
          expect(run.running).toBe(true);
          await run.kill();
          kills++;
        }
      }
      expect(finished).toBe(true);
      expect(kills).toBeGreaterThan(0);
      const actual = await query(db, CUSTOMER_WINDOWS, CONTACT_KPIS, ALERTS, REJECTED_RAW);
      expect(actual[0]).toEqual(expected[0]);
      expect(actual[1]).toEqual(expected[1]);
      expect(actual[2]).toEqual(expected[2]);
      expect(actual[3]).toEqual(expected[3]);
    }
  }, 600_000);

  it(
    'partition state moves with the partition (checkpoint.handoff_dir): a member joins, takes half ' +
      'the partitions with their open windows, stops gracefully and hands them back; every window ' +
      'is in exactly one place and together they equal a file run, every record was processed once',
    async () => {
      const topic = 'events-handoff';
      const handoffDir = join(dir, 'handoff');
      const cut1 = Math.floor(lines.length * 0.4);
      const cut2 = Math.floor(lines.length * 0.7);
      const config = writeKafkaJob(dir, 'handoff', { bootstrap: cluster!.bootstrap, topic, group: 'g-handoff', batchSize: 200, handoffDir });
      const dbA = join(dir, 'handoff-a.duckdb');
      const dbB = join(dir, 'handoff-b.duckdb');
      const fileDb = join(dir, 'handoff-file.duckdb');
      await runFile(config, join(dir, 'events.ndjson'), fileDb);

      // A reads part 1 alone.
      const part1 = await produceTopic(topic, lines.slice(0, cut1));
      const a = await PulseProcess.kafka(config, dbA);
      await waitFor('A to process part 1', async () => reachedEnds(await a.positions(), part1.ends), GROUP_JOIN_MS + CATCH_UP_MS);

      // B joins. It starts after A's hand-over, so it shows positions only once it has new records:
      // part 2 goes out in slices until B has processed some.
      const b = await PulseProcess.kafka(config, dbB);
      const slices = 10;
      let sent = cut1;
      for (let i = 1; i <= slices; i++) {
        const to = cut1 + Math.floor(((cut2 - cut1) * i) / slices);
        await produceLines(cluster!.bootstrap, topic, lines.slice(sent, to));
        sent = to;
        if ((await b.positions()).size > 0) break;
        await new Promise((r) => setTimeout(r, 2_000));
      }
      await produceLines(cluster!.bootstrap, topic, lines.slice(sent, cut2));
      const layout2 = await topicLayout(cluster!.bootstrap, topic);
      const union = async (): Promise<Map<number, number>> => {
        const out = new Map(await a.positions());
        for (const [p, o] of await b.positions()) out.set(p, Math.max(o, out.get(p) ?? -1));
        return out;
      };
      await waitFor('part 2 processed by the two members', async () => reachedEnds(await union(), layout2.ends), CATCH_UP_MS);
      expect((await b.positions()).size).toBeGreaterThan(0);

      // B stops gracefully: it hands its partitions over, and A continues them.
      expect(await b.stop()).toBe(0);
      await produceLines(cluster!.bootstrap, topic, lines.slice(cut2));
      const layout = await topicLayout(cluster!.bootstrap, topic);
      expect(layout.records.length).toBe(lines.length);
      await waitFor('A to reach the end of every partition', async () => reachedEnds(await a.positions(), layout.ends), GROUP_JOIN_MS + CATCH_UP_MS);
      expect(await a.stop()).toBe(0);

      // Where the windows are now: closed ones in the database of whoever closed them, open ones
      // parked in the hand-over snapshots of A's final stop.
      const handoff = new PartitionHandoffDir(handoffDir);
      const parked = [...layout.ends.keys()].map((p) => handoff.newest('kafka', `${topic}/${p}`));
      expect(parked.every((snapshot) => snapshot !== undefined)).toBe(true);
      const places: Array<Array<Record<string, unknown>>> = [];
      for (const db of [dbA, dbB]) places.push((await query(db, CUSTOMER_WINDOWS))[0]!);
      for (const snapshot of parked) {
        const parquet = `read_parquet('${join(snapshot!.dir, 'customer_windows.parquet')}')`;
        places.push((await query(':memory:', CUSTOMER_WINDOWS.replace('FROM customer_windows', `FROM ${parquet}`)))[0]!);
      }
      expect(places[1]!.length).toBeGreaterThan(0); // B closed windows of its own
      const keyOf = (w: Record<string, unknown>): string => `${w['customer_id']}|${w['ws']}|${w['we']}`;
      const seen = new Set<string>();
      for (const rows of places) {
        for (const w of rows) {
          expect(seen.has(keyOf(w)), `window ${keyOf(w)} is in two places`).toBe(false);
          seen.add(keyOf(w));
        }
      }
      const sortRows = (rows: Array<Record<string, unknown>>): string[] =>
        rows.map((r) => JSON.stringify(r, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))).sort();
      const [fileWindows, fileRaw] = await query(fileDb, CUSTOMER_WINDOWS, REJECTED_RAW);
      expect(sortRows(places.flat())).toEqual(sortRows(fileWindows!));
      // Every record processed once: the rejects of both members together are the file run's.
      const [rawA] = await query(dbA, REJECTED_RAW);
      const [rawB] = await query(dbB, REJECTED_RAW);
      expect(rawB!.length).toBeGreaterThan(0);
      expect(sortRows([...rawA!, ...rawB!])).toEqual(sortRows(fileRaw!));
    },
    600_000,
  );

  it(
    'rebalance: two processes in one group, one killed; the survivor takes over every partition. ' +
      'Without checkpoint.handoff_dir (and for a killed member, which cannot hand over), a partition ' +
      'that moves arrives without its state and the new owner reads it from its own last position (the ' +
      'beginning if it never had it); the two databases overlap and neither is complete until one ' +
      'process owns everything (see sources/kafka/README.md). Checked: nothing lost, nothing counted ' +
      'twice within one database, the survivor reaches the end of every partition.',
    async () => {
      const topic = 'events-rebalance';
      const cut1 = Math.floor(lines.length * 0.4);
      const cut2 = Math.floor(lines.length * 0.7);
      const config = writeKafkaJob(dir, 'rebalance', { bootstrap: cluster!.bootstrap, topic, group: 'g-rebalance', batchSize: 200 });
      const dbA = join(dir, 'rebalance-a.duckdb');
      const dbB = join(dir, 'rebalance-b.duckdb');

      const part1 = await produceTopic(topic, lines.slice(0, cut1));
      const a = await PulseProcess.kafka(config, dbA);
      const b = await PulseProcess.kafka(config, dbB);
      const union = async (): Promise<Map<number, number>> => {
        const out = new Map(await a.positions());
        for (const [p, o] of await b.positions()) out.set(p, Math.max(o, out.get(p) ?? -1));
        return out;
      };
      // Both members hold partitions (each has processed some) and together they reached the end.
      await waitFor(
        'both processes to own partitions and process part 1',
        async () => (await a.positions()).size > 0 && (await b.positions()).size > 0 && reachedEnds(await union(), part1.ends),
        GROUP_JOIN_MS + CATCH_UP_MS,
      );
      // Part 2 goes to whoever owns each partition now.
      await produceLines(cluster!.bootstrap, topic, lines.slice(cut1, cut2));
      const layout2 = await topicLayout(cluster!.bootstrap, topic);
      await waitFor('part 2 processed by the two members', async () => reachedEnds(await union(), layout2.ends), CATCH_UP_MS);
      await b.kill();
      // Part 3 is produced after the kill, so the survivor can only reach its end by taking over
      // B's partitions (after B's session times out).
      await produceLines(cluster!.bootstrap, topic, lines.slice(cut2));
      const layout = await topicLayout(cluster!.bootstrap, topic);
      expect(layout.records.length).toBe(lines.length);
      await waitFor('the survivor to reach the end of every partition', async () => reachedEnds(await a.positions(), layout.ends), GROUP_JOIN_MS + CATCH_UP_MS);
      expect(await a.stop()).toBe(0);

      const placed = placeLines(lines, layout, partitionOfKeys(layout));
      const positionOfLine = (n: number): string => `${topic}/${placed[n - 1]!.partition}:${placed[n - 1]!.offset}`;
      const truth = JSON.parse(readFileSync(join(dir, 'events.truth.json'), 'utf8')) as {
        stream: { malformed_lines: Array<{ line: number; kind: string }>; duplicate_lines: number[]; malformed_expected_reason: Record<string, string> };
      };
      const malformed = new Map(truth.stream.malformed_lines.map((m) => [positionOfLine(m.line), truth.stream.malformed_expected_reason[m.kind]!]));
      const duplicates = new Set(truth.stream.duplicate_lines.map(positionOfLine));

      const survivor = await query(dbA, CHECKPOINTS);
      expect(survivor[0]).toEqual([...layout.ends].sort((x, y) => x[0] - y[0]).map(([p, end]) => ({ partition: `${topic}/${p}`, offset: end - 1 })));
      const malformedSeen = new Map<string, string>();
      for (const db of [dbA, dbB]) {
        const [dead, checkpoints] = await query(db, DEAD_POSITIONS, CHECKPOINTS);
        expect(checkpoints!.length).toBeGreaterThan(0);
        // Each process reads a partition contiguously from 0 (or from its own last position), so
        // what it processed is [0, checkpointed offset] per partition.
        const processedTo = new Map(checkpoints!.map((c) => [Number(String(c['partition']).split('/')[1]), Number(c['offset'])]));
        const positions = dead!.map((d) => String(d['position']));
        expect(new Set(positions).size).toBe(positions.length); // no record rejected twice
        for (const d of dead!) {
          const position = String(d['position']);
          const reason = String(d['reason']);
          const [p, o] = position
            .slice(topic.length + 1)
            .split(':')
            .map(Number) as [number, number];
          expect(o).toBeLessThanOrEqual(processedTo.get(p) ?? -1);
          if (reason === 'duplicate') expect(duplicates.has(position)).toBe(true);
          else if (reason !== 'late') {
            expect(malformed.get(position)).toBe(reason);
            malformedSeen.set(position, reason);
          }
        }
        await expectNoDoubleCount(db, placed, processedTo);
      }
      expect(malformedSeen).toEqual(malformed);
    },
    600_000,
  );
});

/**
 * No record counted twice within one database: per customer and day, the 1d windows' spend_count
 * plus the distinct late-rejected transactions equals the distinct valid transactions
 * (amount >= 0) among the records this process processed, computed here from the raw lines.
 * A late copy of an accepted original can add one per duplicated id, so days with a duplicated id
 * are only bounded.
 */
async function expectNoDoubleCount(
  db: string,
  placed: ReadonlyArray<{ line: string; partition: number; offset: number }>,
  processedTo: ReadonlyMap<number, number>,
): Promise<void> {
  const dayOf = (ts: unknown): number => Math.floor((typeof ts === 'number' ? ts : Date.parse(String(ts))) / 86_400_000);
  const transaction = (raw: string): { id: string; key: string } | undefined => {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (e['type'] !== 'transaction' || typeof e['customer_id'] !== 'string' || typeof e['amount'] !== 'number' || e['amount'] < 0) return undefined;
    return { id: String(e['event_id']), key: `${e['customer_id']}|${dayOf(e['ts'])}` };
  };
  const expected = new Map<string, Set<string>>();
  const duplicated = new Map<string, number>();
  for (const p of placed) {
    if (p.offset > (processedTo.get(p.partition) ?? -1)) continue;
    const t = transaction(p.line);
    if (!t) continue;
    const ids = expected.get(t.key) ?? new Set<string>();
    if (ids.has(t.id)) duplicated.set(t.key, (duplicated.get(t.key) ?? 0) + 1);
    expected.set(t.key, ids.add(t.id));
  }
  const [windows, late] = await query(
    db,
    `SELECT customer_id, (epoch_ms(window_start) // 86400000)::INTEGER AS day, spend_count::INTEGER AS n FROM customer_windows
     WHERE epoch_ms(window_end) - epoch_ms(window_start) = 86400000`,
    `SELECT raw FROM dead_letters WHERE reason = 'late'`,
  );
  const actual = new Map<string, number>();
  for (const w of windows!) actual.set(`${w['customer_id']}|${w['day']}`, Number(w['n']));
  const lateIds = new Map<string, Set<string>>();
  for (const l of late!) {
    const t = transaction(String(l['raw']));
    if (t) lateIds.set(t.key, (lateIds.get(t.key) ?? new Set<string>()).add(t.id));
  }
  for (const [key, ids] of lateIds) actual.set(key, (actual.get(key) ?? 0) + ids.size);
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(key)?.size ?? 0;
    const got = actual.get(key) ?? 0;
    if ((duplicated.get(key) ?? 0) === 0) expect(got, `${db} ${key}`).toBe(want);
    else {
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeLessThanOrEqual(want + duplicated.get(key)!);
    }
  }
}
