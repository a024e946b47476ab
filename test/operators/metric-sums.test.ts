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
});
