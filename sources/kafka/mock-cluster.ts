import { rdkafka, type ClientProperties } from './client.js';

/**
 * librdkafka's built-in mock cluster, for tests and benchmarks only (not a Kafka broker: no
 * persistence, no admin API; topics are auto-created with 4 partitions). The cluster lives inside
 * the client that created it, so keep the returned handle open until every other client is done.
 */
export interface MockCluster {
  /** `127.0.0.1:PORT,...`: the bootstrap address for other clients (and kcat). */
  bootstrap: string;
  close(): Promise<void>;
}

export async function startMockCluster(brokers = 3, timeoutMs = 10_000): Promise<MockCluster> {
  let bootstrap: string | undefined;
  const properties: ClientProperties = {
    'bootstrap.servers': 'mock:9092',
    'test.mock.num.brokers': brokers,
    event_cb: true,
    log_level: 6,
  };
  const owner = new (rdkafka().Producer)(properties);
  // librdkafka reports the real addresses only in this log line.
  owner.on('event.log', (log: { message: string }) => {
    const match = /replaced with (\S+)/.exec(log.message);
    if (match) bootstrap = match[1];
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mock Kafka cluster did not start within ${timeoutMs} ms`)), timeoutMs);
    owner.connect({ timeout: timeoutMs }, (error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });
  const started = Date.now();
  while (bootstrap === undefined && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 20));
  if (bootstrap === undefined) {
    await new Promise<void>((resolve) => owner.disconnect(() => resolve()));
    throw new Error('mock Kafka cluster started but its bootstrap address was not logged');
  }
  const address = bootstrap;
  let closed: Promise<void> | undefined;
  return {
    bootstrap: address,
    close: () => (closed ??= new Promise<void>((resolve) => owner.disconnect(() => resolve()))),
  };
}
