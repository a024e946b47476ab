import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventDecoder } from '../../operators/decode.js';
import { EventGate } from '../../operators/event-gate.js';
import type { PulseEvent, Rejection } from '../../operators/events.js';
import { DecodeWorkerError, admitRecord, decodeAhead, type DecodedMessage } from '../../pipelines/decode-ahead.js';
import { parseJobConfig } from '../../pipelines/job-config.js';
import type { RecordBatch, SourceMessage } from '../../sources/source.js';
import { query } from '../helpers/duckdb.js';

// Node 20 cannot start a worker from the .ts source vitest runs, so these tests use the compiled
// worker: run `npx tsc -p tsconfig.json` first.
const DIST_WORKER = pathToFileURL(join(process.cwd(), 'dist/pipelines/decode-worker.js'));
const CLI = join(process.cwd(), 'dist/pipelines/cli.js');

beforeAll(() => {
  if (!existsSync(DIST_WORKER)) throw new Error('dist/pipelines/decode-worker.js is missing: run `npx tsc -p tsconfig.json` first');
});

const T0 = Date.UTC(2026, 0, 5, 12);
const MIN = 60_000;

function tx(id: string, ts: number | string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'transaction', event_id: id, ts, customer_id: 'C1', amount: 12.5, channel: 'web', ...extra });
}

/** Records the gate refuses for every reason, and accepts in every time format. */
function partitionARecords(): string[] {
  return [
    tx('a1', T0),
    tx('a2', new Date(T0 + MIN).toISOString(), { currency: 'EUR' }),
    'not json at all {',
    '[1, 2, 3]',
    JSON.stringify({ event_id: 'nt', ts: T0 }),
    JSON.stringify({ type: 'refund', event_id: 'u', ts: T0 }),
    JSON.stringify({ type: 'usage', event_id: 'a3', ts: T0, customer_id: 'C1', metric: 'logins', quantity: -2 }),
    JSON.stringify({ type: 'transaction', event_id: 'a4', ts: T0, customer_id: 'C1', amount: '12', channel: 'web' }),
    tx('a1', T0 + 2 * MIN), // duplicate event_id
    tx('a5', T0 + 3 * 3_600_000), // moves the watermark on by three hours
    tx('a6', T0), // now late
    JSON.stringify({
      type: 'contact', event_id: 'k1', customer_id: 'C2', contact_id: 'K1', channel: 'phone', queue: 'billing', reason: 'invoice',
      queued_at: T0 + 3 * 3_600_000, answered_at: T0 + 3 * 3_600_000 - MIN, ended_at: T0 + 3 * 3_600_000 + MIN, disposition: 'resolved',
    }),
    JSON.stringify({
      type: 'contact', event_id: 'k2', customer_id: 'C2', contact_id: 'K2', channel: 'phone', queue: 'billing', reason: 'invoice',
      queued_at: new Date(T0 + 3 * 3_600_000).toISOString(), ended_at: T0 + 3 * 3_600_000 + 5 * MIN, disposition: 'resolved', hold_seconds: 3,
    }),
    JSON.stringify({ type: 'profile', event_id: 'p1', ts: T0, customer_id: 'C3', region: 'North', segment: 'smb', seats: 12 }),
    JSON.stringify({ type: 'survey', event_id: 's1', ts: T0 + 3 * 3_600_000, customer_id: 'C1', kind: 'nps', score: 11 }),
  ];
}

function batch(partition: string, values: Array<string | Record<string, unknown>>, firstOffset: number): RecordBatch {
  return {
    kind: 'records',
    partition,
    records: values.map((value, i) => ({ offset: firstOffset + i, value })),
    position: { offset: firstOffset + values.length - 1, resume: 0 },
    readAt: T0,
  };
}

