/**
 * The merge topic of job option `merge` without Kafka, for in-process tests of merged operators:
 * an in-memory stand-in partitioned like the real one (a partial record to the merge partition of
 * its group, watermark reports to every merge partition), and a member base class that is the
 * `MergePort` of its merged global part, commits its checkpoints to an in-memory store (state
 * through JSON, as the DuckDB store) and then publishes, as `sinks/merge` does.
 */
import { ProfileStore } from '../../operators/customer-profiles.js';
import type { MergeInput, MergePort, PartialRecord } from '../../operators/merge-port.js';
import type { OperatorOutput } from '../../operators/operator.js';
import { driveInline, type GlobalOperator, type LocalOperator } from '../../operators/parallel.js';
import type { KeyedState } from '../../operators/state.js';

export function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}

/** Records per merge partition, appended when a member publishes after its "commit"; values through JSON, as the Kafka records are. */
export class MemoryMergeTopic {
  readonly partitions: MergeInput[][];

  constructor(
    count: number,
    readonly sourcePartitions: readonly string[],
  ) {
    this.partitions = Array.from({ length: count }, () => []);
  }

  publish(records: readonly PartialRecord[], reports: ReadonlyArray<[string, number]>): void {
    for (const r of records) {
      const m = hash(r.group) % this.partitions.length;
      this.partitions[m]!.push({
        kind: 'partial',
        operator: r.operator,
        partition: r.partition,
        key: r.key,
        value: JSON.parse(JSON.stringify(r.value)) as unknown,
        position: { mergePartition: m, offset: this.partitions[m]!.length },
      });
    }
    for (const [partition, watermark] of reports) {
      this.partitions.forEach((log, m) => log.push({ kind: 'watermark', partition, watermark, position: { mergePartition: m, offset: log.length } }));
    }
  }
}

/** What a member's checkpoints committed, kept across its restarts: state by part and name. */
export type CommittedState = Map<string, Map<string, unknown>>;

/**
 * One member: a local and a merged global part, reading the source partitions `held` and owning
 * the merge partitions `owned`. A subclass builds the two parts and then calls `start()`.
 */
export abstract class MemoryMember<E> implements MergePort {
  abstract readonly local: LocalOperator;
  abstract readonly global: GlobalOperator;
  /** The profile store the local part reads, when it reads one (a subclass sets it before `start()`). */
  profiles: ProfileStore | undefined;
  private offered: PartialRecord[] = [];
  private readonly read = new Map<number, number>();
  /**
   * How far the reading of each source partition has got (its own watermark): the partition's
   * report, and what its global part hears of it, is the member's watermark but never beyond that
   * (pipelines/merge-binding.ts reportOf, the runner's onPartitionWatermark).
   */
  private readonly own = new Map<string, number>();

  constructor(
    protected readonly topic: MemoryMergeTopic,
    readonly held: readonly string[],
    protected readonly owned: readonly number[],
    readonly store: CommittedState,
    protected watermark: number,
  ) {}

  /** Restores the committed state and syncs the global part with its local part (as a job's start does). */
  protected start(): void {
    for (const [part, states] of this.parts())
      for (const [name, state] of Object.entries(states)) state.restore(this.store.get(`${part}/${name}`) ?? new Map());
    this.local.restored?.();
    driveInline(this.global.sync!(), (request) => [this.local.answer!(request)]);
  }

  /** Runs a batch of source partition `partition` through the local part and merges its partial. */
  abstract process(partition: string, batch: readonly E[]): void;

  /** One round: each partition this member reads gets its share of `batch`, then the watermark moves. */
  feed(batch: readonly E[], partitionOf: (event: E) => string, watermark: number): void {
    for (const p of this.held) {
      this.readBatch(
        p,
        batch.filter((event) => partitionOf(event) === p),
        watermark,
      );
    }
    this.advance(watermark);
  }

  /**
   * A batch of source partition `partition` after which its own watermark is `watermark`; the
   * global part then hears the partition's watermark, as the runner tells it after every batch.
   */
  readBatch(partition: string, batch: readonly E[], watermark: number): void {
    this.process(partition, batch);
    this.own.set(partition, Math.max(watermark, this.own.get(partition) ?? -Infinity));
    const onPartitionWatermark = this.global.onPartitionWatermark?.bind(this.global);
    if (onPartitionWatermark) driveInline(onPartitionWatermark(partition, this.partitionWatermark(partition)), (request) => [this.local.answer!(request)]);
  }

