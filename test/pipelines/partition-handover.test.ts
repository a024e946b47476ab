import { describe, expect, it } from 'vitest';
import { WatermarkTracker } from '../../operators/watermark.js';
import { PartitionHandover, type HandoverHost } from '../../pipelines/partition-handover.js';
import type { RunContext } from '../../pipelines/run-context.js';
import { PipelineMetrics } from '../../sinks/metrics/pipeline-metrics.js';
import type { PartitionPosition } from '../../sources/source.js';

describe('taking over partitions handed over by another member', () => {
  it("judges the first batch against the watermark the snapshots' event times seed (a joining member had none)", async () => {
    const HOUR = 3_600_000;
    const watermarks = new WatermarkTracker({ outOfOrdernessMs: 5 * 60_000, idleTimeoutMs: 30_000 });
    const seen: string[] = [];
    let handedToOperators: number | undefined;
    const host: HandoverHost = {
      positions: new Map<string, PartitionPosition>(),
      watermarks,
      now: () => 0,
      checkpointCommitted: async () => undefined,
      reloadState: async () => void seen.push('reload'),
      advanceWatermark: async () => {
        seen.push('watermark');
        handedToOperators = watermarks.advance(0);
      },
    };
    const snapshot = (partition: string, maxEventTime: number) => ({
      manifest: { partition, position: { offset: 100 } as PartitionPosition, maxEventTime, rows: { customer_windows: 1 } },
    });
    const snapshots = new Map([
      ['ev/0', snapshot('ev/0', 10 * HOUR)],
      ['ev/1', snapshot('ev/1', 12 * HOUR)],
    ]);
    const context = {
      handoff: { newest: (_source: string, partition: string) => snapshots.get(partition), import: async () => undefined },
      store: { connection: {} },
      source: { name: 'kafka' },
      logger: { info: () => undefined, warn: () => undefined },
      metrics: new PipelineMetrics({ defaultMetrics: false }),
    } as unknown as RunContext;
    await new PartitionHandover(context, host).assigned({ partitions: ['ev/0', 'ev/1'] } as never);
    expect(seen).toEqual(['reload', 'watermark']);
    // The older of the two partitions' progress, less the out-of-orderness: not "none yet".
    expect(handedToOperators).toBe(10 * HOUR - 5 * 60_000);
  });
});
