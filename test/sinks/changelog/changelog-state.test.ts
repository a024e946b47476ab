import { afterEach, describe, expect, it } from 'vitest';
import { readPartitionState, replacePartitionState } from '../../../sinks/changelog/partition-state.js';
import { decodeRecord, type ChangelogRecord } from '../../../sinks/changelog/records.js';
import { ChangelogWriter, windowEntries, type ChangelogCheckpoint } from '../../../sinks/changelog/writer.js';
import { DuckDBStore } from '../../../sinks/duckdb/store.js';

const HOUR = 3_600_000;
const writer = (): ChangelogWriter =>
  new ChangelogWriter({
    allowedLatenessMs: HOUR,
    partitionOf: (p) => (p.startsWith('events/') ? Number(p.slice('events/'.length)) : undefined),
    sourcePartition: (n) => `events/${n}`,
  });
const window = (customer: string, start: number, spend: number): Record<string, unknown> => ({
  customer_id: customer,
  window_start: start,
  window_end: start + HOUR,
  spend_total: spend,
  spend_count: 1,
  spend_max: spend,
  refund_total: 0,
  usage_total: 0,
  usage: { data_mb: 2 },
  contacts: 0,
});
const checkpoint = (over: Partial<ChangelogCheckpoint>): ChangelogCheckpoint => ({
  state: [],
  windows: [],
  dedup: [],
  owners: [],
  positions: new Map(),
  watermark: { current: null, partitions: {} },
  ...over,
});
const decoded = (records: readonly ChangelogRecord[] | undefined): unknown[] =>
  (records ?? []).map((r) => (r.value === null ? ['tombstone', r.key] : decodeRecord(r)));