function sequence(): SourceMessage[] {
  const a = partitionARecords();
  return [
    { kind: 'assign', partitions: ['A', 'B'] },
    batch('A', a.slice(0, 6), 1),
    batch('B', [tx('b1', T0 + 5 * MIN), tx('a2', T0 + MIN)], 1), // a duplicate across partitions
    batch('A', a.slice(6), 7),
    { kind: 'end', partition: 'B' },
    // Columnar rows (Arrow/Parquet) stay on the main thread.
    batch('C', [{ type: 'usage', event_id: 'c1', ts: T0 + 3 * 3_600_000, customer_id: 'C4', metric: 'logins', quantity: 3 }, { type: 'nope' }], 1),
    batch('A', [], 100),
    { kind: 'revoke', partitions: ['A'], lost: false, done: () => undefined },
    batch('C', [tx('c2', T0 + 3 * 3_600_000 + MIN), '{"truncated":', tx('c3', T0)], 3), // c3 is late once B has ended
    { kind: 'end', partition: 'A' },
  ];
}

async function* fromArray<T>(messages: T[], pulled?: { count: number }): AsyncGenerator<T> {
  for (const message of messages) {
    if (pulled) pulled.count++;
    yield message;
  }
}

async function collect(messages: AsyncIterable<DecodedMessage>): Promise<DecodedMessage[]> {
  const out: DecodedMessage[] = [];
  for await (const message of messages) out.push(message);
  return out;
}

/** Every record's outcome at the gate: the event, or the rejection. */
type Outcome = { event: PulseEvent } | { rejection: Rejection };

/**
 * Every record's outcome at a fresh gate, messages in order (`end` releases its partition), each
 * record judged by `judge`.
 */
function judgeAll<M extends SourceMessage | DecodedMessage>(
  messages: M[],
  judge: (gate: EventGate, batch: Extract<M, { kind: 'records' }>, index: number) => PulseEvent | null,
): Outcome[] {
  const gate = new EventGate({ outOfOrdernessMs: 5 * MIN, allowedLatenessMs: 3_600_000, idleTimeoutMs: 3_600_000 });
  const out: Outcome[] = [];
  for (const message of messages) {
    if (message.kind === 'end') {
      gate.watermarks.end(message.partition);
      gate.advance(T0);
    }
    if (message.kind !== 'records') continue;
    message.records.forEach((_record, index) => {
      const event = judge(gate, message as Extract<M, { kind: 'records' }>, index);
      out.push(event === null ? { rejection: gate.lastRejection! } : { event });
    });
    gate.advance(T0);
  }
  return out;
}

/** Today's path: `EventGate.admit` decodes on this thread. */
function judgeOnMainThread(messages: SourceMessage[]): Outcome[] {
  return judgeAll(messages, (gate, batch, index) => gate.admit(batch.records[index]!.value, 'src', batch.partition, batch.records[index]!.offset, T0));
}

/** The runner's path for pre-decoded batches. */
function judgePredecoded(messages: DecodedMessage[]): Outcome[] {
  return judgeAll(messages, (gate, batch, index) => admitRecord(gate, batch, index, 'src', T0));
}

