/**
 * How an operator is split to run on several worker threads.
 *
 * The runner hashes customers to shards (worker threads); each shard decodes and gates its share
 * of the records and runs every operator's *local* part on it: per-customer state and whatever can
 * be pre-aggregated. An operator whose results need the whole population (contact-center KPIs per
 * queue, drift, the shift detector's population rate and false-discovery control) also has one
 * *global* part on the main thread. The two talk in two ways only:
 *
 * - after every batch, each local part hands over a partial aggregate (`drainPartial`), which the
 *   global part merges (`merge`, in shard order);
 * - when the watermark advances, the global part may ask every local part a question (`onWatermark`
 *   is a generator: it yields a request, receives the answers of all shards in shard order, and so
 *   on), e.g. "your customers' events of window 12" and then "the alerts for these p-values".
 *
 * Results must not depend on how many shards there are: merges are exact (integer counts, exact
 * sums from exact-sum.ts, sets) or sorted into a canonical order before use.
 */
import type { CustomerWindowRow } from './customer-windows.js';
import { ProfileStore, type ProfileReads } from './customer-profiles.js';
import type { PulseEvent } from './events.js';
import type { GaugeReading } from './gauges.js';
import type { MergePort } from './merge-port.js';
import type { Operator, OperatorOutput } from './operator.js';
import type { KeyedState } from './state.js';

/** Requests of a global part to the local parts; each `yield` receives one answer per shard. */
export type ShardRequests = Generator<unknown, void, unknown[]>;

/** The part of an operator that runs on every shard, on the events of the shard's customers. */
export interface LocalOperator {
  readonly name: string;
  /** Persisted keyed state; every entry belongs to one customer (`KeyedState` with `customerOf`). */
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  process(event: PulseEvent): void;
  /**
   * Called before the events of each batch with its source partition (a batch holds one
   * partition's records), for a part that keeps its results per source partition (job option `merge`).
   */
  beginBatch?(partition: string): void;
  onWatermark(watermark: number): void;
  drainOutputs(): OperatorOutput[];
  /** What the global part merges, since the previous call (after every batch); undefined: nothing. */
  drainPartial?(): unknown;
  /** Answers a request of the global part (see `GlobalOperator.onWatermark`). */
  answer?(request: unknown): unknown;
  /** Entries held in memory besides `states`, by name (a metric), e.g. open windows. */
  sizes?(): Record<string, number>;
  /**
   * For an operator whose state is its `customer_windows` rows: takes back the rows of windows
   * still open at the checkpoint (those of the shard's customers).
   */
  restoreOpenWindows?(rows: readonly CustomerWindowRow[]): void;
  /**
   * Called once the shard's state is restored (every part's, the profile store's first): takes what
   * state an earlier version wrote in another shape into its place now.
   */
  restored?(): void;
}

/** What the local parts on one shard share: the customer profile store, when an operator reads it (customer-profiles.ts). */
export interface ShardParts {
  profiles?: ProfileStore;
}

/** The part of an operator that sees the whole population, once, on the main thread. */
export interface GlobalOperator {
  readonly name: string;
  /** Persisted population-level state (no customer). */
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  /**
   * Merges the partials of one batch, one per shard that had any, in shard order; `partition` is
   * the batch's source partition (a batch holds one partition's records).
   */
  merge(partials: readonly unknown[], partition?: string): void;
  /** Work when the watermark advances; may ask the local parts (see the module comment). */
  onWatermark(watermark: number): ShardRequests;
  /**
   * How far one source partition read here has got, after each of its batches and after a restore:
   * the job's watermark, but never beyond the partition's own (its newest event time less the
   * out-of-orderness), what a merge across members is told of it (pipelines/merge-binding.ts
   * `reportOf`). For a part that keeps its progress per source partition (job option `merge`): a
   * partition restored here behind the job's watermark catches up on its own; may ask the local parts.
   */
  onPartitionWatermark?(partition: string, watermark: number): ShardRequests;
  /** Brings the local parts up to date with restored global state (after a restart). */
  sync?(): ShardRequests;
  drainOutputs(): OperatorOutput[];
  /**
   * Its dashboard readings (operators/gauges.ts), taken after each checkpoint. The runner also asks
   * a fresh part once at start, to learn which gauges to register.
   */
  gauges?(): GaugeReading[];
  /**
   * A bounded input has ended, its events reaching `reached` (the newest event time): called before
   * the watermark that closes everything. The watermark trails the events by the out-of-orderness.
   */
  inputEnded?(reached: number): void;
  /** What the end of a run says of this part's work in it (the run's last lines on stderr), if anything. */
  runNotes?(): string[];
}