describe('changelog writer', () => {
  it('routes changes to their customer partition, drops population state and partitions not held, and puts the marker last', () => {
    const w = writer();
    const out = w.records(
      checkpoint({
        owners: [
          { customer_id: 'c1', partition: 'events/0' },
          { customer_id: 'c2', partition: 'events/1' },
        ],
        state: [
          { operator: 'shifts', state: 'customers', key: 'c1', value: '{"n":1}', customer_id: 'c1' },
          { operator: 'shifts', state: 'customers', key: 'c2', value: '{"n":2}', customer_id: 'c2' },
          { operator: 'shifts', state: 'old', key: 'c1|x', value: null, customer_id: 'c1' },
          { operator: 'drift', state: 'periods', key: 'p1', value: '{}', customer_id: null },
          // Scoped to partition numbers (a merging job's accumulators): 0 is held, 1 is not.
          { operator: 'kpis', state: 'partition_partials@0', key: '["events/0","w1"]', value: '{"offered":3}', customer_id: null },
          { operator: 'kpis', state: 'partition_partials@0', key: '["events/0","w0"]', value: null, customer_id: null },
          { operator: 'kpis', state: 'merge_latest@1', key: '["events/0","w1"]', value: '{"offered":3}', customer_id: null },
        ],
        windows: windowEntries([{ kind: 'customer_window', rows: [window('c1', 0, 5) as never] }]),
        dedup: [{ ids: ['e1', 'e2'], customers: ['c1', 'c2'], times: [10, 20], partitions: ['events/0', 'events/1'], expiredBefore: Number.NEGATIVE_INFINITY }],
        positions: new Map([
          ['events/0', { offset: 41, resume: 41 }],
          ['events/1', { offset: 7, resume: 7 }],
        ]),
        watermark: { current: 1_000, partitions: { 'events/0': { maxEventTime: 5_000, ended: false } } },
      }),
      new Set(['events/0']),
    );
    expect([...out.keys()]).toEqual([0]);
    expect(decoded(out.get(0))).toEqual([
      {
        kind: 'entry',
        key: '["state","shifts","customers","c1"]',
        entry: { kind: 'state', operator: 'shifts', state: 'customers', key: 'c1', customer: 'c1', value: '{"n":1}' },
      },
      ['tombstone', '["state","shifts","old","c1|x"]'],
      {
        kind: 'entry',
        key: '["partition_state","kpis","partition_partials@0","[\\"events/0\\",\\"w1\\"]"]',
        entry: { kind: 'partition_state', operator: 'kpis', state: 'partition_partials@0', key: '["events/0","w1"]', value: '{"offered":3}' },
      },
      ['tombstone', '["partition_state","kpis","partition_partials@0","[\\"events/0\\",\\"w0\\"]"]'],
      { kind: 'entry', key: `["window","c1",0,${HOUR}]`, entry: { kind: 'window', customer: 'c1', windowStart: 0, windowEnd: HOUR, row: window('c1', 0, 5) } },
      { kind: 'entry', key: '["dedup","c1","e1"]', entry: { kind: 'dedup', eventId: 'e1', customer: 'c1', ts: 10 } },
      {
        kind: 'marker',
        marker: { kind: 'marker', partition: 'events/0', position: { offset: 41, resume: 41 }, maxEventTime: 5_000, dedupBefore: null },
      },
    ]);
    expect(w.takeUnrouted()).toBe(0);
  });

  it('tombstones a window once the watermark passes its end plus the allowed lateness, not before', () => {
    const w = writer();
    const held = new Set(['events/0']);
    w.records(
      checkpoint({
        owners: [{ customer_id: 'c1', partition: 'events/0' }],
        windows: windowEntries([{ kind: 'customer_window', rows: [window('c1', 0, 5) as never] }]),
      }),
      held,
    );
    const atEdge = w.records(checkpoint({ watermark: { current: 2 * HOUR - 1, partitions: {} } }), held);
    expect(atEdge.size).toBe(0);
    const closed = w.records(checkpoint({ watermark: { current: 2 * HOUR, partitions: {} } }), held);
    expect(decoded(closed.get(0))).toEqual([['tombstone', `["window","c1",0,${HOUR}]`]]);
    expect(w.records(checkpoint({ watermark: { current: 3 * HOUR, partitions: {} } }), held).size).toBe(0);
  });

  it("tombstones event ids once the horizon passes their minute (its own, adopted ones, not a given-up partition's), and writes none below it", () => {
    const MINUTE = 60_000;
    const w = writer();
    const held = new Set(['events/0', 'events/1']);
    const ids = (entries: Array<[id: string, customer: string | null, ts: number, partition: string]>, expiredBefore = Number.NEGATIVE_INFINITY) => ({
      ids: entries.map((e) => e[0]),
      customers: entries.map((e) => e[1]),
      times: entries.map((e) => e[2]),
      partitions: entries.map((e) => e[3]),
      expiredBefore,
    });
    w.records(
      checkpoint({
        dedup: [
          ids([
            ['e1', 'c1', 10, 'events/0'],
            ['e2', null, MINUTE + 5, 'events/0'],
            ['e3', 'c3', 10, 'events/1'],
          ]),
        ],
      }),
      held,
    );
    w.adopt('events/0', [{ kind: 'dedup', eventId: 'r1', customer: 'c9', ts: 20 }]);
    w.forget('events/1');
    // The horizon at the end of minute 0 ends e1 and the adopted r1; e2 (minute 1) stays, e3's partition is another member's now.
    const first = w.records(checkpoint({ dedup: [ids([['e4', 'c4', 30, 'events/0']], MINUTE)] }), held);
    expect(decoded(first.get(0))).toEqual([
      ['tombstone', '["dedup","c1","e1"]'],
      ['tombstone', '["dedup","c9","r1"]'],
    ]);
    expect(first.has(1)).toBe(false);
    const second = w.records(checkpoint({ dedup: [ids([], 2 * MINUTE)] }), held);
    expect(decoded(second.get(0))).toEqual([['tombstone', '["dedup",null,"e2"]']]);
    expect(w.records(checkpoint({ dedup: [ids([], 3 * MINUTE)] }), held).size).toBe(0);
  });
});

