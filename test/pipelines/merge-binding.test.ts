import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { MergeInput } from '../../operators/merge-port.js';
import type { OperatorPlan } from '../../operators/parallel.js';
import type { WatermarkSnapshot } from '../../operators/watermark.js';
import { contactKpiPlan } from '../../operators/contact-kpis/operator.js';
import type { CommittedCheckpoint } from '../../pipelines/checkpoint-sink.js';
import { parseJobConfig } from '../../pipelines/job-config.js';
import { bindMerge, MergeBinding } from '../../pipelines/merge-binding.js';
import { bindSource } from '../../pipelines/source-binding.js';
import { PipelineMetrics } from '../../sinks/metrics/pipeline-metrics.js';
import type { ChangelogRecord } from '../../sinks/changelog/records.js';
import type { ChangelogTopic } from '../../sinks/changelog/topic.js';
import type { MergeFollower } from '../../sinks/merge/follower.js';
import { groupPartition } from '../../sinks/merge/records.js';

/** The binding over stand-ins of the topic and the follower: what it produces, follows and hands out. */
function setUp(assignment: string[], partitionCounts: number[] = []) {
  const sent: Array<Map<number, ChangelogRecord[]>> = [];
  const follows: Array<Map<number, number | undefined>> = [];
  const arriving: MergeInput[] = [];
  const warnings: string[] = [];
  const topic = {
    name: 'merge',
    // The counts given, then 4: a topic being auto-created reports none for a moment.
    partitionCount: async () => partitionCounts.shift() ?? 4,
    ensure: async () => undefined,
    send: async (byPartition: Map<number, ChangelogRecord[]>) => void sent.push(byPartition),
    close: async () => undefined,
  } as unknown as ChangelogTopic;
  const follower = {
    get pending() {
      return arriving.length;
    },
    follow: async (next: Map<number, number | undefined>) => void follows.push(new Map(next)),
    take: () => arriving.splice(0, arriving.length),
    // As librdkafka would have them cached, for every partition (the binding shows the followed ones).
    cachedHighWatermarks: () =>
      new Map([
        [0, 12],
        [1, 4],
        [2, 9],
      ]),
    watermarks: async (partition: number) => (partition === 3 ? { low: null, high: null, error: 'Local: Timed out' } : { low: 2, high: 20 + partition }),
    close: async () => undefined,
  } as unknown as MergeFollower;
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const registry = new Registry();
  const binding = new MergeBinding({
    topic,
    follower,
    sourceTopic: 'events',
    source: { assignment: () => assignment },
    idleTimeoutMs: 1000,
    outOfOrdernessMs: 100,
    logger,
    registry,
  });
  return { binding, sent, follows, arriving, warnings, registry };
}

