import { existsSync } from 'node:fs';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DecodeFailure } from '../operators/decode.js';
import { PulseError } from '../operators/errors.js';
import type { EventGate } from '../operators/event-gate.js';
import type { PulseEvent } from '../operators/events.js';
import type { RecordBatch, SourceMessage } from '../sources/source.js';

/**
 * Decoding (JSON.parse + schema validation) is the largest single cost of the main thread (~20%
 * of a run). `decodeAhead` reads a few record batches ahead of the runner and has worker threads
 * decode their string records while the runner processes the batch before; the runner then only
 * judges the ready events (watermark, lateness, duplicates), which must stay on one thread.
 *
 * Transport, measured on 300k lines of bench/.data/events-200000c-1d-s1.ndjson (8192 per batch),
 * main-thread milliseconds: decoding them there costs ~1000. Sending records as an array of
 * strings costs 27 to post (joined into one string plus a Uint32Array of lengths: 76; UTF-8
 * Buffer transferred: 143). Receiving the events as structured clone costs ~330 to deserialize;
 * as JSON text of the batch, parsing it costs ~610. In full runs of that file (1.35M events,
 * main-thread CPU from /proc/self/task) structured clone also won: 13.2-14.1 s against 14.8-15.8 s
 * with JSON text, 16.0-17.0 s decoding on the main thread. So: strings in, structured clone out.
 * The second core is what pays for this: with another process busy on it, the wall time got worse.
 */

/** A record batch whose string records were decoded on a worker, index for index. */
export interface PredecodedBatch extends RecordBatch {
  /** Unset when the batch holds non-string records (columnar rows): decode those on the main thread. */
  decoded?: DecodedRecords;
}

export interface DecodedRecords {
  /** Per record: the decoded event, or null when it could not be decoded (`failures` says why). */
  events: Array<PulseEvent | null>;
  /** Why the record at each index with a null event was refused (EventDecoder.lastFailure). */
  failures: Record<number, DecodeFailure>;
}

export type DecodedMessage = Exclude<SourceMessage, RecordBatch> | PredecodedBatch;

/**
 * The gate's judgement of record `index` of a batch: `admit` when the batch was not decoded ahead,
 * otherwise the same judgement of its decoded result. The event, or null with the reason in
 * `gate.lastRejection`.
 */
export function admitRecord(gate: EventGate, batch: PredecodedBatch, index: number, source: string, now: number): PulseEvent | null {
  const { value, offset } = batch.records[index]!;
  const { decoded, partition } = batch;
  if (decoded === undefined) return gate.admit(value, source, partition, offset, now);
  const event = decoded.events[index]!;
  return event === null
    ? gate.refuseUndecodable(decoded.failures[index]!, value, source, partition, offset)
    : gate.admitDecoded(event, value, source, partition, offset, now);
}

/** Main thread -> worker. */
export interface DecodeRequest {
  id: number;
  values: string[];
}

/** Worker -> main thread. */
export interface DecodeResponse extends DecodedRecords {
  id: number;
}

export interface DecodeAheadOptions {
  /** Worker threads; 0 decodes on the main thread (the messages pass through unchanged). */
  workers: number;
  /** Record batches read and handed to workers before the consumer takes them. */
  readAhead?: number;
  /** Worker entry; by default the compiled `decode-worker.js` beside this module. */
  workerUrl?: URL;
}

export const DEFAULT_READ_AHEAD = 3;

/** A decode worker crashed, exited or could not be started: the run must stop, not lose records. */
export class DecodeWorkerError extends PulseError {
  constructor(what: string, cause?: unknown) {
    super(
      'SOURCE_FAILED',
      `decoding records on a worker thread failed: ${what}. No record of the failed batch was processed; ` +
        `running the job again resumes from its last checkpoint. Set 'decode: { workers: 0 }' in the job to decode on the main thread.`,
      { cause },
    );
  }
}

/**
 * Yields `messages` in their exact order, record batches carrying their records already decoded
 * (`PredecodedBatch.decoded`). Up to `readAhead` batches are read and being decoded while the
 * consumer works on earlier ones. An `assign` or `revoke` stops the read-ahead until the consumer
 * has taken it, so nothing is read from the source past a rebalance before the runner has acted
 * on it. A worker failure rejects the iteration at the first batch it affects.
 *
 * Falls back to passing `messages` through (main-thread decoding) when `workers` is 0, or when the
 * compiled worker is not beside this module: under vitest this module runs from its .ts source,
 * and Node 20 cannot start a worker from TypeScript; tests pass `workerUrl` (dist) instead.
 */
export function decodeAhead(messages: AsyncIterable<SourceMessage>, options: DecodeAheadOptions): AsyncIterable<DecodedMessage> {
  const url = options.workerUrl ?? compiledWorkerUrl();
  if (options.workers <= 0 || url === undefined) return messages;
  return readAhead(messages, () => new DecodePool(url, options.workers), Math.max(1, options.readAhead ?? DEFAULT_READ_AHEAD));
}

let compiledWorker: URL | null | undefined;

function compiledWorkerUrl(): URL | undefined {
  if (compiledWorker === undefined) {
    const url = new URL('./decode-worker.js', import.meta.url);
    compiledWorker = existsSync(fileURLToPath(url)) ? url : null;
  }
  return compiledWorker ?? undefined;
}

type Step = { result: IteratorResult<SourceMessage> } | { error: unknown };

