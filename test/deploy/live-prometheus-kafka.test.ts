import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../sources/generator/index.js';
import { startMockCluster, type MockCluster } from '../../sources/kafka/mock-cluster.js';
import { hasPrometheus, startPrometheus, waitUntil, type PrometheusServer } from '../helpers/prometheus-server.js';
import { freePort } from '../../bench/free-port.js';
import { PulseProcess, hasKcat, killAllPulse, produceLines, topicLayout, writeKafkaJob } from '../pipelines/kafka-helpers.js';
import { killKcats } from '../sources/kafka/helpers.js';
import { dashboardTargets, metricNames, substituteGrafanaVariables } from './promql-sources.js';

/**
 * The dashboard panels of a scaled-out Kafka job, against a real Prometheus scraping two
 * `pulse run --source kafka` members on librdkafka's mock cluster: member A reads the topic
 * without checkpointing (so its lag is everything produced, counted independently by kcat), then
 * member B joins and takes partitions over with their state (checkpoint.handoff_dir). Every panel
 * expression over these metrics must evaluate and return data (the stdin run of
 * live-prometheus.test.ts cannot show them).
 */
const KAFKA_METRICS = new Set([
  'pulse_source_lag_messages',
  'pulse_partitions_assigned',
  'pulse_partitions_restoring',
  'pulse_partition_restore_rows_remaining',
  'pulse_partition_restore_seconds_bucket',
]);
const JOIN_MS = 90_000;

describe.skipIf(!hasPrometheus || !hasKcat())('live: Prometheus scraping two Kafka members (mock cluster)', () => {
  const work = mkdtempSync(join(tmpdir(), 'pulse-live-kafka-'));
  const topic = 'live-kafka';
  let cluster: MockCluster | undefined;
  let prometheus: PrometheusServer | undefined;
  let a: PulseProcess | undefined;
  let b: PulseProcess | undefined;
  let bPort = 0;
  let produced = new Map<number, number>();

  const values = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> => {
    const result = await prometheus!.query(expr);
    if (result.status !== 'success') throw new Error(`${expr}: ${result.error}`);
    return result.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  beforeAll(async () => {
    const input = join(work, 'events.ndjson');
    await generate({ out: input, customers: 80, days: 3, seed: 11, lateRate: 0, malformedRate: 0 });
    const lines = readFileSync(input, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0);
    cluster = await startMockCluster(3);
    await produceLines(cluster.bootstrap, topic, lines);
    produced = (await topicLayout(cluster.bootstrap, topic)).ends;
    // Checkpoints only on a rebalance: until B joins, A's lag is the whole topic.
    const config = writeKafkaJob(work, 'live', {
      bootstrap: cluster.bootstrap,
      topic,
      group: 'g-live',
      checkpointInterval: '1h',
      maxEvents: 10_000_000,
      handoffDir: join(work, 'handoff'),
    });
    a = await PulseProcess.kafka(config, join(work, 'a.duckdb'));
    // B is started by the second test, once A holds every partition; Prometheus scrapes its port from the start.
    bPort = await freePort();
    prometheus = await startPrometheus(work, [`127.0.0.1:${a.metricsPort}`, `127.0.0.1:${bPort}`]);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    killAllPulse();
    killKcats();
    await cluster?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it(
    'shows the lag of every partition as produced minus checkpointed (nothing checkpointed yet)',
    async () => {
      expect(produced.size).toBe(4);
      await waitUntil(
        'Prometheus sees A holding 4 partitions with their whole length as lag',
        async () => {
          const lag = await values(`max by (topic, partition, instance) (pulse_source_lag_messages)`);
          return lag.length === 4 && lag.every((s) => s.value === produced.get(Number(s.metric['partition'])));
        },
        JOIN_MS,
        () => (a!.running ? prometheus!.died() : `member A exited: ${a!.stderr.slice(-3000)}`),
      );
      expect(await values('sum(pulse_partitions_assigned)')).toEqual([{ metric: {}, value: 4 }]);
    },
    JOIN_MS + 10_000,
  );

  it(
    'after B joins: partitions split over both members, B restored state, lag back to 0; every Kafka panel returns data',
    async () => {
      const config = join(work, 'live.yaml');
      b = new PulseProcess(['--config', config, '--source', 'kafka', '--db', join(work, 'b.duckdb')], bPort);
      const kafkaTargets = dashboardTargets().filter((t) => metricNames(t.expr).some((n) => KAFKA_METRICS.has(n)));
      const restoreTimeExpr = substituteGrafanaVariables(kafkaTargets.find((t) => t.expr.includes('histogram_quantile(0.5,'))!.expr);
      await waitUntil(
        'both members hold partitions, B has restored state, every lag is 0 and the restore time panel has a value',
        async () => {
          const perMember = await values('sum by (instance) (pulse_partitions_assigned)');
          const lag = await values('max by (topic, partition, instance) (pulse_source_lag_messages)');
          const restored = await values('sum(pulse_partition_restored_rows_total)');
          // A rate needs two scrapes of B: the first one after the restore may be the only one yet.
          const restoreTime = await values(restoreTimeExpr);
          return (
            perMember.length === 2 &&
            perMember.every((s) => s.value > 0) &&
            perMember.reduce((n, s) => n + s.value, 0) === 4 &&
            lag.length === 4 &&
            lag.every((s) => s.value === 0) &&
            (restored[0]?.value ?? 0) > 0 &&
            (restoreTime[0]?.value ?? 0) > 0
          );
        },
        JOIN_MS,
        () => (a!.running && b!.running ? prometheus!.died() : `a member exited: ${a!.stderr.slice(-2000)} ${b!.stderr.slice(-2000)}`),
      );
      // Each partition's lag series comes from the one member that reads it now.
      const owners = await values('count by (partition) (pulse_source_lag_messages)');
      expect(owners.map((s) => s.value)).toEqual([1, 1, 1, 1]);
      const failures: string[] = [];
      expect(kafkaTargets.length).toBeGreaterThanOrEqual(6);
      for (const t of kafkaTargets) {
        const expr = substituteGrafanaVariables(t.expr);
        const result = await prometheus!.query(expr);
        if (result.status !== 'success') failures.push(`${t.panel}: error ${result.error} in ${expr}`);
        else if (result.data!.result.length === 0) failures.push(`${t.panel}: no data for ${expr}`);
      }
      expect(failures).toEqual([]);
    },
    JOIN_MS + 30_000,
  );

  it('promtool check metrics finds no problem in a Kafka member’s scrape', async () => {
    const text = await (await fetch(`http://127.0.0.1:${b!.metricsPort}/metrics`)).text();
    expect(text).toContain('pulse_partition_restore_seconds_bucket');
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(await b!.stop()).toBe(0);
    expect(await a!.stop()).toBe(0);
  }, 120_000);
});
