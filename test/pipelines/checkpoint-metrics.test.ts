import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PipelineMetrics } from '../../sinks/metrics/pipeline-metrics.js';
import { runJob, testJob } from '../helpers/run-job.js';

const START = Date.UTC(2026, 0, 5);
/** The runner's clock: after every event, and still, so that only max_events (500) starts checkpoints. */
const now = (): number => START + 30 * 86_400_000;

/** `count` events a minute apart; with `badEvery`, that line and each multiple of it is not JSON. */
function writeEvents(path: string, count: number, badEvery = 0): void {
  const lines = Array.from({ length: count }, (_, i) =>
    badEvery > 0 && (i + 1) % badEvery === 0
      ? 'not json {'
      : JSON.stringify({ type: 'transaction', event_id: `${path}:${i}`, ts: START + i * 60_000, customer_id: `C${i % 20}`, amount: 10, channel: 'web' }),
  );
  writeFileSync(path, lines.join('\n') + '\n');
}

async function total(counter: Counter): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

async function positions(metrics: PipelineMetrics): Promise<Record<string, number>> {
  return Object.fromEntries((await metrics.sourcePosition.get()).values.map((v) => [String(v.labels['partition']), v.value]));
}

describe('metrics published at checkpoints', () => {
  it('counts dead letters when the checkpoint that holds them commits, together with the events ingested', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-ckpt-metrics-'));
    const events = join(dir, 'events.ndjson');
    writeEvents(events, 2000, 10);
    // Worker threads: the next batches are processed while a checkpoint stages, before it commits.
    const job = testJob({ paths: [events], db: join(dir, 'p.duckdb'), batchSize: 50, extra: 'workers: 2' });
    const metrics = new PipelineMetrics({ defaultMetrics: false });
    const seen: Array<{ at: 'before commit' | 'after commit'; rejected: number; ingested: number }> = [];
    const look = async (at: 'before commit' | 'after commit'): Promise<void> => {
      seen.push({ at, rejected: await total(metrics.eventsRejected), ingested: await total(metrics.eventsIngested) });
    };
    let committedFirst = 0;
    const sinks = [
      {
        // In the checkpoint's transaction: its records are read and judged, not committed yet.
        beforeWrites: () => look('before commit'),
        committed: async ({ rejections }: { rejections: readonly unknown[] }) => {
          committedFirst ||= rejections.length;
          await look('after commit');
        },
      },
    ];
    await runJob(job, { sinks, now, metrics });

    // Nothing before the first commit, its dead letters after it.
    expect(seen[0]).toEqual({ at: 'before commit', rejected: 0, ingested: 0 });
    expect(seen[1]!.at).toBe('after commit');
    expect(committedFirst).toBeGreaterThan(0);
    expect(seen[1]!.rejected).toBeGreaterThanOrEqual(committedFirst);
    // At any moment both counters cover the same records, the first `covered` lines of the file,
    // 1 in 10 of them bad: the dead-letter ratio is 0.1 whenever it is defined, never 1.
    for (const { rejected, ingested } of seen) expect(rejected).toBe(Math.floor((rejected + ingested) / 10));
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(seen.at(-1)).toMatchObject({ rejected: 200, ingested: 1800 });
  }, 60_000);

  it('labels each input file apart from the others of the job, and only those', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-ckpt-positions-'));
    for (const day of ['d1', 'd2', 'd3']) mkdirSync(join(dir, day));
    const [first, second, later] = [join(dir, 'd1/events.ndjson'), join(dir, 'd2/events.ndjson'), join(dir, 'd3/other.ndjson')];
    writeEvents(first, 300);
    writeEvents(second, 200);
    writeEvents(later, 100);
    const db = join(dir, 'p.duckdb');

    const both = await runJob(testJob({ paths: [first, second], db, batchSize: 50 }), { now });
    expect(await positions(both.metrics)).toEqual({ 'd1/events.ndjson': 300, 'd2/events.ndjson': 200 });
    // A restart with nothing new to read shows the checkpointed positions under the same labels.
    const again = await runJob(testJob({ paths: [first, second], db, batchSize: 50 }), { now });
    expect(await positions(again.metrics)).toEqual({ 'd1/events.ndjson': 300, 'd2/events.ndjson': 200 });
    // A run on another file leaves out the earlier run's files (still in the checkpoint, not read).
    const next = await runJob(testJob({ paths: [later], db, batchSize: 50 }), { now });
    expect(await positions(next.metrics)).toEqual({ 'other.ndjson': 100 });
  }, 60_000);
});
