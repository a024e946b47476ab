import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockCluster, type MockCluster } from '../../sources/kafka/mock-cluster.js';
import { EXIT_USAGE } from '../../pipelines/exit-codes.js';
import { hasKcat, kcat, killAllPulse, PulseProcess, writeKafkaJob, type KafkaJobOptions } from './kafka-helpers.js';

/**
 * A Kafka job whose configuration cannot work stops at once with a message naming the setting
 * (exit 2), as a bad job file does: a topic the cluster lacks, client options librdkafka refuses.
 */
let cluster: MockCluster;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-kafka-config-'));
  cluster = await startMockCluster(3);
});

afterAll(async () => {
  killAllPulse();
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a member of a job to its exit; a member still running after `timeoutMs` is killed and the test fails. */
async function runToExit(
  name: string,
  job: Omit<KafkaJobOptions, 'bootstrap' | 'group'>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stderr: string }> {
  const config = writeKafkaJob(dir, name, { bootstrap: cluster.bootstrap, group: `group-${name}`, ...job });
  const member = await PulseProcess.kafka(config, join(dir, `${name}.duckdb`));
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), timeoutMs)));
  const outcome = await Promise.race([member.exited, stuck]);
  clearTimeout(timer);
  if (outcome === 'stuck') {
    await member.kill();
    throw new Error(`the member was still running after ${timeoutMs} ms; its stderr:\n${member.stderr.slice(-3000)}`);
  }
  return { code: outcome.code, stderr: member.stderr };
}

/** A stack frame of a JavaScript stack trace, which a person should never see. */
const STACK_FRAME = /^\s+at .+\(.*:\d+:\d+\)$/m;

describe.skipIf(!hasKcat())('a Kafka job that cannot work stops with a configuration error', () => {
  it('stops when a source topic is missing, naming the topic, the brokers and the setting', async () => {
    const { code, stderr } = await runToExit('missing-topic', { topic: 'no-such-topic' });
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toContain(
      `pulse: Kafka source 'kafka': the cluster at ${cluster.bootstrap} has no topic no-such-topic; create it, or correct the name in sources.kafka.topics`,
    );
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr).not.toContain('assigned yet');
    // Missing indeed, and not created by the member's own look at the metadata: the mock cluster
    // creates a topic only when one is produced to (or asked for by name by a producer).
    const listing = await kcat(['-b', cluster.bootstrap, '-L']);
    expect(listing).not.toContain('"no-such-topic"');
  }, 90_000);

  it('names the job-file setting of a client option librdkafka refuses as the client is created', async () => {
    const { code, stderr } = await runToExit('bad-timeout', { topic: 'events-bad-timeout', clientOptions: { 'session.timeout.ms': 'abc' } });
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toContain(
      'pulse: sources.kafka.options.session.timeout.ms: the Kafka client refuses it: Invalid value for configuration property "session.timeout.ms"; correct it in the job file',
    );
    expect(stderr).not.toMatch(STACK_FRAME);
  }, 90_000);

  it('names the job-file setting of a client option librdkafka refuses as the client starts, not the brokers', async () => {
    const { code, stderr } = await runToExit('bad-strategy', {
      topic: 'events-bad-strategy',
      clientOptions: { 'partition.assignment.strategy': 'bogus-strategy' },
    });
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toMatch(
      /pulse: sources\.kafka\.options\.partition\.assignment\.strategy: the Kafka client refuses it: unsupported partition\.assignment\.strategy: bogus-strategy; correct it in the job file/i,
    );
    expect(stderr).not.toContain('cannot connect');
    expect(stderr).not.toContain('sources.kafka.brokers');
    expect(stderr).not.toMatch(STACK_FRAME);
  }, 90_000);
});
