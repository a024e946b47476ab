import type { PartitionPosition, PartitionsAssigned, PartitionsRevoked } from '../sources/source.js';
import type { WatermarkTracker } from '../operators/watermark.js';
import type { RunContext } from './run-context.js';

/** What the hand-over needs of the runner: its live positions and watermarks, a checkpoint, a reload. */
export interface HandoverHost {
  /** Positions of the partitions this process reads; the hand-over adds and removes partitions. */
  readonly positions: Map<string, PartitionPosition>;
  readonly watermarks: WatermarkTracker;
  now(): number;
  /** A checkpoint, awaited until it has committed: the store is then current. */
  checkpointCommitted(): Promise<void>;
  /** Replaces the in-memory state with the store's, after state moved in or out of it. */
  reloadState(): Promise<void>;
  /** Moves the job watermark over the partitions now held and hands it to the operators. */
  advanceWatermark(): Promise<void>;
}

/**
 * Partitions moving between the members of a consumer group (Kafka rebalances), with their
 * customers' state: a partition this process gives up is checkpointed and exported to the
 * hand-over directory (job `checkpoint.handoff_dir`), and a snapshot of one it is assigned is
 * imported when it is ahead of this process's own position (sinks/duckdb/partition-handoff.ts).
 */
export class PartitionHandover {
  private warnedNoHandoff = false;
  /** Partitions revoked with the changelog whose state is still here: where they were. */
  private readonly revokedHere = new Map<string, PartitionPosition>();

  constructor(
    private readonly context: Pick<RunContext, 'handoff' | 'changelog' | 'store' | 'source' | 'job' | 'logger' | 'metrics'>,
    private readonly host: HandoverHost,
  ) {}

  async assigned(message: PartitionsAssigned): Promise<void> {
    const now = this.host.now();
    for (const partition of message.partitions) {
      // A newly assigned partition must hold the watermark back before its first record
      // (until the idle timeout), or the first partition to deliver drives the watermark past
      // every other partition's backlog and turns it into late records. observe() with
      // -Infinity registers an unseen partition and only refreshes a known one.
      this.host.watermarks.observe(partition, Number.NEGATIVE_INFINITY, now);
      this.host.watermarks.reopen(partition, now);
    }
    if (this.context.changelog) message.started?.(await this.restoreFromChangelog(message.partitions));
    else await this.takeOver(message.partitions);
  }

  async revoked(message: PartitionsRevoked): Promise<void> {
    // Make everything read from these partitions durable before another member takes them,
    // then stop tracking them: later checkpoints must not overwrite the new owner's positions.
    await this.host.checkpointCommitted();
    for (const partition of message.partitions) this.host.watermarks.end(partition);
    await this.handOver(message.partitions, { lost: message.lost });
    for (const partition of message.partitions) {
      this.host.positions.delete(partition);
      this.context.metrics.restores.forget(partition);
    }
    message.done();
  }

  /**
   * A graceful stop gives every partition up (after the last checkpoint has committed): whoever
   * is assigned them next (this process after a restart, or another member) continues from the snapshot.
   */
  async stopping(): Promise<void> {
    await this.handOver([...this.host.positions.keys()], { stopping: true });
  }

  /**
   * Exports the state of partitions this process gives up to the hand-over directory (after a
   * checkpoint), and reloads the state without it: the next owner continues that state, so this
   * process must neither keep updating it nor write its windows again.
   */
  private async handOver(partitions: readonly string[], { stopping = false, lost = false } = {}): Promise<void> {
    const { handoff, store, source, logger } = this.context;
    const { positions, watermarks } = this.host;
    const moved = partitions.filter((p) => positions.has(p));
    if (moved.length === 0) return;
    if (this.context.changelog) {
      // The changelog has this member's last checkpoint of them (produced before it committed):
      // the next owner restores from it. A graceful stop keeps them here, current for a restart.
      if (stopping) return;
      if (!lost && moved.length === positions.size) {
        // All revoked (the eager protocol does that at every rebalance): keep the state until the
        // next assignment says which come back, so that those need no restore.
        for (const partition of moved) this.revokedHere.set(partition, positions.get(partition)!);
        return;
      }
      await this.release(moved, lost);
      return;
    }
    if (!handoff) {
      if (!stopping && !this.warnedNoHandoff) {
        this.warnedNoHandoff = true;
        logger.warn(
          { partitions: moved },
          "partitions revoked without checkpoint.handoff_dir: their customers' state stays in this process and " +
            'does not move to the new owner, and per-customer detectors here see those customers go silent. ' +
            'Run one member per group, or set checkpoint.handoff_dir (sources/kafka/README.md)',
        );
      }
      return;
    }
    const open = this.openWindows();
    for (const partition of moved) {
      if (lost) {
        // The group gave the partition away already; a snapshot now could be newer than the point
        // its new owner started from. Drop our copy; the new owner continues from the last snapshot.
        await handoff.discard(store.connection, source.name, partition, open);
        logger.warn({ partition }, 'partition lost (session timed out): its state since the last hand-over is dropped here');
      } else {
        const position = positions.get(partition)!;
        const manifest = await handoff.export(store.connection, source.name, partition, position, watermarks.maxEventTimeOf(partition), open);
        logger.info({ partition, offset: manifest.position.offset, rows: manifest.rows }, 'partition state handed over');
      }
      positions.delete(partition);
    }
    if (!stopping) await this.host.reloadState();
  }

