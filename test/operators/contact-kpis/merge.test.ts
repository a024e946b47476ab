/**
 * The KPI merge across members (job option `merge`) without Kafka: members' merged global parts
 * talk through an in-memory stand-in of the merge topic (partitioned like the real one: by the
 * queue x channel of a partial, watermark reports to every merge partition).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { newWindowAcc, mergeWindowAcc, windowAccDelta, type WindowAcc } from '../../../operators/contact-kpis/accumulator.js';
import { ContactKpiGlobal } from '../../../operators/contact-kpis/global.js';
import { KpiMerger } from '../../../operators/contact-kpis/merger.js';
import { ContactKpiOperator, contactKpiPlan } from '../../../operators/contact-kpis/operator.js';
import { exactAdd, exactValue } from '../../../operators/exact-sum.js';
import type { ContactEvent } from '../../../operators/events.js';
import type { MergeInput } from '../../../operators/merge-port.js';
import type { OperatorOutput } from '../../../operators/operator.js';
import type { GlobalOperator, LocalOperator } from '../../../operators/parallel.js';
import { validateRules } from '../../../operators/rules/index.js';
import { MemoryMember, MemoryMergeTopic, hash, moveCommittedState, type CommittedState } from '../../helpers/memory-merge.js';
import { COUNT_COLUMNS, DAY, HOUR, KPI_KEY, MIN, RATE_COLUMNS, T0, generateContacts, latestRows, loadContacts, openOracle, oracleKpis } from './helpers.js';

const W15 = 15 * MIN;
const IDLE = 6 * HOUR;

function acc(size: number, start: number, fill: Partial<WindowAcc>): WindowAcc {
  return { ...newWindowAcc(size, start, 'billing', 'voice'), ...fill };
}

describe('windowAccDelta', () => {
  it('adds to the older accumulator exactly what makes the newer one', () => {
    const older = acc(W15, T0, { offered: 3, handled: 2, fcr_eligible: 2, fcr_resolved: 1, fcr_horizon: T0 + DAY, reasons: { invoice: 3 } });
    exactAdd(older.acw_seconds, 0.1);
    exactAdd(older.acw_seconds, 0.2);
    const newer = structuredClone(older);
    Object.assign(newer, { offered: 5, handled: 4, fcr_eligible: 4, fcr_resolved: 1, fcr_horizon: T0 + 2 * DAY, reasons: { invoice: 3, outage: 2 } });
    exactAdd(newer.acw_seconds, 1e16);
    exactAdd(newer.acw_seconds, 0.3);
    const delta = windowAccDelta(newer, older);
    // Only the reason that changed; counts by hand.
    expect(delta.reasons).toEqual({ outage: 2 });
    expect([delta.offered, delta.handled, delta.fcr_eligible, delta.fcr_resolved]).toEqual([2, 2, 2, 0]);
    const sum = structuredClone(older);
    mergeWindowAcc(sum, delta);
    expect(exactValue(sum.acw_seconds)).toBe(exactValue(newer.acw_seconds));
    expect({ ...sum, acw_seconds: null }).toEqual({ ...newer, acw_seconds: null });
  });

  it('of FCR corrections alone has no contacts', () => {
    const older = acc(W15, T0, { handled: 1, offered: 1, fcr_eligible: 1, fcr_resolved: 1, reasons: { invoice: 1 } });
    const newer = { ...structuredClone(older), fcr_resolved: 0 };
    expect(windowAccDelta(newer, older).reasons).toEqual({});
    expect(windowAccDelta(newer, older).fcr_resolved).toBe(-1);
  });
});

describe('KpiMerger', () => {
  const partitions = ['t/0', 't/1'];
  const newMerger = () => new KpiMerger(new ContactKpiGlobal('contact_kpis', contactKpiPlan({ windowSizesMs: [W15] }).options, []), 0, IDLE);
  let offset = 0;
  const partial = (partition: string, value: WindowAcc | null): MergeInput => ({
    kind: 'partial',
    operator: 'contact_kpis',
    partition,
    key: JSON.stringify([W15, T0, 'billing', 'voice']),
    value,
    position: { mergePartition: 0, offset: offset++ },
  });
  const report = (partition: string, watermark: number): MergeInput => ({
    kind: 'watermark',
    partition,
    watermark,
    position: { mergePartition: 0, offset: offset++ },
  });
  const offered = (merger: KpiMerger, now: number) => latestRows(merger.drainOutputs(now), 'contact_kpi', KPI_KEY).values().next().value?.['offered'];

  it('keeps the latest cumulative partial of each source partition (replace, not add) and skips a re-read', () => {
    const merger = newMerger();
    const first = partial('t/0', acc(W15, T0, { offered: 1, reasons: { invoice: 1 } }));
    merger.apply([first, partial('t/1', acc(W15, T0, { offered: 2, reasons: { invoice: 2 } }))], partitions, 0);
    expect(offered(merger, 0)).toBe(3);
    const again = partial('t/0', acc(W15, T0, { offered: 3, reasons: { invoice: 3 } }));
    merger.apply([again], partitions, 0);
    expect(offered(merger, 0)).toBe(5); // 3 (t/0's latest) + 2, not 1 + 3 + 2
    // The same records read again (a restart before the checkpoint that held their positions): skipped.
    merger.apply([first, again], partitions, 0);
    expect(merger.drainOutputs(0)).toEqual([]);
    // A replay publishes the same sum again at a new offset: nothing changes.
    merger.apply([partial('t/0', acc(W15, T0, { offered: 3, reasons: { invoice: 3 } }))], partitions, 0);
    expect(offered(merger, 0)).toBe(5);
    // A dropped partial (null: expired at its reader) leaves what it added, and its value published again counts once.
    const last = acc(W15, T0, { offered: 2, reasons: { invoice: 2 } });
    merger.apply([partial('t/1', null), partial('t/1', last)], partitions, 0);
    expect(offered(merger, 0)).toBe(5);
    // Once the merge has dropped the window, a replayed partial of it does not bring it back.
    merger.apply([report('t/0', T0 + HOUR), report('t/1', T0 + HOUR)], partitions, 0);
    expect(offered(merger, 0)).toBe(5);
    expect(merger.latest.size).toBe(0);
    merger.apply([partial('t/1', last)], partitions, 0);
    expect(merger.drainOutputs(0)).toEqual([]);
  });

  it('closes a window once every source partition has reported past its end', () => {
    const merger = newMerger();
    merger.apply([partial('t/0', acc(W15, T0, { offered: 1, reasons: { invoice: 1 } })), report('t/0', T0 + HOUR)], partitions, 0);
    merger.drainOutputs(0);
    expect(merger.global.latestClosed(W15)).toEqual([]);
    merger.apply([report('t/1', T0 + W15 - 1)], partitions, 0);
    merger.drainOutputs(0);
    expect(merger.global.latestClosed(W15)).toEqual([]);
    merger.apply([report('t/1', T0 + W15)], partitions, 0);
    merger.drainOutputs(0);
    expect(merger.global.latestClosed(W15).map((r) => r.offered)).toEqual([1]);
  });

  it('stops waiting for a partition whose report has not moved for the idle timeout', () => {
    const merger = newMerger();
    merger.apply([partial('t/0', acc(W15, T0, { offered: 1, reasons: { invoice: 1 } })), report('t/0', T0 + HOUR)], partitions, 0);
    merger.drainOutputs(IDLE);
    expect(merger.global.latestClosed(W15)).toEqual([]);
    // t/1 never reported: after the idle timeout (processing time) only t/0 holds the watermark.
    merger.apply([], partitions, IDLE + 1);
    merger.drainOutputs(IDLE + 1);
    // Closed up to t/0's report: the last closed window (T0 + 45 min) has no contact of the queue.
    expect(merger.global.latestClosed(W15).map((r) => [r.window_start, r.offered])).toEqual([[T0 + HOUR - W15, 0]]);
  });
});

/** One member of the KPI merge (test/helpers/memory-merge.ts). */
class Member extends MemoryMember<ContactEvent> {
  readonly local: LocalOperator;
  readonly global: GlobalOperator;

