import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ContactKpiOperator } from '../../../operators/contact-kpis/operator.js';
import type { ContactEvent } from '../../../operators/events.js';
import type { OperatorOutput } from '../../../operators/operator.js';
import type { KeyedState } from '../../../operators/state.js';
import {
  COUNT_COLUMNS,
  DAY,
  HOUR,
  KPI_KEY,
  MIN,
  PAST_EVERY_LOOKAHEAD,
  RATE_COLUMNS,
  T0,
  contact,
  generateContacts,
  latestRows,
  loadContacts,
  openOracle,
  oracleKpis,
  rng,
} from './helpers.js';

const W15 = 15 * MIN;
const key15 = (start: number, queue = 'billing', channel = 'voice') => JSON.stringify([start, start + W15, queue, channel]);

function kpiRows(out: OperatorOutput[]) {
  return out.filter((o) => o.kind === 'contact_kpi').flatMap((o) => o.rows);
}

/** A stand-in for the checkpoint store: applies drained state changes, as DuckDB would. */
class StateStore {
  readonly data = new Map<string, Map<string, unknown>>();
  checkpoint(op: ContactKpiOperator): void {
    for (const [name, state] of Object.entries(op.states)) {
      const table = this.data.get(name) ?? new Map<string, unknown>();
      const { upserts, deletes } = state.drainChanges();
      // Persisted values go through JSON, like the real store: catches non-JSON state.
      for (const [k, v] of upserts) table.set(k, JSON.parse(JSON.stringify(v)));
      for (const k of deletes) table.delete(k);
      this.data.set(name, table);
    }
  }
  restore(op: ContactKpiOperator): void {
    for (const [name, state] of Object.entries(op.states)) {
      (state as KeyedState<unknown>).restore(this.data.get(name) ?? new Map());
    }
  }
}

describe('the latest closed window (gauges)', () => {
  it('a queue x channel without contacts in the last closed window shows it empty, not its own last busy window', () => {
    const op = new ContactKpiOperator({ windowSizesMs: [W15] });
    op.process(contact({ queue: 'billing', queued: T0 + MIN, answerAfter: 10, duration: 60 }));
    op.process(contact({ queue: 'sales', queued: T0 + DAY + MIN, answerAfter: 10, duration: 60 }));
    op.onWatermark(T0 + DAY + W15 + MIN);
    const [billing, sales] = op.latestClosed(W15);
    expect(sales).toMatchObject({ queue: 'sales', window_start: T0 + DAY, offered: 1, handled: 1, service_level: 1 });
    expect(billing).toMatchObject({ queue: 'billing', window_start: T0 + DAY, window_end: T0 + DAY + W15, offered: 0, handled: 0, abandoned: 0 });
    expect(billing!.service_level).toBeNull();
    expect(billing!.aht_seconds).toBeNull();
    // The next window, quiet everywhere: both empty.
    op.onWatermark(T0 + DAY + 2 * W15);
    expect(op.latestClosed(W15).map((r) => [r.queue, r.window_start, r.offered])).toEqual([
      ['billing', T0 + DAY + W15, 0],
      ['sales', T0 + DAY + W15, 0],
    ]);
  });
});

describe('late events', () => {
  it('a late contact revises a closed window, which is emitted again with the same key', () => {
    const op = new ContactKpiOperator({ allowedLatenessMs: 10 * MIN, windowSizesMs: [W15] });
    op.process(contact({ queued: T0 + MIN, answerAfter: 10, duration: 60 }));
    op.onWatermark(T0 + W15 + MIN); // window [10:00, 10:15) closed, still open to late contacts
    const first = kpiRows(op.drainOutputs());
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ window_start: T0, offered: 1, handled: 1, service_level: 1, fcr_final: false });
    expect(op.latestClosed(W15)[0]).toMatchObject({ window_start: T0, offered: 1 });

    op.process(contact({ queued: T0 + 14 * MIN, answerAfter: 40, duration: 60 })); // 2 min late
    const revised = kpiRows(op.drainOutputs());
    expect(revised).toHaveLength(1);
    expect(revised[0]).toMatchObject({ window_start: T0, window_end: T0 + W15, offered: 2, handled: 2 });
    expect(revised[0]!.service_level).toBe(0.5);
    expect(op.latestClosed(W15)[0]).toMatchObject({ offered: 2, service_level: 0.5 });

    // Nothing changed: nothing to emit. Coalescing: two contacts, one row.
    expect(op.drainOutputs()).toEqual([]);
    op.process(contact({ queued: T0 + 13 * MIN, answerAfter: 1, duration: 1 }));
    op.process(contact({ queued: T0 + 12 * MIN, answerAfter: 1, duration: 1 }));
    expect(kpiRows(op.drainOutputs())).toHaveLength(1);

    // After window_end + lateness the window is final and gone; a contact that late is refused.
    op.onWatermark(T0 + W15 + 10 * MIN);
    const final = kpiRows(op.drainOutputs());
    expect(final[0]).toMatchObject({ window_start: T0, offered: 4, fcr_final: true });
    op.process(contact({ queued: T0 + 14 * MIN, answerAfter: 1, duration: 1 }));
    expect(op.lateDropped).toBe(1);
    expect(op.drainOutputs()).toEqual([]);
    expect(op.states.windows!.size).toBe(0);
  });
});

