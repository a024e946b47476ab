import { ConfigError, SourceError } from '../../operators/errors.js';
import type { RecordEnvelope } from '../../operators/events.js';
import { kafkaValueText } from './wire-format.js';
import type { PartitionPosition, RawRecord, Source, SourceMessage } from '../source.js';
import { MessageBuffer } from './buffer.js';
import {
  rdkafka,
  ERR,
  type KafkaConsumer,
  OFFSET_BEGINNING,
  parsePartitionName,
  partitionName,
  type Assignment,
  type ClientProperties,
  type LibrdKafkaError,
  type Message,
  type TopicPartition,
} from './client.js';
import { clientConfigError } from './client-config-error.js';
import { missingTopics } from './missing-topics.js';
import { KAFKA_DEFAULTS, type KafkaSourceOptions } from './options.js';
import { queryGroupStatus, type KafkaGroupStatus } from './partition-status.js';
import { RepeatedWarnings } from './repeated-warnings.js';

/** Methods the binding has but its type declarations (1.10) omit. */
interface CooperativeRebalance {
  rebalanceProtocol(): 'EAGER' | 'COOPERATIVE' | 'NONE';
  incrementalAssign(assignments: Assignment[]): void;
  incrementalUnassign(assignments: Assignment[]): void;
  assignmentLost(): boolean;
  setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void;
}
type Consumer = InstanceType<typeof KafkaConsumer> & CooperativeRebalance;

/**
 * Unbounded input from Kafka topics through a consumer group. Partitions are named
 * `topic/partition`; a record's offset is its Kafka offset.
 *
 * DuckDB, not Kafka, holds the positions: every assigned partition starts at the checkpointed
 * offset + 1 (the beginning when none is stored), auto-commit is off, and `commitCheckpointed`
 * copies checkpointed offsets to Kafka only so that lag tools see progress.
 *
 * Rebalances go through our own callback so that a revoke waits for the runner: the source
 * yields `end` for each revoked partition and then `revoke` with a `done` callback, and gives the
 * partitions up only once `done` is called (after the runner's checkpoint). Messages of a
 * partition that arrive after its revoke are dropped; the next owner re-reads them from the
 * checkpoint.
 *
 * The poll loop keeps calling the consumer even when the runner is slow (so the group membership
 * and rebalance callbacks stay alive), but pauses every assigned partition once
 * `maxBufferedRecords` are waiting, and resumes below half of it.
 */
export class KafkaSource implements Source {
  readonly name: string;
  readonly bounded = false;
  private readonly options: KafkaSourceOptions;
  private consumer: Consumer | undefined;
  private readonly buffer = new MessageBuffer();
  /** Partitions we own right now (revoked ones leave at the revoke callback, not at `done`). */
  private readonly owned = new Map<string, TopicPartition>();
  /** Last checkpointed offset per partition: where a (re)assigned partition starts. */
  private readonly durable = new Map<string, number>();
  /** Last offset handed to the runner per partition. */
  private readonly yielded = new Map<string, number>();
  /** Last offset put into the buffer per partition; later fetches at or below it are duplicates. */
  private readonly enqueued = new Map<string, number>();
  private readonly pendingRevokes = new Set<() => void>();
  /** Partitions whose deferred assignment waits for the runner, with the assignment they belong to. */
  private readonly deferred = new Map<string, object>();
  private paused = false;
  private stopping = false;
  private failure: Error | undefined;
  private pump: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private started = false;
  /** The client repeats an error while it lasts (a broker down): once, then a summary per interval. */
  private readonly warnings: RepeatedWarnings;

  constructor(options: KafkaSourceOptions) {
    this.options = options;
    this.name = options.name;
    this.warnings = new RepeatedWarnings((message, cause) => options.onWarning?.(message, cause), options.warningSummaryIntervalMs);
  }

