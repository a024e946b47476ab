/**
 * Population drift merged across members (job option `merge`) without Kafka: each member's merged
 * drift part publishes its source partitions' period closes to an in-memory stand-in of the merge
 * topic (partitioned like the real one: a record to the merge partition of its group, watermark
 * reports to every merge partition), and the member that owns the drift's merge partition decides.
 * The members' outputs together must be one member's over every partition.
 */
import { ProfileStore } from '../../../operators/customer-profiles.js';
import { describe, expect, it } from 'vitest';
import type { PulseEvent } from '../../../operators/events.js';
import type { MergeInput } from '../../../operators/merge-port.js';
import type { OperatorOutput } from '../../../operators/operator.js';
import { driveInline, type GlobalOperator, type LocalOperator, type MergeablePlan } from '../../../operators/parallel.js';
import { PopulationDriftOperator, populationDriftOptionsFromConfig, populationDriftPlan } from '../../../operators/population-drift/index.js';
import { DriftMerger } from '../../../operators/population-drift/drift-merger.js';
import { PopulationDriftGlobal } from '../../../operators/population-drift/global.js';
import { MergedDriftGlobal } from '../../../operators/population-drift/merged-global.js';
import { DriftPartitionCloses, type DriftPopulationRecord } from '../../../operators/population-drift/partition-closes.js';
import { monthIndex } from '../../../operators/population-drift/periods.js';
import { MemoryMember, MemoryMergeTopic, hash, moveCommittedState, type CommittedState } from '../../helpers/memory-merge.js';
import { Collected, DAY, MON, WEEK, contact, lognormal, profile, rng, tx } from './helpers.js';

const IDLE = 6 * 3_600_000;
const SOURCE = ['t/0', 't/1', 't/2', 't/3'];
// A short TTL: the customers who stop after week 6 are forgotten while rescorings still happen.
const CONFIG = { name: 'population_drift', period: '7d', reference: { mode: 'previous' }, customer_ttl: '14d' };

/** Like the Kafka key: a customer's events in one partition. */
const customerPartition = (id: string): number => hash(id) % SOURCE.length;
const partitionOf = (e: PulseEvent): string => SOURCE[customerPartition(e.customer_id!)]!;

/** One member of the drift merge (test/helpers/memory-merge.ts). */
class Member extends MemoryMember<PulseEvent> {
  readonly local: LocalOperator;
  readonly global: GlobalOperator;

  constructor(
    topic: MemoryMergeTopic,
    held: readonly string[],
    owned: readonly number[],
    /** What its checkpoints committed: outputs, and state by part and name (through JSON, as the store). */
    readonly outputs = new Collected(),
    store: CommittedState = new Map(),
    watermark = -Infinity,
    /** Customers per population record; the plan's default unless set. */
    private readonly chunkSize?: number,
  ) {
    super(topic, held, owned, store, watermark);
    const plan = populationDriftPlan(populationDriftOptionsFromConfig(CONFIG)) as MergeablePlan;
    this.profiles = new ProfileStore(true);
    this.local = plan.createMergedLocal!({ profiles: this.profiles });
    this.global =
      chunkSize === undefined ? plan.createMergedGlobal(this, IDLE) : new MergedDriftGlobal(populationDriftOptionsFromConfig(CONFIG), this, IDLE, chunkSize);
    this.start();
  }

  /** The same member started again on its committed state, reading `held` and owning `owned` from then on. */
  restart(held = this.held, owned = this.owned): Member {
    return new Member(this.topic, held, owned, this.outputs, this.store, this.watermark, this.chunkSize);
  }

  protected commitOutputs(outputs: OperatorOutput[]): void {
    this.outputs.add(outputs);
  }

  process(partition: string, batch: readonly PulseEvent[]): void {
    this.local.beginBatch!(partition);
    for (const e of batch) {
      this.profiles!.process(e);
      this.local.process(e);
    }
    const partial = this.local.drainPartial!();
    if (partial !== undefined) this.global.merge([partial], partition);
  }
}

