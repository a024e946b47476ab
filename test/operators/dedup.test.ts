import { describe, expect, test } from 'vitest';
import { EventIdDedup } from '../../operators/dedup.js';

const MIN = 60_000;

/** What a checkpoint does with the changes: delete below the horizon, then insert (sinks/duckdb/store.ts). */
function checkpoint(stored: Map<string, number>, dedup: EventIdDedup): void {
  const changes = dedup.drainChanges();
  for (const [id, ts] of stored) if (ts < changes.expiredBefore) stored.delete(id);
  changes.ids.forEach((id, i) => stored.set(`${changes.customers[i]}/${id}`, changes.times[i]!));
}

/** Events of one customer a minute apart, each followed by the horizon moving to 5 minutes before it. */
function run(checkpointEvery: number): Map<string, number> {
  const dedup = new EventIdDedup();
  const stored = new Map<string, number>();
  for (let i = 0; i < 40; i++) {
    expect(dedup.checkAndAdd(`e${i}`, 'c1', i * MIN, 'p0')).toBe(false);
    dedup.expire((i - 5) * MIN);
    if ((i + 1) % checkpointEvery === 0) checkpoint(stored, dedup);
  }
  checkpoint(stored, dedup);
  return stored;
}

describe('EventIdDedup', () => {
  test('a repeated id of the same customer is a duplicate, of another customer it is not', () => {
    const dedup = new EventIdDedup();
    expect(dedup.checkAndAdd('e1', 'c1', 0, 'p0')).toBe(false);
    expect(dedup.checkAndAdd('e1', 'c1', 0, 'p0')).toBe(true);
    expect(dedup.checkAndAdd('e1', 'c2', 0, 'p0')).toBe(false);
  });

  test('ids that expired before a checkpoint are not handed to it', () => {
    const dedup = new EventIdDedup();
    dedup.checkAndAdd('old', 'c1', 0, 'p0');
    dedup.checkAndAdd('new', 'c1', 10 * MIN, 'p0');
    dedup.expire(5 * MIN);
    expect(dedup.drainChanges()).toMatchObject({ ids: ['new'], customers: ['c1'], times: [10 * MIN], partitions: ['p0'], expiredBefore: 5 * MIN });
  });

  test('an id remembered in a minute whose ids already expired is forgotten at the next expiry', () => {
    const dedup = new EventIdDedup();
    dedup.checkAndAdd('e1', 'c1', 0, 'p0');
    dedup.expire(2 * MIN);
    // The same minute again (the last one remembered): it must not go to the list that expired.
    expect(dedup.checkAndAdd('e2', 'c1', 30_000, 'p0')).toBe(false);
    expect(dedup.checkAndAdd('e2', 'c1', 30_000, 'p0')).toBe(true);
    expect(dedup.size).toBe(1);
    dedup.expire(3 * MIN);
    expect(dedup.size).toBe(0);
    expect(dedup.checkAndAdd('e2', 'c1', 30_000, 'p0')).toBe(false);
  });

  test('ids of minutes visited out of order expire with their own minute', () => {
    const dedup = new EventIdDedup();
    for (const [id, minute] of [
      ['a', 5],
      ['b', 1],
      ['c', 5],
      ['d', 1],
      ['e', 9],
    ] as const)
      dedup.checkAndAdd(id, 'c1', minute * MIN, 'p0');
    dedup.expire(2 * MIN);
    expect(['a', 'b', 'c', 'd', 'e'].filter((id) => dedup.checkAndAdd(id, 'c1', 9 * MIN, 'p0'))).toEqual(['a', 'c', 'e']);
  });

  test('what is stored does not depend on how often checkpoints happen', () => {
    const everyEvent = run(1);
    // The last six minutes (the horizon is 5 minutes behind the newest event, in whole minutes).
    expect([...everyEvent.keys()].sort()).toEqual(['c1/e34', 'c1/e35', 'c1/e36', 'c1/e37', 'c1/e38', 'c1/e39']);
    for (const every of [2, 3, 7, 40, 100]) expect(run(every), `checkpoint every ${every} events`).toEqual(everyEvent);
  });
});
