/**
 * One shard: the records of a hash share of the customers, decoded, gated (lateness, duplicates)
 * and run through every operator's local part (operators/parallel.ts). It runs on a worker thread
 * (worker.ts) or, with `workers: 0`, on the main thread; the runner talks to it only through the
 * methods below, whose arguments and results cross threads as structured clones.
 */
import { ProfileStore } from '../../operators/customer-profiles.js';
import type { CustomerWindowRow } from '../../operators/customer-windows.js';
import { EVENT_TYPES, type EventType, type PulseEvent, type Rejection } from '../../operators/events.js';
import { EventGate, type EventGateOptions } from '../../operators/event-gate.js';
import type { LocalOperator } from '../../operators/parallel.js';
import type { DedupChanges } from '../../operators/dedup.js';
import { ContactReasonMapping, type ActiveTaxonomy, type UnknownReasonCount } from '../../operators/reason-mapping.js';
import { packStateRows, type PackedStateRows } from '../../operators/state-pack.js';
import { PartitionOwners, type PartitionMoves } from '../partition-owners.js';
import type { RawRecord } from '../../sources/source.js';
import { materializeColumns, type PortableOutput } from './portable-output.js';

/** A shard's share of one source batch. */
export interface ShardBatch {
  source: string;
  partition: string;
  records: RawRecord[];
  /** Processing time (epoch ms). */
  now: number;
}

export interface BatchResult {
  /** Event times of the plausible decoded records: the runner's watermark input. */
  eventTimes: Float64Array;
  accepted: number;
  /** Accepted events by type, in EVENT_TYPES order. */
  acceptedByType: number[];
  rejections: Rejection[];
  /** Per operator (job order): its partial for the global part, or undefined. */
  partials: unknown[];
}

/** What a checkpoint takes from a shard first: everything but its keyed state (`ShardStateDrain`). */
export interface ShardDrain {
  outputs: PortableOutput[];
  dedup: DedupChanges;
  owners: Array<{ customer_id: string; partition: string }>;
  ownerMoves: PartitionMoves;
  /** Per operator: entries held, by state name (metrics). */
  sizes: Array<Record<string, number>>;
  /** Per operator: seconds spent in it since the previous drain. */
  seconds: number[];
  /** Event ids the duplicate detector holds (a metric). */
  dedupIds: number;
  /** Contact reasons the active taxonomy does not know, counted since the previous drain. */
  unknownReasons: UnknownReasonCount[];
}

/**
 * A shard's changed keyed state, taken right after its `ShardDrain` (nothing comes between them):
 * packing it is most of a drain's time, and the runner stages the outputs meanwhile.
 */
export interface ShardStateDrain {
  /** Changed keyed state, packed (its buffers are transferred, not copied). */
  state: PackedStateRows[];
  /** Per operator: seconds spent packing it. */
  seconds: number[];
}

/** What a shard gets back from a checkpoint. */
export interface ShardRestore {
  watermark: number;
  /** Per operator, per state name: [key, JSON value] entries. */
  states: Array<Record<string, Array<[string, string]>>>;
  windows: CustomerWindowRow[];
  dedup: Array<[id: string, customer: string | null, ts: number]>;
  owners: Array<[customer: string, partition: string]>;
}

export interface ShardOptions {
  gate: EventGateOptions;
  /** Track which source partition each customer comes from (Kafka, for partition hand-over). */
  trackOwners: boolean;
  /** Turn column outputs into plain arrays (results that cross to another thread). */
  portable: boolean;
}

export class Shard {
  private gate: EventGate;
  private locals: LocalOperator[];
  /** The store of customer profiles among `locals`, when an operator reads profiles (operators/customer-profiles.ts). */
  private profileStore: ProfileStore | undefined;
  private owners: PartitionOwners | undefined;
  private seconds: number[];
  private readonly events: PulseEvent[] = [];
  /** Kept across restores: the runner sets it at start and at checkpoints, not with the state. */
  private readonly reasons = new ContactReasonMapping();

  constructor(
    private readonly createLocals: () => LocalOperator[],
    private readonly options: ShardOptions,
  ) {
    this.gate = new EventGate(options.gate);
    this.locals = createLocals();
    this.profileStore = this.locals.find((op): op is ProfileStore => op instanceof ProfileStore);
    this.owners = options.trackOwners ? new PartitionOwners() : undefined;
    this.seconds = this.locals.map(() => 0);
  }

  /** Contacts processed from now on count under the reasons of `taxonomy` (undefined: as they arrive). */
  setTaxonomy(taxonomy: ActiveTaxonomy | undefined): void {
    this.reasons.use(taxonomy);
  }

  /**
   * Gates every record, maps contact reasons through the taxonomy, then runs each operator over
   * the accepted events (an operator at a time).
   */
  process(batch: ShardBatch): BatchResult {
    const { gate, events, owners, reasons } = this;
    const rejections: Rejection[] = [];
    const acceptedByType = new Array<number>(EVENT_TYPES.length).fill(0);
    events.length = 0;
    for (const record of batch.records) {
      const event = gate.admit(record.value, batch.source, batch.partition, record.offset, batch.now);
      if (event === null) {
        rejections.push(gate.lastRejection!);
        continue;
      }
      reasons.apply(event);
      events.push(event);
      acceptedByType[EVENT_TYPE_INDEX[event.type]]!++;
      if (owners !== undefined && event.customer_id !== null) owners.observe(event.customer_id, batch.partition);
    }
    const partials = new Array<unknown>(this.locals.length);
    this.timed((op) => op.beginBatch?.(batch.partition));
    this.runOperators(events);
    this.timed((op, i) => (partials[i] = op.drainPartial?.()));
    const accepted = events.length;
    events.length = 0;
    return { eventTimes: gate.takeEventTimes(), accepted, acceptedByType, rejections, partials };
  }