/**
 * 14 weeks of 400 customers: transactions (lognormal spend, a channel), contacts with reasons, a
 * profile each; from week 8 half of them spend 1.8x and buy more in the app (dataset drift); a
 * tenth start in week 4 and a tenth stop after week 6 (tier migrations).
 */
function population(): PulseEvent[] {
  const r = rng(20);
  const events: PulseEvent[] = [];
  const channels = ['web', 'store', 'app'];
  const reasons = ['billing', 'outage', 'moving', 'upgrade'];
  for (let i = 0; i < 400; i++) {
    const id = `c${String(i).padStart(3, '0')}`;
    const first = i % 10 === 0 ? 3 : 0;
    const last = i % 10 === 1 ? 6 : 14;
    events.push(profile(id, MON + first * WEEK + 3_600_000, ['north', 'south', 'east'][i % 3]!));
    for (let week = first; week < last; week++) {
      const shifted = week >= 7 && i % 2 === 0;
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) {
        const ts = MON + week * WEEK + Math.floor(r() * WEEK);
        const channel = shifted && r() < 0.5 ? 'app' : channels[Math.floor(r() * 3)]!;
        events.push(tx(id, ts, lognormal(r, 3, 0.6) * (shifted ? 1.8 : 1), channel));
      }
      if (r() < 0.3) events.push(contact(id, MON + week * WEEK + Math.floor(r() * WEEK), reasons[Math.floor(r() * 4)]!));
    }
  }
  return events.sort((a, b) => a.ts - b.ts);
}

/** The runs feed the population a day at a time, 15 weeks from MON. */
const DAYS = 15 * 7;
const watermarkAfter = (day: number): number => MON + (day + 1) * DAY - 5 * 60_000;
const eventsOfDay = (events: readonly PulseEvent[], day: number): PulseEvent[] => events.filter((e) => e.ts >= MON + day * DAY && e.ts < MON + (day + 1) * DAY);

/** What one member reading every partition writes: the reference of every merged run. */
function oneMemberOutputs(events: readonly PulseEvent[]): Collected {
  const one = new PopulationDriftOperator(populationDriftOptionsFromConfig(CONFIG));
  const outputs = new Collected();
  for (let day = 0; day < DAYS; day++) {
    for (const e of eventsOfDay(events, day)) one.process(e);
    one.onWatermark(watermarkAfter(day));
    outputs.add(one.drainOutputs());
  }
  return outputs;
}

