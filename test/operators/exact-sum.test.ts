import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exactAdd, exactAddProduct, exactMerge, exactSquaredDeviations, exactValue, type ExactSum } from '../../operators/exact-sum.js';
import { rng } from '../helpers/seeded-random.js';

/** Python's math.fsum and an exact Fraction computation, as the independent oracle. */
function pythonOracle(cases: number[][]): Array<{ fsum: number; ssd: number }> {
  const script = `
import json, math, sys
from fractions import Fraction
out = []
for xs in json.load(sys.stdin):
    n = len(xs)
    s = sum(Fraction(x) for x in xs)
    ss = sum(Fraction(x) * Fraction(x) for x in xs)
    ssd = float((n * ss - s * s) / n) if n else 0.0
    out.append({"fsum": math.fsum(xs), "ssd": ssd})
print(json.dumps(out))
`;
  const result = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as Array<{ fsum: number; ssd: number }>;
}

function sumOf(values: readonly number[]): ExactSum {
  const partials: ExactSum = [];
  for (const v of values) exactAdd(partials, v);
  return partials;
}

function squaresOf(values: readonly number[]): ExactSum {
  const partials: ExactSum = [];
  for (const v of values) exactAddProduct(partials, v, v);
  return partials;
}

describe('exact sums', () => {
  const random = rng(42);
  // Values that make naive sums order-dependent: mixed magnitudes and signs, heavy tails.
  const cases: number[][] = [
    [],
    [0.1, 0.2, 0.3],
    [1e16, 1, -1e16],
    [1e100, 1, -1e100, 1e-100],
    Array.from({ length: 1000 }, () => (random() - 0.5) * 10 ** Math.floor(random() * 12)),
    Array.from({ length: 500 }, () => Math.exp(random() * 10) * 1.37),
    Array.from({ length: 200 }, () => 1e6 + random()),
  ];
  const oracle = pythonOracle(cases);

  it('equals math.fsum, in any order and any grouping into merged partials', () => {
    cases.forEach((values, i) => {
      expect(exactValue(sumOf(values))).toBe(oracle[i]!.fsum);
      expect(exactValue(sumOf([...values].reverse()))).toBe(oracle[i]!.fsum);
      // Three groups summed separately, merged in another order: what workers do.
      const groups = [values.filter((_, j) => j % 3 === 0), values.filter((_, j) => j % 3 === 1), values.filter((_, j) => j % 3 === 2)];
      const merged = sumOf(groups[2]!);
      exactMerge(merged, sumOf(groups[0]!));
      exactMerge(merged, sumOf(groups[1]!));
      expect(exactValue(merged)).toBe(oracle[i]!.fsum);
    });
  });

  it('gives the squared deviations from the mean as an exact computation rounds them', () => {
    cases.forEach((values, i) => {
      const ssd = exactSquaredDeviations(values.length, sumOf(values), squaresOf(values));
      expect(Math.abs(ssd - oracle[i]!.ssd)).toBeLessThanOrEqual(Math.abs(oracle[i]!.ssd) * 4e-16);
    });
  });

  it('is not fooled where a naive sum is', () => {
    expect(0.1 + 0.2 + 0.3).not.toBe(0.6);
    expect(exactValue(sumOf([0.1, 0.2, 0.3]))).toBe(0.6);
  });
});