describe('FCR look-ahead', () => {
  it('is provisional until the watermark passes ended_at + 7 days, then final', () => {
    const op = new ContactKpiOperator({ windowSizesMs: [W15] });
    const first = contact({ customer: 'A', queued: T0, answerAfter: 10, duration: 50 }); // ends T0 + 60 s
    op.process(first);
    op.onWatermark(T0 + W15);
    expect(kpiRows(op.drainOutputs())[0]).toMatchObject({ fcr_rate: 1, fcr_final: false });

    // A repeat with the same reason, 7 days after the end exactly: inside (ended, ended + 7 d].
    const horizon = first.ended_at + 7 * DAY;
    op.onWatermark(horizon - 1);
    expect(op.drainOutputs()).toEqual([]);
    op.process(contact({ customer: 'A', queued: horizon, answerAfter: null, duration: 30 }));
    const revised = kpiRows(op.drainOutputs()).find((r) => r.window_start === T0);
    expect(revised).toMatchObject({ fcr_rate: 0, fcr_eligible: 1, fcr_resolved: 0, fcr_final: false });

    op.onWatermark(horizon); // not passed yet
    expect(kpiRows(op.drainOutputs()).find((r) => r.window_start === T0)).toBeUndefined();
    op.onWatermark(horizon + 1);
    expect(kpiRows(op.drainOutputs()).find((r) => r.window_start === T0)).toMatchObject({ fcr_rate: 0, fcr_final: true });
  });

  it('at the end of an input, a window whose look-ahead its events have not passed stays provisional; a later run finalises it', () => {
    const op = new ContactKpiOperator({ windowSizesMs: [W15] });
    op.process(contact({ customer: 'A', queued: T0, answerAfter: 10, duration: 50 }));
    op.process(contact({ customer: 'B', queued: T0 + 8 * DAY, answerAfter: 10, duration: 50 }));
    op.onWatermark(T0 + 8 * DAY + W15); // where the input's events reached
    op.onWatermark(Infinity); // its end
    let rows = latestRows(op.drainOutputs(), 'contact_kpi', KPI_KEY);
    expect(rows.get(key15(T0))).toMatchObject({ fcr_rate: 1, fcr_final: true });
    expect(rows.get(key15(T0 + 8 * DAY))).toMatchObject({ fcr_rate: 1, fcr_final: false });

    // Tomorrow's file over the same state: B's repeat revises the provisional window, which is final
    // once the watermark has passed its look-ahead.
    const store = new StateStore();
    store.checkpoint(op);
    const next = new ContactKpiOperator({ windowSizesMs: [W15] });
    store.restore(next);
    next.process(contact({ customer: 'B', queued: T0 + 9 * DAY, answerAfter: 5, duration: 5 }));
    next.onWatermark(T0 + 9 * DAY + W15);
    rows = latestRows(next.drainOutputs(), 'contact_kpi', KPI_KEY);
    expect(rows.get(key15(T0 + 8 * DAY))).toMatchObject({ fcr_rate: 0, fcr_final: false });
    next.onWatermark(T0 + 17 * DAY);
    rows = latestRows(next.drainOutputs(), 'contact_kpi', KPI_KEY);
    expect(rows.get(key15(T0 + 8 * DAY))).toMatchObject({ fcr_rate: 0, fcr_final: true });
    expect(rows.has(key15(T0))).toBe(false); // final before: not written again
  });

  it("writes a window's reason volumes when its contacts change, not when only its FCR or finality does", () => {
    const op = new ContactKpiOperator({ windowSizesMs: [W15], allowedLatenessMs: 10 * MIN });
    const reasonRows = (out: OperatorOutput[]) => out.filter((o) => o.kind === 'contact_reason_volume').flatMap((o) => o.rows);
    op.process(contact({ customer: 'A', reason: 'invoice', queued: T0, answerAfter: 10, duration: 50 }));
    op.process(contact({ customer: 'B', reason: 'outage', queued: T0 + MIN, answerAfter: 10, duration: 50 }));
    op.onWatermark(T0 + W15);
    let out = op.drainOutputs();
    expect(reasonRows(out).map((r) => [r['reason'], r['contacts']])).toEqual([
      ['invoice', 1],
      ['outage', 1],
    ]);

    // A late contact in the closed window changes its reasons: all of them are written again.
    op.process(contact({ customer: 'C', reason: 'outage', queued: T0 + 6 * MIN, answerAfter: 1, duration: 1 }));
    out = op.drainOutputs();
    expect(reasonRows(out).map((r) => [r['reason'], r['contacts']])).toEqual([
      ['invoice', 1],
      ['outage', 2],
    ]);

    // A's repeat (another window) revises the first window's FCR: its KPI row again, its reasons not.
    op.process(contact({ customer: 'A', reason: 'invoice', queued: T0 + DAY, answerAfter: 1, duration: 1 }));
    out = op.drainOutputs();
    expect(kpiRows(out).find((r) => r.window_start === T0)).toMatchObject({ fcr_eligible: 3, fcr_resolved: 2 });
    expect(reasonRows(out).filter((r) => r['window_start'] === T0)).toEqual([]);

    // The final rows, once the look-ahead has passed: KPI rows only.
    op.onWatermark(PAST_EVERY_LOOKAHEAD);
    out = op.drainOutputs();
    expect(kpiRows(out).find((r) => r.window_start === T0)).toMatchObject({ fcr_final: true });
    expect(reasonRows(out).filter((r) => r['window_start'] === T0)).toEqual([]);
  });

  it('a contact 1 ms after the look-ahead, or with another reason, is not a repeat', () => {
    const op = new ContactKpiOperator({ windowSizesMs: [W15] });
    const first = contact({ customer: 'A', queued: T0, answerAfter: 10, duration: 50 });
    op.process(first);
    op.process(contact({ customer: 'A', reason: 'outage', queued: T0 + HOUR, answerAfter: 1, duration: 1 }));
    op.process(contact({ customer: 'A', queued: first.ended_at + 7 * DAY + 1, answerAfter: 1, duration: 1 }));
    op.onWatermark(PAST_EVERY_LOOKAHEAD);
    const rows = latestRows(op.drainOutputs(), 'contact_kpi', KPI_KEY);
    expect(rows.get(key15(T0))).toMatchObject({ fcr_rate: 1, fcr_final: true });
  });

  it('handles a repeat that arrives before the contact it repeats', () => {
    const op = new ContactKpiOperator({ windowSizesMs: [W15], allowedLatenessMs: 2 * HOUR });
    const original = contact({ customer: 'A', queued: T0, answerAfter: 10, duration: 50 });
    const repeat = contact({ customer: 'A', channel: 'chat', queued: T0 + 30 * MIN, answerAfter: 5, duration: 5 });
    op.process(repeat);
    op.onWatermark(T0 + 40 * MIN);
    op.process(original);
    op.onWatermark(Infinity);
    const rows = latestRows(op.drainOutputs(), 'contact_kpi', KPI_KEY);
    expect(rows.get(key15(T0))).toMatchObject({ fcr_eligible: 1, fcr_resolved: 0, fcr_rate: 0 });
    expect(rows.get(key15(T0 + 30 * MIN, 'billing', 'chat'))).toMatchObject({ fcr_rate: 1 });
  });

  it('keeps bounded state: customer entries and windows expire behind the watermark', () => {
    const op = new ContactKpiOperator({ windowSizesMs: [W15] });
    for (let i = 0; i < 50; i++) op.process(contact({ customer: `k${i}`, queued: T0 + i * MIN, answerAfter: 1, duration: 1 }));
    expect(op.states.fcr!.size).toBe(50);
    op.onWatermark(T0 + 3 * DAY);
    expect(op.states.fcr!.size).toBe(50); // still inside the 7-day look-ahead
    op.onWatermark(T0 + 8 * DAY);
    expect(op.states.fcr!.size).toBe(0);
    expect(op.states.windows!.size).toBe(0);
  });
});

