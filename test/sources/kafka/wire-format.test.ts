import { describe, expect, it } from 'vitest';
import { UnreadableRecord } from '../../../operators/record-limits.js';
import { kafkaValueText } from '../../../sources/kafka/wire-format.js';

/** A value as Confluent's serializers write it: magic byte 0, the schema id, the payload. */
function withHeader(schemaId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, payload]);
}

const RECORD = '{"type":"usage","event_id":"e1","ts":0,"customer_id":"C1","metric":"logins","quantity":1}';

describe('kafkaValueText', () => {
  it('reads a plain JSON value as it is', () => {
    expect(kafkaValueText(Buffer.from(RECORD), 1 << 20)).toBe(RECORD);
  });

  it("reads the JSON after the Schema Registry header of Confluent's JSON Schema serializer", () => {
    expect(kafkaValueText(withHeader(42, Buffer.from(RECORD)), 1 << 20)).toBe(RECORD);
    expect(kafkaValueText(withHeader(7, Buffer.from(`\n ${RECORD}`)), 1 << 20)).toBe(`\n ${RECORD}`);
  });

  it('refuses an Avro value behind the header with its schema id and what to produce instead', () => {
    // Avro's binary encoding of a record: a zig-zag varint length, then the string's bytes.
    const avro = Buffer.from([0x0a, 0x75, 0x73, 0x61, 0x67, 0x65, 0xc8, 0x01]);
    const text = kafkaValueText(withHeader(1234, avro), 1 << 20);
    expect(text).toBeInstanceOf(UnreadableRecord);
    expect((text as UnreadableRecord).reason).toBe('invalid_json');
    expect((text as UnreadableRecord).detail).toContain('Confluent Schema Registry header (schema id 1234)');
    expect((text as UnreadableRecord).detail).toContain('Avro and Protobuf values are not read');
  });

  it('refuses a message without a value (a tombstone, or empty) by saying so, not as broken JSON', () => {
    for (const value of [null, Buffer.alloc(0)]) {
      const text = kafkaValueText(value, 1 << 20);
      expect(text).toBeInstanceOf(UnreadableRecord);
      expect((text as UnreadableRecord).reason).toBe('invalid_json');
      expect((text as UnreadableRecord).detail).toMatch(/^the message has no value \(null or empty: a tombstone/);
      expect((text as UnreadableRecord).raw).toBe('');
    }
  });

  it('keeps the record-size limit for a value with the header', () => {
    const text = kafkaValueText(withHeader(1, Buffer.from(RECORD)), 50);
    expect((text as UnreadableRecord).reason).toBe('too_large');
  });
});
