/**
 * Population results merged across the members of a consumer group (job option `merge`, issue 20
 * item 1; README "Scaling out on Kafka"). Implements the operators' MergePort over a Kafka topic:
 * after each checkpoint's DuckDB commit, this member's cumulative partials and a watermark report
 * per source partition it reads are produced (idempotent producer; before the source's offsets go
 * to the group); the merge partitions numbered like the source partitions it reads are followed
 * from the offsets stored with the merged rows, and applied at the next checkpoint's cut.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { ConfigError } from '../operators/errors.js';
import type { MergeInput, MergePort, PartialRecord } from '../operators/merge-port.js';
import { mergedLocal, type MergeablePlan, type OperatorPlan } from '../operators/parallel.js';
import type { ChangelogRecord } from '../sinks/changelog/records.js';
import { ChangelogTopic } from '../sinks/changelog/topic.js';
import { MergeFollower } from '../sinks/merge/follower.js';
import { partialMessage, watermarkMessages, type MergeMessage } from '../sinks/merge/records.js';
import { partitionWatermark, type WatermarkSnapshot } from '../operators/watermark.js';
import { parsePartitionName, partitionName } from '../sources/kafka/client.js';
import { lagOf } from '../sources/kafka/partition-status.js';
import { sharedClientProperties, singleTopic } from '../sources/kafka/options.js';
import { KafkaSource } from '../sources/kafka/source.js';
import type { Source } from '../sources/source.js';
import type { CheckpointSink, CommittedCheckpoint } from './checkpoint-sink.js';
import type { JobConfig } from './job-config.js';
import type { MergeStatus } from './job-status.js';

/** How often, and how far apart, the source topic's partitions are asked for at start while it has none. */
const SOURCE_METADATA_ATTEMPTS = 10;
const SOURCE_METADATA_RETRY_MS = 1_000;

/** The merge of a job whose source is Kafka and which sets `merge`; undefined otherwise (a run over files has nothing to merge). */
export function bindMerge(job: JobConfig, source: Source, logger: Logger, registry: Registry): MergeBinding | undefined {
  const options = job.merge;
  const config = job.sources[job.source];
  if (!options || config?.type !== 'kafka' || !(source instanceof KafkaSource)) return undefined;
  const topic = singleTopic(job.source, config.topics, 'merge', 'merge partitions follow the partitions of one topic');
  for (const [name, other] of [
    ['the source topic', topic],
    ['checkpoint.changelog.topic', job.checkpoint.changelog?.topic],
  ] as const) {
    if (options.topic === other) throw new ConfigError(`merge.topic: '${options.topic}' is ${name}; give the merge its own topic`);
  }
  const clientProperties = sharedClientProperties(config.options);
  const follower = new MergeFollower({
    brokers: config.brokers,
    topic: options.topic,
    clientProperties,
    onUnreadable: (partition, offset, error) =>
      logger.warn({ topic: options.topic, partition, offset, error }, 'merge record skipped: not one this version writes'),
    onError: (error) => logger.warn({ topic: options.topic, error: error.message }, 'reading the merge topic failed; retrying'),
  });
  return new MergeBinding({
    topic: new ChangelogTopic({ brokers: config.brokers, topic: options.topic, clientProperties, role: { what: 'merge topic', option: 'merge.topic' } }),
    follower,
    sourceTopic: topic,
    source,
    idleTimeoutMs: job.eventTime.idleTimeoutMs,
    outOfOrdernessMs: job.eventTime.outOfOrdernessMs,
    logger,
    registry,
  });
}

export interface MergeBindingOptions {
  topic: ChangelogTopic;
  follower: MergeFollower;
  sourceTopic: string;
  /** The partitions this member reads now: it reports their watermark and merges the same-numbered merge partitions. */
  source: Pick<KafkaSource, 'assignment'>;
  idleTimeoutMs: number;
  /** `event_time.max_out_of_orderness`: a partition's own watermark is its newest event time less this. */
  outOfOrdernessMs: number;
  logger: Logger;
  /** Where `pulse_merge_offset` is registered. */
  registry: Registry;
}

export class MergeBinding implements MergePort {
  private partitions = 0;
  /** Stored positions by operator (from its restored state). */
  private readonly positions = new Map<string, ReadonlyMap<number, number>>();
  private readonly queues = new Map<string, MergeInput[]>();
  private offered: PartialRecord[] = [];
  /** The watermark last reported per source partition: a report that would not move is not produced (members would answer each other's reports forever). */
  private readonly reported = new Map<string, number>();
  /** Merge-topic offsets handed to the operators at the checkpoint being taken, by merge partition. */
  private handed = new Map<number, number>();
  /** The last offset merged and committed, by merge partition (restored positions, then each checkpoint's). */
  private readonly merged = new Map<number, number>();
  /** Re-assignments of the follower, in order; a failure is logged (the next take tries again). */
  private following: Promise<void> = Promise.resolve();
  readonly sink: CheckpointSink;