describe('streaming against the DuckDB oracle', () => {
  let conn: DuckDBConnection;
  const contacts = generateContacts(11, 1200, 10);
  beforeAll(async () => {
    conn = await openOracle();
    await loadContacts(conn, contacts);
  });
  afterAll(() => conn.closeSync());

  /** Out-of-order arrival (jitter within the lateness), periodic watermarks, checkpoints and restarts. */
  function stream(restartEvery: number | null): { outputs: OperatorOutput[]; maxFcrEntries: number; dropped: number } {
    const r = rng(3);
    const lateness = 2 * HOUR;
    const arrival = contacts
      .map((c) => ({ c, at: c.queued_at + Math.floor(r() * 90 * MIN) }))
      .sort((a, b) => a.at - b.at)
      .map((x) => x.c);
    const store = new StateStore();
    const make = () => new ContactKpiOperator({ allowedLatenessMs: lateness });
    let op = make();
    const outputs: OperatorOutput[] = [];
    let maxSeen = -Infinity;
    let maxFcrEntries = 0;
    let dropped = 0;
    arrival.forEach((c: ContactEvent, i) => {
      op.process(c);
      maxSeen = Math.max(maxSeen, c.queued_at);
      if (i % 25 === 24) op.onWatermark(maxSeen - 95 * MIN); // never ahead of the jitter
      maxFcrEntries = Math.max(maxFcrEntries, op.states.fcr!.size);
      if (restartEvery !== null && i % restartEvery === restartEvery - 1) {
        outputs.push(...op.drainOutputs());
        store.checkpoint(op);
        dropped += op.lateDropped;
        op = make();
        store.restore(op);
      }
    });
    op.onWatermark(PAST_EVERY_LOOKAHEAD);
    outputs.push(...op.drainOutputs());
    return { outputs, maxFcrEntries, dropped: dropped + op.lateDropped };
  }

  async function expectMatchesOracle(outputs: OperatorOutput[]): Promise<void> {
    const got = latestRows(outputs, 'contact_kpi', KPI_KEY);
    let total = 0;
    for (const windowMs of [W15, HOUR, DAY]) {
      const want = await oracleKpis(conn, { windowMs });
      total += want.size;
      for (const [key, expected] of want) {
        const row = got.get(key);
        expect(row, key).toBeDefined();
        expect(row!.fcr_final).toBe(true);
        for (const col of COUNT_COLUMNS) expect(row![col], `${col} ${key}`).toBe(expected[col]);
        for (const col of RATE_COLUMNS) {
          if (expected[col] === null) expect(row![col], `${col} ${key}`).toBeNull();
          else expect(row![col] as number, `${col} ${key}`).toBeCloseTo(expected[col] as number, 9);
        }
      }
    }
    expect(got.size).toBe(total);
  }

  it('out-of-order arrival gives the same final rows as the batch SQL', async () => {
    const { outputs, maxFcrEntries, dropped } = stream(null);
    expect(dropped).toBe(0);
    await expectMatchesOracle(outputs);
    // bounded: far fewer FCR keys than contacts over ten days
    expect(maxFcrEntries).toBeLessThan(contacts.length / 2);
  });

  it('restarting from drained state changes (windows and FCR) continues exactly', async () => {
    const { outputs, dropped } = stream(97);
    expect(dropped).toBe(0);
    await expectMatchesOracle(outputs);
  });

  it('FCR state survives a restart: the repeat arrives after the restart', () => {
    const store = new StateStore();
    const op1 = new ContactKpiOperator({ windowSizesMs: [W15] });
    op1.process(contact({ customer: 'A', queued: T0, answerAfter: 10, duration: 50 }));
    op1.onWatermark(T0 + HOUR);
    expect(kpiRows(op1.drainOutputs())[0]).toMatchObject({ fcr_rate: 1 });
    store.checkpoint(op1);

    const op2 = new ContactKpiOperator({ windowSizesMs: [W15] });
    store.restore(op2);
    expect(op2.watermark).toBe(T0 + HOUR);
    op2.process(contact({ customer: 'A', queued: T0 + 2 * DAY, answerAfter: 3, duration: 3 }));
    const rows = latestRows(op2.drainOutputs(), 'contact_kpi', KPI_KEY);
    expect(rows.get(key15(T0))).toMatchObject({ offered: 1, fcr_eligible: 1, fcr_resolved: 0, fcr_rate: 0, fcr_final: false });
    op2.onWatermark(T0 + 8 * DAY);
    expect(latestRows(op2.drainOutputs(), 'contact_kpi', KPI_KEY).get(key15(T0))).toMatchObject({ fcr_rate: 0, fcr_final: true });
  });

  it('keeps one FCR entry per customer, and regroups a state written per customer and reason', () => {
    // Two handled contacts of customer A, about `invoice` and `outage`, as the state kept them
    // before it was kept per customer: one entry per customer and reason.
    const invoice = contact({ customer: 'A', reason: 'invoice', queued: T0, answerAfter: 10, duration: 50 });
    const outage = contact({ customer: 'A', reason: 'outage', queued: T0 + MIN, answerAfter: 10, duration: 50 });
    const entry = (c: ContactEvent) => ({ q: c.queued_at, e: c.ended_at, queue: c.queue, channel: c.channel, rep: false });
    const store = new StateStore();
    const op1 = new ContactKpiOperator({ windowSizesMs: [W15] });
    for (const c of [invoice, outage]) op1.process(c);
    op1.onWatermark(T0 + HOUR);
    op1.drainOutputs();
    store.checkpoint(op1);
    expect([...store.data.get('fcr')!.keys()]).toEqual(['["A"]']);
    store.data.set(
      'fcr',
      new Map([
        ['["A","invoice"]', [entry(invoice)]],
        ['["A","outage"]', [entry(outage)]],
      ]),
    );

    const op2 = new ContactKpiOperator({ windowSizesMs: [W15] });
    store.restore(op2);
    // A repeat about `outage` only: the invoice contact stays resolved first time.
    op2.process(contact({ customer: 'A', reason: 'outage', queued: T0 + DAY, answerAfter: 3, duration: 3 }));
    op2.onWatermark(T0 + 9 * DAY);
    const rows = latestRows(op2.drainOutputs(), 'contact_kpi', KPI_KEY);
    expect(rows.get(key15(T0))).toMatchObject({ offered: 2, fcr_eligible: 2, fcr_resolved: 1, fcr_final: true });
    // The per-reason keys are deleted from the store; nothing is left once the look-ahead has passed.
    store.checkpoint(op2);
    expect(store.data.get('fcr')!.size).toBe(0);
  });
});