  /** Deletes partitions' state from the store (the changelog carries it to their next owner) and rebuilds the operators without it. */
  private async release(partitions: readonly string[], lost: boolean): Promise<void> {
    const { changelog, store, source, logger } = this.context;
    for (const partition of partitions) {
      await changelog!.release(store.connection, source.name, partition, this.openWindows());
      if (lost) logger.warn({ partition }, 'partition lost (session timed out): its next owner restores it from the changelog');
      this.host.positions.delete(partition);
    }
    await this.host.reloadState();
  }

  /** What counts as an open window now (the state that moves with a partition). */
  private openWindows(): { allowedLatenessMs: number; watermark: number } {
    return { allowedLatenessMs: this.context.job.eventTime.allowedLatenessMs, watermark: this.host.watermarks.current };
  }

  /**
   * Restores newly assigned partitions from the state changelog where it is ahead of this
   * process's database (sinks/changelog/state-changelog.ts), before any of their records is read:
   * the source starts them after the returned offsets.
   */
  private async restoreFromChangelog(partitions: readonly string[]): Promise<Map<string, number>> {
    const { changelog, store, source, logger } = this.context;
    const { positions, watermarks } = this.host;
    const { restores } = this.context.metrics;
    const restored = new Map<string, number>();
    if (!changelog || partitions.length === 0) return restored;
    restores.begin(
      partitions.map((partition) => ({ partition, rows: 0, offset: positions.get(partition)?.offset ?? -1 })),
      this.host.now(),
    );
    // The store must be current before it is compared with the changelog and rows are replaced.
    await this.host.checkpointCommitted();
    // State kept at the last revoke: what comes back is current here, the rest leaves.
    for (const partition of partitions) {
      const kept = this.revokedHere.get(partition);
      if (kept) positions.set(partition, kept);
    }
    const gone = [...this.revokedHere.keys()].filter((p) => !partitions.includes(p));
    this.revokedHere.clear();
    if (gone.length > 0) await this.release(gone, false);
    const open = this.openWindows();
    for (const partition of partitions) {
      restores.importing(partition);
      const result = await changelog.takeOver(
        store.connection,
        { source: source.name, partition, local: positions.get(partition), maxEventTime: watermarks.maxEventTimeOf(partition), open },
        (read, total) => restores.reading(partition, read, total),
      );
      restores.imported(partition);
      if (!result) continue;
      positions.set(partition, result.position);
      restored.set(partition, result.position.offset);
      if (result.maxEventTime !== null) watermarks.observe(partition, result.maxEventTime, this.host.now());
      logger.info(
        { partition, offset: result.position.offset, entries: result.entries, topic: changelog.topic },
        'partition state restored from the changelog',
      );
    }
    if (restored.size > 0) await this.takenOver();
    restores.finished(this.host.now());
    return restored;
  }

  /**
   * Imports hand-over snapshots of newly assigned partitions that are ahead of this process's own
   * position for them (the source was started right after the snapshot's position).
   */
  private async takeOver(partitions: readonly string[]): Promise<void> {
    const { handoff, store, source, logger } = this.context;
    const { positions, watermarks } = this.host;
    if (!handoff) return;
    const snapshots = partitions
      .map((partition) => handoff.newest(source.name, partition))
      .filter((snapshot) => snapshot !== undefined)
      .filter((snapshot) => snapshot.manifest.position.offset > (positions.get(snapshot.manifest.partition)?.offset ?? -1));
    if (snapshots.length === 0) return;
    // Progress for `pulse status` and the pulse_partition_restore_* metrics.
    const { restores } = this.context.metrics;
    restores.begin(
      snapshots.map(({ manifest }) => ({ partition: manifest.partition, rows: snapshotRows(manifest.rows), offset: manifest.position.offset })),
      this.host.now(),
    );
    // The reload below replaces in-memory state with the store's: make the store current first.
    await this.host.checkpointCommitted();
    const now = this.host.now();
    for (const snapshot of snapshots) {
      const { partition, position, maxEventTime, rows } = snapshot.manifest;
      restores.importing(partition);
      await handoff.import(store.connection, snapshot);
      restores.imported(partition);
      positions.set(partition, position);
      if (maxEventTime !== null) watermarks.observe(partition, maxEventTime, now);
      logger.info({ partition, offset: position.offset, rows }, 'partition state taken over');
    }
    await this.takenOver();
    restores.finished(this.host.now());
  }

  /**
   * After partitions' state came in: the operators get it, and the watermark the partitions' event
   * times seeded. Without the watermark a member that had none (one that just joined) judged its
   * first batch against none at all: records its predecessor had refused as late were taken, and
   * opened second rows of windows the predecessor had closed (a tester's two-member run).
   */
  private async takenOver(): Promise<void> {
    await this.host.reloadState();
    await this.host.advanceWatermark();
  }
}

/** Every row a snapshot brings in, whatever its table. */
function snapshotRows(rows: Readonly<Record<string, number>>): number {
  return Object.values(rows).reduce((sum, n) => sum + n, 0);
}
