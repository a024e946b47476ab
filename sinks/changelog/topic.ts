import { rdkafka, OFFSET_BEGINNING, type ClientProperties, type LibrdKafkaError, type Message } from '../../sources/kafka/client.js';
import { DeliveringProducer } from '../../sources/kafka/producer.js';
import { ChangelogFold, type ChangelogRecord } from './records.js';

/** librdkafka's TOPIC_ALREADY_EXISTS (a broker error code). */
const TOPIC_ALREADY_EXISTS = 36;
const REQUEST_TIMEOUT_MS = 30_000;
/** A broker that neither creates the topic nor refuses within this is taken as refusing (the mock cluster). */
const CREATE_TIMEOUT_MS = 10_000;
/** Metadata of a topic just created (or auto-created by asking) may list no partitions yet. */
const METADATA_ATTEMPTS = 10;

export interface ChangelogTopicOptions {
  brokers: string;
  topic: string;
  /** librdkafka settings shared with the source (security, ...). */
  clientProperties?: ClientProperties;
  /** What the topic is and which job option names it, for messages (default: the state changelog). */
  role?: { what: string; option: string };
}

const CHANGELOG_ROLE = { what: 'changelog topic', option: 'checkpoint.changelog.topic' };

/** The binding's errors are objects with a message, not always `Error` instances. */
function callback<T>(run: (done: (error: LibrdKafkaError | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    run((error, value) => (error ? reject(Object.assign(new Error(error.message), { code: error.code })) : resolve(value))),
  );
}

/**
 * The changelog topic of a job: created compacted if missing, written by an idempotent producer
 * (records of a partition arrive once and in order, so a marker follows its checkpoint's changes),
 * and read back one partition at a time from the beginning.
 */
export class ChangelogTopic {
  private readonly producer: DeliveringProducer;

  constructor(private readonly options: ChangelogTopicOptions) {
    this.producer = new DeliveringProducer({
      ...this.options.clientProperties,
      'bootstrap.servers': options.brokers,
      'enable.idempotence': true,
      'linger.ms': 20,
      'compression.type': 'lz4',
    });
  }

  get name(): string {
    return this.options.topic;
  }

  private get role(): { what: string; option: string } {
    return this.options.role ?? CHANGELOG_ROLE;
  }

  /**
   * Creates the topic with `partitions` partitions and `cleanup.policy=compact` when it does not
   * exist. Returns a warning when it could not (a broker that refuses the admin request, as the
   * mock cluster does; the topic is then auto-created on first write with the broker's defaults).
   */
  async ensure(partitions: number, minCompactionLagMs: number): Promise<string | undefined> {
    const warning = await this.create(partitions, minCompactionLagMs);
    let have = 0;
    for (let attempt = 0; attempt < METADATA_ATTEMPTS && have === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      have = await this.partitionCount(this.options.topic);
    }
    if (have < partitions) {
      throw new Error(
        `${this.role.what} '${this.options.topic}' has ${have} partitions and the source topic ${partitions}: it needs one per source partition; ` +
          `delete it or give it another name (${this.role.option})`,
      );
    }
    return warning;
  }

  /** Partitions of a topic, asked of the brokers by a producer (where brokers auto-create topics, asking creates it). */
  async partitionCount(topic: string): Promise<number> {
    const client = new (rdkafka().Producer)({ ...this.options.clientProperties, 'bootstrap.servers': this.options.brokers });
    await callback<unknown>((done) => client.connect({ timeout: REQUEST_TIMEOUT_MS }, done));
    try {
      const metadata = await callback<{ topics: Array<{ name: string; partitions: unknown[] }> }>((done) =>
        client.getMetadata({ topic, timeout: REQUEST_TIMEOUT_MS }, done),
      );
      return metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    } finally {
      await new Promise<void>((resolve) => client.disconnect(() => resolve()));
    }
  }

  private async create(partitions: number, minCompactionLagMs: number): Promise<string | undefined> {
    const admin = rdkafka().AdminClient.create({ ...this.options.clientProperties, 'bootstrap.servers': this.options.brokers });
    try {
      await callback<void>((done) =>
        admin.createTopic(
          {
            topic: this.options.topic,
            num_partitions: partitions,
            replication_factor: -1,
            config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(minCompactionLagMs) },
          },
          CREATE_TIMEOUT_MS,
          (error) => done(error, undefined),
        ),
      );
      return undefined;
    } catch (error) {
      if ((error as { code?: number }).code === TOPIC_ALREADY_EXISTS) return undefined;
      return (
        `could not create ${this.role.what} '${this.options.topic}' (${(error as Error).message}); ` +
        `create it with ${partitions} partitions and cleanup.policy=compact, min.compaction.lag.ms=${minCompactionLagMs}`
      );
    } finally {
      admin.disconnect();
    }
  }

  /** Produces records in order per partition; resolves once all are acknowledged. */
  async send(byPartition: ReadonlyMap<number, readonly ChangelogRecord[]>): Promise<void> {
    const messages = [];
    for (const [partition, records] of byPartition) {
      for (const { key, value } of records) messages.push({ topic: this.options.topic, partition, key, value });
    }
    await this.producer.send(messages);
  }

  /**
   * Reads `partition` from its beginning to its end as of now, folding it (latest value per key up
   * to the last marker). `onRead` gets the records read so far and the total to read.
   */
  async read(partition: number, onRead?: (read: number, total: number) => void): Promise<ChangelogFold> {
    const fold = new ChangelogFold();
    const consumer = new (rdkafka().KafkaConsumer)(
      {
        ...this.options.clientProperties,
        'bootstrap.servers': this.options.brokers,
        // Required by the client; nothing is committed and no group is joined (assign, not subscribe).
        'group.id': `pulse-changelog-reader-${process.pid}`,
        'enable.auto.commit': false,
        'enable.partition.eof': false,
      },
      {},
    );
    await callback<unknown>((done) => consumer.connect({ timeout: REQUEST_TIMEOUT_MS }, done));
    try {
      const { lowOffset, highOffset } = await callback<{ lowOffset: number; highOffset: number }>((done) =>
        consumer.queryWatermarkOffsets(this.options.topic, partition, REQUEST_TIMEOUT_MS, done),
      );
      const total = Math.max(0, highOffset - lowOffset);
      onRead?.(0, total);
      if (total === 0) return fold;
      consumer.assign([{ topic: this.options.topic, partition, offset: OFFSET_BEGINNING }]);
      consumer.setDefaultConsumeTimeout(1_000);
      // Return what has arrived instead of waiting the timeout for a full batch (the binding has it; its types do not).
      (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
      const started = Date.now();
      let last = -1;
      while (last < highOffset - 1) {
        const batch = await callback<Message[]>((done) => consumer.consume(10_000, done));
        for (const message of batch) {
          if (message.offset >= highOffset) continue; // written after the read began: not ours to fold
          last = message.offset;
          fold.add({
            key: message.key === null || message.key === undefined ? '' : message.key.toString('utf8'),
            value: message.value === null ? null : message.value.toString('utf8'),
          });
        }
        onRead?.(fold.records, total);
        if (batch.length === 0 && Date.now() - started > 10 * REQUEST_TIMEOUT_MS) {
          throw new Error(`${this.role.what} '${this.options.topic}' partition ${partition}: read stalled at offset ${last} of ${highOffset}`);
        }
      }
      return fold;
    } finally {
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    }
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
