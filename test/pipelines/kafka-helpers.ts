import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../sources/generator/index.js';
import type { GenerateOptions } from '../../sources/generator/options.js';
import { startMockCluster, type MockCluster } from '../../sources/kafka/mock-cluster.js';
import { kcat, killKcats, readAll, type KcatRecord } from '../sources/kafka/helpers.js';
import { freePort } from '../../bench/free-port.js';

/** A job's customer windows, comparable across databases (times as epoch ms, maps as text), in one order. */
export const CUSTOMER_WINDOWS = `SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, spend_total, spend_count, spend_max,
  refund_total, usage_total, CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`;

/**
 * Helpers for the end-to-end Kafka pipeline tests: `pulse run` child processes against the mock
 * cluster hosted by the test process, their /metrics, and the topic layout read back with kcat.
 */

export const CLI = join(process.cwd(), 'dist/pipelines/cli.js');

/** True when the kcat binary runs (the e2e tests produce and read back through it). */
export function hasKcat(): boolean {
  const result = spawnSync('kcat', ['-V'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

export interface KafkaJobOptions {
  bootstrap: string;
  topic: string;
  group: string;
  batchSize?: number;
  /** Checkpoint interval; the runner checkpoints on it even when the topic is silent. */
  checkpointInterval?: string;
  maxEvents?: number;
  /** `checkpoint.handoff_dir`: partition state moves between members through it. */
  handoffDir?: string;
  /** `checkpoint.changelog.topic`: partition state is carried by this compacted topic. */
  changelogTopic?: string;
  /** `merge.topic`: contact_kpis merged across members through this topic. */
  mergeTopic?: string;
  /** `event_time.allowed_lateness` (default 1h). */
  allowedLateness?: string;
  /** Also a `population_drift` operator with daily periods (so that a few days of events are compared). */
  drift?: boolean;
  /** The Kafka source's `dead_letter_topic`. */
  deadLetterTopic?: string;
  /** Kafka client `options` of the source, added to (or replacing) the defaults below. */
  clientOptions?: Record<string, string | number>;
}

/**
 * A job with both a Kafka and a files source (the files one is what `--input` replaces) and the
 * operators under test. Short session timeout and metadata refresh: rebalances on the mock
 * cluster take about `session.timeout.ms` after a member dies.
 */
export function writeKafkaJob(dir: string, name: string, o: KafkaJobOptions): string {
  const path = join(dir, `${name}.yaml`);
  const clientOptions = { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'topic.metadata.refresh.interval.ms': 1000, ...o.clientOptions };
  writeFileSync(
    path,
    `name: ${name}
source: kafka
sources:
  files: { type: files, paths: ["unused"], batch_size: ${o.batchSize ?? 500} }
  kafka:
    type: kafka
    brokers: "${o.bootstrap}"
    topics: "${o.topic}"
    group: "${o.group}"
    batch_size: ${o.batchSize ?? 500}
${o.deadLetterTopic ? `    dead_letter_topic: "${o.deadLetterTopic}"\n` : ''}    options:
${Object.entries(clientOptions)
  .map(([key, value]) => `      ${key}: ${value}\n`)
  .join('')}# A long idle timeout: with 30 s, a partition read to its end early stops holding the watermark
# after 30 s of wall time, so the final watermark (and which alerts have resolved) would depend on
# how long a run took; with it the final watermark is the minimum over partitions in every run.
event_time: { max_out_of_orderness: 5m, allowed_lateness: ${o.allowedLateness ?? '1h'}, idle_timeout: 6h }
operators:
  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }]
  - type: contact_kpis
    window_sizes: [15m, 1h, 1d]
    short_abandon_seconds: 5
    service_level_seconds: 20
    fcr_lookahead_days: 7
    fcr_scope: same_reason
    # min_offered: 0 (not the default 20): the small input must fire alerts, for the comparison of
    # the Kafka runs' alerts with a file run's.
    rules:
      - { name: BillingAbandonRateHigh, when: abandon_rate > 0.08, window: 15m, queue: billing, severity: critical, min_offered: 0 }
      - { name: ServiceLevelLow, when: service_level < 0.8, window: 1h, for: 2, resolve: { after: 2, threshold: 0.85 }, severity: warning, min_offered: 0 }
${o.drift ? '  - { type: population_drift, period: 1d, share_threshold: 0.1 }\n' : ''}checkpoint: { interval: ${o.checkpointInterval ?? '300ms'}, max_events: ${o.maxEvents ?? 3000}${o.handoffDir ? `, handoff_dir: "${o.handoffDir}"` : ''}${o.changelogTopic ? `, changelog: { topic: "${o.changelogTopic}" }` : ''} }
dead_letters: { rejects_files: false }
${o.mergeTopic ? `merge: { topic: "${o.mergeTopic}" }\n` : ''}`,
  );
  return path;
}

/** Every child started by these helpers, so afterAll can kill what a failed test left running. */
const children = new Set<ChildProcess>();

export function killAllPulse(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

/** A `pulse run` child process with its /metrics port. */
export class PulseProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  private readonly child: ChildProcess;

  constructor(
    args: string[],
    readonly metricsPort: number,
  ) {
    this.child = spawn(process.execPath, [CLI, 'run', ...args, '--metrics-port', String(metricsPort)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PULSE_LOG_LEVEL: 'warn' },
    });
    children.add(this.child);
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
      if (this.stderr.length > 200_000) this.stderr = this.stderr.slice(-100_000);
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        children.delete(this.child);
        resolve({ code, signal });
      }),
    );
  }

  static async kafka(config: string, db: string): Promise<PulseProcess> {
    return new PulseProcess(['--config', config, '--source', 'kafka', '--db', db], await freePort());
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `pulse_source_position` by partition number (the runner labels Kafka partitions by number). */
  async positions(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const sample of await this.samples('pulse_source_position')) out.set(Number(sample.labels['partition']), sample.value);
    return out;
  }

  /** Samples of one metric from /metrics; empty while the server is not up yet. */
  async samples(metric: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
    let text: string;
    try {
      const response = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
      text = await response.text();
    } catch {
      return [];
    }
    const out: Array<{ labels: Record<string, string>; value: number }> = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
      const match = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) continue;
      const labels: Record<string, string> = {};
      for (const pair of (match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1]!] = pair[2]!;
      out.push({ labels, value: Number(match[2]) });
    }
    return out;
  }

  /** SIGTERM: the runner drains, checkpoints and exits 0. */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    if (code !== 0) process.stderr.write(`pulse run exited with ${code}:\n${this.stderr.slice(-5000)}\n`);
    return code;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number, pollMs = 250): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** True when every partition's position is at its last offset (`ends`: partition -> next offset). */