describe('partition state in DuckDB', () => {
  const stores: DuckDBStore[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
  });
  const open = async (): Promise<DuckDBStore> => {
    const store = await DuckDBStore.open(':memory:');
    stores.push(store);
    return store;
  };
  const seed = async (store: DuckDBStore, customer: string, partition: string, spend: number): Promise<void> => {
    const c = store.connection;
    await c.run(`INSERT INTO pulse_partition_owners VALUES ('${customer}', '${partition}')`);
    await c.run(`INSERT INTO pulse_state VALUES ('shifts', 'customers', '${customer}', '{"spend":${spend}}', '${customer}')`);
    await c.run(`INSERT INTO pulse_dedup VALUES ('ev-${customer}', 100, '${partition}', '${customer}')`);
    // Population state scoped to the partition's number (moves with it), and some that is not (stays).
    const n = partition.slice('events/'.length);
    await c.run(`INSERT INTO pulse_state VALUES ('kpis', 'partition_partials@${n}', '["${partition}","w"]', '{"offered":${spend}}', NULL)`);
    await c.run(`INSERT INTO pulse_state VALUES ('drift', 'periods@x', '${customer}', '{}', NULL)`);
    for (const [start, hours] of [
      [0, 0],
      [10, 1],
    ] as const) {
      await c.run(
        `INSERT INTO customer_windows VALUES ('${customer}', make_timestamptz(${start * HOUR * 1000}), make_timestamptz(${(start + 1) * HOUR * 1000}),
         ${spend + hours}, 1, NULL, 0, 2, '{"data_mb":2}', 0)`,
      );
    }
  };
  const rows = async (store: DuckDBStore, sql: string): Promise<unknown[]> => (await store.connection.runAndReadAll(sql)).getRowsJS();
  const TABLES = [
    `SELECT operator, state, key, CAST(value AS VARCHAR), customer_id FROM pulse_state ORDER BY ALL`,
    `SELECT customer_id, epoch_ms(window_start)::DOUBLE, spend_total, spend_max, CAST(usage AS VARCHAR) FROM customer_windows ORDER BY ALL`,
    `SELECT event_id, ts::INTEGER, partition, customer_id FROM pulse_dedup ORDER BY ALL`,
    `SELECT customer_id, partition FROM pulse_partition_owners ORDER BY ALL`,
  ];

  it("round-trips one partition's state, open windows and event ids into another database, replacing its stale copy", async () => {
    const source = await open();
    await seed(source, 'c1', 'events/0', 5);
    await seed(source, 'c2', 'events/1', 7);
    // Windows ending at or before watermark - lateness are closed: not state.
    const openWindows = { allowedLatenessMs: HOUR, watermark: 5 * HOUR };
    const entries = await readPartitionState(source.connection, 'events/0', openWindows);
    expect(entries.map((e) => e.kind).sort()).toEqual(['dedup', 'partition_state', 'state', 'window']);

    const target = await open();
    await seed(target, 'c1', 'events/0', 1); // an older ownership's copy
    await replacePartitionState(
      target.connection,
      { source: 'kafka', partition: 'events/0', position: { offset: 99, resume: 99 }, open: openWindows },
      entries,
    );
    const expected = [
      [
        ['drift', 'periods@x', 'c1', '{}', null],
        ['kpis', 'partition_partials@0', '["events/0","w"]', '{"offered":5}', null],
        ['shifts', 'customers', 'c1', '{"spend":5}', 'c1'],
      ],
      // The stale closed window stays (closed windows are output, not state); the open one is replaced.
      [
        ['c1', 0, 1, null, '{"data_mb":2}'],
        ['c1', 10 * HOUR, 6, null, '{"data_mb":2}'],
      ],
      [['ev-c1', 100, 'events/0', 'c1']],
      [['c1', 'events/0']],
    ];
    for (const [i, sql] of TABLES.entries()) expect(await rows(target, sql)).toEqual(expected[i]);
    expect(await rows(target, `SELECT partition, "offset"::INTEGER FROM pulse_checkpoints`)).toEqual([['events/0', 99]]);
  });

  it('an empty partition clears what this database had of it', async () => {
    const target = await open();
    await seed(target, 'c1', 'events/0', 1);
    await replacePartitionState(
      target.connection,
      { source: 'kafka', partition: 'events/0', position: { offset: 3, resume: 3 }, open: { allowedLatenessMs: HOUR, watermark: 5 * HOUR } },
      [],
    );
    expect(await rows(target, TABLES[0]!)).toEqual([['drift', 'periods@x', 'c1', '{}', null]]);
    expect(await rows(target, TABLES[3]!)).toEqual([]);
  });
});