describe('decodeAhead', () => {
  it('yields every message in order, with each string record decoded exactly as EventDecoder does on the main thread', async () => {
    const input = sequence();
    const output = await collect(decodeAhead(fromArray(input), { workers: 2, readAhead: 2, workerUrl: DIST_WORKER }));

    expect(output.map((m) => `${m.kind}:${'partition' in m ? m.partition : m.partitions.join(',')}`)).toEqual(
      input.map((m) => `${m.kind}:${'partition' in m ? m.partition : m.partitions.join(',')}`),
    );
    const oracle = new EventDecoder();
    let workerDecoded = 0;
    output.forEach((message, index) => {
      const original = input[index]!;
      if (message.kind !== 'records' || original.kind !== 'records') {
        expect(message).toBe(original); // control messages pass through untouched (revoke keeps its done)
        return;
      }
      expect(message.records).toBe(original.records);
      expect(message.position).toEqual(original.position);
      const allStrings = message.records.length > 0 && message.records.every((r) => typeof r.value === 'string');
      if (!allStrings) {
        expect(message.decoded).toBeUndefined();
        return;
      }
      expect(message.decoded!.events).toHaveLength(message.records.length);
      message.records.forEach((record, i) => {
        // A fresh parse for the oracle: the decoder normalises the parsed object in place.
        const expected = oracle.decodeEvent(record.value);
        expect(message.decoded!.events[i]).toEqual(expected);
        if (expected === null) expect(message.decoded!.failures[i]).toEqual(oracle.lastFailure);
        else expect(message.decoded!.failures[i]).toBeUndefined();
        workerDecoded++;
      });
    });
    expect(workerDecoded).toBe(6 + 2 + 9 + 3); // every string record of the four string batches

    const expected = judgeOnMainThread(input);
    const reasons = expected.map((o) => ('rejection' in o ? o.rejection.reason : 'ok'));
    // The sequence covers every refusal the gate makes.
    for (const reason of ['invalid_json', 'missing_field', 'unknown_type', 'impossible_value', 'wrong_type', 'duplicate', 'late']) {
      expect(reasons).toContain(reason);
    }
    expect(judgePredecoded(output)).toEqual(expected);
  });

  it('decodes on the main thread (messages pass through) with workers: 0', async () => {
    const input = sequence();
    const output = await collect(decodeAhead(fromArray(input), { workers: 0, workerUrl: DIST_WORKER }));
    expect(output).toEqual(input);
    expect(output.every((m) => m.kind !== 'records' || m.decoded === undefined)).toBe(true);
  });

  it('reads ahead while the consumer holds a batch, but not past an assign or revoke it has not taken', async () => {
    const pulled = { count: 0 };
    const input: SourceMessage[] = [
      batch('A', [tx('x1', T0)], 1),
      batch('A', [tx('x2', T0)], 2),
      batch('A', [tx('x3', T0)], 3),
      { kind: 'revoke', partitions: ['A'], lost: false, done: () => undefined },
      batch('B', [tx('x4', T0)], 1),
    ];
    const iterator = decodeAhead(fromArray(input, pulled), { workers: 1, readAhead: 3, workerUrl: DIST_WORKER })[Symbol.asyncIterator]();
    try {
      const first = await iterator.next();
      expect(first.value).toMatchObject({ kind: 'records', partition: 'A', position: { offset: 1 } });
      // Batches 2 and 3 were read and sent to the worker before batch 1 was handed over.
      expect(pulled.count).toBe(3);
      expect((await iterator.next()).value).toMatchObject({ position: { offset: 2 } });
      expect(pulled.count).toBe(4);
      expect((await iterator.next()).value).toMatchObject({ position: { offset: 3 } });
      expect((await iterator.next()).value).toMatchObject({ kind: 'revoke' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pulled.count).toBe(4);
      expect((await iterator.next()).value).toMatchObject({ kind: 'records', partition: 'B' });
      expect(pulled.count).toBe(5);
      expect((await iterator.next()).done).toBe(true);
    } finally {
      await iterator.return?.();
    }
  });

  it('rejects with a DecodeWorkerError when the worker throws, and when it exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-decode-worker-'));
    const throwing = join(dir, 'throwing.mjs');
    writeFileSync(throwing, `import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { throw new Error('boom in worker'); });\n`);
    const exiting = join(dir, 'exiting.mjs');
    writeFileSync(exiting, `import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n`);
    const input = (): SourceMessage[] => [{ kind: 'assign', partitions: ['A'] }, batch('A', [tx('a1', T0)], 1), batch('A', [tx('a2', T0)], 2)];

    const fromThrowing: DecodedMessage[] = [];
    const thrown = collectInto(decodeAhead(fromArray(input()), { workers: 1, workerUrl: pathToFileURL(throwing) }), fromThrowing);
    await expect(thrown).rejects.toBeInstanceOf(DecodeWorkerError);
    await expect(thrown).rejects.toThrow(/worker 0 threw: boom in worker/);
    expect(fromThrowing.map((m) => m.kind)).toEqual(['assign']); // no batch is yielded undecoded

    const exited = collect(decodeAhead(fromArray(input()), { workers: 1, workerUrl: pathToFileURL(exiting) }));
    await expect(exited).rejects.toThrow(/worker 0 exited unexpectedly with code 3/);
  });
});