  constructor(
    topic: MemoryMergeTopic,
    held: readonly string[],
    owned: readonly number[],
    private readonly rules: ReturnType<typeof validateRules>,
    /** What its checkpoints committed: rows and alerts written, state by part and name (through JSON, as the store). */
    readonly outputs: OperatorOutput[] = [],
    store: CommittedState = new Map(),
    watermark = -Infinity,
  ) {
    super(topic, held, owned, store, watermark);
    const plan = contactKpiPlan({ windowSizesMs: [W15, HOUR], rules });
    this.local = plan.createLocal();
    this.global = plan.createMergedGlobal(this, IDLE);
    this.start();
  }

  /** The same member started again on its committed state (what its last checkpoint held), reading `held` and owning `owned` from then on. */
  restart(held = this.held, owned = this.owned): Member {
    return new Member(this.topic, held, owned, this.rules, this.outputs, this.store, this.watermark);
  }

  protected commitOutputs(outputs: OperatorOutput[]): void {
    this.outputs.push(...outputs);
  }

  process(partition: string, batch: readonly ContactEvent[]): void {
    for (const c of batch) this.local.process(c);
    const partial = this.local.drainPartial!();
    if (partial !== undefined) this.global.merge([partial], partition);
  }
}

describe('members merged through a merge topic', () => {
  let oracle: DuckDBConnection;
  beforeAll(async () => {
    oracle = await openOracle();
  });
  afterAll(() => oracle.closeSync());

  it.each([
    ['without restarts', new Map<number, { member: 0 | 1; lost: boolean }>()],
    [
      'with a member that dies between its commit and its produce, and one restarted',
      new Map<number, { member: 0 | 1; lost: boolean }>([
        [20, { member: 0, lost: true }],
        [41, { member: 1, lost: false }],
      ]),
    ],
  ])('write together the rows and alerts one member writes, and the SPEC oracle counts (%s)', async (_name, restarts) => {
    const contacts = generateContacts(7, 1500, 3).sort((a, b) => a.queued_at - b.queued_at);
    const source = ['t/0', 't/1', 't/2', 't/3'];
    // Like the Kafka key: a customer's contacts in one partition (FCR follows a customer).
    const partitionOf = (c: ContactEvent) => source[hash(c.customer_id ?? c.contact_id) % 4]!;
    const rules = validateRules(
      [
        { name: 'AbandonHigh', when: 'abandon_rate > 0.2', window: '15m', min_offered: 0 },
        { name: 'SlLow', when: 'service_level < 0.5', window: '1h', for: 2, min_offered: 0 },
      ],
      { windowSizes: [W15, HOUR] },
    );
    const topic = new MemoryMergeTopic(3, source);
    const group = [new Member(topic, ['t/0', 't/1'], [0, 2], rules), new Member(topic, ['t/2', 't/3'], [1], rules)];
    const one = new ContactKpiOperator({ windowSizesMs: [W15, HOUR], rules });
    const oneOutputs: OperatorOutput[] = [];
    const outOfOrder = 5 * MIN;
    let round = 0;
    for (let t = T0; t < T0 + 3 * DAY; t += HOUR, round++) {
      const batch = contacts.filter((c) => c.queued_at >= t && c.queued_at < t + HOUR);
      // Every partition has contacts each hour in this data, so each member's watermark is its partitions' minimum.
      const watermark = t + HOUR - outOfOrder;
      for (const member of group) member.feed(batch, partitionOf, watermark);
      for (const c of batch) one.process(c);
      one.onWatermark(watermark);
      oneOutputs.push(...one.drainOutputs());
      const restart = restarts.get(round);
      group[0]!.checkpoint({ twice: round % 5 === 0, lost: restart?.member === 0 && restart.lost });
      group[1]!.checkpoint({ lost: restart?.member === 1 && restart.lost });
      if (restart) group[restart.member] = group[restart.member]!.restart();
    }
    const [a, b] = group as [Member, Member];
    // The end: every window's FCR horizon passed; two rounds so that each merger sees the other's last reports.
    const end = T0 + 20 * DAY;
    for (const member of [a, b]) member.advance(end);
    one.onWatermark(end);
    oneOutputs.push(...one.drainOutputs());
    for (let i = 0; i < 2; i++) for (const member of [a, b]) member.checkpoint();

    const merged = [...a.outputs, ...b.outputs];
    const mergedRows = latestRows(merged, 'contact_kpi', [...KPI_KEY]);
    const oneRows = latestRows(oneOutputs, 'contact_kpi', [...KPI_KEY]);
    expect(mergedRows.size).toBe(oneRows.size);
    expect(new Map([...mergedRows].sort())).toEqual(new Map([...oneRows].sort()));
    for (const row of mergedRows.values()) expect(row['fcr_final']).toBe(true);
    // Each queue x channel merged in one place: the members' row keys are disjoint.
    const keysOf = (outputs: OperatorOutput[]) => new Set(latestRows(outputs, 'contact_kpi', [...KPI_KEY]).keys());
    const aKeys = keysOf(a.outputs);
    expect([...keysOf(b.outputs)].filter((k) => aKeys.has(k))).toEqual([]);
    // Alerts: the same ids, firing and resolved, as one member.
    const alerts = (outputs: OperatorOutput[]) =>
      [...latestRows(outputs, 'alert', ['alert_id']).values()].sort((x, y) => String(x['alert_id']).localeCompare(String(y['alert_id'])));
    const mergedAlerts = alerts(merged);
    expect(mergedAlerts.length).toBeGreaterThan(0);
    expect(mergedAlerts).toEqual(alerts(oneOutputs));

    // Independent oracle: SPEC section 4 in SQL over the same contacts (15-minute windows).
    await loadContacts(oracle, contacts);
    const expected = await oracleKpis(oracle, { windowMs: W15 });
    const merged15 = [...mergedRows.values()].filter((r) => Number(r['window_end']) - Number(r['window_start']) === W15);
    expect(merged15.length).toBe(expected.size);
    for (const row of merged15) {
      const want = expected.get(JSON.stringify(KPI_KEY.map((k) => row[k])))!;
      for (const col of COUNT_COLUMNS) if (col in row) expect(row[col], col).toBe(want[col]);
      for (const col of RATE_COLUMNS) {
        if (!(col in row)) continue;
        if (want[col] === null) expect(row[col], col).toBeNull();
        else expect(row[col] as number, col).toBeCloseTo(want[col] as number, 9);
      }
    }
  });
});

