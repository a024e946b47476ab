import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaConsumer } from './client.js';

type Consumer = InstanceType<typeof KafkaConsumer>;

/** How often the cluster is asked again while a topic is missing, and how long one request may take. */
const RETRY_MS = 500;
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * The topics of `topics` the cluster does not have, asked of the brokers until each is there or
 * `waitMs` has passed: a topic created just before the job starts may not be in every broker's
 * metadata yet. Asks for the metadata of every topic, not of these by name: where brokers create
 * topics on demand, asking by name could create a misspelt one. A request that fails proves
 * nothing: a topic is missing only when the last answer lacked it. Gives up (no topic missing)
 * when `signal` aborts.
 */
export async function missingTopics(consumer: Consumer, topics: readonly string[], waitMs: number, signal: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  /** Undefined until the brokers have answered. */
  let missing: string[] | undefined;
  for (;;) {
    try {
      const metadata = await new Promise<{ topics: Array<{ name: string; partitions: unknown[] }> }>((resolve, reject) =>
        consumer.getMetadata({ allTopics: true, timeout: REQUEST_TIMEOUT_MS }, (error, answer) => (error ? reject(error) : resolve(answer))),
      );
      const present = new Set(metadata.topics.filter((t) => t.partitions.length > 0).map((t) => t.name));
      missing = topics.filter((topic) => !present.has(topic));
    } catch {
      // Asked again below; what the last answer said stands.
    }
    if (signal.aborted) return [];
    if (missing?.length === 0 || Date.now() >= deadline) return missing ?? [];
    await sleep(Math.min(RETRY_MS, Math.max(0, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
  }
}
