import type { DuckDBConnection } from '@duckdb/node-api';
import { parsePartitionName, partitionName } from '../../sources/kafka/client.js';
import type { PartitionPosition } from '../../sources/source.js';
import { deletePartitionState, type OpenWindows } from '../duckdb/partition-handoff.js';
import { inTransaction } from '../duckdb/transaction.js';
import { readPartitionState, replacePartitionState } from './partition-state.js';
import type { ChangelogMetrics } from './metrics.js';
import { encodeEntry, entryKey, type ChangelogRecord } from './records.js';
import type { ChangelogTopic } from './topic.js';
import type { OperatorOutput } from '../../operators/operator.js';
import { stateRowsOf, type PackedStateRows } from '../../operators/state-pack.js';
import type { StateRow } from '../../operators/state.js';
import type { WindowEntry } from './records.js';
import { ChangelogWriter, windowEntries, type ChangelogCheckpoint } from './writer.js';

export interface StateChangelogOptions {
  topic: ChangelogTopic;
  /** The Kafka topic the job reads: changelog partition P holds the state of its partition P. */
  sourceTopic: string;
  allowedLatenessMs: number;
  minCompactionLagMs: number;
  /** Source partitions this member still holds (revoked ones until their hand-over is done). */
  held(): readonly string[];
  metrics: ChangelogMetrics;
}

/** A partition assigned to this member, as the changelog's take-over sees it. */
export interface AssignedPartition {
  /** The job's source name (`pulse_checkpoints.source`). */
  source: string;
  /** `topic/partition`. */
  partition: string;
  /** This database's position for it (undefined: never read here). */
  local: PartitionPosition | undefined;
  maxEventTime: number;
  open: OpenWindows;
}

/** Where a partition continues after a take-over that restored it from the changelog. */
export interface RestoredPartition {
  position: PartitionPosition;
  maxEventTime: number | null;
  /** Entries restored. */
  entries: number;
}

/**
 * Per-customer state carried by a compacted Kafka topic (job `checkpoint.changelog`): each
 * checkpoint's changes are produced after its DuckDB commit, and a member assigned a partition
 * restores it from the changelog unless its own database is as far or further (README "State
 * carried by Kafka" gives the exactly-once argument).
 */
export class StateChangelog {
  private readonly writer: ChangelogWriter;
  /** The window rows of the checkpoint being written, taken before its commit (`capture`). */
  private captured: WindowEntry[] = [];
  private capturedState: StateRow[] = [];

  constructor(private readonly options: StateChangelogOptions) {
    this.writer = new ChangelogWriter({
      allowedLatenessMs: options.allowedLatenessMs,
      partitionOf: (p) => this.partitionOf(p),
      sourcePartition: (n) => partitionName(options.sourceTopic, n),
    });
  }

  get topic(): string {
    return this.options.topic.name;
  }

  /** Creates the topic when missing (one partition per source partition) and learns the stored owners; a warning when it could not create it. */
  async start(owners: Iterable<[string, string]>): Promise<string | undefined> {
    this.writer.seedOwners(owners);
    const partitions = await this.options.topic.partitionCount(this.options.sourceTopic);
    return this.options.topic.ensure(partitions, this.options.minCompactionLagMs);
  }

  /** As a checkpoint is drained: its changed keyed state (decoded now: the store releases the blocks as it stages them). */
  captureState(state: readonly PackedStateRows[]): void {
    this.capturedState = [...stateRowsOf(state)];
  }

  /** While a checkpoint is written (before the loop goes on): its window rows. */
  capture(outputs: readonly OperatorOutput[]): void {
    this.captured = windowEntries(outputs);
  }

  /** After a checkpoint's DuckDB commit, before its offsets go to the group: its changes and markers. */
  async committed(checkpoint: Omit<ChangelogCheckpoint, 'windows' | 'state'>): Promise<void> {
    const windows = this.captured;
    const state = this.capturedState;
    this.captured = [];
    this.capturedState = [];
    const records = this.writer.records({ ...checkpoint, windows, state }, new Set(this.options.held()));
    this.options.metrics.unrouted(this.writer.takeUnrouted());
    await this.send(records);
  }

  /**
   * A partition assigned to this member. Reads its changelog to the end; when the last marker is
   * ahead of this database, replaces the partition's state here with the changelog's and returns
   * where to continue. Otherwise this database is current: when the changelog lacks some of it (no
   * marker yet, an older one, or records of a checkpoint whose marker was never written) the
   * partition's state is published from here, so that the changelog again equals it at a marker.
   */
  async takeOver(
    connection: DuckDBConnection,
    assigned: AssignedPartition,
    onRead?: (read: number, total: number) => void,
  ): Promise<RestoredPartition | undefined> {
    const { source, partition, local, open } = assigned;
    const number = this.partitionOf(partition);
    if (number === undefined) return undefined;
    const fold = await this.options.topic.read(number, onRead);
    const marker = fold.marker;
    if (marker && marker.position.offset > (local?.offset ?? -1)) {
      const entries = fold.entries();
      await replacePartitionState(connection, { source, partition, position: marker.position, open }, entries);
      this.writer.adopt(partition, entries);
      // Records after the marker are not state: overwrite them before this member's own first marker.
      // Event ids its writer left behind the horizon go too (behind a marker: alone they would be trailing records).
      const cleanup = [...fold.repairs(), ...fold.expiredTombstones()];
      if (cleanup.length > 0) await this.publish(number, [...cleanup, this.writer.marker(partition, marker.position, marker.maxEventTime)]);
      return { position: marker.position, maxEventTime: marker.maxEventTime, entries: entries.length };
    }
    const entries = await readPartitionState(connection, partition, open);
    this.writer.adopt(partition, entries);
    const current = marker !== undefined && local !== undefined && marker.position.offset === local.offset && !fold.hasTrailing;
    if (local !== undefined && !current) {
      const keep = new Set(entries.map((e) => entryKey(e)));
      const stale: ChangelogRecord[] = [...fold.keys()].filter((key) => !keep.has(key)).map((key) => ({ key, value: null }));
      const maxEventTime = Number.isFinite(assigned.maxEventTime) ? assigned.maxEventTime : null;
      await this.publish(number, [...stale, ...entries.map(encodeEntry), this.writer.marker(partition, local, maxEventTime)]);
    }
    return undefined;
  }

  /** A partition given up: its state leaves this database (the next owner restores it from the changelog). */
  async release(connection: DuckDBConnection, source: string, partition: string, open: OpenWindows): Promise<void> {
    await inTransaction(connection, () => deletePartitionState(connection, source, partition, open));
    this.writer.forget(partition);
  }

  async close(): Promise<void> {
    await this.options.topic.close();
  }

  private async publish(partition: number, records: ChangelogRecord[]): Promise<void> {
    await this.send(new Map([[partition, records]]));
  }

  private async send(records: Map<number, ChangelogRecord[]>): Promise<void> {
    await this.options.topic.send(records);
    for (const list of records.values()) this.options.metrics.produced(list);
  }

  private partitionOf(sourcePartition: string): number | undefined {
    const parsed = parsePartitionName(sourcePartition);
    return parsed?.topic === this.options.sourceTopic ? parsed.partition : undefined;
  }
}
