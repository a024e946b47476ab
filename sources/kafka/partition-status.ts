import { partitionName, type KafkaConsumer, type TopicPartition } from './client.js';

/** A partition's position and lag at one moment (`pulse status`). */
export interface PartitionLag {
  /** `topic/partition`. */
  name: string;
  topic: string;
  partition: number;
  /** The last offset made durable (this member's checkpoint, or the group's offset in Kafka); null when none. */
  committedOffset: number | null;
  /** Oldest and next offset of the partition (Kafka's low and high watermarks); null when the broker did not answer. */
  lowWatermark: number | null;
  highWatermark: number | null;
  /** Messages after the committed offset: high watermark minus the next offset to read; null without a high watermark. */
  lag: number | null;
}

export interface AssignedPartition extends PartitionLag {
  /** The last offset handed to the runner (read, maybe not yet checkpointed); null before the first. */
  readOffset: number | null;
}

export interface KafkaGroupStatus {
  group: string;
  topics: string[];
  /** Partitions this member reads. */
  assigned: AssignedPartition[];
  /** The other partitions of the topics, with the group's committed offset in Kafka (copied from their owners' checkpoints). */
  others: PartitionLag[];
  /** What could not be asked of the brokers (the figures concerned are null). */
  errors: string[];
}

type Consumer = InstanceType<typeof KafkaConsumer>;

/** What the source knows of a partition it reads. */
export interface OwnedPartition extends TopicPartition {
  committedOffset: number | undefined;
  readOffset: number | undefined;
}

/** The binding's errors are objects with a message, not always `Error` instances. */
function callback<T>(run: (done: (error: { message: string } | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(new Error(error.message)) : resolve(value))));
}

/** Messages behind: from the offset after `committed` (or the partition's start) to the high watermark. */
export function lagOf(committed: number | null, low: number | null, high: number | null): number | null {
  if (high === null) return null;
  const next = Math.max((committed ?? -1) + 1, low ?? 0);
  return Math.max(0, high - next);
}

/**
 * Asks the brokers for the watermarks of `owned` and of every other partition of `topics`, and
 * for the group's committed offsets of the others. Each question has `timeoutMs`; one that fails
 * leaves its figures null and says why in `errors` (a status must answer while a broker is down).
 */
export async function queryGroupStatus(
  consumer: Consumer,
  group: string,
  topics: readonly string[],
  owned: readonly OwnedPartition[],
  timeoutMs: number,
): Promise<KafkaGroupStatus> {
  const errors: string[] = [];
  const ownedNames = new Set(owned.map((p) => partitionName(p.topic, p.partition)));
  const all: TopicPartition[] = [];
  await Promise.all(
    topics.map(async (topic) => {
      try {
        const metadata = await callback<{ topics: Array<{ name: string; partitions: Array<{ id: number }> }> }>((done) =>
          consumer.getMetadata({ topic, timeout: timeoutMs }, done),
        );
        for (const t of metadata.topics) if (t.name === topic) for (const p of t.partitions) all.push({ topic, partition: p.id });
      } catch (error) {
        errors.push(`partitions of topic ${topic}: ${(error as Error).message}`);
      }
    }),
  );
  const others = all
    .filter((tp) => !ownedNames.has(partitionName(tp.topic, tp.partition)))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const groupCommitted = new Map<string, number>();
  if (others.length > 0) {
    try {
      const committed = await callback<Array<TopicPartition & { offset?: number }>>((done) => consumer.committed(others, timeoutMs, done));
      // Kafka's committed offset is the next one to read; ours is the last one processed.
      for (const c of committed) if (c.offset !== undefined && c.offset >= 0) groupCommitted.set(partitionName(c.topic, c.partition), c.offset - 1);
    } catch (error) {
      errors.push(`the group's committed offsets: ${(error as Error).message}`);
    }
  }
  const watermarks = async (tp: TopicPartition): Promise<{ low: number | null; high: number | null }> => {
    try {
      const offsets = await callback<{ lowOffset: number; highOffset: number }>((done) =>
        consumer.queryWatermarkOffsets(tp.topic, tp.partition, timeoutMs, done),
      );
      return { low: offsets.lowOffset, high: offsets.highOffset };
    } catch (error) {
      errors.push(`watermarks of ${partitionName(tp.topic, tp.partition)}: ${(error as Error).message}`);
      return { low: null, high: null };
    }
  };
  const lagRow = async (tp: TopicPartition, committed: number | null): Promise<PartitionLag> => {
    const { low, high } = await watermarks(tp);
    const name = partitionName(tp.topic, tp.partition);
    return {
      name,
      topic: tp.topic,
      partition: tp.partition,
      committedOffset: committed,
      lowWatermark: low,
      highWatermark: high,
      lag: lagOf(committed, low, high),
    };
  };
  const sortedOwned = [...owned].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const assigned = await Promise.all(sortedOwned.map(async (p) => ({ ...(await lagRow(p, p.committedOffset ?? null)), readOffset: p.readOffset ?? null })));
  const otherRows = await Promise.all(others.map((tp) => lagRow(tp, groupCommitted.get(partitionName(tp.topic, tp.partition)) ?? null)));
  return { group, topics: [...topics], assigned, others: otherRows, errors };
}