/** What an operator factory builds: local parts for the shards, and the global part if any. */
export interface OperatorPlan {
  readonly name: string;
  /** How its local part reads the shard's profile store (customer-profiles.ts `withProfileStore`); unset: it does not. */
  readonly readsProfiles?: ProfileReads;
  /** Its local part on a shard, with the parts the shard's operators share (built in plan order: `createLocals`). */
  createLocal(parts: ShardParts): LocalOperator;
  createGlobal?(): GlobalOperator;
}

/**
 * A plan whose population results can be merged across the members of a Kafka consumer group (job
 * option `merge`, operators/merge-port.ts): its merged global part publishes this member's partials
 * and merges everyone's for the merge partitions this member owns.
 */
export interface MergeablePlan extends OperatorPlan {
  createMergedGlobal(port: MergePort, idleTimeoutMs: number): GlobalOperator;
  /** The local part in such a job, when it differs from `createLocal`'s. */
  createMergedLocal?(parts: ShardParts): LocalOperator;
}

/** The local part of `plan` on a member of a job that merges population results across members (job option `merge`). */
export function mergedLocal(plan: OperatorPlan, parts: ShardParts): LocalOperator {
  return (plan as Partial<MergeablePlan>).createMergedLocal?.(parts) ?? plan.createLocal(parts);
}

/** The local parts of one shard, in plan order (`merged`: of a job that merges population results across members). */
export function createLocals(plans: readonly OperatorPlan[], merged = false): LocalOperator[] {
  const parts: ShardParts = {};
  return plans.map((plan) => (merged ? mergedLocal(plan, parts) : plan.createLocal(parts)));
}

/** Runs `requests` against local parts in this thread; `answer(request)` answers for all shards. */
export function driveInline(requests: ShardRequests, answer: (request: unknown) => unknown[]): void {
  let step = requests.next();
  while (!step.done) step = requests.next(answer(step.value));
}

/**
 * A plan run as one ordinary operator in this thread (one shard, partials merged after every
 * event): what unit tests and benches use to exercise an operator without a runner.
 */
export class ComposedOperator<L extends LocalOperator = LocalOperator, G extends GlobalOperator = GlobalOperator> implements Operator {
  readonly name: string;
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  readonly local: L;
  readonly global: G | undefined;
  /** The profile store the local part reads, when it reads one; it sees each event first, as on a shard. */
  private readonly profiles: ProfileStore | undefined;
  /** False until the local part has been brought up to the global state (after a restore). */
  private synced = false;

  constructor(plan: { name: string; readsProfiles?: ProfileReads | undefined; createLocal(parts: ShardParts): L; createGlobal?(): G }) {
    this.name = plan.name;
    this.profiles = plan.readsProfiles === undefined ? undefined : new ProfileStore(plan.readsProfiles === 'history');
    this.local = plan.createLocal(this.profiles ? { profiles: this.profiles } : {});
    this.global = plan.createGlobal?.();
    this.states = { ...this.profiles?.states, ...this.local.states, ...this.global?.states };
  }

  process(event: PulseEvent): void {
    if (!this.synced) this.sync();
    this.profiles?.process(event);
    this.local.process(event);
    this.mergePartial();
  }

  onWatermark(watermark: number): void {
    if (!this.synced) this.sync();
    this.local.onWatermark(watermark);
    if (this.global) driveInline(this.global.onWatermark(watermark), (request) => [this.local.answer!(request)]);
  }

  /**
   * Brings the local part up to the restored global state, as the runner does once its shards are
   * restored; done by the first `process` or `onWatermark` (state is restored before either).
   */
  sync(): void {
    this.synced = true;
    this.local.restored?.();
    if (this.global?.sync) driveInline(this.global.sync(), (request) => [this.local.answer!(request)]);
  }

  drainOutputs(): OperatorOutput[] {
    return [...this.local.drainOutputs(), ...(this.global?.drainOutputs() ?? [])];
  }

  private mergePartial(): void {
    const partial = this.local.drainPartial?.();
    if (partial !== undefined) this.global?.merge([partial]);
  }
}
