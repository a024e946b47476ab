import { parentPort } from 'node:worker_threads';
import { EventDecoder } from '../operators/decode.js';
import type { PulseEvent } from '../operators/events.js';
import type { DecodeRequest, DecodeResponse } from './decode-ahead.js';

/**
 * Worker-thread entry of `decodeAhead` (pipelines/decode-ahead.ts): runs the same `EventDecoder`
 * the main thread would run on each string record of a batch, and posts the events (or why each
 * record could not be decoded) back, index for index. It keeps no other state.
 */
const port = parentPort;
if (port === null) throw new Error('pipelines/decode-worker.js is a worker-thread entry; it cannot run as a script');

const decoder = new EventDecoder();

port.on('message', (request: DecodeRequest) => {
  const { values } = request;
  const events = new Array<PulseEvent | null>(values.length);
  const failures: DecodeResponse['failures'] = {};
  for (let i = 0; i < values.length; i++) {
    const event = decoder.decodeEvent(values[i]!);
    events[i] = event;
    // lastFailure is a fresh object per failure, so it can be kept as is.
    if (event === null) failures[i] = decoder.lastFailure;
  }
  const response: DecodeResponse = { id: request.id, events, failures };
  port.postMessage(response);
});
