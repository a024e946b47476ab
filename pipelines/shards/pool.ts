/**
 * The runner's handle on its shards: one shard on the main thread (`workers: 0`), or one shard per
 * worker thread with the records hashed to them by customer (routing.ts). Every call goes to all
 * shards and resolves with their answers in shard order; a shard answers its calls in order, so a
 * batch, a watermark and a question sent one after the other are handled in that order.
 */
import type { Worker } from 'node:worker_threads';
import { PulseError } from '../../operators/errors.js';
import type { EventGateOptions } from '../../operators/event-gate.js';
import { UnreadableRecord } from '../../operators/record-limits.js';
import type { LocalOperator } from '../../operators/parallel.js';
import type { ActiveTaxonomy } from '../../operators/reason-mapping.js';
import type { RawRecord, RecordBatch } from '../../sources/source.js';
import { startWorker, workerEntry, type WorkerEntry } from '../worker-entry.js';
import type { WindowSizesSince } from '../window-sizes-since.js';
import { packedTransferables } from '../../operators/state-pack.js';
import { transferables } from './portable-output.js';
import { frameTransfers, RecordFrameBuilder, type RecordFrame } from './record-frame.js';
import { routingKey, shardOf } from './routing.js';
import { Shard, type BatchResult, type ShardDrain, type ShardOptions, type ShardRestore, type ShardStateDrain } from './shard.js';

/**
 * A source batch split by shard and handed to the shards, which hold its records until `process`
 * names its ticket: a worker thread receives (and the main thread copies) a batch's records while
 * the shards still work on the batches before it.
 */
export interface RoutedBatch {
  partition: string;
  ticket: number;
}

export interface ShardPool {
  readonly size: number;
  /**
   * True when what `drain` returns is a copy the shards no longer touch (it crossed from a worker
   * thread): the runner may then send the shards more work while it stages a checkpoint's outputs.
   * False for the shard on the main thread, whose column outputs are views of its live state.
   */
  readonly detached: boolean;
  /**
   * Splits a batch by shard and sends each shard its records, to be held, not processed
   * (synchronous: the runner does it while the shards work on earlier batches).
   */
  route(batch: RecordBatch): RoutedBatch;
  /** Processes a routed batch's held records. `now`: the processing time (the gate refuses event times too far after it). */
  process(batch: RoutedBatch, source: string, now: number): Promise<BatchResult[]>;
  /**
   * Every shard moves its watermark. Resolves once sent, without waiting for the shards: each
   * handles it before anything sent after it, and a shard that fails to apply it fails the calls
   * after it.
   */
  watermark(watermark: number): Promise<void>;
  /** Asks operator `index`'s local part on every shard. */
  ask(index: number, request: unknown): Promise<unknown[]>;
  /** Asks operator `index`'s local part on each shard its own question (`requests[shard]`). */
  askEach(index: number, requests: readonly unknown[]): Promise<unknown[]>;
  /**
   * Every shard's drain for a checkpoint, in two parts asked for at once: first the outputs (and
   * the rest of `ShardDrain`), then the changed keyed state, which takes the shards longer to pack
   * and arrives while the runner stages the outputs. Both are the same cut: a shard answers them one
   * after the other, before anything sent after this call.
   */
  drain(): PoolDrain;
  /** Replaces every shard's state with `data[shard]`. */
  restore(data: ShardRestore[]): Promise<void>;
  /** Every shard maps the contact reasons of the batches sent after this call through `taxonomy`. */
  setTaxonomy(taxonomy: ActiveTaxonomy | undefined): Promise<void>;
  close(): Promise<void>;
}

/** What a worker needs to build its shard (plain data: it crosses to the thread). */
export interface ShardWorkerData {
  operators: Array<{ type: string; name: string; settings: Record<string, unknown> }>;
  gate: EventGateOptions;
  trackOwners: boolean;
  /** The job merges population results across members (`merge`): mergeable operators' local parts as such a member's. */
  merged?: boolean;
  /** When each operator type's windows came into the job (BuildContext.windowsSince). */
  windowsSince?: WindowSizesSince;
}

/** A shard on a worker thread failed: the run must stop, not go on with part of its customers. */
export class ShardWorkerError extends PulseError {
  constructor(what: string, cause?: unknown) {
    super(
      'SOURCE_FAILED',
      `a worker thread of the job failed: ${what}. Nothing after the last checkpoint was committed; running the job again ` +
        `resumes from it. Set 'workers: 0' in the job to run everything on the main thread.`,
      { cause },
    );
  }
}