  /** Where a checkpoint's outputs go. */
  protected abstract commitOutputs(outputs: OperatorOutput[]): void;

  now(): number {
    return 0;
  }
  sourcePartitions(): readonly string[] {
    return this.topic.sourcePartitions;
  }
  follow(_operator: string, positions: ReadonlyMap<number, number>): void {
    for (const m of this.owned) this.read.set(m, (positions.get(m) ?? -1) + 1);
  }
  take(): MergeInput[] {
    const inputs: MergeInput[] = [];
    for (const m of this.owned) {
      const log = this.topic.partitions[m]!;
      inputs.push(...log.slice(this.read.get(m)!));
      this.read.set(m, log.length);
    }
    return inputs;
  }
  offer(records: readonly PartialRecord[]): void {
    this.offered = [...records];
  }

  /** The member's watermark moves to `watermark`: each partition it reads has got at least that far. */
  advance(watermark: number): void {
    for (const p of this.held) this.own.set(p, Math.max(watermark, this.own.get(p) ?? -Infinity));
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.local.onWatermark(watermark);
    driveInline(this.global.onWatermark(watermark), (request) => [this.local.answer!(request)]);
  }

  /**
   * A checkpoint: outputs and state drained and committed, then partials and reports published;
   * `twice` as a redelivery would; `lost`: the member dies between its commit and its produce.
   */
  checkpoint({ twice = false, lost = false } = {}): void {
    this.commitOutputs(this.global.drainOutputs());
    for (const [part, states] of this.parts()) {
      for (const [name, state] of Object.entries(states)) {
        const table = this.store.get(`${part}/${name}`) ?? new Map<string, unknown>();
        const { upserts, deletes } = state.drainChanges();
        for (const [k, v] of upserts) table.set(k, JSON.parse(JSON.stringify(v)));
        for (const k of deletes) table.delete(k);
        this.store.set(`${part}/${name}`, table);
      }
    }
    if (lost) return;
    const reports: Array<[string, number]> = this.held.map((p): [string, number] => [p, this.partitionWatermark(p)]).filter(([, w]) => Number.isFinite(w));
    this.topic.publish(this.offered, reports);
    if (twice) this.topic.publish(this.offered, reports);
  }

  private partitionWatermark(partition: string): number {
    return Math.min(this.watermark, this.own.get(partition) ?? -Infinity);
  }

  private parts(): Array<[string, Readonly<Record<string, KeyedState<unknown>>>]> {
    return [
      ...(this.profiles ? [['profiles', this.profiles.states] as [string, Readonly<Record<string, KeyedState<unknown>>>]] : []),
      ['local', this.local.states],
      ['global', this.global.states],
    ];
  }
}

/**
 * What a hand-over (directory or state changelog) moves of source partition n between two members'
 * committed state: its customers' keyed state, and the population state scoped to number n (state
 * names `<name>@n`, operators/partition-scoped-state.ts); `carry: false` moves the customers only
 * (what happened before issue 20's carry).
 */
export function moveCommittedState<E>(
  from: MemoryMember<E>,
  to: MemoryMember<E>,
  n: number,
  customerPartition: (customer: string) => number,
  carry: boolean,
): void {
  // Per-customer state: the local part's, and the profile store's when it has one.
  const perCustomer: Record<string, Readonly<Record<string, KeyedState<unknown>>>> = { local: from.local.states, profiles: from.profiles?.states ?? {} };
  for (const [table, entries] of from.store) {
    const [part, name] = table.split('/') as [string, string];
    const moving = new Map<string, unknown>();
    if (part === 'global' && name.endsWith(`@${n}`)) {
      if (!carry) continue;
      for (const entry of entries) moving.set(...entry);
    } else if (part in perCustomer) {
      const state = perCustomer[part]![name]!;
      for (const [key, value] of entries) if (customerPartition(state.customerOfEntry(key, value)!) === n) moving.set(key, value);
    }
    if (moving.size === 0) continue;
    const target = to.store.get(table) ?? new Map<string, unknown>();
    for (const [key, value] of moving) {
      target.set(key, value);
      entries.delete(key);
    }
    to.store.set(table, target);
  }
}
