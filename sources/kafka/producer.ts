import { rdkafka, ERR, type Producer, type ClientProperties, type DeliveryReport, type LibrdKafkaError, type MessageHeader } from './client.js';
import { PulseError } from '../../operators/errors.js';

type RdProducer = InstanceType<typeof Producer>;

export interface OutgoingMessage {
  topic: string;
  /** Unset: the partitioner picks one from the key. */
  partition?: number;
  /** A dead letter's key is its message's, which may be bytes. */
  key: Buffer | string | null;
  /** null: a tombstone (a compacted topic drops the key's earlier values). */
  value: string | null;
  headers?: MessageHeader[];
}

/** A message that Kafka did not accept, with librdkafka's error (code, retriable, fatal). */
export class ProduceError extends PulseError {
  constructor(
    message: string,
    /** librdkafka's error code (ERR). */
    readonly kafkaCode: number,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super('KAFKA_PRODUCE_FAILED', message, { cause: options?.cause, retryable: retriable });
  }
}

/**
 * A librdkafka producer whose `send` resolves once every message of the call has a delivery
 * report, and rejects with the first failure. Connects lazily; `message.timeout.ms` bounds how
 * long a send can take, so a broker that is down fails the send instead of hanging it.
 */
const CONNECT_TIMEOUT_MS = 30_000;

export class DeliveringProducer {
  private producer: RdProducer | undefined;
  private connecting: Promise<RdProducer> | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(private readonly properties: ClientProperties) {}

  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connect();
    const deliveries: Array<Promise<void>> = [];
    for (const message of messages) {
      const id = this.nextId++;
      deliveries.push(new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject })));
      await this.produce(producer, message, id);
    }
    await Promise.all(deliveries);
  }

  async close(): Promise<void> {
    const producer = this.producer ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.producer = undefined;
    this.connecting = undefined;
    if (!producer?.isConnected()) return;
    await new Promise<void>((resolve) => producer.flush(5_000, () => resolve()));
    producer.setPollInterval(0);
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
    for (const [id, waiter] of this.pending) {
      this.pending.delete(id);
      waiter.reject(new ProduceError('producer closed before delivery was confirmed', ERR.TIMED_OUT, true));
    }
  }

  private async produce(producer: RdProducer, message: OutgoingMessage, id: number): Promise<void> {
    for (;;) {
      try {
        const value = message.value === null ? null : Buffer.from(message.value, 'utf8');
        producer.produce(message.topic, message.partition ?? null, value, message.key, Date.now(), id, message.headers);
        return;
      } catch (error) {
        // The local queue is full: let delivery reports drain it, then try again.
        if ((error as LibrdKafkaError).code !== ERR.QUEUE_FULL) {
          this.pending.delete(id);
          throw new ProduceError(
            `cannot queue a message for topic '${message.topic}': ${(error as Error).message}`,
            (error as LibrdKafkaError).code ?? -1,
            false,
            { cause: error },
          );
        }
        producer.poll();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  private connect(): Promise<RdProducer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= new Promise<RdProducer>((resolve, reject) => {
      const producer = new (rdkafka().Producer)({ ...this.properties, dr_cb: true });
      producer.on('delivery-report', (error: LibrdKafkaError | null, report: DeliveryReport) => this.onDelivery(error, report));
      // No longer than a message may take: a send to brokers that cannot be reached fails within
      // the caller's timeout (an alert receiver's), not after 30 s of connecting.
      const timeout = Math.min(CONNECT_TIMEOUT_MS, Number(this.properties['message.timeout.ms'] ?? CONNECT_TIMEOUT_MS));
      producer.connect({ timeout }, (error) => {
        if (error) {
          this.connecting = undefined;
          // Whatever the last broker error, the brokers were not reached within the timeout.
          const message = `cannot connect producer to ${String(this.properties['bootstrap.servers'])} within ${timeout} ms: ${error.message}`;
          reject(new ProduceError(message, ERR.TIMED_OUT, true, { cause: error }));
          return;
        }
        producer.setPollInterval(20);
        this.producer = producer;
        resolve(producer);
      });
    });
    return this.connecting;
  }

  private onDelivery(error: LibrdKafkaError | null, report: DeliveryReport): void {
    const id = report.opaque as number;
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (error) {
      waiter.reject(new ProduceError(`delivery to topic '${report.topic}' failed: ${error.message}`, error.code, error.isRetriable ?? true, { cause: error }));
    } else waiter.resolve();
  }
}