describe('population drift merged across members through a merge topic', () => {
  it.each([
    ['without restarts', new Map<number, { member: 0 | 1; lost: boolean }>(), undefined],
    // About 100 customers a partition: split into 15 records (and the forgotten ones too).
    ['with population records of 7 customers', new Map<number, { member: 0 | 1; lost: boolean }>(), 7],
    [
      'with a member that dies between its commit and its produce, and one restarted',
      new Map<number, { member: 0 | 1; lost: boolean }>([
        // Periods close on rounds 7, 14, ...: the records of these closes are lost with the member.
        [28, { member: 0, lost: true }],
        [49, { member: 1, lost: true }],
        [52, { member: 0, lost: false }],
      ]),
      7,
    ],
  ])('writes together the drift rows, alerts, segments and migrations one member writes (%s)', (_name, restarts, chunkSize) => {
    const events = population();
    const topic = new MemoryMergeTopic(3, SOURCE);
    const group = [
      new Member(topic, ['t/0', 't/1'], [0, 2], undefined, undefined, undefined, chunkSize),
      new Member(topic, ['t/2', 't/3'], [1], undefined, undefined, undefined, chunkSize),
    ];
    const oneOut = oneMemberOutputs(events);
    for (let round = 0; round < DAYS; round++) {
      for (const member of group) member.feed(eventsOfDay(events, round), partitionOf, watermarkAfter(round));
      const restart = restarts.get(round);
      group[0]!.checkpoint({ twice: round % 5 === 0, lost: restart?.member === 0 && restart.lost });
      group[1]!.checkpoint({ lost: restart?.member === 1 && restart.lost });
      if (restart) group[restart.member] = group[restart.member]!.restart();
    }
    // Two more rounds: each merger sees the other member's last closes and reports.
    for (let i = 0; i < 2; i++) for (const member of group) member.checkpoint();

    const [a, b] = group as [Member, Member];
    for (const kind of ['drift_metric', 'alert', 'customer_segment', 'segment_migration']) {
      const merged = [...a.outputs.rows(kind), ...b.outputs.rows(kind)];
      // Decided in one place: only the owner of the drift's merge partition writes.
      expect(Math.min(a.outputs.rows(kind).length, b.outputs.rows(kind).length), kind).toBe(0);
      const byKey = (rows: typeof merged) => rows.map((row) => JSON.stringify(row)).sort();
      expect(byKey(merged), kind).toEqual(byKey(oneOut.rows(kind)));
    }
    const driftRows = oneOut.rows('drift_metric');
    // Weeks 2-13 compared (week 1 is the warm-up, week 15 not closed): 12 x 8 default features.
    expect(new Set(driftRows.map((row) => row['run_id'])).size).toBe(12);
    expect(driftRows.some((row) => row['feature'] === 'spend_per_customer' && row['drifted'] === true)).toBe(true);
    expect(oneOut.rows('alert').length).toBeGreaterThan(0);
    expect(oneOut.rows('segment_migration').length).toBeGreaterThan(0);

    // By hand from the events: customers scored at the last close (week 14) are those with a
    // purchase (amount >= 0) in the 12 calendar months ending with the period's last month, less
    // those forgotten (no event in the TTL before the period end; the close runs once the first
    // day after it has been read).
    const end = MON + 14 * WEEK;
    const lastMonth = monthIndex(end - 1);
    const lastSeen = new Map<string, number>();
    for (const e of events) if (e.ts < end + DAY) lastSeen.set(e.customer_id!, Math.max(e.ts, lastSeen.get(e.customer_id!) ?? -Infinity));
    const buyers = new Set(
      events
        .filter((e) => e.type === 'transaction' && e.amount >= 0 && e.ts < end && monthIndex(e.ts) > lastMonth - 12)
        .map((e) => e.customer_id!)
        .filter((id) => lastSeen.get(id)! >= end - 14 * DAY),
    );
    const segments = [...a.outputs.rows('customer_segment'), ...b.outputs.rows('customer_segment')];
    expect(segments.filter((row) => row['updated_at'] === end).length).toBe(buyers.size);
  });
});

