import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { UnreadableRecord, type RawValue } from '../../../operators/record-limits.js';
import { RecordFrameBuilder, frameTransfers, unframeRecords, type RecordFrame } from '../../../pipelines/shards/record-frame.js';
import type { RawRecord } from '../../../sources/source.js';

/** Frames `records`, posts the frame through a real message port (structured clone + transfer), unframes it. */
function roundTrip(records: RawRecord[]): RawRecord[] {
  const builder = new RecordFrameBuilder(records.length + 3);
  for (const record of records) builder.add(record);
  const frame = builder.build();
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(frame, frameTransfers(frame));
    // Transferred, not copied: the sender's buffers are detached.
    expect(frame.kinds.byteLength).toBe(0);
    const received = receiveMessageOnPort(port2)!.message as RecordFrame;
    return unframeRecords(received);
  } finally {
    port1.close();
    port2.close();
  }
}

const at = (values: RawValue[], first = 1): RawRecord[] => values.map((value, i) => ({ offset: first + i, value }));

describe('record frames (a shard batch crossing to its worker thread)', () => {
  it('give back every text record exactly, whatever it holds', () => {
    const values = [
      '{"type":"usage","customer_id":"C1"}',
      '', // an empty record (a Kafka message with an empty value)
      'line one\nline two\r\n', // raw newlines inside one record (not NDJSON, but a message may hold them)
      '{"text":"naïve café – 日本語 🙂"}', // multi-byte UTF-8, a character outside the BMP
      '{"id":"\ud800 lone"}', // a lone surrogate (code units cross unchanged)
      'x'.repeat(100_000),
      '   ',
    ];
    const back = roundTrip(at(values));
    expect(back).toEqual(at(values));
    expect(back.map((r) => r.value)).toStrictEqual(values);
  });

  it('keep offsets beyond 32 bits (Kafka offsets) and the order of mixed records', () => {
    const row = { type: 'usage', customer_id: 'C2', quantity: 3, nested: { a: [1, 2] } };
    const unreadable = new UnreadableRecord('invalid_json', 'line 7 is not UTF-8 (byte 0xff at 3)', '{"a\ufffd');
    const records: RawRecord[] = [
      { offset: 2 ** 40 + 1, value: 'first' },
      { offset: 2 ** 40 + 2, value: row },
      { offset: 2 ** 40 + 5, value: unreadable },
      { offset: 2 ** 40 + 9, value: 'last' },
    ];
    const back = roundTrip(records);
    expect(back.map((r) => r.offset)).toEqual(records.map((r) => r.offset));
    expect(back[0]!.value).toBe('first');
    expect(back[1]!.value).toEqual(row);
    // Rebuilt as the class the gate recognises, not a plain object.
    expect(back[2]!.value).toBeInstanceOf(UnreadableRecord);
    expect(back[2]!.value).toEqual(unreadable);
    expect(back[3]!.value).toBe('last');
  });

  it('carry an empty share (a shard that got no record of a batch)', () => {
    expect(roundTrip([])).toEqual([]);
  });
});
