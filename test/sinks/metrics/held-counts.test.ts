import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HeldCounts } from '../../../sinks/metrics/held-counts.js';

describe('HeldCounts', () => {
  it('adds nothing to the counter until what was taken is released, then each label set its sum, once', async () => {
    const counter = new Counter({ name: 'x_total', help: 'x', labelNames: ['type', 'reason'], registers: [new Registry()] });
    const held = new HeldCounts(counter);
    held.add({ type: 'usage', reason: 'late' });
    held.add({ type: 'usage', reason: 'late' }, 2);
    held.add({ type: 'contact', reason: 'invalid_json' });
    held.add({ type: 'transaction', reason: 'late' }, 0);
    const cut = held.take();
    // Counted after the cut (records read while the checkpoint commits): the next checkpoint's.
    held.add({ type: 'usage', reason: 'late' }, 10);
    expect((await counter.get()).values).toEqual([]);

    cut.release();
    const values = (await counter.get()).values.map(({ labels, value }) => ({ labels, value }));
    expect(values).toEqual([
      { labels: { type: 'usage', reason: 'late' }, value: 3 },
      { labels: { type: 'contact', reason: 'invalid_json' }, value: 1 },
    ]);

    held.take().release();
    expect((await counter.get()).values.map((v) => v.value)).toEqual([13, 1]);
    // A cut that never commits (the job dies) adds nothing: its records are read again.
    held.add({ type: 'usage', reason: 'late' });
    held.take();
    held.take().release();
    expect((await counter.get()).values.map((v) => v.value)).toEqual([13, 1]);
  });
});
