import { UnreadableRecord } from '../../operators/record-limits.js';
import { recordText } from '../record-bytes.js';

/** The Confluent Schema Registry wire format: magic byte 0, then a 4-byte big-endian schema id, then the payload. */
const MAGIC = 0;
const HEADER_BYTES = 5;

const NO_VALUE =
  'the message has no value (null or empty: a tombstone, or an empty message); each message of an event topic holds one JSON ' +
  'object, and a tombstone deletes nothing here';

/**
 * The text of a Kafka message value. A value produced by Confluent's JSON Schema serializer starts
 * with the Schema Registry's 5-byte header: the JSON after it is the record (no record starts with
 * a NUL byte, so nothing else is mistaken for one). An Avro or Protobuf value behind the same header
 * is not JSON: it is refused with the schema id and what to produce instead, not as bytes that are
 * "not valid UTF-8".
 */
export function kafkaValueText(value: Buffer | null, maxBytes: number): string | UnreadableRecord {
  // The client hands over an empty value as null too, so the two cannot be told apart here.
  if (value === null || value.length === 0) return new UnreadableRecord('invalid_json', NO_VALUE, '');
  if (value.length < HEADER_BYTES || value[0] !== MAGIC) return recordText(value, maxBytes);
  const payload = value.subarray(HEADER_BYTES);
  const start = payload.findIndex((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d);
  if (payload[start] === 0x7b) return recordText(payload, maxBytes); // '{': JSON Schema serializer
  const schemaId = value.readUInt32BE(1);
  return new UnreadableRecord(
    'invalid_json',
    `the value has a Confluent Schema Registry header (schema id ${schemaId}) but no JSON object after it: Avro and Protobuf values are not read; ` +
      'produce JSON (plain, or with the JSON Schema serializer)',
    value.subarray(0, 1024).toString('base64'),
  );
}
