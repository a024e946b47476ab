/**
 * Reads the merge partitions this member owns, from given offsets, as records arrive (assign, not
 * subscribe: which partitions follows the source's assignment, and the offsets are the ones stored
 * with the merged rows in DuckDB; nothing is committed to Kafka).
 */
import { rdkafka, type KafkaConsumer, OFFSET_BEGINNING, type ClientProperties, type Message } from '../../sources/kafka/client.js';
import type { MergeInput } from '../../operators/merge-port.js';
import { decodeMergeRecord } from './records.js';

const CONNECT_TIMEOUT_MS = 30_000;
/** A consume call returns after this with what it has (also how often an empty assignment is looked at again). */
const POLL_MS = 200;
const BATCH = 1_000;

type Consumer = InstanceType<typeof KafkaConsumer>;

export interface MergeFollowerOptions {
  brokers: string;
  topic: string;
  clientProperties?: ClientProperties;
  /** A record that cannot be read (not written by this version): logged and skipped. */
  onUnreadable(partition: number, offset: number, error: string): void;
  /** A consume that failed (the loop goes on; librdkafka reconnects). */
  onError(error: Error): void;
}

export class MergeFollower {
  private consumer: Consumer | undefined;
  private connecting: Promise<Consumer> | undefined;
  private readonly received: MergeInput[] = [];
  /** Merge partition -> offset to read next (undefined: the beginning). */
  private assigned = new Map<number, number | undefined>();
  private loop: Promise<void> | undefined;
  private closed = false;
  /** Bumped by every re-assignment: the batch of a consume call started before it holds old offsets' records only, and is dropped. */
  private generation = 0;
  /**
   * The re-assignment under way: no consume call starts meanwhile, and it waits for the one in
   * flight. A call spanning `assign` returned records of the new offsets, which the consumer had
   * moved past, in a batch dropped as stale: lost until the next re-assignment (issue 20).
   */
  private reassigning: Promise<void> | undefined;
  /** The consume call in flight, settled either way. */
  private consuming: Promise<void> | undefined;

  constructor(private readonly options: MergeFollowerOptions) {}

  /** Records read and not taken yet. */
  get pending(): number {
    return this.received.length;
  }

  /**
   * Follows exactly these merge partitions, each from the given offset (undefined: from the
   * beginning); when they are the ones followed already, from the same offsets, reading goes on
   * where it is, unless `seekAgain` (state was restored: what was read and not applied is read again).
   */
  async follow(next: ReadonlyMap<number, number | undefined>, seekAgain = false): Promise<void> {
    const same = next.size === this.assigned.size && [...next].every(([p, offset]) => this.assigned.has(p) && this.assigned.get(p) === offset);
    if (same && !seekAgain) return;
    this.assigned = new Map(next);
    this.generation++;
    let done = (): void => {};
    const reassigning = new Promise<void>((resolve) => (done = resolve));
    this.reassigning = reassigning;
    try {
      const consumer = await this.connect();
      await this.consuming;
      // Records of partitions no longer followed, or read before the new offsets, must not be taken.
      this.received.length = 0;
      consumer.unassign();
      if (next.size > 0) {
        consumer.assign([...next].map(([partition, offset]) => ({ topic: this.options.topic, partition, offset: offset ?? OFFSET_BEGINNING })));
      }
      this.loop ??= this.run(consumer);
    } finally {
      if (this.reassigning === reassigning) this.reassigning = undefined;
      done();
    }
  }

  /**
   * The low and high watermarks of a merge partition, asked of its leader (`timeoutMs`); null
   * figures when they could not be asked, with why.
   */
  async watermarks(partition: number, timeoutMs: number): Promise<{ low: number | null; high: number | null; error?: string }> {
    try {
      const consumer = await this.connect();
      const offsets = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
        consumer.queryWatermarkOffsets(this.options.topic, partition, timeoutMs, (error, value) => (error ? reject(new Error(error.message)) : resolve(value))),
      );
      return { low: offsets.lowOffset, high: offsets.highOffset };
    } catch (error) {
      return { low: null, high: null, error: (error as Error).message };
    }
  }

  /** The high watermarks of the partitions followed, as librdkafka last had them from fetch responses (no network call; unknown ones left out). */
  cachedHighWatermarks(): Map<number, number> {
    const out = new Map<number, number>();
    const consumer = this.consumer;
    if (!consumer?.isConnected()) return out;
    for (const partition of this.assigned.keys()) {
      try {
        const high = consumer.getWatermarkOffsets(this.options.topic, partition).highOffset;
        if (high >= 0) out.set(partition, high);
      } catch {
        // Not fetched yet: unknown.
      }
    }
    return out;
  }

  take(): MergeInput[] {
    return this.received.splice(0, this.received.length);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop;
    const consumer = this.consumer;
    if (consumer) await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }

  /** The consumer, connected once (a status request may ask while `follow` is connecting). */
  private connect(): Promise<Consumer> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  private async open(): Promise<Consumer> {
    const consumer = new (rdkafka().KafkaConsumer)(
      {
        ...this.options.clientProperties,
        'bootstrap.servers': this.options.brokers,
        // Required by the client; no group is joined (assign) and nothing is committed.
        'group.id': `pulse-merge-reader-${process.pid}`,
        'enable.auto.commit': false,
        'enable.partition.eof': false,
      },
      {},
    );
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: CONNECT_TIMEOUT_MS }, (error) => (error ? reject(new Error(error.message)) : resolve())),
    );
    consumer.setDefaultConsumeTimeout(POLL_MS);
    // Return what has arrived instead of waiting for a full batch (the binding has it; its types do not).
    (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
    this.consumer = consumer;
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    while (!this.closed) {
      if (this.reassigning) {
        await this.reassigning;
        continue;
      }
      if (this.assigned.size === 0) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        continue;
      }
      const generation = this.generation;
      let batch: Message[];
      const call = new Promise<Message[]>((resolve, reject) =>
        consumer.consume(BATCH, (error, messages) => (error ? reject(new Error(error.message)) : resolve(messages))),
      );
      this.consuming = call.then(
        () => undefined,
        () => undefined,
      );
      try {
        batch = await call;
      } catch (error) {
        this.options.onError(error as Error);
        continue;
      }
      if (generation !== this.generation) continue;
      for (const message of batch) {
        if (!this.assigned.has(message.partition)) continue;
        // Fetched for the previous assignment and delivered after `assign` all the same (seen with the mock cluster): not asked for.
        if (message.offset < (this.assigned.get(message.partition) ?? 0)) continue;
        const key = message.key === null || message.key === undefined ? '' : message.key.toString('utf8');
        const value = message.value === null ? null : message.value.toString('utf8');
        const decoded = decodeMergeRecord(key, value, { mergePartition: message.partition, offset: message.offset });
        if ('error' in decoded) this.options.onUnreadable(message.partition, message.offset, decoded.error);
        else this.received.push(decoded);
      }
    }
  }
}