/** Partitions far ahead of the job watermark unless told: their reports are the job watermark. */
const AHEAD = { maxEventTime: 1e15, ended: false };
const checkpoint = (watermark: number | null, partitions: WatermarkSnapshot['partitions'] = { 'events/0': AHEAD, 'events/2': AHEAD }): CommittedCheckpoint => ({
  rejections: [],
  outputs: [],
  positions: new Map(),
  dedup: [],
  owners: [],
  watermark: { current: watermark, partitions },
});
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('MergeBinding', () => {
  it('wraps mergeable plans and warns once per other population operator', async () => {
    const { binding, warnings } = setUp([]);
    await binding.start();
    expect(binding.sourcePartitions()).toEqual(['events/0', 'events/1', 'events/2', 'events/3']);
    const kpis = binding.plan(contactKpiPlan({ name: 'kpis' }));
    // The merge's state is kept per partition number (it moves with the source partition of that number).
    const states = Object.keys(kpis.createGlobal!().states);
    expect(states).toEqual(expect.arrayContaining(['merge_positions@0', 'merge_positions@3', 'partition_partials@0', 'windows@3', 'member_meta']));
    expect(states).not.toContain('merge_positions');
    const drift: OperatorPlan = { name: 'drift', createLocal: () => ({}) as never, createGlobal: () => ({}) as never };
    expect(binding.plan(drift)).toBe(drift);
    expect(warnings.join('')).toContain('"operator":"drift"');
  });

  it('asks again for the source partitions while the topic reports none (being auto-created by another member)', async () => {
    const { binding } = setUp([], [0]);
    await binding.start();
    expect(binding.sourcePartitions()).toHaveLength(4);
  });

  it('follows the merge partitions numbered like the source partitions read, from after the smallest stored offset', async () => {
    const { binding, follows } = setUp(['events/1', 'events/3', 'other/0']);
    await binding.start();
    binding.follow('kpis', new Map([[1, 10]]));
    await flush();
    // Partition 3 has no stored offset: from the beginning. Another topic's partition is not ours.
    expect(follows.at(-1)).toEqual(
      new Map([
        [1, 11],
        [3, undefined],
      ]),
    );
  });

  it('hands watermark reports to every operator and partials to theirs', async () => {
    const { binding, arriving } = setUp(['events/0']);
    await binding.start();
    binding.follow('kpis', new Map());
    binding.follow('other', new Map());
    const at = (offset: number) => ({ mergePartition: 0, offset });
    arriving.push(
      { kind: 'partial', operator: 'kpis', partition: 'events/0', key: 'w', value: {}, position: at(0) },
      { kind: 'watermark', partition: 'events/0', watermark: 5, position: at(1) },
    );
    expect(binding.pending()).toBe(true);
    expect(binding.take('kpis').map((i) => i.kind)).toEqual(['partial', 'watermark']);
    expect(binding.take('other').map((i) => i.kind)).toEqual(['watermark']);
    expect(binding.take('kpis')).toEqual([]);
  });

  it('drops records of a merge partition whose source partition has left (its state went with it to the next owner)', async () => {
    const assignment = ['events/0', 'events/1'];
    const { binding, arriving } = setUp(assignment);
    await binding.start();
    binding.follow('kpis', new Map());
    arriving.push(
      { kind: 'watermark', partition: 'events/0', watermark: 5, position: { mergePartition: 0, offset: 3 } },
      { kind: 'watermark', partition: 'events/0', watermark: 5, position: { mergePartition: 1, offset: 8 } },
    );
    assignment.splice(1, 1);
    expect(binding.take('kpis').map((i) => i.position.mergePartition)).toEqual([0]);
  });

  it('reports per merge partition followed: offset merged and committed, high watermark, lag; what the brokers did not answer', async () => {
    const { binding, registry } = setUp(['events/3', 'events/1', 'events/2']);
    await binding.start();
    // Restored positions count as merged and committed; partition 2 has none yet.
    binding.follow(
      'kpis',
      new Map([
        [1, 10],
        [3, 5],
      ]),
    );
    expect(await binding.status(1000)).toEqual({
      topic: 'merge',
      partitions: [
        { partition: 1, mergedOffset: 10, highWatermark: 21, lag: 10 },
        { partition: 2, mergedOffset: null, highWatermark: 22, lag: 20 },
        { partition: 3, mergedOffset: 5, highWatermark: null, lag: null },
      ],
      errors: ['watermarks of merge/3: Local: Timed out'],
    });
    // The gauges show the followed partitions only (0 is another member's).
    const highs = await registry.getSingleMetricAsString('pulse_merge_high_watermark');
    expect(highs).toContain('pulse_merge_high_watermark{partition="1"} 4');
    expect(highs).toContain('pulse_merge_high_watermark{partition="2"} 9');
    expect(highs).not.toContain('partition="0"');
    const offsets = await registry.getSingleMetricAsString('pulse_merge_offset');
    expect(offsets).toContain('pulse_merge_offset{partition="1"} 10');
    expect(offsets).toContain('pulse_merge_offset{partition="3"} 5');
    expect(offsets).not.toContain('partition="2"');
    // Restored again without partition 3's merge (its state left with its source partition, then it came back without it).
    binding.follow('kpis', new Map([[1, 10]]));
    expect((await binding.status(1000)).partitions.find((p) => p.partition === 3)?.mergedOffset).toBeNull();
  });

  it('publishes after the commit: partials to their group partition, then a report per partition read, only when it moved', async () => {
    const { binding, sent, arriving, registry } = setUp(['events/0', 'events/2']);
    await binding.start();
    binding.follow('kpis', new Map());
    arriving.push({ kind: 'watermark', partition: 'events/1', watermark: 5, position: { mergePartition: 2, offset: 7 } });
    binding.take('kpis');
    binding.offer([{ operator: 'kpis', partition: 'events/0', key: 'w1', group: '["billing","voice"]', value: { offered: 1 } }]);
    await binding.sink.committed!(checkpoint(1000));
    const first = sent.at(-1)!;
    const group = groupPartition('["billing","voice"]', 4);
    expect(first.get(group)![0]).toEqual({ key: '["partial","kpis","events/0","w1"]', value: '{"offered":1}' });
    for (let m = 0; m < 4; m++) {
      expect(
        first
          .get(m)!
          .filter((r) => r.key.startsWith('["watermark"'))
          .map((r) => [r.key, r.value]),
      ).toEqual([
        ['["watermark","events/0"]', '{"watermark":1000}'],
        ['["watermark","events/2"]', '{"watermark":1000}'],
      ]);
    }
    // The offset handed out at that checkpoint is what it merged and committed.
    expect(await registry.getSingleMetricAsString('pulse_merge_offset')).toContain('pulse_merge_offset{partition="2"} 7');
    // Nothing new and the same watermark: nothing to produce (members would otherwise answer each other forever).
    await binding.sink.committed!(checkpoint(1000));
    expect(sent.at(-1)!.size).toBe(0);
    await binding.sink.committed!(checkpoint(2000));
    expect([...sent.at(-1)!.values()].every((records) => records.length === 2)).toBe(true);
  });

  it("reports a partition at its own watermark while that is behind the job's (a partition just moved here), none before its first event time", async () => {
    const { binding, sent } = setUp(['events/0', 'events/2']);
    await binding.start();
    binding.follow('kpis', new Map());
    binding.take('kpis');
    // events/2 restored at its last marker: newest event time 1500, so its own watermark is 1400 (out-of-orderness 100).
    await binding.sink.committed!(checkpoint(2000, { 'events/0': AHEAD, 'events/2': { maxEventTime: 1500, ended: false } }));
    const reports = (at: Map<number, Array<{ key: string; value: string | null }>>) =>
      at
        .get(0)!
        .filter((r) => r.key.startsWith('["watermark"'))
        .map((r) => [r.key, r.value]);
    expect(reports(sent.at(-1)!)).toEqual([
      ['["watermark","events/0"]', '{"watermark":2000}'],
      ['["watermark","events/2"]', '{"watermark":1400}'],
    ]);
    // A partition with no event time yet (assigned, nothing read) is not reported.
    await binding.sink.committed!(checkpoint(3000, { 'events/0': AHEAD, 'events/2': { maxEventTime: Number.NEGATIVE_INFINITY, ended: false } }));
    expect(reports(sent.at(-1)!)).toEqual([['["watermark","events/0"]', '{"watermark":3000}']]);
  });
});

