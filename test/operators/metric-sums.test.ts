import { describe, expect, it } from 'vitest';
import { MetricSums } from '../../operators/metric-sums.js';

describe('MetricSums', () => {
  it('sums per slot and metric; a metric with no event is absent, a zero sum is present', () => {
    const sums = new MetricSums();
    sums.grow(3);
    sums.add(0, 'minutes', 2.5);
    sums.add(0, 'data_mb', 10);
    sums.add(0, 'minutes', 0.25);
    sums.add(2, 'logins', 0);
    expect(sums.toObject(0)).toEqual({ data_mb: 10, minutes: 2.75 });
    expect(sums.toObject(1)).toEqual({});
    expect(sums.toObject(2)).toEqual({ logins: 0 });
    // JSON keys in name order, whatever order the metrics were first seen in.
    expect(sums.toJson(0)).toBe('{"data_mb":10,"minutes":2.75}');
    expect(sums.toJson(1)).toBe('{}');
    expect(sums.toJson(2)).toBe('{"logins":0}');
  });

  it("keeps every slot's sums when more metrics arrive than a slot has room for, and when it grows", () => {
    const sums = new MetricSums();
    sums.grow(2);
    const names = ['m9', 'a "quoted" name', 'm3', 'm1', 'm7', 'm0', 'm5'];
    names.forEach((name, i) => {
      sums.add(0, name, i + 1);
      sums.add(1, name, -(i + 1));
    });
    sums.grow(5);
    sums.add(4, 'm3', 1e21);
    const expected0 = Object.fromEntries(names.map((name, i) => [name, i + 1]));
    expect(sums.toObject(0)).toEqual(expected0);
    expect(sums.toObject(1)).toEqual(Object.fromEntries(names.map((name, i) => [name, -(i + 1)])));
    expect(sums.toObject(4)).toEqual({ m3: 1e21 });
    for (const slot of [0, 1, 2, 4]) {
      const sorted = Object.fromEntries(Object.entries(sums.toObject(slot)).sort(([a], [b]) => (a < b ? -1 : 1)));
      expect(sums.toJson(slot)).toBe(JSON.stringify(sorted));
    }
  });

  it('clears a reused slot and restores one from a stored row', () => {
    const sums = new MetricSums();
    sums.grow(1);
    sums.add(0, 'x', 1);
    sums.clear(0);
    expect(sums.toObject(0)).toEqual({});
    sums.restore(0, { y: 3, x: 0.5 });
    sums.add(0, 'x', 1);
    expect(sums.toJson(0)).toBe('{"x":1.5,"y":3}');
  });

  it('sums of more metric names than get a column each: the same per slot and in name order, also after clear and restore', () => {
    const sums = new MetricSums();
    sums.grow(4);
    // 40 names, first seen in a shuffled order, each slot with its own subset; a hand-kept oracle.
    const names = Array.from({ length: 40 }, (_, i) => `m${String((i * 17) % 40).padStart(2, '0')}`);
    const oracle: Array<Map<string, number>> = [new Map(), new Map(), new Map(), new Map()];
    for (let round = 0; round < 3; round++) {
      names.forEach((name, i) => {
        const slot = (i + round) % 4;
        if (slot === 3 && i % 2 === 0) return;
        const quantity = (i + 1) * (round + 0.5);
        sums.add(slot, name, quantity);
        const known = oracle[slot]!.get(name);
        oracle[slot]!.set(name, known === undefined ? quantity : known + quantity);
      });
    }
    sums.add(2, '__proto__', 7);
    oracle[2]!.set('__proto__', 7);
    const expected = (slot: number) => [...oracle[slot]!].sort(([a], [b]) => (a < b ? -1 : 1));
    for (let slot = 0; slot < 4; slot++) {
      expect(sums.toJson(slot)).toBe(
        `{${expected(slot)
          .map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`)
          .join(',')}}`,
      );
      expect(Object.entries(sums.toObject(slot))).toEqual(expected(slot));
    }
    // A reused slot starts empty; a restored one holds its stored sums, rare names included.
    const stored = sums.toObject(1);
    sums.clear(1);
    expect(sums.toJson(1)).toBe('{}');
    sums.restore(3, stored);
    expect(sums.toObject(3)).toEqual(Object.fromEntries(expected(1)));
    sums.grow(8);
    expect(sums.toObject(3)).toEqual(Object.fromEntries(expected(1)));
    expect(sums.toJson(7)).toBe('{}');
  });

  it('a new name that widens every slot is summed in its own slot, when added and when restored', () => {
    // The fifth name makes each slot wider. Before 2026-12-06 its first sum went to the slot's
    // offset in the old width, which in the new layout is another slot: another customer's window.
    const sums = new MetricSums();
    sums.grow(3);
    for (const name of ['a', 'b', 'c', 'd']) sums.add(0, name, 1);
    sums.add(2, 'e', 5);
    sums.add(2, 'f', 6);
    expect(sums.toObject(0)).toEqual({ a: 1, b: 1, c: 1, d: 1 });
    expect(sums.toObject(1)).toEqual({});
    expect(sums.toObject(2)).toEqual({ e: 5, f: 6 });
    const restored = new MetricSums();
    restored.grow(3);
    restored.restore(0, { a: 1, b: 1, c: 1, d: 1 });
    restored.restore(2, { e: 5 });
    expect(restored.toObject(1)).toEqual({});
    expect(restored.toObject(2)).toEqual({ e: 5 });
  });
});
