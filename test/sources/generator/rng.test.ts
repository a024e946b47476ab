import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Rng, cumulative } from '../../../sources/generator/rng.js';

/** Samples checked against SciPy's distributions with a Kolmogorov-Smirnov test (the oracle). */
function ksPValue(samples: number[], dist: string, args: number[]): number {
  const py = `
import sys, json
from scipy import stats
x = json.load(sys.stdin)
print(stats.kstest(x, '${dist}', args=tuple(${JSON.stringify(args)})).pvalue)
`;
  return Number(execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(samples), encoding: 'utf8' }));
}

const draw = (n: number, f: () => number) => Array.from({ length: n }, f);

describe('Rng', () => {
  it('is reproducible per seed and differs across seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xa = draw(50, () => a.float());
    expect(draw(50, () => b.float())).toEqual(xa);
    expect(draw(50, () => c.float())).not.toEqual(xa);
    expect(xa.every((x) => x > 0 && x < 1)).toBe(true);
  });

  it('uniform, normal, lognormal, exponential and gamma follow their laws (SciPy KS)', () => {
    const rng = new Rng(123);
    expect(
      ksPValue(
        draw(5000, () => rng.float()),
        'uniform',
        [0, 1],
      ),
    ).toBeGreaterThan(0.001);
    expect(
      ksPValue(
        draw(5000, () => rng.normal()),
        'norm',
        [0, 1],
      ),
    ).toBeGreaterThan(0.001);
    // SciPy lognorm(s=sigma, loc=0, scale=exp(mu)).
    expect(
      ksPValue(
        draw(5000, () => rng.lognormal(1.2, 0.8)),
        'lognorm',
        [0.8, 0, Math.exp(1.2)],
      ),
    ).toBeGreaterThan(0.001);
    expect(
      ksPValue(
        draw(5000, () => rng.exponential(3)),
        'expon',
        [0, 3],
      ),
    ).toBeGreaterThan(0.001);
    expect(
      ksPValue(
        draw(5000, () => rng.gamma(3, 0.5)),
        'gamma',
        [3, 0, 0.5],
      ),
    ).toBeGreaterThan(0.001);
    expect(
      ksPValue(
        draw(5000, () => rng.gamma(0.8, 0.05)),
        'gamma',
        [0.8, 0, 0.05],
      ),
    ).toBeGreaterThan(0.001);
  });

  it('poisson has the right mean and variance, small and large means', () => {
    const rng = new Rng(5);
    for (const mean of [0.3, 2.5, 12, 45]) {
      const x = draw(20_000, () => rng.poisson(mean));
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
      expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(mean / x.length));
      expect(Math.abs(v / mean - 1)).toBeLessThan(0.06);
      expect(x.every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
    }
  });

  it('weighted picks indices in proportion to the weights', () => {
    const rng = new Rng(9);
    const weights = [0.5, 0.3, 0.2];
    const cum = cumulative(weights);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.weighted(cum)]!++;
    counts.forEach((c, i) => expect(Math.abs(c / 30_000 - weights[i]!)).toBeLessThan(0.015));
  });
});
