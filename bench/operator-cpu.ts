/**
 * CPU seconds per event of the shard path, one phase at a time (issue 13: no work per event that
 * does not need to happen per event): the hand-over of a batch to the shards (routing by customer,
 * framing each shard's share, the structured clone through a message port and the unframing a
 * worker thread does, here all on one thread), the event gate (decode, validation, lateness, duplicates),
 * each operator's local part (process, watermark) and the drain of changed state as checkpoint rows.
 * No DuckDB, no other thread: the figures are the process's CPU time (`process.cpuUsage`), so they
 * hold up better than wall time on a busy machine, and each is the least of `--repeats` passes.
 *
 *   npm run build && node dist/bench/operator-cpu.js --file events.ndjson [--lines 600000] [--repeats 3] [--skip customer_shifts]
 *
 * The file is any NDJSON input, e.g. the `events-*.ndjson` that `pipeline-bench --job default`
 * leaves in its `--dir`. The watermark follows the events (max event time minus the job's
 * out-of-orderness) after each batch of `--batch` records, state is drained every 25 batches, as
 * checkpoints would. Global parts (KPI rules, drift periods) are not run: this measures the
 * per-event work on the shards.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { withProfileStore } from '../operators/customer-profiles.js';
import { EventGate } from '../operators/event-gate.js';
import type { PulseEvent } from '../operators/events.js';
import { createLocals } from '../operators/parallel.js';
import { packStateRows } from '../operators/state-pack.js';
import { loadJobConfig } from '../pipelines/job-config.js';
import { RecordFrameBuilder, frameTransfers, unframeRecords, type RecordFrame } from '../pipelines/shards/record-frame.js';
import { routingKey, shardOf } from '../pipelines/shards/routing.js';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    config: { type: 'string', default: 'pipelines/customer-analytics.yaml' },
    lines: { type: 'string', default: '600000' },
    batch: { type: 'string', default: '8192' },
    repeats: { type: 'string', default: '3' },
    skip: { type: 'string', multiple: true, default: [] },
  },
});
if (values.file === undefined) throw new Error('--file is required: an NDJSON input (e.g. the events-*.ndjson that pipeline-bench leaves in its --dir)');
const job = loadJobConfig(values.config!);
const operators = job.operators.filter((op) => !values.skip!.includes(op.type) && !values.skip!.includes(op.name));
// The profile store first when an operator reads profiles, as the runner builds them (here it applies a batch's profile events before the operators run over the batch).
const plans = withProfileStore(operators.map((op) => op.factory.build(op.name, op.settings, { allowedLatenessMs: job.eventTime.allowedLatenessMs })));
const lines = readFileSync(values.file, 'utf8').split('\n', Number(values.lines));
const batchSize = Number(values.batch);
const { outOfOrdernessMs } = job.eventTime;

const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** Shards of the hand-over phase (the bench machine's two cores). */
const SHARDS = 2;
const channel = new MessageChannel();

/**
 * Lines [first, end) handed over as the runner hands a batch to its shard threads (pool.ts, worker.ts),
 * through a real message port: the number of records the shards got back.
 */
function handOver(first: number, end: number): number {
  const builders = Array.from({ length: SHARDS }, () => new RecordFrameBuilder(end - first));
  for (let i = first; i < end; i++) builders[shardOf(routingKey(lines[i]!), SHARDS)]!.add({ offset: i, value: lines[i]! });
  let received = 0;
  for (const builder of builders) {
    const frame = builder.build();
    channel.port1.postMessage(frame, frameTransfers(frame));
    received += unframeRecords(receiveMessageOnPort(channel.port2)!.message as RecordFrame).length;
  }
  return received;
}

/** One pass over the lines with fresh operators: CPU seconds by phase. */
function pass(): Record<string, number> {
  const gate = new EventGate({ ...job.eventTime, limits: job.limits });
  const locals = createLocals(plans);
  const seconds: Record<string, number> = { handover: 0, gate: 0, ...Object.fromEntries(plans.map((plan) => [plan.name, 0])), drain_state: 0 };
  const events: PulseEvent[] = [];
  let watermark = Number.NEGATIVE_INFINITY;
  const started = cpuSeconds();
  for (let first = 0, batch = 0; first < lines.length; first += batchSize, batch++) {
    const end = Math.min(first + batchSize, lines.length);
    let at = cpuSeconds();
    if (handOver(first, end) !== end - first) throw new Error('the hand-over lost records');
    seconds['handover']! += cpuSeconds() - at;
    at = cpuSeconds();
    events.length = 0;
    const now = Date.now();
    for (let i = first; i < end; i++) {
      const event = gate.admit(lines[i]!, 'bench', '0', i, now);
      if (event !== null) events.push(event);
    }
    for (const time of gate.takeEventTimes()) watermark = Math.max(watermark, time - outOfOrdernessMs);
    gate.setWatermark(watermark);
    seconds['gate']! += cpuSeconds() - at;
    locals.forEach((local, index) => {
      at = cpuSeconds();
      for (const event of events) local.process(event);
      local.drainPartial?.();
      local.onWatermark(watermark);
      seconds[plans[index]!.name]! += cpuSeconds() - at;
    });
    if (batch % 25 === 24 || end === lines.length) {
      for (const local of locals) local.drainOutputs();
      at = cpuSeconds();
      for (const local of locals) packStateRows(local.name, local.states);
      gate.dedup.drainChanges();
      seconds['drain_state']! += cpuSeconds() - at;
    }
  }
  return { total: cpuSeconds() - started, ...seconds };
}

const best: Record<string, number> = {};
for (let repeat = 0; repeat < Number(values.repeats); repeat++) {
  for (const [phase, value] of Object.entries(pass())) best[phase] = Math.min(best[phase] ?? Number.POSITIVE_INFINITY, value);
}
channel.port1.close();
const microsPerEvent = Object.fromEntries(Object.entries(best).map(([phase, value]) => [phase, +((value / lines.length) * 1e6).toFixed(3)]));
const cpu = Object.fromEntries(Object.entries(best).map(([phase, value]) => [phase, +value.toFixed(3)]));
console.log(JSON.stringify({ file: values.file, lines: lines.length, repeats: Number(values.repeats), cpuSeconds: cpu, microsPerEvent }));
