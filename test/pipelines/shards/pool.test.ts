import { isMainThread } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { InlineShardPool, ShardWorkerError, WorkerShardPool, shardWorkerEntry, type ShardCall, type ShardPool } from '../../../pipelines/shards/pool.js';
import { UnreadableRecord } from '../../../operators/record-limits.js';
import type { RawValue } from '../../../operators/record-limits.js';
import type { RecordBatch } from '../../../sources/source.js';
import { stateRowsOf } from '../../../operators/state-pack.js';
import type { ShardStateDrain } from '../../../pipelines/shards/shard.js';

const GATE = { allowedLatenessMs: 3_600_000, maxFutureMs: 86_400_000, minTimeMs: 0 };
const NOW = Date.UTC(2026, 0, 10);

/**
 * Valid events of 13 customers (so both shards get some), a duplicate, a line that is not JSON, an
 * event from the future, and a record the source could not read (a class instance, rebuilt on the thread).
 */
function batch(customerPrefix = 'C'): RecordBatch {
  const lines = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      type: 'transaction',
      event_id: `e${i}`,
      ts: NOW - 60_000 * i,
      customer_id: `${customerPrefix}${i % 13}`,
      amount: 10 + i,
      currency: 'EUR',
      channel: 'web',
    }),
  );
  lines.push(
    lines[3]!,
    '{"type":"transaction",',
    JSON.stringify({ type: 'transaction', event_id: 'f', ts: NOW + 10 * 86_400_000, customer_id: 'C1', amount: 1, currency: 'EUR', channel: 'web' }),
  );
  const values: RawValue[] = [...lines, new UnreadableRecord('too_large', 'the record is 2000000 bytes, over limits.max_record_bytes', '{"type":"tr')];
  return { partition: 'p', records: values.map((value, offset) => ({ offset, value })), position: { offset: values.length } } as RecordBatch;
}

async function processed(pool: ShardPool) {
  const results = await pool.process(pool.route(batch()), 'events', NOW);
  const rejections = results.flatMap((r) => r.rejections).map(({ reason, raw }) => ({ reason, raw }));
  return {
    accepted: results.reduce((n, r) => n + r.accepted, 0),
    rejections: rejections.sort((a, b) => a.raw.localeCompare(b.raw)),
    times: results.flatMap((r) => [...r.eventTimes]).sort((a, b) => a - b),
  };
}

describe('shard worker threads under vitest', () => {
  const pools: ShardPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });

  it('start from the TypeScript source, with tsx loaded in the worker', () => {
    // This test runs from sources: without the .ts entry the runner would fall back to the main thread.
    expect(isMainThread).toBe(true);
    const entry = shardWorkerEntry();
    expect(entry?.url.pathname).toMatch(/\/pipelines\/shards\/worker\.ts$/);
    expect(entry?.tsx).toMatch(/\/node_modules\/tsx\//);
  });

  it('two workers decode, gate and deduplicate a batch exactly as the main thread does', async () => {
    const inline = new InlineShardPool(() => [], { gate: GATE, trackOwners: false });
    const workers = new WorkerShardPool(2, { operators: [], gate: GATE, trackOwners: false }, shardWorkerEntry()!);
    pools.push(inline, workers);
    const onThreads = await processed(workers);
    expect(onThreads.accepted).toBe(40);
    expect(onThreads.rejections.map((r) => r.reason).sort()).toEqual(['duplicate', 'future', 'invalid_json', 'too_large']);
    expect(onThreads).toEqual(await processed(inline));
  });

  it('hold records routed ahead until their turn: a watermark sent after the routing, before the processing, judges them', async () => {
    const inline = new InlineShardPool(() => [], { gate: GATE, trackOwners: false });
    const workers = new WorkerShardPool(2, { operators: [], gate: GATE, trackOwners: false }, shardWorkerEntry()!);
    pools.push(inline, workers);
    // Events e0 ... e39 at NOW - i min; a watermark at NOW + 30 min makes those before NOW - 30 min
    // late (allowed lateness 1 h): e31 ... e39. The first batch accepts e0 ... e30 (31), its copy
    // of e3 is a duplicate; in the second, e0 ... e30 and the copy of e3 are duplicates (32).
    const judged = async (pool: ShardPool) => {
      const first = pool.route(batch());
      const second = pool.route(batch());
      await pool.watermark(NOW + 30 * 60_000);
      const results = [...(await pool.process(first, 'events', NOW)), ...(await pool.process(second, 'events', NOW))];
      const reasons: Record<string, number> = {};
      for (const r of results.flatMap((result) => result.rejections)) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
      return { accepted: results.reduce((n, r) => n + r.accepted, 0), reasons };
    };
    const onThreads = await judged(workers);
    expect(onThreads.accepted).toBe(31);
    expect(onThreads.reasons).toEqual({ late: 9 + 9, duplicate: 1 + 32, future: 2, invalid_json: 2, too_large: 2 });
    expect(onThreads).toEqual(await judged(inline));
  });

  it("a drain is one cut: the shards' state, which follows their outputs, holds nothing of a batch sent after the drain", async () => {
    const operators = [{ type: 'customer_shifts', name: 'shifts', settings: {} }];
    const workers = new WorkerShardPool(2, { operators, gate: GATE, trackOwners: false }, shardWorkerEntry()!);
    pools.push(workers);
    const customersIn = (parts: ShardStateDrain[]) => [...stateRowsOf(parts.flatMap((p) => p.state))].map((row) => row.key).sort();
    await workers.process(workers.route(batch('A')), 'events', NOW);
    const first = workers.drain();
    // Sent before the first drain's state has arrived: the shards answer the drain first.
    const later = workers.process(workers.route(batch('B')), 'events', NOW);
    const firstOutputs = await first.shards;
    expect(firstOutputs).toHaveLength(2);
    expect(customersIn(await first.state)).toEqual(Array.from({ length: 13 }, (_, i) => `A${i}`).sort());
    await later;
    const second = workers.drain();
    await second.shards;
    expect(customersIn(await second.state)).toEqual(Array.from({ length: 13 }, (_, i) => `B${i}`).sort());
  });

  it('a one-way call that fails in a worker fails the calls after it', async () => {
    const workers = new WorkerShardPool(1, { operators: [], gate: GATE, trackOwners: false }, shardWorkerEntry()!);
    pools.push(workers);
    const [worker] = (workers as unknown as { workers: Array<{ send(call: ShardCall): void }> }).workers;
    worker!.send({ op: 'hold', ticket: 99, records: null as never });
    await expect(workers.process(workers.route(batch()), 'events', NOW)).rejects.toThrow(ShardWorkerError);
    const drain = workers.drain();
    await expect(drain.shards).rejects.toThrow(/worker 0: .*null/);
    await expect(drain.state).rejects.toThrow(/worker 0: .*null/);
  });
});
