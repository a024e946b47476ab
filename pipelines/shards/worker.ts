/**
 * Worker-thread entry of a shard (pool.ts): builds the operators' local parts from the job's
 * operator settings, then answers the runner's calls in order. It keeps no state besides its shard.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { withProfileStore } from '../../operators/customer-profiles.js';
import { createLocals } from '../../operators/parallel.js';
import { OPERATOR_FACTORIES } from '../registry.js';
import { HeldRecords, replyTransfers, type ShardCall, type ShardReply, type ShardWorkerData } from './pool.js';
import { unframeRecords } from './record-frame.js';
import { Shard } from './shard.js';

const port = parentPort;
if (port === null) throw new Error('pipelines/shards/worker.js is a worker-thread entry; it cannot run as a script');

const data = workerData as ShardWorkerData;
// The same plans as the runner's (pipelines/runner.ts), the profile store included.
const plans = withProfileStore(
  data.operators.map(({ type, name, settings }) => {
    const factory = OPERATOR_FACTORIES.get(type);
    if (!factory) throw new Error(`unknown operator type '${type}'`);
    return factory.build(name, settings, { allowedLatenessMs: data.gate.allowedLatenessMs, windowsSince: data.windowsSince });
  }),
);
const shard = new Shard(() => createLocals(plans, data.merged === true), {
  gate: data.gate,
  trackOwners: data.trackOwners,
  portable: true,
});

const held = new HeldRecords();

function handle(call: ShardCall): unknown {
  switch (call.op) {
    case 'hold':
      held.hold(unframeRecords(call.records), call.ticket);
      return null;
    case 'process':
      return shard.process({ ...call, records: held.take(call.ticket) });
    case 'watermark':
      shard.watermark(call.watermark);
      return null;
    case 'answer':
      return shard.answer(call.index, call.request);
    case 'drain':
      return shard.drain();
    case 'drainState':
      return shard.drainState();
    case 'taxonomy':
      shard.setTaxonomy(call.taxonomy);
      return null;
    case 'restore':
      shard.restore(call.data);
      return null;
  }
}

/** `id` is undefined for a one-way call (pool.ts), answered only when it fails. */
port.on('message', ({ id, call }: { id: number | undefined; call: ShardCall }) => {
  let reply: ShardReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const result = handle(call);
    if (id === undefined) return;
    reply = { id, ok: true, result };
    transfer = replyTransfers(result);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { id, ok: false, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  }
  port.postMessage(reply, transfer);
});
