import { describe, expect, it } from 'vitest';
import { CustomerWindowsOperator, type CustomerWindowRow } from '../../operators/customer-windows.js';
import type { PulseEvent } from '../../operators/events.js';
import { windowSpec } from '../../operators/windows.js';
import { query } from '../helpers/duckdb.js';
import { rng } from '../helpers/seeded-random.js';

const HOUR = 3_600_000;
const LATENESS_MS = 30 * 60_000;
const OUT_OF_ORDER_MS = 10 * 60_000;
const T0 = Date.UTC(2026, 0, 5);
const WINDOWS = [windowSpec('1h'), windowSpec('1d'), windowSpec('1d', '6h')];

interface TestEvent {
  type: 'transaction' | 'usage' | 'contact' | 'survey';
  event_id: string;
  customer_id: string | null;
  ts: number;
  amount: number | null;
  metric: string | null;
  quantity: number | null;
}

/** Mostly increasing times with jitter over two days, few customers: windows retire and slots are reused. */
function makeEvents(seed: number, count: number, metrics: readonly string[] = ['data_mb', 'minutes']): TestEvent[] {
  const random = rng(seed);
  const events: TestEvent[] = [];
  for (let i = 0; i < count; i++) {
    // 2% arrive two hours late: behind the lateness horizon, refused.
    const delay = random() < 0.02 ? 2 * HOUR : 0;
    const ts = T0 + Math.floor((i / count) * 48 * HOUR + (random() - 0.5) * 2 * OUT_OF_ORDER_MS) - delay;
    const customer = random() < 0.05 ? null : `c${Math.floor(random() * 25)}`;
    const r = random();
    const base = { event_id: `e${i}`, customer_id: customer, ts, amount: null, metric: null, quantity: null };
    if (r < 0.5) events.push({ ...base, type: 'transaction', customer_id: customer ?? 'c0', amount: Math.round((random() * 200 - 40) * 100) / 100 });
    else if (r < 0.75)
      events.push({
        ...base,
        type: 'usage',
        customer_id: customer ?? 'c0',
        metric: metrics[Math.floor(random() * metrics.length)]!,
        quantity: Math.round(random() * 1000) / 10,
      });
    else if (r < 0.95) events.push({ ...base, type: 'contact' });
    else events.push({ ...base, type: 'survey', customer_id: customer ?? 'c0' });
  }
  return events;
}

/** The operator only reads these fields; the rest of each event type is irrelevant to it. */
function asPulseEvent(event: TestEvent): PulseEvent {
  return event as unknown as PulseEvent;
}

/** What the store does with a drained row: read every column (before the next event). */
function copyRow(row: CustomerWindowRow): CustomerWindowRow {
  return {
    customer_id: row.customer_id,
    window_start: row.window_start,
    window_end: row.window_end,
    spend_total: row.spend_total,
    spend_count: row.spend_count,
    spend_max: row.spend_max,
    refund_total: row.refund_total,
    usage_total: row.usage_total,
    usage: { ...row.usage },
    contacts: row.contacts,
  };
}

const keyOf = (row: CustomerWindowRow): string => `${row.customer_id}|${row.window_start}|${row.window_end}`;

interface Run {
  table: Map<string, CustomerWindowRow>;
  accepted: TestEvent[];
  maxOpen: number;
}

/**
 * Feeds events as the runner does: late events (behind watermark - lateness) are refused as the
 * gate would, the watermark advances every 7 events, outputs are drained every `drainEvery` events
 * into a table keyed like `customer_windows` (latest row wins). With `restartAt`, the operator is
 * replaced there by a new one restored from the table's open windows, as after a crash.
 */
function runOperator(events: TestEvent[], drainEvery: number, restartAt?: number): Run {
  const make = () => new CustomerWindowsOperator({ name: 'cw', windows: WINDOWS, allowedLatenessMs: LATENESS_MS });
  let op = make();
  const table = new Map<string, CustomerWindowRow>();
  const accepted: TestEvent[] = [];
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  let maxOpen = 0;
  const drain = (): void => {
    const outputs = op.drainOutputs();
    const rows = outputs.flatMap((o) => o.rows as unknown as CustomerWindowRow[]);
    const copies = rows.map(copyRow);
    // Views stay readable when the watermark retires windows before the rows are written.
    op.onWatermark(watermark);
    expect(rows.map(copyRow)).toEqual(copies);
    for (const row of copies) table.set(keyOf(row), row);
  };
  events.forEach((event, i) => {
    if (restartAt === i) {
      drain();
      op = make();
      op.restoreOpenWindows([...table.values()].filter((row) => row.window_end + LATENESS_MS > watermark));
    }
    maxTs = Math.max(maxTs, event.ts);
    if (event.ts >= watermark - LATENESS_MS) {
      accepted.push(event);
      op.process(asPulseEvent(event));
    }
    if (i % 7 === 6) {
      watermark = Math.max(watermark, maxTs - OUT_OF_ORDER_MS);
      op.onWatermark(watermark);
    }
    maxOpen = Math.max(maxOpen, op.size);
    if (i % drainEvery === drainEvery - 1) drain();
  });
  op.onWatermark(Number.POSITIVE_INFINITY);
  drain();
  expect(op.size).toBe(0);
  return { table, accepted, maxOpen };
}