describe('a source partition that moves between merging members while periods are open', () => {
  /** Who reads which source partitions and owns which merge partitions (4, as the job creates them; the drift's is 0). */
  interface Layout {
    a: string[];
    b: string[];
  }
  interface Move {
    round: number;
    /** The partition number that moves, with its state. */
    n: number;
    from: 'a' | 'b';
    after: Layout;
  }
  const owning = (held: readonly string[]): number[] => held.map((p) => SOURCE.indexOf(p));

  /** Both members commit to one collection of outputs (the union of their databases, newest row of a key last). */
  function run(start: Layout, moves: readonly Move[], carry: boolean): { merged: Collected; one: Collected; a: Member; b: Member } {
    const events = population();
    const topic = new MemoryMergeTopic(4, SOURCE);
    const merged = new Collected();
    let a = new Member(topic, start.a, owning(start.a), merged, undefined, undefined, 7);
    let b = new Member(topic, start.b, owning(start.b), merged, undefined, undefined, 7);
    for (let round = 0; round < DAYS; round++) {
      for (const member of [a, b]) member.feed(eventsOfDay(events, round), partitionOf, watermarkAfter(round));
      a.checkpoint();
      b.checkpoint();
      for (const move of moves.filter((m) => m.round === round)) {
        if (move.from === 'a') moveCommittedState(a, b, move.n, customerPartition, carry);
        else moveCommittedState(b, a, move.n, customerPartition, carry);
        a = a.restart(move.after.a, owning(move.after.a));
        b = b.restart(move.after.b, owning(move.after.b));
      }
    }
    for (let i = 0; i < 2; i++) for (const member of [a, b]) member.checkpoint();
    return { merged, one: oneMemberOutputs(events), a, b };
  }

  const scenarios: Array<[string, Layout, Move[]]> = [
    [
      // Day 45 is a Thursday: week 7 open, the weeks before decided by A. t/0 moves with merge
      // partition 0 (the decision moves too); on day 80 t/2 moves the other way.
      'between two busy members, the decision with it',
      { a: ['t/0', 't/1'], b: ['t/2', 't/3'] },
      [
        { round: 45, n: 0, from: 'a', after: { a: ['t/1'], b: ['t/0', 't/2', 't/3'] } },
        { round: 80, n: 2, from: 'b', after: { a: ['t/1', 't/2'], b: ['t/0', 't/3'] } },
      ],
    ],
    [
      // B joins after day 48, the last day of week 7 (still open: its first batch is of week 8), and
      // has closed nothing: it continues t/0's and t/2's progress, so it still closes their week 7.
      'to a member that joins late, at the end of a period',
      { a: SOURCE.slice(), b: [] },
      [
        { round: 48, n: 0, from: 'a', after: { a: ['t/1', 't/2', 't/3'], b: ['t/0'] } },
        { round: 48, n: 2, from: 'a', after: { a: ['t/1', 't/3'], b: ['t/0', 't/2'] } },
      ],
    ],
  ];

  it.each(scenarios)(
    "carries its open periods, its published closes and its merge partition's decision: outputs equal one member's (%s)",
    (_name, start, moves) => {
      const { merged, one, a, b } = run(start, moves, true);
      // The decision moved: B holds the migration baseline of merge partition 0, A nothing of it.
      expect(b.store.get('global/merge_scored@0')?.size).toBeGreaterThan(0);
      expect(a.store.get('global/merge_scored@0')?.size ?? 0).toBe(0);
      const byKey = (rows: Array<Record<string, unknown>>) => rows.map((row) => JSON.stringify(row)).sort();
      for (const kind of ['drift_metric', 'alert', 'customer_segment', 'segment_migration'])
        expect(byKey(merged.rows(kind)), kind).toEqual(byKey(one.rows(kind)));
      // Weeks 2-13 decided, the ones after the first move by B from the warm-up and reference A kept.
      expect(new Set(one.rows('drift_metric').map((row) => row['run_id'])).size).toBe(12);
      expect(one.rows('segment_migration').length).toBeGreaterThan(0);
    },
  );

  it.each(scenarios)('without them (customers only) the periods decided after the move come out wrong (%s)', (_name, start, moves) => {
    const { merged, one } = run(start, moves, false);
    const byKey = (rows: Array<Record<string, unknown>>) => rows.map((row) => JSON.stringify(row)).sort();
    expect(byKey(merged.rows('drift_metric'))).not.toEqual(byKey(one.rows('drift_metric')));
  });
});