describe('bindMerge (job option merge)', () => {
  const yaml = (topics: string, extra = '') => `name: j
source: kafka
sources:
  kafka: { type: kafka, brokers: "127.0.0.1:1", topics: "${topics}", group: g }
operators: [{ type: contact_kpis }]
merge: { topic: pulse-merge }
${extra}`;
  const VALID_TOPIC = yaml('events');
  const job = (topics: string, extra = '') => parseJobConfig(yaml(topics, extra), 'job.yaml', {});
  const bind = (config: ReturnType<typeof job>) => {
    const metrics = new PipelineMetrics();
    const logger = pino({ level: 'silent' });
    return bindMerge(config, bindSource(config, metrics, logger).source, logger, metrics.registry);
  };

  it('binds a Kafka source of one topic', () => {
    expect(bind(job('events'))?.topic).toBe('pulse-merge');
  });

  it.each([
    ['several topics', job('a,b'), "merge: the source 'kafka' reads 2 topics (a,b)"],
    ['the source topic', job('pulse-merge'), "merge.topic: 'pulse-merge' is the source topic"],
    ['the changelog topic', job('events', 'checkpoint: { changelog: { topic: pulse-merge } }'), "merge.topic: 'pulse-merge' is checkpoint.changelog.topic"],
  ])('refuses %s, saying which', (_name, config, message) => {
    expect(() => bind(config)).toThrow(message);
  });

  it('refuses a misspelt key with its line and the allowed keys', () => {
    expect(() => parseJobConfig(VALID_TOPIC.replace('topic:', 'topics:'), 'job.yaml', {})).toThrow(
      'job.yaml:6: merge.topics: unknown key (did you mean topic?); allowed keys are topic',
    );
  });
});