function sqlValue(value: string | number | null): string {
  return value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value}'`;
}

/** The oracle: the accepted events aggregated per customer and window by one DuckDB query. */
async function oracle(accepted: TestEvent[]): Promise<Array<Record<string, unknown>>> {
  const values = accepted.map((e) => `(${[e.type, e.customer_id, e.ts, e.amount, e.metric, e.quantity].map(sqlValue).join(', ')})`).join(',\n');
  const windows = WINDOWS.map((w) => `(${w.sizeMs}, ${w.slideMs})`).join(', ');
  const [rows] = await query(
    ':memory:',
    `
    WITH ev(type, customer_id, ts, amount, metric, quantity) AS (VALUES ${values}),
         specs(size, slide) AS (VALUES ${windows}),
         windowed AS (
           SELECT DISTINCT ev.*, w AS window_start, w + size AS window_end
           FROM (SELECT *, row_number() OVER () AS rowid_ FROM ev WHERE customer_id IS NOT NULL AND type <> 'survey') ev,
                specs, unnest(range((ts // slide) * slide - size + slide, (ts // slide) * slide + 1, slide)) AS t(w))
    SELECT customer_id, window_start, window_end,
           round(coalesce(sum(amount) FILTER (WHERE type = 'transaction' AND amount >= 0), 0), 6) AS spend_total,
           count(*) FILTER (WHERE type = 'transaction' AND amount >= 0) AS spend_count,
           max(amount) FILTER (WHERE type = 'transaction' AND amount >= 0) AS spend_max,
           round(coalesce(sum(-amount) FILTER (WHERE type = 'transaction' AND amount < 0), 0), 6) AS refund_total,
           round(coalesce(sum(quantity) FILTER (WHERE type = 'usage'), 0), 6) AS usage_total,
           round(sum(quantity) FILTER (WHERE metric = 'data_mb'), 6) AS data_mb,
           round(sum(quantity) FILTER (WHERE metric = 'minutes'), 6) AS minutes,
           count(*) FILTER (WHERE type = 'contact') AS contacts
    FROM windowed GROUP BY ALL ORDER BY customer_id, window_start, window_end`,
  );
  return rows!.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

/** The oracle of `usage`: each window's sum per metric, by one DuckDB query over the accepted events. */
async function usageOracle(accepted: TestEvent[]): Promise<Array<[string, number, number, string, number]>> {
  const usage = accepted.filter((e) => e.type === 'usage');
  const values = usage.map((e) => `(${[e.customer_id, e.ts, e.metric, e.quantity].map(sqlValue).join(', ')})`).join(',\n');
  const windows = WINDOWS.map((w) => `(${w.sizeMs}, ${w.slideMs})`).join(', ');
  const [rows] = await query(
    ':memory:',
    `
    WITH ev(customer_id, ts, metric, quantity) AS (VALUES ${values}),
         specs(size, slide) AS (VALUES ${windows}),
         windowed AS (
           SELECT DISTINCT ev.*, w AS window_start, w + size AS window_end
           FROM (SELECT *, row_number() OVER () AS rowid_ FROM ev) ev,
                specs, unnest(range((ts // slide) * slide - size + slide, (ts // slide) * slide + 1, slide)) AS t(w))
    SELECT customer_id, window_start, window_end, metric, round(sum(quantity), 6) AS total
    FROM windowed GROUP BY ALL ORDER BY ALL`,
  );
  return rows!.map((row) => [
    row['customer_id'] as string,
    Number(row['window_start']),
    Number(row['window_end']),
    row['metric'] as string,
    row['total'] as number,
  ]);
}

function asOracleRows(table: Map<string, CustomerWindowRow>): Array<Record<string, unknown>> {
  const round = (x: number): number => Math.round(x * 1e6) / 1e6;
  return [...table.values()]
    .sort((a, b) => (a.customer_id < b.customer_id ? -1 : a.customer_id > b.customer_id ? 1 : a.window_start - b.window_start || a.window_end - b.window_end))
    .map((row) => ({
      customer_id: row.customer_id,
      window_start: row.window_start,
      window_end: row.window_end,
      spend_total: round(row.spend_total),
      spend_count: row.spend_count,
      spend_max: row.spend_max,
      refund_total: round(row.refund_total),
      usage_total: round(row.usage_total),
      data_mb: row.usage['data_mb'] === undefined ? null : round(row.usage['data_mb']),
      minutes: row.usage['minutes'] === undefined ? null : round(row.usage['minutes']),
      contacts: row.contacts,
    }));
}

describe('CustomerWindowsOperator', () => {
  it.each([1, 2])('equals a DuckDB aggregation while windows retire and their slots are reused (seed %i)', async (seed) => {
    const events = makeEvents(seed, 3000);
    const run = runOperator(events, 97);
    // Refused late events and retired windows both happened, so the test covers them.
    expect(run.accepted.length).toBeLessThan(events.length);
    expect(run.table.size).toBeGreaterThan(3 * run.maxOpen);
    expect(asOracleRows(run.table)).toEqual(await oracle(run.accepted));
  });

  it('usage of many metric names (more than get a column each) equals DuckDB per window and metric, also across a restart', async () => {
    const metrics = Array.from({ length: 40 }, (_, i) => `feature_${(i * 7) % 40}`);
    const events = makeEvents(4, 3000, metrics);
    const run = runOperator(events, 89);
    const round = (x: number): number => Math.round(x * 1e6) / 1e6;
    const usage = [...run.table.values()]
      .flatMap((row) =>
        Object.entries(row.usage).map(([metric, total]): [string, number, number, string, number] => [
          row.customer_id,
          row.window_start,
          row.window_end,
          metric,
          round(total),
        ]),
      )
      .sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));
    const expected = (await usageOracle(run.accepted)).sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));
    expect(usage).toEqual(expected);
    const restarted = runOperator(events, 89, 1500);
    expect([...restarted.table.entries()].sort()).toEqual([...run.table.entries()].sort());
  });

  it('a restart restored from the open windows gives exactly the uninterrupted result', () => {
    const events = makeEvents(3, 3000);
    const whole = runOperator(events, 101);
    const restarted = runOperator(events, 101, 1700);
    expect(restarted.accepted).toEqual(whole.accepted);
    // Exact equality, float sums included: the restored windows continue the same sums.
    expect([...restarted.table.entries()].sort()).toEqual([...whole.table.entries()].sort());
  });

  it('counts an event once in a window that two specs share, and leaves spend_max null without spend', () => {
    const op = new CustomerWindowsOperator({ name: 'cw', windows: WINDOWS, allowedLatenessMs: LATENESS_MS });
    op.process(asPulseEvent({ type: 'transaction', event_id: 'a', customer_id: 'c1', ts: T0 + 7 * HOUR, amount: 10, metric: null, quantity: null }));
    op.process(asPulseEvent({ type: 'transaction', event_id: 'b', customer_id: 'c1', ts: T0 + 8 * HOUR, amount: -4, metric: null, quantity: null }));
    op.process(asPulseEvent({ type: 'contact', event_id: 'c', customer_id: 'c2', ts: T0 + 8 * HOUR, amount: null, metric: null, quantity: null }));
    const rows = op
      .drainOutputs()
      .flatMap((o) => o.rows as unknown as CustomerWindowRow[])
      .map(copyRow);
    const day = rows.filter((r) => r.customer_id === 'c1' && r.window_start === T0 && r.window_end === T0 + 24 * HOUR);
    // 1d tumbling and the 1d/6h hopping window starting at midnight are one window: one row.
    expect(day).toHaveLength(1);
    expect(day[0]).toMatchObject({ spend_total: 10, spend_count: 1, spend_max: 10, refund_total: 4, contacts: 0 });
    // c1: 2 hourly, the daily, and the hopping ones from 12:00 and 18:00 the day before and 06:00.
    expect(rows.filter((r) => r.customer_id === 'c1')).toHaveLength(2 + 1 + 3);
    const c2 = rows.filter((r) => r.customer_id === 'c2');
    expect(c2).toHaveLength(1 + 1 + 3);
    for (const row of c2) expect(row).toMatchObject({ spend_max: null, spend_count: 0, contacts: 1, usage: {} });
    expect(op.drainOutputs()).toEqual([]);
  });
});