describe('a source partition that moves to a member at another point in event time', () => {
  /** B reads this many days ahead of A, as a member with less backlog does. */
  const LEAD = 4;

  /**
   * A reads t/0 and t/1 (and decides: the drift's merge partition is 0), B t/2 and t/3, LEAD days
   * further on. Each source partition keeps its read position when it moves; a member reads each of
   * its partitions up to its own pace, one day a batch, and its watermark is then that of the
   * partition it has read least far.
   */
  function run(): { merged: Collected; one: Collected; b: Member } {
    const events = population();
    const byDay = Array.from({ length: DAYS }, (_, day) => eventsOfDay(events, day));
    const topic = new MemoryMergeTopic(4, SOURCE);
    const merged = new Collected();
    let a = new Member(topic, ['t/0', 't/1'], [0, 1], merged, undefined, undefined, 7);
    let b = new Member(topic, ['t/2', 't/3'], [2, 3], merged, undefined, undefined, 7);
    const readTo = new Map(SOURCE.map((p) => [p, -1]));
    const readUpTo = (member: Member, pace: number): void => {
      for (const p of member.held) {
        for (let day = readTo.get(p)! + 1; day <= Math.min(pace, DAYS - 1); day++) {
          member.readBatch(
            p,
            byDay[day]!.filter((e) => partitionOf(e) === p),
            watermarkAfter(day),
          );
          readTo.set(p, day);
        }
      }
      member.advance(watermarkAfter(Math.min(...member.held.map((p) => readTo.get(p)!))));
    };
    for (let round = 0; round < DAYS; round++) {
      readUpTo(a, round);
      readUpTo(b, round + LEAD);
      a.checkpoint();
      b.checkpoint();
      if (round === 46) {
        // A has read to Friday of week 7 (open), B to Monday of week 8: B has closed week 7, and
        // takes t/0 (with the decision) from there; it reads t/0's Saturday and Sunday of week 7 next.
        moveCommittedState(a, b, 0, customerPartition, true);
        [a, b] = [a.restart(['t/1'], [1]), b.restart(['t/0', 't/2', 't/3'], [0, 2, 3])];
      }
      if (round === 60) {
        // The other way: B has closed week 9 (day 63 read), A has not; A goes on with t/3 where B was.
        moveCommittedState(b, a, 3, customerPartition, true);
        [a, b] = [a.restart(['t/1', 't/3'], [1, 3]), b.restart(['t/0', 't/2'], [0, 2])];
      }
    }
    for (let i = 0; i < 2; i++) for (const member of [a, b]) member.checkpoint();
    return { merged, one: oneMemberOutputs(events), b };
  }

  it("closes the partition's open period where it left its previous reader: outputs equal one member's", () => {
    const { merged, one, b } = run();
    expect(b.store.get('global/merge_scored@0')?.size).toBeGreaterThan(0);
    const byKey = (rows: Array<Record<string, unknown>>) => rows.map((row) => JSON.stringify(row)).sort();
    for (const kind of ['drift_metric', 'alert', 'customer_segment', 'segment_migration'])
      expect(byKey(merged.rows(kind)), kind).toEqual(byKey(one.rows(kind)));
    expect(new Set(one.rows('drift_metric').map((row) => row['run_id'])).size).toBe(12);
    expect(one.rows('segment_migration').length).toBeGreaterThan(0);
  });
});

describe('DriftMerger', () => {
  it('stops with the partition and period named when a close announces a population record that never arrived', () => {
    const options = populationDriftOptionsFromConfig({ ...CONFIG, warmup_periods: 0 });
    const merger = new DriftMerger(new PopulationDriftGlobal(options), IDLE);
    const position = (offset: number) => ({ mergePartition: 0, offset });
    const close = { start: MON, active: true, events: {}, customers: {}, chunks: 2 };
    const inputs: MergeInput[] = [
      {
        kind: 'partial',
        operator: 'population_drift',
        partition: 't/0',
        key: JSON.stringify([MON, 'population', 0]),
        value: { customers: [], expired: [] },
        position: position(0),
      },
      { kind: 'partial', operator: 'population_drift', partition: 't/0', key: JSON.stringify([MON, 'close']), value: close, position: position(1) },
      ...SOURCE.map((partition, i): MergeInput => ({ kind: 'watermark', partition, watermark: MON + WEEK, position: position(2 + i) })),
    ];
    merger.apply(inputs, SOURCE, 0);
    expect(() => merger.drainOutputs(0)).toThrow(/close of 2024-01-01T00:00:00.000Z by source partition t\/0 has 2 population records, record 1 never arrived/);
  });
});