  constructor(private readonly options: MergeBindingOptions) {
    this.sink = { committed: (checkpoint) => this.publish(checkpoint) };
    // Both read when scraped, for the merge partitions followed now (one that moved away is its new owner's to report).
    const mergedOffset: Gauge = new Gauge({
      name: 'pulse_merge_offset',
      help: 'Last merge-topic offset whose record this member has merged and committed, by merge partition it follows (job option merge).',
      labelNames: ['partition'],
      registers: [options.registry],
      collect: () => this.collectFollowed(mergedOffset, this.merged),
    });
    const highWatermark: Gauge = new Gauge({
      name: 'pulse_merge_high_watermark',
      help: 'High watermark (offset of the next record) of each merge partition this member follows; minus 1 minus pulse_merge_offset: records not merged yet.',
      labelNames: ['partition'],
      registers: [options.registry],
      collect: () => this.collectFollowed(highWatermark, this.options.follower.cachedHighWatermarks()),
    });
  }

  /**
   * `pulse status`: the merge partitions this member follows, the last offset merged and committed
   * of each, its high watermark asked of the brokers (`timeoutMs`) and the records not merged yet.
   */
  async status(timeoutMs: number): Promise<MergeStatus> {
    const errors: string[] = [];
    const partitions = await Promise.all(
      this.followedPartitions()
        .sort((a, b) => a - b)
        .map(async (partition) => {
          const { low, high, error } = await this.options.follower.watermarks(partition, timeoutMs);
          if (error !== undefined) errors.push(`watermarks of ${partitionName(this.topic, partition)}: ${error}`);
          const mergedOffset = this.merged.get(partition) ?? null;
          return { partition, mergedOffset, highWatermark: high, lag: lagOf(mergedOffset, low, high) };
        }),
    );
    return { topic: this.topic, partitions, errors };
  }

  get topic(): string {
    return this.options.topic.name;
  }

