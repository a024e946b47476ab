import { describe, expect, it } from 'vitest';
import { chi2Sf } from '../../../operators/drift-statistics/chi-square.js';
import { kstwoSf } from '../../../operators/drift-statistics/kolmogorov.js';
import { smirnovSf } from '../../../operators/drift-statistics/smirnov.js';
import { expectP, fixtures } from './fixtures.js';

describe('kstwoSf against scipy.stats.kstwo.sf', () => {
  it(`matches all ${fixtures.kstwo_sf.length} grid points to 1e-6 relative`, () => {
    for (const { n, d, sf } of fixtures.kstwo_sf) expectP(kstwoSf(d, n), sf, `kstwo.sf(${d}, ${n})`);
  });

  it('covers every branch of the algorithm selection in the grid', () => {
    const branches = new Set<string>();
    for (const { n, d } of fixtures.kstwo_sf) {
      const t = n * d;
      const nx2 = t * d;
      if (t <= 1) branches.add(n <= 140 ? 'ruben-gambino-small' : 'ruben-gambino-large');
      else if (t >= n - 1) branches.add('ruben-gambino-upper');
      else if (d >= 0.5) branches.add('smirnov-half');
      else if (n <= 140) branches.add(nx2 <= 0.754693 ? 'durbin' : nx2 <= 4 ? 'pomeranz' : 'smirnov-small');
      else if (nx2 >= 370) branches.add('zero');
      else if (nx2 >= 2.2) branches.add('smirnov-tail');
      else branches.add(n <= 100000 && n * d ** 1.5 <= 1.4 ? 'durbin-large' : 'pelz-good');
    }
    expect([...branches].sort()).toEqual(
      [
        'durbin',
        'durbin-large',
        'pelz-good',
        'pomeranz',
        'ruben-gambino-large',
        'ruben-gambino-small',
        'ruben-gambino-upper',
        'smirnov-half',
        'smirnov-small',
        'smirnov-tail',
        'zero',
      ].sort(),
    );
  });

  it('is 1 at d = 0, 0 at d = 1, NaN for a non-integer n', () => {
    expect(kstwoSf(0, 10)).toBe(1);
    expect(kstwoSf(1, 10)).toBe(0);
    expect(kstwoSf(0.3, 2.5)).toBeNaN();
  });
});

describe('smirnovSf against scipy.special.smirnov', () => {
  it(`matches all ${fixtures.smirnov_sf.length} grid points to 1e-6 relative`, () => {
    for (const { n, x, sf } of fixtures.smirnov_sf) expectP(smirnovSf(n, x), sf, `smirnov(${n}, ${x})`);
  });
});

describe('chi2Sf against scipy.stats.chi2.sf', () => {
  it(`matches all ${fixtures.chi2_sf.length} grid points to 1e-6 relative`, () => {
    for (const { df, x, sf } of fixtures.chi2_sf) expectP(chi2Sf(x, df), sf, `chi2.sf(${x}, ${df})`);
  });
});
