import { spawn, type ChildProcess } from 'node:child_process';
import { KafkaSource } from '../../../sources/kafka/source.js';
import type { KafkaSourceOptions } from '../../../sources/kafka/options.js';
import type { PartitionPosition, PartitionsRevoked, RecordBatch, SourceMessage } from '../../../sources/source.js';

/** Every kcat started by a test, so afterAll can kill any that is still running. */
const children = new Set<ChildProcess>();

export function killKcats(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** Runs kcat (an independent librdkafka client) and resolves with its stdout. */
export function kcat(args: string[], input?: string | Buffer, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${err}`));
    });
    child.stdin.end(input ?? '');
  });
}

export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Produces `key:value` lines (kcat -K:), each line one message. */
export async function produceKeyed(bootstrap: string, topic: string, pairs: Array<[string, string]>): Promise<void> {
  await kcat(['-b', bootstrap, '-P', '-t', topic, '-K:'], pairs.map(([k, v]) => `${k}:${v}`).join('\n') + '\n');
}

/** Reads a topic from the beginning to its current end with kcat: the oracle of what is there. */
export async function readAll(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  const out = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q']);
  return out
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as KcatRecord);
}

export function sourceOptions(bootstrap: string, topic: string, group: string, extra: Partial<KafkaSourceOptions> = {}): KafkaSourceOptions {
  return {
    name: 'kafka',
    brokers: bootstrap,
    topics: [topic],
    group,
    batchSize: 100,
    maxRecordBytes: 1_048_576,
    maxBufferedRecords: 400,
    pollTimeoutMs: 50,
    clientProperties: { 'heartbeat.interval.ms': 100, 'session.timeout.ms': 6000, 'topic.metadata.refresh.interval.ms': 1000 },
    ...extra,
  };
}

export interface DriveLog {
  messages: SourceMessage[];
  batches: RecordBatch[];
  /** `partition@offset -> value` for every record received. */
  records: Array<{ partition: string; offset: number; value: string }>;
}

export interface DriveOptions {
  until: (log: DriveLog) => boolean;
  timeoutMs?: number;
  /** Called for a revoke instead of calling `done` at once (a runner would checkpoint here). */
  onRevoke?: (message: PartitionsRevoked, log: DriveLog) => Promise<void>;
  /** Called after each batch (e.g. to stall like a slow runner). */
  onBatch?: (batch: RecordBatch, log: DriveLog) => Promise<void>;
  /** Stops reading from outside (another member decided that everything has arrived). */
  stop?: AbortSignal;
}

/** Plays the runner: reads until `until` holds or the timeout aborts. */
export async function drive(source: KafkaSource, resumeFrom: ReadonlyMap<string, PartitionPosition>, options: DriveOptions): Promise<DriveLog> {
  const log: DriveLog = { messages: [], batches: [], records: [] };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  options.stop?.addEventListener('abort', () => controller.abort());
  try {
    for await (const message of source.read(resumeFrom, controller.signal)) {
      log.messages.push(message);
      if (message.kind === 'records') {
        log.batches.push(message);
        for (const r of message.records) log.records.push({ partition: message.partition, offset: r.offset, value: String(r.value) });
        await options.onBatch?.(message, log);
      } else if (message.kind === 'revoke') {
        if (options.onRevoke) await options.onRevoke(message, log);
        else message.done();
      }
      if (options.until(log)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return log;
}

/** A small customer event as JSON, keyed by customer id. */
export function eventPair(i: number, customers = 37): [string, string] {
  const customer = `C${i % customers}`;
  const event = { type: 'transaction', event_id: `e${i}`, ts: 1767225600000 + i * 1000, customer_id: customer, amount: (i % 50) + 0.5, channel: 'web' };
  return [customer, JSON.stringify(event)];
}

export function key(partition: string, offset: number): string {
  return `${partition}@${offset}`;
}