/** Everything on the main thread: the same shard code, without routing or copies. */
export class InlineShardPool implements ShardPool {
  readonly size = 1;
  readonly detached = false;
  private readonly shard: Shard;
  private readonly held = new HeldRecords();

  constructor(createLocals: () => LocalOperator[], options: Omit<ShardOptions, 'portable'>) {
    this.shard = new Shard(createLocals, { ...options, portable: false });
  }

  route(batch: RecordBatch): RoutedBatch {
    return { partition: batch.partition, ticket: this.held.hold(batch.records) };
  }

  async process(batch: RoutedBatch, source: string, now: number): Promise<BatchResult[]> {
    return [this.shard.process({ source, partition: batch.partition, records: this.held.take(batch.ticket), now })];
  }

  async watermark(watermark: number): Promise<void> {
    this.shard.watermark(watermark);
  }

  async ask(index: number, request: unknown): Promise<unknown[]> {
    return [this.shard.answer(index, request)];
  }

  async askEach(index: number, requests: readonly unknown[]): Promise<unknown[]> {
    return [this.shard.answer(index, requests[0])];
  }

  drain(): PoolDrain {
    const shards = [this.shard.drain()];
    return { shards: Promise.resolve(shards), state: Promise.resolve([this.shard.drainState()]) };
  }

  async restore(data: ShardRestore[]): Promise<void> {
    this.shard.restore(data[0]!);
  }

  async setTaxonomy(taxonomy: ActiveTaxonomy | undefined): Promise<void> {
    this.shard.setTaxonomy(taxonomy);
  }

  async close(): Promise<void> {}
}

/**
 * Records routed to a shard and held until `process` names their ticket. Tickets are taken in
 * routing order; each batch is processed once, so nothing is held beyond the read-ahead.
 */
export class HeldRecords {
  private readonly batches = new Map<number, RawRecord[]>();
  private next = 0;

  hold(records: RawRecord[], ticket = this.next++): number {
    this.batches.set(ticket, records);
    return ticket;
  }

  take(ticket: number): RawRecord[] {
    const records = this.batches.get(ticket);
    if (records === undefined) throw new Error(`no records held for batch ${ticket}: a batch was processed twice or never routed`);
    this.batches.delete(ticket);
    return records;
  }
}

/**
 * Calls from the runner to a shard worker (worker.ts). `hold` and `watermark` are sent one way: the
 * worker answers them only when they fail, and that failure fails the worker.
 */
export type ShardCall =
  | { op: 'hold'; ticket: number; records: RecordFrame }
  | { op: 'process'; source: string; partition: string; now: number; ticket: number }
  | { op: 'watermark'; watermark: number }
  | { op: 'answer'; index: number; request: unknown }
  | { op: 'drain' }
  | { op: 'drainState' }
  | { op: 'restore'; data: ShardRestore }
  | { op: 'taxonomy'; taxonomy: ActiveTaxonomy | undefined };

/** A worker's reply; `id` is undefined for the failure of a one-way call. */
export type ShardReply = { id: number; ok: true; result: unknown } | { id: number | undefined; ok: false; message: string; stack?: string };

export interface PoolDrain {
  shards: Promise<ShardDrain[]>;
  state: Promise<ShardStateDrain[]>;
}

/** One shard per worker thread, records hashed to them by customer. */
export class WorkerShardPool implements ShardPool {
  readonly detached = true;
  private readonly workers: ShardWorker[];
  private nextTicket = 0;

  constructor(size: number, data: ShardWorkerData, entry: WorkerEntry) {
    this.workers = Array.from({ length: size }, (_, index) => new ShardWorker(entry, data, index));
  }

  get size(): number {
    return this.workers.length;
  }

  route(batch: RecordBatch): RoutedBatch {
    const { records } = batch;
    const shards = this.workers.map(() => new RecordFrameBuilder(records.length));
    const size = this.workers.length;
    for (const record of records) {
      const value = record.value;
      shards[value instanceof UnreadableRecord ? 0 : shardOf(routingKey(value), size)]!.add(record);
    }
    // The records are copied to the threads now, while they work on the batches before this one,
    // not when this batch's turn comes and they wait for it.
    const ticket = this.nextTicket++;
    this.workers.forEach((worker, i) => {
      const frame = shards[i]!.build();
      worker.send({ op: 'hold', ticket, records: frame }, frameTransfers(frame));
    });
    return { partition: batch.partition, ticket };
  }

  process(batch: RoutedBatch, source: string, now: number): Promise<BatchResult[]> {
    return this.all({ op: 'process', source, partition: batch.partition, now, ticket: batch.ticket }) as Promise<BatchResult[]>;
  }

