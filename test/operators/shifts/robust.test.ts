import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { benjaminiHochberg, bhAdjusted } from '../../../operators/shifts/fdr.js';
import { MAD_TO_SD, mad, median, normalSf, quantile, rollingMeans, sd } from '../../../operators/shifts/robust.js';
import { cusumArl0, cusumStep } from '../../../operators/shifts/cusum.js';
import { seasonalFactors } from '../../../operators/shifts/seasonal.js';
import { rng } from './simulate.js';

/** Independent oracle: numpy / scipy under the system Python. */
function py(code: string, input: unknown): unknown {
  const out = execFileSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8' });
  return JSON.parse(out);
}

const r = rng(42);
const samples = [
  [3, 1, 4, 1, 5, 9, 2, 6],
  [0, 0, 0, 0, 7],
  Array.from({ length: 56 }, () => Math.round(Math.exp(3 + r() * 2) * 100) / 100),
  Array.from({ length: 31 }, () => (r() < 0.6 ? 0 : r() * 50)),
];

describe('robust statistics against numpy/scipy', () => {
  const oracle = py(
    `import json,sys,numpy as np
from scipy import stats
d=json.load(sys.stdin)
out=[]
for s in d:
  a=np.array(s,dtype=float)
  out.append({'median':float(np.median(a)),'mad':float(stats.median_abs_deviation(a)),'madn':float(stats.median_abs_deviation(a,scale='normal')),
  'q25':float(np.quantile(a,0.25)),'q90':float(np.quantile(a,0.9)),'sd':float(np.std(a,ddof=1)),'roll3':np.convolve(a,np.ones(3)/3,'valid').tolist()})
print(json.dumps(out))`,
    samples,
  ) as Array<Record<string, number | number[]>>;
  test.each(samples.map((s, i) => [i, s] as const))('sample %i', (i, s) => {
    const o = oracle[i] as Record<string, number & number[]>;
    expect(median(s)).toBeCloseTo(o['median'] as number, 10);
    expect(mad(s)).toBeCloseTo(o['mad'] as number, 10);
    expect(MAD_TO_SD * mad(s)).toBeCloseTo(o['madn'] as number, 6);
    expect(quantile(s, 0.25)).toBeCloseTo(o['q25'] as number, 10);
    expect(quantile(s, 0.9)).toBeCloseTo(o['q90'] as number, 10);
    expect(sd(s)).toBeCloseTo(o['sd'] as number, 8);
    const roll = rollingMeans(s, 3);
    expect(roll.length).toBe((o['roll3'] as number[]).length);
    roll.forEach((v, j) => expect(v).toBeCloseTo((o['roll3'] as number[])[j] as number, 8));
  });

  test('normal upper tail matches scipy.stats.norm.sf', () => {
    const zs = [0, 0.5, 1.96, 3, 4, 4.5, 5.5, -2];
    const o = py('import json,sys\nfrom scipy import stats\nprint(json.dumps([float(stats.norm.sf(z)) for z in json.load(sys.stdin)]))', zs) as number[];
    zs.forEach((z, i) => expect(Math.abs(normalSf(z) - (o[i] as number)) / (o[i] as number)).toBeLessThan(2e-6));
  });
});

describe('Benjamini-Hochberg', () => {
  test('textbook case: 8 p-values at q = 0.05 reject the two smallest', () => {
    // Worked by hand: thresholds i * 0.05 / 8 = 0.00625, 0.0125, 0.01875, ...; p(2)=0.008 <= 0.0125,
    // and no larger rank passes its threshold.
    const p = [0.041, 0.001, 0.205, 0.039, 0.008, 0.06, 0.042, 0.074];
    expect(benjaminiHochberg(p, 0.05)).toEqual([false, true, false, false, true, false, false, false]);
  });
  test('step-up: a later rank passing rejects all smaller p-values', () => {
    // Sorted 0.005, 0.01, 0.03, 0.04 against thresholds 0.0125, 0.025, 0.0375, 0.05: all pass.
    // With a family of 100 tests the thresholds are 0.0005 and 0.001: none pass.
    expect(benjaminiHochberg([0.04, 0.03, 0.01, 0.005], 0.05)).toEqual([true, true, true, true]);
    expect(benjaminiHochberg([0.02, 0.03], 0.05, 100)).toEqual([false, false]);
  });
  test('adjusted p-values and decisions match an independent Python implementation', () => {
    const p = Array.from({ length: 200 }, (_, i) => (i < 20 ? r() * 1e-4 : r()));
    const o = py(
      `import json,sys,numpy as np
p=np.array(json.load(sys.stdin));m=len(p);o=np.argsort(p,kind='stable')
adj=np.minimum.accumulate((p[o]*m/np.arange(1,m+1))[::-1])[::-1];res=np.empty(m);res[o]=np.minimum(adj,1)
print(json.dumps({'adj':res.tolist(),'rej':(res<=0.01).tolist()}))`,
      p,
    ) as { adj: number[]; rej: boolean[] };
    bhAdjusted(p).forEach((v, i) => expect(v).toBeCloseTo(o.adj[i] as number, 12));
    expect(benjaminiHochberg(p, 0.01)).toEqual(o.rej);
  });
});

describe('CUSUM', () => {
  test('tabular recursion by hand (k = 0.5)', () => {
    let s = { up: 0, down: 0, runUp: 0, runDown: 0 };
    const seen: Array<[number, number, number]> = [];
    for (const u of [1, 2, -1, -3, 0.2]) {
      s = cusumStep(s, u, 0.5);
      seen.push([s.up, s.down, s.runUp]);
    }
    // up: 0.5, 2, 0.5, 0, 0 ; down: 0, 0, 0.5, 3, 2.3
    expect(seen).toEqual(
      [
        [0.5, 0, 1],
        [2, 0, 2],
        [0.5, 0.5, 3],
        [0, 3, 0],
        [0, 2.3, 0],
      ].map(([a, b, c]) => [a, expect.closeTo(b as number, 12), c]),
    );
  });
  test("Siegmund's ARL0 for k = 0.5, h = 5 is about 930 (Montgomery's table: 930)", () => {
    expect(cusumArl0(5, 0.5)).toBeGreaterThan(900);
    expect(cusumArl0(5, 0.5)).toBeLessThan(960);
  });
});

describe('seasonal factors', () => {
  test('a Saturday-only spender keeps its profile; a flat noisy customer gets ~1', () => {
    const days = 56;
    const phases = Array.from({ length: days }, (_, i) => i % 7);
    const saturday = phases.map((p) => (p === 2 ? 300 + ((p * 7) % 11) : 0));
    const f = seasonalFactors(saturday, phases, 7);
    // By hand: raw ratios 7 (Saturday) and 0; the within-weekday variance is 0 (every Saturday is
    // 303), so the James-Stein weight is 1: factors 7 and 0.
    expect(f[2]).toBeCloseTo(7, 10);
    for (const p of [0, 1, 3, 4, 5, 6]) expect(f[p]).toBe(0);
    const noisy = phases.map(() => (r() < 0.5 ? 0 : 100 * r()));
    for (const v of seasonalFactors(noisy, phases, 7)) expect(Math.abs(v - 1)).toBeLessThan(0.35);
  });
});