async function collectInto(messages: AsyncIterable<DecodedMessage>, out: DecodedMessage[]): Promise<void> {
  for await (const message of messages) out.push(message);
}

function runCli(args: string[], cwd?: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PULSE_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('job config decode.workers', () => {
  const job = (decode: string): string =>
    `name: t\nsource: f\nsources: { f: { type: files, paths: [x] } }\noperators: [{ type: customer_windows }]\n${decode}\n`;
  it('defaults to one worker, accepts 0, and refuses negative counts and unknown keys', () => {
    expect(parseJobConfig(job(''), 'job.yaml', {}).decode).toEqual({ workers: 1 });
    expect(parseJobConfig(job('decode: { workers: 0 }'), 'job.yaml', {}).decode).toEqual({ workers: 0 });
    expect(() => parseJobConfig(job('decode: { workers: -1 }'), 'job.yaml', {})).toThrow(/decode\.workers/);
    expect(() => parseJobConfig(job('decode: { threads: 2 }'), 'job.yaml', {})).toThrow(/decode\.threads: unknown key/);
  });
});

describe('pulse run with decode workers', () => {
  it('writes the same customer_windows and dead_letters with decode.workers 0 and the default (1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-decode-e2e-'));
    const input = join(dir, 'events.ndjson');
    const generated = await runCli([CLI, 'generate', '--out', input, '--customers', '2000', '--days', '2', '--seed', '5']);
    expect(generated.code).toBe(0);
    // Extra refusals the generator does not make; the lines are valid NDJSON lines.
    writeFileSync(input, ['', 'not json {', '{"type":"usage","event_id":"zz","ts":1,"customer_id":"C1","metric":"x","quantity":-1}', ''].join('\n'), { flag: 'a' });
    const tables = [
      `SELECT customer_id, window_start, window_end, spend_total, spend_count, spend_max, refund_total, usage_total,
              CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`,
      `SELECT source, position, reason, detail, event_type, raw FROM dead_letters ORDER BY ALL`,
    ];
    const results: Array<Array<Array<Record<string, unknown>>>> = [];
    for (const decode of ['decode: { workers: 0 }', '']) {
      const db = join(dir, `run-${results.length}.duckdb`);
      const config = join(dir, `job-${results.length}.yaml`);
      writeFileSync(
        config,
        `name: decode-e2e
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(input)}], batch_size: 500 }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h }
operators:
  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }]
checkpoint: { interval: 1h, max_events: 5000 }
dead_letters: { rejects_files: false }
${decode}
`,
      );
      // A CPU profile per thread shows whether a decode worker ran.
      const profiles = join(dir, `profiles-${results.length}`);
      const run = await runCli(['--cpu-prof', '--cpu-prof-dir', profiles, CLI, 'run', '--config', config, '--db', db]);
      expect(run.code, run.stderr).toBe(0);
      expect(readdirSync(profiles)).toHaveLength(decode === '' ? 2 : 1);
      results.push(await query(db, ...tables));
    }
    const [mainThread, worker] = results as [Array<Array<Record<string, unknown>>>, Array<Array<Record<string, unknown>>>];
    expect(mainThread[0]!.length).toBeGreaterThan(1000);
    const reasons = new Set(mainThread[1]!.map((row) => row['reason']));
    expect(reasons).toContain('invalid_json');
    expect(reasons).toContain('impossible_value');
    expect(worker[0]).toEqual(mainThread[0]);
    expect(worker[1]).toEqual(mainThread[1]);
  }, 180_000);
});
