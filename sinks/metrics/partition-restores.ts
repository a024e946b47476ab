import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Where a newly assigned partition's state is on its way in (pipelines/partition-handover.ts):
 * the hand-over waits for a checkpoint to make the store current, imports each partition's
 * snapshot, then rebuilds the operators from the store; records of those partitions are processed
 * again once it is `done`.
 */
export type RestorePhase = 'waiting_for_checkpoint' | 'importing' | 'reloading' | 'done';

export interface PartitionRestore {
  /** `topic/partition`. */
  partition: string;
  phase: RestorePhase;
  /** Rows in the partition's snapshot (windows, state, dedup ids, owners, cases). */
  rows: number;
  /** Rows of it imported so far: the snapshot is imported in one transaction, so 0 or `rows`. */
  rowsRestored: number;
  /** The offset the snapshot covers: reading resumes after it. */
  offset: number;
  startedAt: number;
  finishedAt?: number;
}

/**
 * State restores after partition hand-overs, for `pulse status` and as metrics. Labels are
 * unbounded nowhere: counts and one histogram, no partition or customer label.
 */
export class PartitionRestores {
  /** The latest restore of each partition this process was assigned, finished ones included. */
  private readonly byPartition = new Map<string, PartitionRestore>();
  private readonly seconds: Histogram;
  private readonly rowsTotal: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const restoring: Gauge = new Gauge({
      name: 'pulse_partitions_restoring',
      help: 'Partitions assigned to this member whose handed-over state is still being restored (their records wait until it is done).',
      registers,
      collect: () => restoring.set(this.active().length),
    });
    const remaining: Gauge = new Gauge({
      name: 'pulse_partition_restore_rows_remaining',
      help: 'Rows of handed-over partition snapshots not imported yet, over the partitions being restored.',
      registers,
      collect: () => remaining.set(this.active().reduce((sum, r) => sum + r.rows - r.rowsRestored, 0)),
    });
    this.seconds = new Histogram({
      name: 'pulse_partition_restore_seconds',
      help: 'Time from a partition assignment with a newer hand-over snapshot until its state is restored and its records are processed again.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.rowsTotal = new Counter({
      name: 'pulse_partition_restored_rows_total',
      help: 'Rows of handed-over partition snapshots imported into this member.',
      registers,
    });
  }

  /** Snapshots of these partitions are to be imported; the store is made current first. */
  begin(snapshots: ReadonlyArray<{ partition: string; rows: number; offset: number }>, now: number): void {
    for (const { partition, rows, offset } of snapshots) {
      this.byPartition.set(partition, { partition, phase: 'waiting_for_checkpoint', rows, rowsRestored: 0, offset, startedAt: now });
    }
  }

  importing(partition: string): void {
    const restore = this.byPartition.get(partition);
    if (restore) restore.phase = 'importing';
  }

  /** Rows of the partition's state read so far (a changelog is read record by record before it is imported). */
  reading(partition: string, read: number, total: number): void {
    const restore = this.byPartition.get(partition);
    if (!restore) return;
    restore.rows = total;
    restore.rowsRestored = Math.min(read, total);
  }

  /** The snapshot is in the store; the operators are rebuilt once every snapshot of the assignment is. */
  imported(partition: string): void {
    const restore = this.byPartition.get(partition);
    if (!restore) return;
    restore.phase = 'reloading';
    restore.rowsRestored = restore.rows;
    this.rowsTotal.inc(restore.rows);
  }

  /** The operators hold the restored state: every restore in progress is done. */
  finished(now: number): void {
    for (const restore of this.active()) {
      restore.phase = 'done';
      restore.finishedAt = now;
      this.seconds.observe((now - restore.startedAt) / 1000);
    }
  }

  /** A revoked partition's restore is no longer this member's concern. */
  forget(partition: string): void {
    this.byPartition.delete(partition);
  }

  get(partition: string): PartitionRestore | undefined {
    const restore = this.byPartition.get(partition);
    return restore && { ...restore };
  }

  active(): PartitionRestore[] {
    return [...this.byPartition.values()].filter((r) => r.phase !== 'done');
  }
}
