import type { Rejection } from '../operators/events.js';
import type { RawRecord, RecordBatch } from '../sources/source.js';

/**
 * Gives each rejection of `batch` the envelope its record came with (a Kafka message's key and
 * headers), for the dead-letter topic. The shards see record values only; the envelopes stay with
 * the batch on this thread, and only the rejected few are looked up (a batch's offsets increase).
 */
export function attachEnvelopes(rejections: readonly Rejection[], batch: RecordBatch): void {
  for (const rejection of rejections) {
    if (rejection.position.partition !== batch.partition) continue;
    const envelope = recordAt(batch.records, rejection.position.offset)?.envelope;
    if (envelope !== undefined) rejection.envelope = envelope;
  }
}

/** The record at `offset` of records in increasing offset order, by bisection. */
function recordAt(records: readonly RawRecord[], offset: number): RawRecord | undefined {
  let low = 0;
  let high = records.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const record = records[middle]!;
    if (record.offset === offset) return record;
    if (record.offset < offset) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}