export function reachedEnds(positions: ReadonlyMap<number, number>, ends: ReadonlyMap<number, number>): boolean {
  for (const [partition, end] of ends) if (end > 0 && (positions.get(partition) ?? -1) < end - 1) return false;
  return true;
}

/** Runs `pulse run` to the end of a bounded input (the file-source reference). */
export async function runFile(config: string, input: string, db: string): Promise<void> {
  const run = new PulseProcess(['--config', config, '--input', input, '--db', db], 0);
  const { code } = await run.exited;
  if (code !== 0) throw new Error(`pulse run --input ${input} exited with ${code}:\n${run.stderr.slice(-5000)}`);
}

/**
 * Kafka key of an NDJSON line: its customer id, so that all events of a customer (and the
 * duplicate copies of an event) go to one partition. Malformed lines without one get a fixed key.
 */
export function customerKey(line: string): string {
  return /"customer_id":"([^"]+)"/.exec(line)?.[1] ?? 'no-customer';
}

/** Produces lines keyed by customer id with kcat (`key<TAB>value`, one message a line). */
export async function produceLines(bootstrap: string, topic: string, lines: readonly string[], headers: readonly string[] = []): Promise<void> {
  const bad = lines.find((line) => line.includes('\t') || line.includes('\n'));
  if (bad !== undefined) throw new Error(`cannot produce a line containing a tab or newline with kcat -K: ${bad}`);
  const input = lines.map((line) => `${customerKey(line)}\t${line}`).join('\n') + '\n';
  await kcat(['-b', bootstrap, '-P', '-t', topic, '-K', '\t', ...headers.flatMap((header) => ['-H', header])], input, 120_000);
}

/** Where each produced line went: partition and offset, checked against what kcat reads back. */
export interface TopicLayout {
  records: KcatRecord[];
  /** Partition -> next offset (end). */
  ends: Map<number, number>;
  /** `partition:offset` -> payload. */
  byPosition: Map<string, string>;
}

export async function topicLayout(bootstrap: string, topic: string): Promise<TopicLayout> {
  const records = await readAll(bootstrap, topic);
  const ends = new Map<number, number>();
  const byPosition = new Map<string, string>();
  for (const r of records) {
    ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, r.offset + 1));
    byPosition.set(`${r.partition}:${r.offset}`, r.payload ?? '');
  }
  return { records, ends, byPosition };
}

/**
 * The produced lines in produce order with their Kafka position. kcat keeps the order of its
 * input within a partition, so the n-th line keyed to partition p is at offset n; the test
 * checks that against the payloads read back.
 */
export function placeLines(
  lines: readonly string[],
  layout: TopicLayout,
  partitionOfKey: ReadonlyMap<string, number>,
): Array<{ line: string; partition: number; offset: number }> {
  const next = new Map<number, number>();
  return lines.map((line) => {
    const partition = partitionOfKey.get(customerKey(line));
    if (partition === undefined) throw new Error(`no partition known for key ${customerKey(line)}`);
    const offset = next.get(partition) ?? 0;
    next.set(partition, offset + 1);
    return { line, partition, offset };
  });
}

export { kcat };

/** What a suite on the mock cluster works with: a scratch directory, the generated input's lines, the cluster. */
export interface MockClusterSuite {
  dir: string;
  /** The lines of `dir/events.ndjson`. */
  lines: string[];
  cluster: MockCluster;
}

/** Before a suite: generated events in a new scratch directory (`events.ndjson`) and a mock cluster of three brokers. */
export async function startMockClusterSuite(prefix: string, events: Omit<GenerateOptions, 'out'>): Promise<MockClusterSuite> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const input = join(dir, 'events.ndjson');
  await generate({ ...events, out: input });
  const lines = readFileSync(input, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  return { dir, lines, cluster: await startMockCluster(3) };
}

/** After it: stops the pulse and kcat children and the cluster, and removes the directory unless `keep`. */
export async function stopMockClusterSuite(suite: Partial<MockClusterSuite>, keep = false): Promise<void> {
  killAllPulse();
  killKcats();
  await suite.cluster?.close();
  if (suite.dir && !keep) rmSync(suite.dir, { recursive: true, force: true });
}
