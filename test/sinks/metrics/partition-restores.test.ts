import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PartitionRestores } from '../../../sinks/metrics/partition-restores.js';

async function value(registry: Registry, name: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values[0]?.value;
}

describe('PartitionRestores', () => {
  it('follows each partition through its phases and counts rows, remaining rows and restore times', async () => {
    const registry = new Registry();
    const restores = new PartitionRestores(registry);
    restores.begin(
      [
        { partition: 't/0', rows: 300, offset: 41 },
        { partition: 't/1', rows: 50, offset: 9 },
      ],
      1_000,
    );
    expect(restores.get('t/0')?.phase).toBe('waiting_for_checkpoint');
    expect(await value(registry, 'pulse_partitions_restoring')).toBe(2);
    expect(await value(registry, 'pulse_partition_restore_rows_remaining')).toBe(350);
    restores.importing('t/0');
    restores.imported('t/0');
    expect(restores.get('t/0')).toMatchObject({ phase: 'reloading', rowsRestored: 300 });
    expect(await value(registry, 'pulse_partition_restore_rows_remaining')).toBe(50);
    restores.imported('t/1');
    restores.finished(3_500);
    expect(restores.get('t/1')).toMatchObject({ phase: 'done', finishedAt: 3_500, offset: 9 });
    expect(await value(registry, 'pulse_partitions_restoring')).toBe(0);
    expect(await value(registry, 'pulse_partition_restored_rows_total')).toBe(350);
    const text = await registry.getSingleMetricAsString('pulse_partition_restore_seconds');
    // Two partitions, 2.5 s each.
    expect(text).toContain('pulse_partition_restore_seconds_sum 5\n');
    expect(text).toMatch(/pulse_partition_restore_seconds_count 2$/m);
    expect(text).toContain('pulse_partition_restore_seconds_bucket{le="2.5"} 2\n');
    expect(text).toContain('pulse_partition_restore_seconds_bucket{le="1"} 0\n');
    restores.forget('t/0');
    expect(restores.get('t/0')).toBeUndefined();
  });
});
