import { describe, expect, it } from 'vitest';
import { decodeMergeRecord, groupPartition, partialMessage, watermarkMessages } from '../../../sinks/merge/records.js';

const at = { mergePartition: 2, offset: 41 };

describe('merge records', () => {
  it("a partial goes to its group's partition, keyed by what it replaces, and reads back as written", () => {
    const record = {
      operator: 'contact_kpis',
      partition: 'events/3',
      key: '[900000,0,"billing","voice"]',
      group: '["billing","voice"]',
      value: { offered: 2 },
    };
    const message = partialMessage(record, 4);
    expect(message).toEqual({
      partition: groupPartition('["billing","voice"]', 4),
      key: '["partial","contact_kpis","events/3","[900000,0,\\"billing\\",\\"voice\\"]"]',
      value: '{"offered":2}',
    });
    expect(decodeMergeRecord(message.key, message.value, at)).toEqual({
      kind: 'partial',
      operator: 'contact_kpis',
      partition: 'events/3',
      key: record.key,
      value: { offered: 2 },
      position: at,
    });
    // Dropped: a tombstone for the compacted topic.
    const dropped = partialMessage({ ...record, value: null }, 4);
    expect(dropped.value).toBeNull();
    expect(decodeMergeRecord(dropped.key, dropped.value, at)).toMatchObject({ kind: 'partial', value: null });
  });

  it('a watermark report goes to every merge partition', () => {
    const messages = watermarkMessages('events/1', 1_767_607_200_000, 3);
    expect(messages.map((m) => m.partition)).toEqual([0, 1, 2]);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set(['["watermark","events/1"]']));
    expect(decodeMergeRecord(messages[1]!.key, messages[1]!.value, at)).toEqual({
      kind: 'watermark',
      partition: 'events/1',
      watermark: 1_767_607_200_000,
      position: at,
    });
  });

  it('a group lands on the same partition in every member, spread over the partitions', () => {
    // FNV-1a 32-bit of "a" is 0xe40c292c (the reference test vector).
    expect(groupPartition('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    const used = new Set(
      ['billing', 'tech', 'sales', 'retention'].flatMap((q) => ['voice', 'chat', 'email'].map((c) => groupPartition(JSON.stringify([q, c]), 4))),
    );
    expect(used.size).toBe(4);
  });

  it.each([
    ['not JSON', '{', null, 'not JSON'],
    ['a key that is not a string array', '[1]', null, 'array of strings'],
    ['an unknown kind', '["other","x"]', null, 'unknown record kind'],
    ['a report without a watermark', '["watermark","events/1"]', '{}', 'numeric watermark'],
    ['a partial value that is not an object', '["partial","k","events/0","w"]', '3', 'not an object'],
  ])('%s is refused with a reason', (_name, key, value, reason) => {
    const decoded = decodeMergeRecord(key, value, at);
    expect(decoded).toHaveProperty('error');
    expect((decoded as { error: string }).error).toContain(reason);
  });
});