describe('reason codes that are names of Object.prototype', () => {
  // Valid input: a reason is any id. As keys of an ordinary object, `constructor` read as a
  // function and `__proto__` set the prototype, so their counts came out wrong or vanished.
  const codes = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'invoice'];

  function volumes(out: OperatorOutput[]): Map<string, number> {
    const rows = latestRows(out, 'contact_reason_volume', [...KPI_KEY, 'reason']);
    return new Map([...rows.values()].filter((r) => r.window_start === T0).map((r) => [String(r.reason), Number(r.contacts)]));
  }

  it('are counted like any other, before and after a restart (restored counts come from JSON)', () => {
    const store = new StateStore();
    const op1 = new ContactKpiOperator({ windowSizesMs: [W15], allowedLatenessMs: HOUR });
    codes.forEach((reason, i) => op1.process(contact({ reason, queued: T0 + i * MIN, answerAfter: 5, duration: 30 })));
    op1.process(contact({ reason: 'constructor', queued: T0 + 6 * MIN, answerAfter: 5, duration: 30 }));
    op1.onWatermark(T0 + W15 + MIN);
    expect(volumes(op1.drainOutputs())).toEqual(new Map([...codes.map((c): [string, number] => [c, 1]), ['constructor', 2]]));
    store.checkpoint(op1);

    const op2 = new ContactKpiOperator({ windowSizesMs: [W15], allowedLatenessMs: HOUR });
    store.restore(op2);
    // Late contacts of the restored, closed window: merged into counts that went through JSON.
    op2.process(contact({ reason: '__proto__', queued: T0 + 7 * MIN, answerAfter: 5, duration: 30 }));
    op2.process(contact({ reason: 'toString', queued: T0 + 8 * MIN, answerAfter: 5, duration: 30 }));
    // And a code the restored window did not have yet.
    op2.process(contact({ reason: 'valueOf', queued: T0 + 9 * MIN, answerAfter: 5, duration: 30 }));
    op2.onWatermark(T0 + W15 + 2 * MIN);
    const after = volumes(op2.drainOutputs());
    expect(after).toEqual(
      new Map([
        ['constructor', 2],
        ['__proto__', 2],
        ['toString', 2],
        ['hasOwnProperty', 1],
        ['invoice', 1],
        ['valueOf', 1],
      ]),
    );
  });
});
