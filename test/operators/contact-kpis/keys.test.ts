import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { latestKey, windowKey } from '../../../operators/contact-kpis/keys.js';

describe('state keys', () => {
  // Persisted state is stored under these keys: they must stay the JSON of the tuple.
  test('equal the JSON of [size, start, queue, channel] and [size, queue, channel], for any queue text', () => {
    const ms = fc.integer({ min: -(2 ** 52), max: 2 ** 52 });
    fc.assert(
      fc.property(ms, ms, fc.string({ unit: 'binary' }), fc.constantFrom('voice', 'chat', 'email', 'web', 'ivr', 'social'), (size, start, queue, channel) => {
        expect(windowKey(size, start, queue, channel)).toBe(JSON.stringify([size, start, queue, channel]));
        expect(latestKey(size, queue, channel)).toBe(JSON.stringify([size, queue, channel]));
      }),
      { numRuns: 2000 },
    );
  });

  test('stay right beyond the number of queues kept (the kept JSON starts afresh)', () => {
    for (let q = 0; q < 25_000; q++) expect(windowKey(60_000, q, `queue-${q}`, 'chat')).toBe(JSON.stringify([60_000, q, `queue-${q}`, 'chat']));
    expect(windowKey(60_000, 1, 'queue-3', 'voice')).toBe('[60000,1,"queue-3","voice"]');
  });
});
