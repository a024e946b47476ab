import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineMetrics } from '../../../sinks/metrics/pipeline-metrics.js';
import { runJob, testJob } from '../../helpers/run-job.js';

/** The value of an unlabelled sample in a scrape, or undefined when the series is absent. */
async function sample(metrics: PipelineMetrics, name: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('watermark gauges (issue 18 item 7)', () => {
  it('are absent until there is a watermark, then read it and the lag at scrape time', async () => {
    const metrics = new PipelineMetrics({ defaultMetrics: false });
    expect(await sample(metrics, 'pulse_watermark_timestamp_seconds')).toBeUndefined();
    expect(await sample(metrics, 'pulse_watermark_lag_seconds')).toBeUndefined();
    let watermark = Number.NEGATIVE_INFINITY;
    let now = Date.UTC(2026, 11, 2, 12);
    metrics.trackWatermark(
      () => watermark,
      () => now,
    );
    expect(await sample(metrics, 'pulse_watermark_timestamp_seconds')).toBeUndefined();
    expect(await sample(metrics, 'pulse_watermark_lag_seconds')).toBeUndefined();
    watermark = Date.UTC(2026, 11, 2, 11);
    expect(await sample(metrics, 'pulse_watermark_timestamp_seconds')).toBe(watermark / 1000);
    expect(await sample(metrics, 'pulse_watermark_lag_seconds')).toBe(3600);
    // A stuck job: the watermark stays, the wall clock moves, the lag grows between checkpoints.
    now += 600_000;
    expect(await sample(metrics, 'pulse_watermark_lag_seconds')).toBe(4200);
  });

  it('show the last event-time watermark of a run, not the +infinity that closes its windows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-wm-'));
    const input = join(dir, 'events.ndjson');
    const times = [Date.UTC(2026, 0, 5, 10), Date.UTC(2026, 0, 5, 11), Date.UTC(2026, 0, 5, 10, 30)];
    writeFileSync(
      input,
      times.map((ts, i) => JSON.stringify({ type: 'transaction', event_id: `e${i}`, ts, customer_id: 'C1', amount: 1, channel: 'web' })).join('\n') + '\n',
    );
    const now = Date.UTC(2026, 1, 1);
    const { metrics } = await runJob(testJob({ paths: [input], db: join(dir, 'pulse.duckdb') }), { now: () => now });
    const watermark = Date.UTC(2026, 0, 5, 11) - 5 * 60_000; // newest event minus max_out_of_orderness
    expect(await sample(metrics, 'pulse_watermark_timestamp_seconds')).toBe(watermark / 1000);
    expect(await sample(metrics, 'pulse_watermark_lag_seconds')).toBe((now - watermark) / 1000);
  });
});