  async watermark(watermark: number): Promise<void> {
    for (const worker of this.workers) worker.send({ op: 'watermark', watermark });
  }

  ask(index: number, request: unknown): Promise<unknown[]> {
    return this.all({ op: 'answer', index, request });
  }

  askEach(index: number, requests: readonly unknown[]): Promise<unknown[]> {
    return Promise.all(this.workers.map((worker, i) => worker.call({ op: 'answer', index, request: requests[i] })));
  }

  drain(): PoolDrain {
    return { shards: this.all({ op: 'drain' }) as Promise<ShardDrain[]>, state: this.all({ op: 'drainState' }) as Promise<ShardStateDrain[]> };
  }

  async restore(data: ShardRestore[]): Promise<void> {
    await Promise.all(this.workers.map((worker, i) => worker.call({ op: 'restore', data: data[i]! })));
  }

  async setTaxonomy(taxonomy: ActiveTaxonomy | undefined): Promise<void> {
    await this.all({ op: 'taxonomy', taxonomy });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  private all(call: ShardCall): Promise<unknown[]> {
    return Promise.all(this.workers.map((worker) => worker.call(call)));
  }
}

/**
 * The young generation of a shard thread's heap (V8's default is 48 MB). A shard allocates a parsed
 * event, its fields and its strings per record, nearly all dead by the end of the batch: with the
 * default, scavenges took about 5 s of each thread's 45 s on the default job (1.65M events), and a
 * thread in a pause holds the other at the per-batch barrier; at 192 MB, 2.4 s. The price is memory: peak RSS
 * 0-230 MB higher over both threads (bench/pipeline-bench.ts, 3,000 customers: 943 -> 1,132 MiB).
 */
const YOUNG_GENERATION_MB = 192;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

class ShardWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(
    entry: WorkerEntry,
    data: ShardWorkerData,
    private readonly index: number,
  ) {
    this.worker = startWorker(entry, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    // Only outstanding calls keep the process alive, never an idle worker.
    this.worker.unref();
    this.worker.on('message', (reply: ShardReply) => {
      const error = reply.ok
        ? undefined
        : new ShardWorkerError(`worker ${this.index}: ${reply.message}`, Object.assign(new Error(reply.message), { stack: reply.stack }));
      // A one-way call failed: nothing waits for it, so every call after it fails instead.
      if (reply.id === undefined) {
        this.fail(error!);
        return;
      }
      const pending = this.pending.get(reply.id);
      if (pending === undefined) return;
      this.settled(reply.id);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(error!);
    });
    this.worker.on('error', (error: Error) => this.fail(new ShardWorkerError(`worker ${this.index} threw: ${error.message}`, error)));
    this.worker.on('messageerror', (error: Error) =>
      this.fail(new ShardWorkerError(`worker ${this.index} sent a message that cannot be read: ${error.message}`, error)),
    );
    this.worker.on('exit', (code: number) => {
      if (!this.closing) this.fail(new ShardWorkerError(`worker ${this.index} exited unexpectedly with code ${code}`));
    });
  }

  call(call: ShardCall): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, call });
    return result;
  }

  /** Posts a one-way call: nothing is awaited; a failure comes back as an unsolicited reply. */
  send(call: ShardCall, transfer: ArrayBuffer[] = []): void {
    if (this.failure) return;
    this.worker.postMessage({ call }, transfer);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.fail(new ShardWorkerError(`worker ${this.index} was closed before it answered`));
    await this.worker.terminate();
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  /** The first failure wins (an 'error' is followed by an 'exit'); every outstanding call gets it. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }
}

let shardWorker: WorkerEntry | null | undefined;

/** The shard worker entry (worker.js, or worker.ts from sources), or undefined when there is none. */
export function shardWorkerEntry(): WorkerEntry | undefined {
  if (shardWorker === undefined) shardWorker = workerEntry(import.meta.url, 'worker') ?? null;
  return shardWorker ?? undefined;
}

/** Replies carry the buffers of column outputs, packed state and event times as transfers, not copies. */
export function replyTransfers(result: unknown): ArrayBuffer[] {
  const reply = result as Partial<ShardDrain & ShardStateDrain & BatchResult> | null;
  if (reply?.eventTimes instanceof Float64Array && reply.eventTimes.buffer instanceof ArrayBuffer) return [reply.eventTimes.buffer];
  if (Array.isArray(reply?.outputs)) return transferables(reply.outputs);
  if (Array.isArray(reply?.state)) return packedTransferables(reply.state);
  return [];
}