describe('a source partition that moves between merging members while windows are open', () => {
  const rules = validateRules(
    [
      { name: 'AbandonHigh', when: 'abandon_rate > 0.2', window: '15m', min_offered: 0 },
      { name: 'SlLow', when: 'service_level < 0.5', window: '1h', for: 2, resolve: { after: 2 }, min_offered: 0 },
    ],
    { windowSizes: [W15, HOUR] },
  );
  const contacts = generateContacts(11, 1500, 3).sort((a, b) => a.queued_at - b.queued_at);
  const source = ['t/0', 't/1', 't/2', 't/3'];
  const customerPartition = (id: string) => hash(id) % 4;
  const partitionOf = (c: ContactEvent) => source[customerPartition(c.customer_id ?? c.contact_id)]!;
  const alertsOf = (outputs: OperatorOutput[]) =>
    [...latestRows(outputs, 'alert', ['alert_id']).values()].sort((x, y) => String(x['alert_id']).localeCompare(String(y['alert_id'])));

  /** A holds t/0 and t/1, B t/2 and t/3; after `moveAt` hours t/1 (and merge partition 1) moves to B. Rows: the newest version of each. */
  function run(carry: boolean): { merged: Map<string, unknown>; one: Map<string, unknown>; mergedAlerts: unknown[]; oneAlerts: unknown[] } {
    const topic = new MemoryMergeTopic(4, source);
    let a = new Member(topic, ['t/0', 't/1'], [0, 1], rules);
    let b = new Member(topic, ['t/2', 't/3'], [2, 3], rules);
    const one = new ContactKpiOperator({ windowSizesMs: [W15, HOUR], rules });
    const oneOutputs: OperatorOutput[] = [];
    // Mid-afternoon of the second day: 15-minute and hourly windows open, FCR look-aheads of a day and more pending.
    const moveAt = 38;
    let round = 0;
    for (let t = T0; t < T0 + 3 * DAY; t += HOUR, round++) {
      const batch = contacts.filter((c) => c.queued_at >= t && c.queued_at < t + HOUR);
      const watermark = t + HOUR - 5 * MIN;
      for (const member of [a, b]) member.feed(batch, partitionOf, watermark);
      for (const c of batch) one.process(c);
      one.onWatermark(watermark);
      oneOutputs.push(...one.drainOutputs());
      a.checkpoint();
      b.checkpoint();
      if (round === moveAt) {
        moveCommittedState(a, b, 1, customerPartition, carry);
        a = a.restart(['t/0'], [0]);
        b = b.restart(['t/1', 't/2', 't/3'], [1, 2, 3]);
      }
    }
    const end = T0 + 20 * DAY;
    for (const member of [a, b]) member.advance(end);
    one.onWatermark(end);
    oneOutputs.push(...one.drainOutputs());
    for (let i = 0; i < 2; i++) for (const member of [a, b]) member.checkpoint();
    // A's outputs first: where both wrote a window, B's (written after the move) is the newer.
    const merged = [...a.outputs, ...b.outputs];
    return {
      merged: latestRows(merged, 'contact_kpi', [...KPI_KEY]),
      one: latestRows(oneOutputs, 'contact_kpi', [...KPI_KEY]),
      mergedAlerts: alertsOf(merged),
      oneAlerts: alertsOf(oneOutputs),
    };
  }

  it("carries its cumulative accumulators and its merge partition's merge: rows and alerts equal one member's", () => {
    const { merged, one, mergedAlerts, oneAlerts } = run(true);
    expect(one.size).toBeGreaterThan(100);
    expect(new Map([...merged].sort())).toEqual(new Map([...one].sort()));
    expect(oneAlerts.length).toBeGreaterThan(0);
    expect(mergedAlerts).toEqual(oneAlerts);
  });

  it('without them (customers only) the windows open across the move come out wrong', () => {
    const { merged, one } = run(false);
    const wrong = [...one].filter(([key, row]) => JSON.stringify(merged.get(key)) !== JSON.stringify(row));
    expect(wrong.length).toBeGreaterThan(0);
  });
});