async function* readAhead(
  messages: AsyncIterable<SourceMessage>,
  createPool: () => DecodePool,
  depth: number,
): AsyncGenerator<DecodedMessage> {
  const iterator = messages[Symbol.asyncIterator]();
  // Messages in source order; a batch's entry settles when its records are decoded.
  const queue: Array<Promise<DecodedMessage>> = [];
  let batchesQueued = 0;
  let reading: Promise<Step> | undefined;
  let ended = false;
  let barrier = false;
  let pool: DecodePool | undefined;

  const accept = (step: Step): void => {
    if ('error' in step) {
      // Kept in order: the batches read before the failure are still processed first.
      ended = true;
      queue.push(settledRejection(step.error));
      return;
    }
    if (step.result.done) {
      ended = true;
      return;
    }
    const message = step.result.value;
    if (message.kind !== 'records') {
      queue.push(Promise.resolve(message));
      if (message.kind === 'assign' || message.kind === 'revoke') barrier = true;
      return;
    }
    batchesQueued++;
    const values = stringValues(message);
    if (values === undefined) {
      queue.push(Promise.resolve(message));
      return;
    }
    pool ??= createPool();
    const decoded = pool.decode(values).then(({ events, failures }): PredecodedBatch => ({ ...message, decoded: { events, failures } }));
    // Awaited in turn below; until then a rejection must not count as unhandled.
    decoded.catch(() => undefined);
    queue.push(decoded);
  };

  try {
    for (;;) {
      if (reading === undefined && !ended && !barrier && batchesQueued < depth) {
        reading = iterator.next().then(
          (result): Step => ({ result }),
          (error: unknown): Step => ({ error }),
        );
      }
      const head = queue[0];
      if (head === undefined) {
        if (reading === undefined) return;
        accept(await reading);
        reading = undefined;
        continue;
      }
      if (reading !== undefined) {
        // Keep reading while the head batch is being decoded, but never hold a ready head back
        // behind a slow read (an unbounded source may be silent for a long time).
        const first = await Promise.race([reading.then(READ), head.then(HEAD, HEAD)]);
        if (first === 1 || (await settlesSoon(reading))) {
          accept(await reading);
          reading = undefined;
          continue;
        }
      }
      queue.shift();
      const message = await head;
      if (message.kind === 'records') batchesQueued--;
      yield message;
      if (message.kind === 'assign' || message.kind === 'revoke') barrier = false;
    }
  } finally {
    await pool?.close();
    // A read still pending ends when the source is closed; awaiting return() now would wait for it.
    if (reading) void reading.then(() => iterator.return?.()).catch(() => undefined);
    else await iterator.return?.();
  }
}

/**
 * Gives a read that is waiting for I/O a few event-loop turns, at most FILL_WAIT_MS, to settle.
 * Without this the queue rarely fills up: the consumer processes each batch synchronously, so a
 * file read only completes while it waits, and a ready head would be handed over before the next
 * batch is read and sent to a worker, leaving the worker idle while the batch is processed.
 */
async function settlesSoon(reading: Promise<Step>): Promise<boolean> {
  let settled = false;
  void reading.then(() => (settled = true));
  const started = performance.now();
  while (!settled && performance.now() - started < FILL_WAIT_MS) await setImmediatePromise();
  return settled;
}

const FILL_WAIT_MS = 2;

/** Which of the head batch and the pending read settled first. */
const HEAD = (): 0 => 0;
const READ = (): 1 => 1;

function settledRejection(error: unknown): Promise<never> {
  const rejected = Promise.reject(error);
  rejected.catch(() => undefined);
  return rejected;
}

/** The batch's values when every one is a string (NDJSON, Kafka); columnar rows stay on the main thread. */
function stringValues(batch: RecordBatch): string[] | undefined {
  const { records } = batch;
  if (records.length === 0) return undefined;
  const values = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const value = records[i]!.value;
    if (typeof value !== 'string') return undefined;
    values[i] = value;
  }
  return values;
}

/** Worker threads taking batches in turn; each answers its requests in order. */
class DecodePool {
  private readonly workers: DecodeWorker[];
  private next = 0;

  constructor(url: URL, size: number) {
    this.workers = Array.from({ length: size }, (_, index) => new DecodeWorker(url, index));
  }

  decode(values: string[]): Promise<DecodedRecords> {
    const worker = this.workers[this.next]!;
    this.next = (this.next + 1) % this.workers.length;
    return worker.decode(values);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}

interface Pending {
  resolve: (records: DecodedRecords) => void;
  reject: (error: Error) => void;
}

class DecodeWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(
    url: URL,
    private readonly index: number,
  ) {
    this.worker = new Worker(url);
    // Only outstanding requests keep the process alive (see decode), never an idle worker.
    this.worker.unref();
    this.worker.on('message', (response: DecodeResponse) => {
      const pending = this.pending.get(response.id);
      if (pending === undefined) return;
      this.settled(response.id);
      pending.resolve(response);
    });
    this.worker.on('error', (error: Error) => this.fail(new DecodeWorkerError(`worker ${this.index} threw: ${error.message}`, error)));
    this.worker.on('messageerror', (error: Error) =>
      this.fail(new DecodeWorkerError(`worker ${this.index} sent a message that cannot be read: ${error.message}`, error)),
    );
    this.worker.on('exit', (code: number) => {
      if (!this.closing) this.fail(new DecodeWorkerError(`worker ${this.index} exited unexpectedly with code ${code}`));
    });
  }

  decode(values: string[]): Promise<DecodedRecords> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const result = new Promise<DecodedRecords>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) this.worker.ref();
    const request: DecodeRequest = { id, values };
    this.worker.postMessage(request);
    return result;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.fail(new DecodeWorkerError(`worker ${this.index} was closed before it answered`));
    await this.worker.terminate();
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  /** The first failure wins (an 'error' is followed by an 'exit'); every outstanding request gets it. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }
}
