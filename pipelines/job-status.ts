import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { PipelineMetrics } from '../sinks/metrics/pipeline-metrics.js';
import type { PartitionRestore } from '../sinks/metrics/partition-restores.js';
import { KafkaSource, type AssignedPartition, type PartitionLag } from '../sources/kafka/index.js';
import type { PartitionPosition, Source } from '../sources/source.js';
import type { CheckpointSink } from './checkpoint-sink.js';

/**
 * A partition this member reads (Kafka `topic/partition`, or an input file), with the state
 * restore it went through when it was assigned.
 */
export type MemberPartition = Pick<AssignedPartition, 'name' | 'committedOffset' | 'readOffset' | 'lowWatermark' | 'highWatermark' | 'lag'> & {
  restore: Omit<PartitionRestore, 'partition'> | null;
};

/**
 * What `pulse status` shows of one running job (one member of its consumer group). Times are ISO
 * 8601 UTC; offsets are the last processed record's (Kafka's committed offset minus one).
 */
export interface MemberStatus {
  job: string;
  /** `host:pid`: how the member is told apart from the group's other members. */
  member: string;
  db: string;
  source: { name: string; type: 'kafka' | 'files' };
  group: string | null;
  watermark: string | null;
  lastCheckpointAt: string | null;
  /** Partitions this member reads (Kafka), or the positions of its files. */
  partitions: MemberPartition[];
  /** Kafka: the topics' partitions other members read, with the group's committed offsets. */
  otherPartitions: PartitionLag[];
  /** Kafka: what could not be asked of the brokers (those figures are null). */
  errors: string[];
  /** Job option `merge`: the merge partitions this member follows; null without it. */
  merge: MergeStatus | null;
}

/** The merge partitions a member follows (job option `merge`), with what it has merged of each. */
export interface MergeStatus {
  topic: string;
  partitions: Array<{
    /** Merge partition number (numbered like the source partition the member reads). */
    partition: number;
    /** The last offset merged and committed (null: none yet). */
    mergedOffset: number | null;
    /** The broker's high watermark (offset of the next record); null when it could not be asked. */
    highWatermark: number | null;
    /** Records not merged yet: the high watermark minus the offset after `mergedOffset`. */
    lag: number | null;
  }>;
  /** What could not be asked of the brokers (those figures are null). */
  errors: string[];
}

/** How long `pulse status` waits for each broker request before it shows a figure as unknown. */
export const STATUS_BROKER_TIMEOUT_MS = 5_000;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Collects a running job's status: the source's partitions, restores, the watermark and the last checkpoint. */
export class JobStatus {
  private lastCheckpointAt: number | undefined;
  /** The last checkpoint's positions: what a source without partition status (files) shows. */
  private positions: ReadonlyMap<string, PartitionPosition> = new Map();

  constructor(
    private readonly options: {
      job: string;
      db: string;
      source: Source;
      metrics: PipelineMetrics;
      /** Job option `merge` (pipelines/merge-binding.ts). */
      merge?: { status(timeoutMs: number): Promise<MergeStatus> };
      now?: () => number;
    },
  ) {}

  /** Add to the job's checkpoint sinks: records when each checkpoint committed and what it covers. */
  readonly sink: CheckpointSink = {
    committed: async ({ positions }) => {
      this.lastCheckpointAt = (this.options.now ?? Date.now)();
      this.positions = positions;
    },
  };

  async report(brokerTimeoutMs = STATUS_BROKER_TIMEOUT_MS): Promise<MemberStatus> {
    const { job, db, source, metrics } = this.options;
    const base = {
      job,
      member: `${hostname()}:${process.pid}`,
      db: resolve(db),
      watermark: iso(metrics.watermarkMs()),
      lastCheckpointAt: iso(this.lastCheckpointAt),
    };
    if (!(source instanceof KafkaSource)) {
      const partitions = [...this.positions].map(([name, position]) => ({
        name,
        committedOffset: position.offset,
        readOffset: null,
        lowWatermark: null,
        highWatermark: null,
        lag: null,
        restore: null,
      }));
      return { ...base, source: { name: source.name, type: 'files' }, group: null, partitions, otherPartitions: [], errors: [], merge: null };
    }
    const [status, merge] = await Promise.all([source.groupStatus(brokerTimeoutMs), this.options.merge?.status(brokerTimeoutMs) ?? null]);
    const partitions = status.assigned.map(({ name, committedOffset, readOffset, lowWatermark, highWatermark, lag }) => {
      const restore = metrics.restores.get(name);
      return { name, committedOffset, readOffset, lowWatermark, highWatermark, lag, restore: restore ? withoutPartition(restore) : null };
    });
    return {
      ...base,
      source: { name: source.name, type: 'kafka' },
      group: status.group,
      partitions,
      otherPartitions: status.others,
      errors: status.errors,
      merge,
    };
  }
}

function withoutPartition({ partition: _partition, ...rest }: PartitionRestore): Omit<PartitionRestore, 'partition'> {
  return rest;
}