  /** Learns the source's partitions and creates the merge topic (one partition each, compacted) when missing; a warning when it could not. */
  async start(): Promise<string | undefined> {
    // A topic another member's first request is auto-creating reports no partitions for a moment
    // (two members started together before any event: the other one's consumer creates it).
    for (let attempt = 1; ; attempt++) {
      this.partitions = await this.options.topic.partitionCount(this.options.sourceTopic);
      if (this.partitions > 0 || attempt === SOURCE_METADATA_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, SOURCE_METADATA_RETRY_MS));
    }
    if (this.partitions === 0) {
      throw new ConfigError(
        `merge: the source topic '${this.options.sourceTopic}' has no partitions after ${SOURCE_METADATA_ATTEMPTS} requests (does it exist? create it first)`,
      );
    }
    return this.options.topic.ensure(this.partitions, 0);
  }

  /** The runner's plans: mergeable ones get a merged global part; other population operators stay per member (said once). */
  plan(plan: OperatorPlan): OperatorPlan {
    if (isMergeable(plan))
      return {
        name: plan.name,
        ...(plan.readsProfiles ? { readsProfiles: plan.readsProfiles } : {}),
        createLocal: (parts) => mergedLocal(plan, parts),
        createGlobal: () => plan.createMergedGlobal(this, this.options.idleTimeoutMs),
      };
    if (plan.createGlobal)
      this.options.logger.warn({ operator: plan.name }, 'merge: this operator is not merged across members; its population results stay per member');
    return plan;
  }

  /** True when merge records wait to be applied (a checkpoint is due even while the source is silent). */
  pending(): boolean {
    return this.options.follower.pending > 0;
  }

  sourcePartitions(): readonly string[] {
    return Array.from({ length: this.partitions }, (_, i) => partitionName(this.options.sourceTopic, i));
  }

  follow(operator: string, positions: ReadonlyMap<number, number>): void {
    this.positions.set(operator, positions);
    // Restored positions (a start, a partition taken over or given up) are what is merged and committed now.
    for (const partition of new Set([...this.merged.keys(), ...[...this.positions.values()].flatMap((p) => [...p.keys()])])) {
      const stored = this.storedPosition(partition);
      if (stored === undefined) this.merged.delete(partition);
      else this.merged.set(partition, stored);
    }
    this.queues.set(operator, []);
    this.refollow(true);
  }

  take(operator: string): MergeInput[] {
    this.refollow(false);
    const inputs = this.options.follower.take();
    // Records of a merge partition whose source partition left since they were read: its state has
    // gone with the source partition to the next owner, which merges them (the follower's
    // re-assignment may not have happened yet).
    const followed = new Set(this.followedPartitions());
    for (const input of inputs) {
      const { mergePartition, offset } = input.position;
      if (!followed.has(mergePartition)) continue;
      this.handed.set(mergePartition, Math.max(offset, this.handed.get(mergePartition) ?? -1));
      for (const [name, queue] of this.queues) if (input.kind === 'watermark' || input.operator === name) queue.push(input);
    }
    const queue = this.queues.get(operator) ?? [];
    this.queues.set(operator, []);
    return queue;
  }

  offer(records: readonly PartialRecord[]): void {
    this.offered.push(...records);
  }

  now(): number {
    return Date.now();
  }

  async close(): Promise<void> {
    await this.following;
    await this.options.follower.close();
    await this.options.topic.close();
  }

  /** After a checkpoint's commit: its partials, then a watermark report per source partition this member reads. */
  private async publish(checkpoint: CommittedCheckpoint): Promise<void> {
    const messages: MergeMessage[] = this.offered.map((record) => partialMessage(record, this.partitions));
    this.offered = [];
    for (const partition of this.options.source.assignment()) {
      const watermark = reportOf(checkpoint.watermark, partition, this.options.outOfOrdernessMs);
      if (watermark === null || watermark <= (this.reported.get(partition) ?? -Infinity)) continue;
      this.reported.set(partition, watermark);
      messages.push(...watermarkMessages(partition, watermark, this.partitions));
    }
    const byPartition = new Map<number, ChangelogRecord[]>();
    for (const { partition, key, value } of messages) {
      const list = byPartition.get(partition) ?? [];
      list.push({ key, value });
      byPartition.set(partition, list);
    }
    await this.options.topic.send(byPartition);
    for (const [partition, offset] of this.handed) this.merged.set(partition, offset);
    this.handed = new Map();
  }

  /** The smallest stored offset of any operator for a merge partition; undefined when one has none (it reads from the beginning). */
  private storedPosition(partition: number): number | undefined {
    const stored = [...this.positions.values()].map((p) => p.get(partition));
    return stored.length === 0 || stored.some((offset) => offset === undefined) ? undefined : Math.min(...(stored as number[]));
  }

  /** Sets `gauge` to `values` of the merge partitions followed now, and drops the others' series. */
  private collectFollowed(gauge: Gauge, values: ReadonlyMap<number, number>): void {
    gauge.reset();
    for (const partition of this.followedPartitions()) {
      const value = values.get(partition);
      if (value !== undefined) gauge.set({ partition: String(partition) }, value);
    }
  }

  /** The merge partitions this member owns now: numbered like the source partitions it reads. */
  private followedPartitions(): number[] {
    const numbers: number[] = [];
    for (const name of this.options.source.assignment()) {
      const parsed = parsePartitionName(name);
      if (parsed?.topic === this.options.sourceTopic) numbers.push(parsed.partition);
    }
    return numbers;
  }

  /**
   * Follows the merge partitions numbered like the source partitions read now, from the offset after
   * the smallest stored one of any operator (each operator skips what it has applied). `restored`:
   * the positions changed (a restore), so even unchanged partitions are sought again.
   */
  private refollow(restored: boolean): void {
    const next = new Map<number, number | undefined>();
    for (const partition of this.followedPartitions()) {
      const stored = this.storedPosition(partition);
      next.set(partition, stored === undefined ? undefined : stored + 1);
    }
    const follower = this.options.follower;
    this.following = this.following
      .then(() => follower.follow(next, restored))
      .catch((error: unknown) => this.options.logger.error({ topic: this.topic, error: (error as Error).message }, 'following the merge topic failed'));
  }
}

function isMergeable(plan: OperatorPlan): plan is MergeablePlan {
  return typeof (plan as Partial<MergeablePlan>).createMergedGlobal === 'function';
}

/**
 * The watermark a member reports for source partition `partition`: how far the partition has got
 * (operators/watermark.ts `partitionWatermark`: the job watermark, never beyond the partition's
 * own). Reported at the job's level, a partition that has just moved here would close merged
 * windows before its records are merged (their late rows revised later, but the rules already
 * evaluated). Null before the partition has an event time.
 */
export function reportOf(snapshot: WatermarkSnapshot, partition: string, outOfOrdernessMs: number): number | null {
  return partitionWatermark(snapshot.current, snapshot.partitions[partition]?.maxEventTime ?? undefined, outOfOrdernessMs);
}