  async *read(resumeFrom: ReadonlyMap<string, PartitionPosition>, signal: AbortSignal): AsyncIterable<SourceMessage> {
    if (this.started) throw new SourceError(`Kafka source '${this.name}': read() may be called only once per instance`);
    this.started = true;
    for (const [partition, position] of resumeFrom) this.durable.set(partition, position.offset);
    this.warnings.start();
    const consumer = await this.connect();
    await this.checkTopics(consumer, signal);
    consumer.subscribe(this.options.topics);
    this.pump = this.pollLoop(consumer);
    const onAbort = (): void => this.buffer.notify();
    signal.addEventListener('abort', onAbort);
    // A job restarted after being killed waits, with nothing to show for it, until the group gives
    // it partitions: the killed member holds them until its session times out.
    const notice = setTimeout(() => {
      if (this.owned.size === 0 && !this.stopping) {
        this.warn(
          `no partition of ${this.options.topics.join(', ')} assigned yet: the group assigns them when its members agree, ` +
            'and a member that stopped without leaving the group (killed) holds its partitions until its session times out ' +
            `(session.timeout.ms, 45 s by default), and a group with more members than partitions leaves some without any`,
        );
      }
    }, this.options.assignmentNoticeMs ?? KAFKA_DEFAULTS.assignmentNoticeMs);
    notice.unref();
    try {
      while (!signal.aborted) {
        const message = this.buffer.shift();
        if (message === undefined) {
          if (this.failure) throw this.failure;
          if (this.stopping) break;
          // Nothing buffered: a pause waits for the runner to catch up, and it has. Resumed here
          // too, not only as records are yielded: with none left to yield (a rebalance between
          // the pause and the runner's catching up), nothing resumed, and the member read
          // nothing more, its lag flat (a tester's two-member run).
          if (this.paused) this.setPaused(false);
          await this.buffer.waitForMessage();
          continue;
        }
        if (message.kind === 'records') {
          this.yielded.set(message.partition, message.position.offset);
          if (this.paused && this.buffer.bufferedRecords <= this.options.maxBufferedRecords / 2) this.setPaused(false);
        }
        yield message;
      }
    } finally {
      clearTimeout(notice);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Copies offsets that a checkpoint has made durable to the consumer group (offset + 1, Kafka's
   * convention), for lag monitoring only. Call after each checkpoint commits. Best effort:
   * failures go to `onWarning`.
   */
  commitCheckpointed(positions: ReadonlyMap<string, PartitionPosition>): void {
    const commits: Array<TopicPartition & { offset: number }> = [];
    for (const [partition, position] of positions) {
      if (!this.isOurs(partition)) continue;
      this.durable.set(partition, position.offset);
      const tp = this.owned.get(partition);
      if (tp) commits.push({ topic: tp.topic, partition: tp.partition, offset: position.offset + 1 });
    }
    if (commits.length === 0 || !this.consumer?.isConnected()) return;
    try {
      this.consumer.commit(commits);
    } catch (error) {
      this.warn('committing checkpointed offsets to Kafka failed (lag monitoring only)', error);
    }
  }

  /**
   * Messages behind the partition's high watermark, per owned partition, counted from its offset
   * in `processed` (the runner's checkpointed positions; the runner may not have processed all it
   * was handed yet: batches are decoded ahead), else from the last offset handed to the runner.
   * Uses the watermarks librdkafka caches from fetch responses, so it costs no network call; a
   * partition without a known watermark yet is left out.
   */
  lag(processed?: ReadonlyMap<string, PartitionPosition>): Map<string, number> {
    const out = new Map<string, number>();
    const consumer = this.consumer;
    if (!consumer?.isConnected()) return out;
    for (const [name, tp] of this.owned) {
      let high: number;
      try {
        high = consumer.getWatermarkOffsets(tp.topic, tp.partition).highOffset;
      } catch {
        continue;
      }
      if (!(high >= 0)) continue;
      const next = (processed?.get(name)?.offset ?? this.yielded.get(name) ?? this.durable.get(name) ?? -1) + 1;
      out.set(name, Math.max(0, high - next));
    }
    return out;
  }

  /** `lag` from the last checkpointed offset of each partition read now (the figure lag tools show). */
  checkpointedLag(): Map<string, number> {
    const checkpointed = new Map<string, PartitionPosition>();
    for (const name of this.owned.keys()) {
      const offset = this.durable.get(name);
      checkpointed.set(name, { offset: offset ?? -1, resume: offset ?? -1 });
    }
    return this.lag(checkpointed);
  }

  /** Records read from Kafka and not yet taken by the runner (bounded by `maxBufferedRecords`). */
  get bufferedRecords(): number {
    return this.buffer.bufferedRecords;
  }

  /** True while fetching is paused because the runner is behind. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Partitions the consumer still holds in the group, as librdkafka sees them: includes revoked
   * partitions whose `done` has not been called yet (they are not read any more).
   */
  held(): string[] {
    if (!this.consumer?.isConnected()) return [];
    return this.consumer.assignments().map((tp) => partitionName(tp.topic, tp.partition));
  }

  /** Partitions currently assigned to this process and read. */
  assignment(): string[] {
    return [...this.owned.keys()];
  }

  /**
   * This member's partitions with their checkpointed and read offsets, and the other partitions of
   * its topics with the group's committed offsets, each with watermarks and lag asked of the
   * brokers now (`pulse status`). Each broker request waits at most `timeoutMs`.
   */
  async groupStatus(timeoutMs: number): Promise<KafkaGroupStatus> {
    const owned = [...this.owned].map(([name, tp]) => ({ ...tp, committedOffset: this.durable.get(name), readOffset: this.yielded.get(name) }));
    const consumer = this.consumer;
    if (!consumer?.isConnected()) {
      return { group: this.options.group, topics: [...this.options.topics], assigned: [], others: [], errors: ['the consumer is not connected'] };
    }
    return queryGroupStatus(consumer, this.options.group, this.options.topics, owned, timeoutMs);
  }

  /** Stops polling, releases pending revokes and leaves the group. Safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.buffer.notify();
    await this.pump;
    for (const release of [...this.pendingRevokes]) release();
    this.buffer.clear();
    const consumer = this.consumer;
    if (consumer) {
      await new Promise<void>((resolve) => {
        if (!consumer.isConnected()) return resolve();
        consumer.disconnect(() => resolve());
      });
    }
    this.warnings.stop();
  }

  private async connect(): Promise<Consumer> {
    const { options } = this;
    const properties: ClientProperties = {
      'auto.offset.reset': 'earliest',
      'enable.partition.eof': false,
      ...options.clientProperties,
      'bootstrap.servers': options.brokers,
      'group.id': options.group,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
    };
    let consumer: Consumer;
    try {
      consumer = new (rdkafka().KafkaConsumer)({
        ...properties,
        rebalance_cb: (err: LibrdKafkaError, assignment: Assignment[]) => this.onRebalance(err, assignment),
      }) as Consumer;
    } catch (error) {
      throw clientConfigError(this.name, options.clientProperties, error);
    }
    consumer.setDefaultConsumeTimeout(options.pollTimeoutMs);
    // Return as soon as something is there instead of waiting pollTimeoutMs for each message.
    consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    consumer.on('event.error', (error) => this.warn(`Kafka client error: ${error.message}`, error));
    this.consumer = consumer;
    // The binding reports this when the client started and the brokers did not answer; a failure
    // without it came before any broker was asked: librdkafka refused the properties.
    let brokersAsked = false;
    consumer.once('connection.failure', () => (brokersAsked = true));
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: 30_000 }, (error) => {
        if (!error) resolve();
        else if (!brokersAsked) reject(clientConfigError(this.name, options.clientProperties, error));
        else {
          reject(
            new SourceError(
              `Kafka source '${this.name}': cannot connect to ${options.brokers}: ${error.message}; check sources.${this.name}.brokers (or the environment variable it is read from, PULSE_KAFKA_BROKERS in the default job) and that the brokers are reachable`,
              { cause: error, retryable: true },
            ),
          );
        }
      });
    });
    return consumer;
  }

  /**
   * Stops the job when the cluster lacks a subscribed topic: subscribed, the member would wait for
   * it without end, with nothing assigned (Kafka Streams stops too: MissingSourceTopicException).
   */
  private async checkTopics(consumer: Consumer, signal: AbortSignal): Promise<void> {
    // A name starting with `^` is a pattern to librdkafka's subscribe (it may match nothing yet).
    const named = this.options.topics.filter((topic) => !topic.startsWith('^'));
    const missing = await missingTopics(consumer, named, this.options.topicWaitMs ?? KAFKA_DEFAULTS.topicWaitMs, signal);
    if (missing.length === 0) return;
    const topics = `${missing.length === 1 ? 'topic' : 'topics'} ${missing.join(', ')}`;
    throw new ConfigError(
      `Kafka source '${this.name}': the cluster at ${this.options.brokers} has no ${topics}; create ${missing.length === 1 ? 'it' : 'them'}, ` +
        `or correct the name in sources.${this.name}.topics (or in the environment variable it is read from, PULSE_KAFKA_TOPICS in the default job)`,
    );
  }

  private async pollLoop(consumer: Consumer): Promise<void> {
    while (!this.stopping) {
      if (!this.paused && this.buffer.bufferedRecords >= this.options.maxBufferedRecords) this.setPaused(true);
      let messages: Message[];
      try {
        messages = await new Promise<Message[]>((resolve, reject) =>
          consumer.consume(this.options.batchSize, (error, batch) => (error ? reject(error) : resolve(batch))),
        );
      } catch (error) {
        const e = error as LibrdKafkaError;
        if (e.code === ERR.TIMED_OUT) continue;
        if (e.isFatal || this.stopping) {
          if (!this.stopping) this.fail(new SourceError(`Kafka source '${this.name}': fatal consumer error: ${e.message}`, { cause: error }));
          return;
        }
        // A topic missing (deleted while the job runs; one missing at the start stops it in
        // checkTopics) reads like an idle job: name it. The message says it all, without a stack.
        const missing = e.code === ERR.UNKNOWN_TOPIC || e.code === ERR.UNKNOWN_TOPIC_OR_PART;
        if (missing) {
          this.warn(
            `the cluster has no topic ${this.options.topics.join(' or ')} (yet): nothing is read until it is created; check sources.${this.name}.topics`,
          );
        } else this.warn('Kafka poll failed; retrying', error);
        await new Promise((resolve) => setTimeout(resolve, this.options.pollTimeoutMs));
        continue;
      }
      if (messages.length > 0) this.enqueue(messages);
    }
  }

  /** Splits a poll result into one batch per partition (order within a partition is kept). */
  private enqueue(messages: Message[]): void {
    const readAt = Date.now();
    const byPartition = new Map<string, RawRecord[]>();
    for (const message of messages) {
      const name = partitionName(message.topic, message.partition);
      if (!this.owned.has(name)) continue; // revoked meanwhile: the next owner reads it again
      const last = this.enqueued.get(name) ?? -1;
      if (message.offset <= last) continue;
      this.enqueued.set(name, message.offset);
      let records = byPartition.get(name);
      if (!records) byPartition.set(name, (records = []));
      const value = kafkaValueText(message.value, this.options.maxRecordBytes);
      records.push({ offset: message.offset, value, envelope: envelopeOf(message) });
    }
    for (const [partition, records] of byPartition) {
      const lastOffset = records[records.length - 1]!.offset;
      this.buffer.push({ kind: 'records', partition, records, position: { offset: lastOffset, resume: lastOffset }, readAt });
    }
  }

  private onRebalance(err: LibrdKafkaError, assignment: Assignment[]): void {
    const consumer = this.consumer;
    if (!consumer) return;
    const cooperative = consumer.rebalanceProtocol() === 'COOPERATIVE';
    try {
      if (err.code === ERR.ASSIGN_PARTITIONS) this.assign(consumer, assignment, cooperative);
      else if (err.code === ERR.REVOKE_PARTITIONS) this.revoke(consumer, assignment, cooperative);
      else {
        this.warn(`rebalance error: ${err.message}`, err);
        if (!cooperative) consumer.unassign();
      }
    } catch (error) {
      if (!this.stopping) this.warn('handling a rebalance failed', error);
    }
  }

  private assign(consumer: Consumer, assignment: Assignment[], cooperative: boolean): void {
    const names: string[] = [];
    const offsets = new Map<string, number | undefined>();
    for (const tp of assignment) {
      const name = partitionName(tp.topic, tp.partition);
      names.push(name);
      this.owned.set(name, { topic: tp.topic, partition: tp.partition });
      offsets.set(name, laterOffset(this.durable.get(name), this.options.handedOverOffset?.(name)));
    }
    const start = (restored: ReadonlyMap<string, number>, partitions: Assignment[]): void => {
      const positions = partitions.map((tp) => {
        const name = partitionName(tp.topic, tp.partition);
        const stored = laterOffset(offsets.get(name), restored.get(name));
        // Durable already when it is a hand-over's: the status shows where the partition resumes.
        if (stored !== undefined) this.durable.set(name, stored);
        this.enqueued.set(name, stored ?? -1);
        this.yielded.delete(name);
        return { topic: tp.topic, partition: tp.partition, offset: stored === undefined ? OFFSET_BEGINNING : stored + 1 };
      });
      if (cooperative) consumer.incrementalAssign(positions);
      else consumer.assign(positions);
      if (this.paused && positions.length > 0) consumer.pause(positions.map(({ topic, partition }) => ({ topic, partition })));
    };
    if (!this.options.deferAssignment || this.stopping || names.length === 0) {
      start(new Map(), assignment);
      if (names.length > 0 && !this.stopping) this.buffer.push({ kind: 'assign', partitions: names });
      return;
    }
    // Read nothing until the runner has restored the partitions' state; a partition revoked
    // meanwhile (or assigned again by a later rebalance) is left out of the late call.
    const token = {};
    for (const name of names) this.deferred.set(name, token);
    this.buffer.push({
      kind: 'assign',
      partitions: names,
      started: (restored) => {
        const still = assignment.filter((tp) => this.deferred.get(partitionName(tp.topic, tp.partition)) === token);
        for (const tp of still) this.deferred.delete(partitionName(tp.topic, tp.partition));
        if (still.length === 0 || this.stopping) return;
        try {
          start(restored, still);
        } catch (error) {
          this.warn('assigning restored partitions failed', error);
        }
      },
    });
  }

  private revoke(consumer: Consumer, assignment: Assignment[], cooperative: boolean): void {
    const names = assignment.map((tp) => partitionName(tp.topic, tp.partition));
    // The eager protocol revokes everything: also partitions whose deferred assignment the
    // consumer has not been given yet (librdkafka lists only what it holds).
    if (!cooperative) for (const name of this.owned.keys()) if (!names.includes(name)) names.push(name);
    for (const name of names) {
      this.owned.delete(name);
      this.deferred.delete(name);
    }
    const lost = consumer.assignmentLost();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.pendingRevokes.delete(release);
      try {
        if (cooperative) consumer.incrementalUnassign(assignment);
        else consumer.unassign();
      } catch (error) {
        if (!this.stopping) this.warn('giving up revoked partitions failed', error);
      }
    };
    if (this.stopping || names.length === 0) return release();
    this.pendingRevokes.add(release);
    for (const name of names) this.buffer.push({ kind: 'end', partition: name });
    this.buffer.push({
      kind: 'revoke',
      partitions: names,
      lost,
      done: () => {
        // Everything yielded before this message is now checkpointed.
        const commits: Array<TopicPartition & { offset: number }> = [];
        for (const tp of assignment) {
          const name = partitionName(tp.topic, tp.partition);
          const offset = this.yielded.get(name);
          if (offset === undefined) continue;
          this.durable.set(name, offset);
          commits.push({ topic: tp.topic, partition: tp.partition, offset: offset + 1 });
        }
        // Still a member of this generation: the lag tools see where the next owner starts.
        if (commits.length > 0 && !lost) {
          try {
            consumer.commit(commits);
          } catch (error) {
            this.warn('committing offsets of revoked partitions failed (lag monitoring only)', error);
          }
        }
        release();
      },
    });
  }

  private setPaused(paused: boolean): void {
    const consumer = this.consumer;
    this.paused = paused;
    if (!consumer) return;
    // The partitions the consumer holds, not those this source owns: one owned but whose
    // assignment waits for its state to be restored is not the consumer's yet, and librdkafka
    // refuses the whole call for it. A refused resume left every partition paused for good (a
    // tester's member stalled after a rebalance, its lag flat); partitions assigned later are
    // paused or not as they start (`assign`).
    const partitions = consumer.assignments().map(({ topic, partition }) => ({ topic, partition }));
    if (partitions.length === 0) return;
    try {
      if (paused) consumer.pause(partitions);
      else consumer.resume(partitions);
    } catch (error) {
      this.warn(paused ? 'pausing partitions failed' : 'resuming partitions failed', error);
    }
  }

  private isOurs(partition: string): boolean {
    const parsed = parsePartitionName(partition);
    return parsed !== undefined && this.options.topics.includes(parsed.topic);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.stopping = true;
    this.buffer.notify();
  }

  private warn(message: string, cause?: unknown): void {
    this.warnings.warn(`Kafka source '${this.name}': ${message}`, cause);
  }
}

function laterOffset(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}

/** A message's key and headers, or undefined when it has neither (nothing to keep for its dead letter). */
function envelopeOf(message: Message): RecordEnvelope | undefined {
  const key = message.key ?? null;
  const headers = message.headers ?? [];
  return key === null && headers.length === 0 ? undefined : { key, headers };
}
