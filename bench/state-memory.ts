/**
 * Per-customer state memory of one operator (issue 13: the default job under 2 GiB at 1M
 * customers): feeds the events of an NDJSON file to the operator's local part (the per-customer
 * part that runs on each shard) on this thread, then reports the JavaScript heap it holds after a
 * full garbage collection, per customer, and the size of its state as a checkpoint stores it.
 *
 *   npm run build && node --expose-gc dist/bench/state-memory.js --operator population_drift [--file events.ndjson] [--customers N]
 *
 * Without `--file` it uses (and if needed generates) the pipeline bench's clean dataset of
 * `--customers` customers x 1 day in bench/.data. The events are decoded and handed over one at a
 * time and not kept, so the heap grows by the operator's state alone (strings it keeps included).
 *
 * With `--closes` the operator's global part runs too (one shard, partials merged after each event,
 * the watermark advanced every `--batch` events as the runner does), and the bench also reports
 * what a window close holds on top of the state: the most live heap, over every close, between the
 * requests the global part makes of the local part (a shift close holds every series' window in
 * flight from `collect` to `apply`), less the heap before that close. Use a file of several weeks,
 * e.g. `pulse generate --customers 50000 --days 28`, so that series have history to assess.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ProfileStore } from '../operators/customer-profiles.js';
import { EventDecoder } from '../operators/decode.js';
import type { PulseEvent } from '../operators/events.js';
import { packStateRows, stateRowsOf } from '../operators/state-pack.js';
import { ComposedOperator } from '../operators/parallel.js';
import { loadJobConfig } from '../pipelines/job-config.js';
import { cleanDataset } from './clean-dataset.js';

const { values } = parseArgs({
  options: {
    operator: { type: 'string' },
    file: { type: 'string' },
    customers: { type: 'string', default: '200000' },
    config: { type: 'string', default: 'pipelines/customer-analytics.yaml' },
    closes: { type: 'boolean', default: false },
    batch: { type: 'string', default: '8192' },
  },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const job = loadJobConfig(values.config!);
const operator = job.operators.find((op) => op.type === values.operator || op.name === values.operator);
if (operator === undefined) throw new Error(`no operator of type or name '${values.operator}' in ${values.config}`);
const file = values.file ?? (await cleanDataset(resolve('bench/.data'), Number(values.customers), 1, 1));

const decoder = new EventDecoder();
/** The file's valid events, one at a time: none is kept, so the heap holds only what the operator keeps. */
async function* eventsOf(path: string): AsyncGenerator<PulseEvent> {
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    const event = line === '' ? null : decoder.decodeEvent(line);
    if (event !== null) yield event;
  }
}
const heapUsed = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let events = 0;
let watermark = -Infinity;
const customers = new Set<string>();
for await (const event of eventsOf(file)) {
  events++;
  watermark = Math.max(watermark, event.ts);
  if (event.customer_id !== null) customers.add(event.customer_id);
}

const plan = operator.factory.build(operator.name, operator.settings, { allowedLatenessMs: job.eventTime.allowedLatenessMs });
const composed = values.closes ? new ComposedOperator(plan) : null;
// An operator that reads profiles reads them from a store of its own here; its heap is counted with the operator's.
const profiles = plan.readsProfiles === undefined ? undefined : new ProfileStore(plan.readsProfiles === 'history');
const local = composed?.local ?? plan.createLocal(profiles ? { profiles } : {});
/** With `--closes`: the most live heap a close held on top of the heap before it. */
let closeHeld = 0;
if (composed !== null && local.answer !== undefined) {
  const answer = local.answer.bind(local);
  let beforeClose: number | null = null;
  local.answer = (request: unknown): unknown => {
    beforeClose ??= heapUsed();
    const result = answer(request);
    closeHeld = Math.max(closeHeld, heapUsed() - beforeClose);
    return result;
  };
  const onWatermark = composed.onWatermark.bind(composed);
  composed.onWatermark = (at: number): void => {
    beforeClose = null;
    onWatermark(at);
  };
}
const before = heapUsed();
let seen = 0;
let newest = -Infinity;
const batch = Number(values.batch);
for await (const event of eventsOf(file)) {
  if (composed === null) {
    profiles?.process(event);
    local.process(event);
    continue;
  }
  composed.process(event);
  newest = Math.max(newest, event.ts);
  if (++seen % batch === 0) composed.onWatermark(newest - job.eventTime.outOfOrdernessMs);
  composed.drainOutputs();
}
(composed ?? local).onWatermark(watermark);
(composed ?? local).drainOutputs();
local.drainPartial?.();
const held = heapUsed() - before;
const states = { ...(profiles ?? composed)?.states, ...local.states };
const entries = Object.fromEntries(Object.entries(states).map(([name, state]) => [name, state.size]));
let stored = 0;
for (const row of stateRowsOf(packStateRows(operator.name, states))) stored += row.value?.length ?? 0;
console.log(
  JSON.stringify({
    operator: operator.name,
    file,
    events,
    customers: customers.size,
    heapMiB: +(held / 2 ** 20).toFixed(1),
    bytesPerCustomer: Math.round(held / customers.size),
    entries,
    storedJsonBytesPerCustomer: Math.round(stored / customers.size),
    ...(values.closes ? { closeHeldMiB: +(closeHeld / 2 ** 20).toFixed(1), closeHeldBytesPerCustomer: Math.round(closeHeld / customers.size) } : {}),
  }),
);
