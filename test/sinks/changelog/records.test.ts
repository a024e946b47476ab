import { describe, expect, it } from 'vitest';
import {
  ChangelogFold,
  decodeRecord,
  encodeEntry,
  encodeMarker,
  encodeTombstone,
  type ChangelogRecord,
  type StateEntry,
} from '../../../sinks/changelog/records.js';

const state = (key: string, value: string, customer = key): StateEntry => ({ kind: 'state', operator: 'windows', state: 'open', key, customer, value });
const marker = (offset: number, dedupBefore: number | null = null): ChangelogRecord =>
  encodeMarker({ partition: 'events/0', position: { offset, resume: offset }, maxEventTime: 1000 + offset, dedupBefore });

describe('changelog records', () => {
  it('round-trips every kind, a tombstone and a marker', () => {
    const entries = [
      state('c1', '{"n":1}'),
      {
        kind: 'window' as const,
        customer: 'c/"1',
        windowStart: 0,
        windowEnd: 3_600_000,
        row: { customer_id: 'c/"1', spend_total: 12.5, usage: { data_mb: 3 } },
      },
      { kind: 'dedup' as const, eventId: 'e-1', customer: null, ts: 42 },
    ];
    for (const entry of entries) expect(decodeRecord(encodeEntry(entry))).toEqual({ kind: 'entry', key: encodeEntry(entry).key, entry });
    const tomb = encodeTombstone({ kind: 'state', operator: 'windows', state: 'open', key: 'c1' });
    expect(tomb).toEqual({ key: encodeEntry(state('c1', 'x')).key, value: null });
    expect(decodeRecord(tomb)).toEqual({ kind: 'entry', key: tomb.key, entry: null });
    expect(decodeRecord(marker(7))).toEqual({
      kind: 'marker',
      marker: { kind: 'marker', partition: 'events/0', position: { offset: 7, resume: 7 }, maxEventTime: 1007, dedupBefore: null },
    });
  });

  it('keys do not collide across kinds or when parts contain separators', () => {
    const a = encodeEntry({ ...state('x', '1'), operator: 'a', state: 'b\u0000c' }).key;
    const b = encodeEntry({ ...state('x', '1'), operator: 'a\u0000b', state: 'c' }).key;
    expect(a).not.toBe(b);
    expect(encodeEntry({ kind: 'dedup', eventId: 'state', customer: null, ts: 0 }).key).not.toBe(encodeEntry(state('state', '1')).key);
  });

  it('names the key of a record it cannot read', () => {
    expect(() => decodeRecord({ key: 'not json', value: '{}' })).toThrow(/key not json: the key is not JSON/);
    expect(() => decodeRecord({ key: '["other"]', value: '{}' })).toThrow(/unknown record kind 'other'/);
  });

  it('folds the latest value per key up to the last marker; tombstones delete; records after it are ignored and repaired', () => {
    const fold = new ChangelogFold();
    const records = [
      encodeEntry(state('c1', '1')),
      encodeEntry(state('c2', '1')),
      marker(10),
      encodeEntry(state('c1', '2')),
      encodeTombstone({ kind: 'state', operator: 'windows', state: 'open', key: 'c2' }),
      encodeEntry(state('c3', '1')),
      marker(20),
      // A checkpoint whose marker never came: not state.
      encodeEntry(state('c1', '3')),
      encodeEntry(state('c4', '1')),
      encodeTombstone({ kind: 'state', operator: 'windows', state: 'open', key: 'c3' }),
    ];
    for (const record of records) fold.add(record);
    expect(fold.records).toBe(10);
    expect(fold.marker?.position.offset).toBe(20);
    expect(fold.entries()).toEqual([state('c1', '2'), state('c3', '1')]);
    // c1 and c3 get their committed values back, c4 (new after the marker) a tombstone.
    expect(fold.repairs()).toEqual([
      encodeEntry(state('c1', '2')),
      encodeTombstone({ kind: 'state', operator: 'windows', state: 'open', key: 'c4' }),
      encodeEntry(state('c3', '1')),
    ]);
  });

  it('has no state and no marker before the first marker, and drops expired event ids', () => {
    const empty = new ChangelogFold();
    empty.add(encodeEntry(state('c1', '1')));
    expect(empty.marker).toBeUndefined();
    expect(empty.entries()).toEqual([]);
    const fold = new ChangelogFold();
    for (const ts of [5, 15]) fold.add(encodeEntry({ kind: 'dedup', eventId: `e${ts}`, customer: 'c1', ts }));
    fold.add(marker(3, 10));
    expect(fold.entries()).toEqual([{ kind: 'dedup', eventId: 'e15', customer: 'c1', ts: 15 }]);
    // The expired one is left for the next owner to delete.
    expect(fold.expiredTombstones()).toEqual([{ key: '["dedup","c1","e5"]', value: null }]);
  });

  it("keeps two customers' events that share an id apart, and reads the id-only key of earlier versions", () => {
    const fold = new ChangelogFold();
    fold.add(encodeEntry({ kind: 'dedup', eventId: 'e1', customer: 'c1', ts: 1 }));
    fold.add(encodeEntry({ kind: 'dedup', eventId: 'e1', customer: 'c2', ts: 2 }));
    fold.add({ key: '["dedup","e0"]', value: '{"customer":"c3","ts":3}' });
    fold.add(marker(1));
    expect(fold.entries()).toEqual([
      { kind: 'dedup', eventId: 'e1', customer: 'c1', ts: 1 },
      { kind: 'dedup', eventId: 'e1', customer: 'c2', ts: 2 },
      { kind: 'dedup', eventId: 'e0', customer: 'c3', ts: 3 },
    ]);
  });
});