  /**
   * Runs each operator over the events, an operator at a time. The profile store, when the job
   * has one, applies each profile event before any operator sees it and after they have seen the
   * events that arrived before it, so that each reads the profile as it was when its event arrived
   * (as one event at a time would) whatever the batch; a run of profile events in a row is applied
   * at once, since the operators read no profile while they take a profile event.
   */
  private runOperators(events: readonly PulseEvent[]): void {
    const store = this.profileStore;
    const run = (from: number, to: number): void =>
      this.timed((op) => {
        if (op !== store) for (let e = from; e < to; e++) op.process(events[e]!);
      });
    if (store === undefined) {
      run(0, events.length);
      return;
    }
    let from = 0;
    let otherSince = -1;
    for (let e = 0; e < events.length; e++) {
      const event = events[e]!;
      if (event.type !== 'profile') {
        if (otherSince < from) otherSince = e;
        continue;
      }
      if (otherSince >= from) {
        run(from, e);
        from = e;
      }
      this.timedOne(store, () => store.process(event));
    }
    run(from, events.length);
  }

  watermark(watermark: number): void {
    this.gate.setWatermark(watermark);
    this.timed((op) => op.onWatermark(watermark));
  }

  /** Asks operator `index`'s local part (see GlobalOperator.onWatermark). */
  answer(index: number, request: unknown): unknown {
    const op = this.locals[index]!;
    if (!op.answer) throw new Error(`operator '${op.name}' has no local part to ask`);
    const started = performance.now();
    const answer = op.answer(request);
    this.seconds[index]! += (performance.now() - started) / 1000;
    return answer;
  }

  /** Outputs and new dedup ids since the previous drain (for a checkpoint; `drainState` takes the state next). */
  drain(): ShardDrain {
    const outputs: PortableOutput[] = [];
    const sizes: Array<Record<string, number>> = [];
    this.timed((op) => {
      for (const output of op.drainOutputs()) outputs.push(this.options.portable ? materializeColumns(output) : output);
      const held: Record<string, number> = { ...op.sizes?.() };
      for (const [name, keyed] of Object.entries(op.states)) held[name] = keyed.size;
      sizes.push(held);
    });
    const seconds = this.seconds;
    this.seconds = this.locals.map(() => 0);
    return {
      outputs,
      dedup: this.gate.dedup.drainChanges(),
      owners: this.owners?.drainChanges() ?? [],
      ownerMoves: this.owners?.drainMoves() ?? { count: 0, example: null },
      sizes,
      seconds,
      dedupIds: this.gate.dedup.size,
      unknownReasons: this.reasons.drainUnknown(),
    };
  }

  /** The keyed state changed since the previous drain, packed; called right after `drain`. */
  drainState(): ShardStateDrain {
    const state: PackedStateRows[] = [];
    const seconds = this.locals.map((op) => {
      const started = performance.now();
      for (const block of packStateRows(op.name, op.states)) state.push(block);
      return (performance.now() - started) / 1000;
    });
    return { state, seconds };
  }

  /** Starts over from checkpointed state (at start, and after a partition hand-over). */
  restore(data: ShardRestore): void {
    this.gate = new EventGate(this.options.gate);
    this.locals = this.createLocals();
    this.owners = this.options.trackOwners ? new PartitionOwners() : undefined;
    // Counts since the checkpoint go with the rest of that work (its records are read again).
    this.reasons.drainUnknown();
    this.gate.setWatermark(data.watermark);
    this.gate.dedup.restore(data.dedup);
    this.owners?.restore(data.owners);
    this.locals.forEach((op, i) => {
      for (const [name, keyed] of Object.entries(op.states)) {
        const entries = data.states[i]?.[name] ?? [];
        keyed.restore(entries.map(([key, json]) => [key, JSON.parse(json) as unknown]));
      }
      op.restoreOpenWindows?.(data.windows);
    });
    this.profileStore = this.locals.find((op): op is ProfileStore => op instanceof ProfileStore);
    for (const op of this.locals) op.restored?.();
  }

  /** Runs `work` for operator `op`, adding the time to its account. */
  private timedOne(op: LocalOperator, work: () => void): void {
    const started = performance.now();
    work();
    this.seconds[this.locals.indexOf(op)]! += (performance.now() - started) / 1000;
  }

  /** Runs `work` on every operator, adding the time to its account. */
  private timed(work: (op: LocalOperator, index: number) => void): void {
    this.locals.forEach((op, i) => {
      const started = performance.now();
      work(op, i);
      this.seconds[i]! += (performance.now() - started) / 1000;
    });
  }
}

const EVENT_TYPE_INDEX = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, i])) as Record<EventType, number>;