describe('DriftPartitionCloses', () => {
  it("goes on with a partition's close progress that came with it: a period its previous reader closed is not closed again", () => {
    const closes = new DriftPartitionCloses(populationDriftOptionsFromConfig(CONFIG), SOURCE);
    // What the previous reader of t/0 had closed (the first week) and published, restored here with t/0's state.
    const moved = { start: MON, active: true, events: {}, customers: {}, chunks: 0 };
    closes.closed[0]!.restore(new Map([[JSON.stringify(['t/0', [MON, 'close']]), moved]]));
    closes.progress[0]!.restore(new Map([['progress', { nextStart: MON + WEEK, closedAny: true }]]));
    expect(closes.syncRequest()).toEqual({ step: 'sync', nextStart: null, closedAny: false, partitions: { 't/0': MON + WEEK } });
    closes.merge([{ minStart: MON, maxTs: MON, starts: [MON], periods: {} }], 't/1');
    const requests: unknown[] = [];
    const share = (id: string) => ({ summaries: {}, population: [{ customer_id: id, recencyDays: 1, frequency: 1, monetary: 10 }], expired: [] });
    driveInline(closes.onWatermark(MON + WEEK), (request) => {
      requests.push(request);
      return (request as { step: string }).step === 'close' ? [{ 't/1': share('b') }] : [null];
    });
    // Only t/1 closes the first week (the unknown customers go with t/0, the lowest partition here, which does not close it).
    expect(requests).toEqual([
      { step: 'close', start: MON, end: MON + WEEK, partitions: ['t/1'] },
      { step: 'score', end: MON + WEEK, thresholds: null, rescoring: 'none', partitions: ['t/1'] },
    ]);
    const records = closes.cut();
    // The held one republished once (a fresh part), the new records of t/1.
    expect(records.map((r) => [r.partition, r.key])).toEqual([
      ['t/1', JSON.stringify([MON, 'population', 0])],
      ['t/0', JSON.stringify([MON, 'close'])],
      ['t/1', JSON.stringify([MON, 'close'])],
    ]);
    expect(records[1]!.value).toEqual(moved);
    // t/0 closes its second week at its own watermark, before the member's gets there.
    requests.length = 0;
    driveInline(closes.onPartitionWatermark('t/0', MON + 2 * WEEK), (request) => {
      requests.push(request);
      return (request as { step: string }).step === 'close' ? [{ 't/0': share('a') }] : [null];
    });
    expect(requests[0]).toEqual({ step: 'close', start: MON + WEEK, end: MON + 2 * WEEK, partitions: ['t/0', ''] });
    expect(closes.syncRequest().partitions).toEqual({ 't/0': MON + 2 * WEEK, 't/1': MON + WEEK });
  });

  it('keeps every close of a checkpoint until a later one: a restart between its commit and its produce publishes them all', () => {
    const options = populationDriftOptionsFromConfig(CONFIG);
    const closes = new DriftPartitionCloses(options, SOURCE);
    closes.cut(); // a fresh part's republication of nothing
    closes.merge([{ minStart: MON, maxTs: MON, starts: [MON], periods: {} }], 't/0');
    const share = { 't/0': { summaries: {}, population: [{ customer_id: 'a', recencyDays: 1, frequency: 1, monetary: 10 }], expired: [] } };
    const closeUpTo = (watermark: number): void =>
      driveInline(closes.onWatermark(watermark), (r) => ((r as { step: string }).step === 'close' ? [share] : [null]));
    const keys = (records: ReturnType<DriftPartitionCloses['cut']>) =>
      records.map((r) => `${JSON.parse(r.key)[0] === MON ? 'w1' : 'w2'} ${JSON.parse(r.key)[1]} ${r.value === null ? 'null' : 'value'}`);
    // Two weeks of t/0 closed before the next checkpoint's cut.
    closeUpTo(MON + 2 * WEEK);
    // What the checkpoint commits (through JSON, as the store), before its records are produced.
    const committed = (state: (typeof closes.closed)[number]) => new Map([...state.entries()].map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]));
    const closed = committed(closes.closed[0]!);
    const progress = committed(closes.progress[0]!);
    expect(keys(closes.cut())).toEqual(['w1 population value', 'w1 close value', 'w2 population value', 'w2 close value']);
    // The member dies before the produce; its successor restores the committed state and publishes what it holds: both weeks.
    const successor = new DriftPartitionCloses(options, SOURCE);
    successor.closed[0]!.restore(closed);
    successor.progress[0]!.restore(progress as Map<string, never>);
    expect(keys(successor.cut())).toEqual(['w1 population value', 'w2 population value', 'w1 close value', 'w2 close value']);
    // Without the crash, the next checkpoint's close of t/0 replaces both.
    closeUpTo(MON + 3 * WEEK);
    expect(keys(closes.cut()).filter((k) => k.endsWith('null'))).toEqual(['w1 population null', 'w1 close null', 'w2 population null', 'w2 close null']);
  });

  it("publishes customers of unknown partition (state from before the job merged) with the member's first partition", () => {
    const closes = new DriftPartitionCloses(populationDriftOptionsFromConfig(CONFIG), SOURCE);
    closes.merge([{ minStart: MON, maxTs: MON, starts: [MON], periods: {} }], 't/3');
    closes.merge([{ minStart: MON, maxTs: MON, starts: [MON], periods: {} }], 't/1');
    const buyer = (customer_id: string) => ({ customer_id, recencyDays: 1, frequency: 1, monetary: 10 });
    const share = (ids: string[]) => ({ summaries: {}, population: ids.map(buyer), expired: [] });
    driveInline(closes.onWatermark(MON + WEEK), (request) =>
      (request as { step: string }).step === 'close' ? [{ 't/1': share(['a']), 't/3': share(['c']), '': share(['b']) }] : [null],
    );
    const records = closes.cut();
    expect(new Set(records.map((r) => r.partition))).toEqual(new Set(['t/1', 't/3']));
    const population = (partition: string) =>
      records
        .filter((r) => r.partition === partition && JSON.parse(r.key)[1] === 'population')
        .flatMap((r) => (r.value as DriftPopulationRecord).customers.map((c) => c.customer_id));
    expect(population('t/1')).toEqual(['a', 'b']);
    expect(population('t/3')).toEqual(['c']);
  });
});

