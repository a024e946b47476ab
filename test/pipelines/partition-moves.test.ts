import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PartitionOwners } from '../../pipelines/partition-owners.js';
import { JobRunner } from '../../pipelines/runner.js';
import { DuckDBStore } from '../../sinks/duckdb/store.js';
import { PipelineMetrics } from '../../sinks/metrics/pipeline-metrics.js';
import type { RecordBatch, Source, SourceMessage } from '../../sources/source.js';
import { testJob } from '../helpers/run-job.js';

const START = Date.UTC(2026, 0, 5);

describe('customers whose events come from more than one partition', () => {
  it('are counted once a change, with the first of them as the example, and not again after a drain', () => {
    const owners = new PartitionOwners();
    owners.observe('C1', 't/0');
    owners.observe('C1', 't/0');
    owners.observe('C2', 't/1');
    expect(owners.drainMoves()).toEqual({ count: 0, example: null });
    owners.observe('C1', 't/1');
    owners.observe('C2', 't/0');
    owners.observe('C1', 't/1');
    owners.observe('C1', 't/0');
    expect(owners.drainMoves()).toEqual({ count: 3, example: { customer_id: 'C1', from: 't/0', to: 't/1' } });
    expect(owners.drainMoves()).toEqual({ count: 0, example: null });
    // A restored owner is the customer's partition from then on: the same partition is no change.
    owners.restore([['C3', 't/2']]);
    owners.observe('C3', 't/2');
    owners.observe('C4', 't/0');
    expect(owners.drainMoves()).toEqual({ count: 0, example: null });
    owners.observe('C3', 't/0');
    expect(owners.drainMoves()).toEqual({ count: 1, example: { customer_id: 'C3', from: 't/2', to: 't/0' } });
  });

  it('a Kafka-like run counts them in pulse_customer_partition_moves_total and says so once, naming a customer and what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-partition-moves-'));
    const job = testJob({ paths: [join(dir, 'unread.ndjson')], db: join(dir, 'p.duckdb'), extra: 'workers: 2' });
    const stop = new AbortController();
    const line = (id: string, customer: string, minute: number): string =>
      JSON.stringify({ type: 'transaction', event_id: id, ts: START + minute * 60_000, customer_id: customer, amount: 5, channel: 'web' });
    const batch = (partition: string, offset: number, lines: string[]): RecordBatch => ({
      kind: 'records',
      partition,
      records: lines.map((value, i) => ({ offset: offset + i, value })),
      position: { offset: offset + lines.length - 1, resume: offset + lines.length },
      readAt: START,
    });
    // C1 is read from both partitions (keyed by something else than the customer), C2 and C3 from one each.
    const messages: SourceMessage[] = [
      { kind: 'assign', partitions: ['t/0', 't/1'] },
      batch('t/0', 0, [line('e1', 'C1', 0), line('e2', 'C2', 1)]),
      batch('t/1', 0, [line('e3', 'C3', 2), line('e4', 'C1', 3)]),
      batch('t/0', 2, [line('e5', 'C2', 4), line('e6', 'C1', 5)]),
    ];
    const source: Source = {
      name: 'kafka',
      bounded: false,
      async *read() {
        yield* messages;
        stop.abort();
      },
      close: async () => undefined,
    };
    const warnings: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          warnings.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    );
    const metrics = new PipelineMetrics({ defaultMetrics: false });
    const store = await DuckDBStore.open(job.storePath);
    try {
      await new JobRunner({ job, source, store, metrics, logger, signal: stop.signal, now: () => START }).run();
    } finally {
      store.close();
    }
    // C1: t/0, then t/1, then t/0 again.
    expect((await metrics.customerPartitionMoves.get()).values[0]!.value).toBe(2);
    const told = warnings.filter((w) => String(w['msg']).includes('not keyed by customer_id'));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ customer_id: 'C1', from: 't/0', to: 't/1' });
    expect(String(told[0]!['msg'])).toContain('Produce each event with its customer_id as the message key');
  }, 60_000);
});