describe('the drift local part in a job that merges drift (progress per source partition)', () => {
  it("drops an event only if its own partition has closed its period, and closes and forgets the named partitions' customers only", () => {
    const local = (populationDriftPlan(populationDriftOptionsFromConfig(CONFIG)) as MergeablePlan).createMergedLocal!({ profiles: new ProfileStore(true) });
    // t/0 has closed the first week (it came from a reader that had), t/1 has not.
    local.answer!({ step: 'sync', nextStart: null, closedAny: false, partitions: { 't/0': MON + WEEK } });
    local.beginBatch!('t/0');
    local.process(tx('a', MON + DAY, 10));
    local.process(profile('q', MON + WEEK + DAY, 'north'));
    local.beginBatch!('t/1');
    local.process(tx('b', MON + DAY, 20));
    expect(local.drainPartial!()).toMatchObject({ starts: [MON + WEEK, MON] });
    const close = (start: number, partitions: string[]) =>
      local.answer!({ step: 'close', start, end: start + WEEK, partitions }) as Record<string, { population: Array<{ customer_id: string }> }>;
    const score = (end: number, partitions: string[]) => local.answer!({ step: 'score', end, thresholds: null, rescoring: 'none', partitions });
    // a's event was of t/0's closed week: a is not a customer; q (t/0) waits for t/0's close.
    const first = close(MON, ['t/1']);
    expect(Object.keys(first)).toEqual(['t/1']);
    expect(first['t/1']!.population.map((c) => c.customer_id)).toEqual(['b']);
    score(MON + WEEK, ['t/1']);
    // After t/1's first week, an event of it in that week is dropped; t/0's next week is still open.
    local.process(tx('b', MON + 2 * DAY, 5));
    local.beginBatch!('t/0');
    local.process(tx('p', MON + WEEK + 2 * DAY, 7));
    expect(local.drainPartial!()).toMatchObject({ starts: [MON + WEEK] });
    // Weeks 2-4 of t/1 close: b (last seen on day 2, TTL 14 days) is forgotten by the close that ends week 3; q, as quiet but of t/0, is not.
    const expired: string[][] = [];
    for (let week = 1; week < 4; week++) {
      const answers = close(MON + week * WEEK, ['t/1']) as unknown as Record<string, { expired: string[] }>;
      expired.push(answers['t/1']?.expired ?? []);
      score(MON + (week + 1) * WEEK, ['t/1']);
    }
    expect(expired).toEqual([[], ['b'], []]);
    const customers = local.states['customers']!;
    expect([...customers.entries()].map(([id]) => id).sort()).toEqual(['p', 'q']);
    expect((customers.get('p') as { open: Record<string, { spend: number }> }).open[String(MON + WEEK)]?.spend).toBe(7);
  });
});
