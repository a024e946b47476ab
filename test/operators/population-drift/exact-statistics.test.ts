/**
 * The numeric drift_metrics of a small population are the statistics of the per-customer values
 * themselves, as SciPy computes them, not of the values rounded to sketch buckets (a tester's KS p
 * 0.064 against SciPy's 0.042, binned chi-square 8.79 against 5.21, and W1 of an integer feature off
 * because a bucket's representative of 3 is not 3).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decideFeatureDrift, sketchOf } from '../../../operators/drift-statistics/index.js';
import type { PulseEvent } from '../../../operators/events.js';
import { Collected, DAY, MON, WEEK, build, lognormal, profile, rng, run, scipy, tx } from './helpers.js';

const CUSTOMERS = 400;

interface Population {
  events: PulseEvent[];
  /** Per-customer values of each week, as the operator should see them: spend, transactions. */
  spend: [number[], number[]];
  transactions: [number[], number[]];
}

/**
 * Every customer has a profile from the start (so is known, and counted with spend 0, in a week
 * without purchases); in each week about 30% buy nothing, the others 1 to 4 times a lognormal
 * amount; in week 1 half the customers spend 25% more.
 */
function population(seed: number): Population {
  const r = rng(seed);
  const out: Population = { events: [], spend: [[], []], transactions: [[], []] };
  for (let i = 0; i < CUSTOMERS; i++) {
    out.events.push(profile(`c${i}`, MON + i, 'north'));
    for (const week of [0, 1] as const) {
      const buys = r() < 0.3 ? 0 : 1 + Math.floor(r() * 4);
      let spend = 0;
      for (let k = 0; k < buys; k++) {
        const amount = Math.round(lognormal(r, 3, 0.9) * (week === 1 && i % 2 === 0 ? 1.25 : 1) * 100) / 100;
        // The operator adds a customer's purchases in time order: so does the oracle's input.
        spend += amount;
        out.events.push(tx(`c${i}`, MON + week * WEEK + k * DAY + 3_600_000 + i * 1000, amount));
      }
      out.spend[week].push(spend);
      out.transactions[week].push(buys);
    }
  }
  return out;
}

type Statistics = Record<'ks_statistic' | 'ks_p_value' | 'wasserstein' | 'wasserstein_norm' | 'psi' | 'js' | 'chi2' | 'chi2_p_value', number>;

/** SciPy's statistics; PSI bins and the chi-square pooling from the fixtures' NumPy re-implementation (make_fixtures.py). */
function oracle(ref: number[], cur: number[]): Statistics {
  const fixtures = fileURLToPath(new URL('../drift-statistics/', import.meta.url));
  return scipy<Statistics>(
    `sys.path.insert(0, data['fixtures'])
from make_fixtures import quantile_edges, bin_counts, psi_from_counts, chi2_from_counts
r = np.array(data['ref'], dtype=float); c = np.array(data['cur'], dtype=float)
ks = stats.ks_2samp(r, c, method='asymp')
w1 = stats.wasserstein_distance(r, c)
edges = quantile_edges(r)
rc, cc = bin_counts(r, edges), bin_counts(c, edges)
chi2, chi2_p, _ = chi2_from_counts(rc, cc)
print(json.dumps({'ks_statistic': float(ks.statistic), 'ks_p_value': float(ks.pvalue), 'wasserstein': float(w1),
  'wasserstein_norm': float(w1 / max(np.std(r), 0.001)), 'psi': psi_from_counts(rc, cc),
  'js': float(distance.jensenshannon(rc, cc, base=2)), 'chi2': chi2, 'chi2_p_value': chi2_p}))`,
    { fixtures, ref, cur },
  );
}

const CONFIG = {
  features: [
    { name: 'spend', source: 'spend' },
    { name: 'transactions', source: 'transaction_count' },
  ],
};

describe('numeric drift_metrics of a few hundred customers equal SciPy on the per-customer values', () => {
  const data = population(11);
  const out = new Collected();
  run(build(CONFIG), data.events, out);

  it.each([
    ['spend', data.spend],
    ['transactions', data.transactions],
  ] as const)('%s: KS statistic and p, W1, normalised W1, PSI, binned JS and chi-square', (feature, [ref, cur]) => {
    const row = out.rows('drift_metric').find((r) => r['feature'] === feature)!;
    const statistics = row['statistics'] as Record<string, number>;
    expect([statistics['reference_size'], statistics['current_size']]).toEqual([CUSTOMERS, CUSTOMERS]);
    const expected = oracle(ref, cur);
    for (const [name, value] of Object.entries(expected)) {
      expect(statistics[name], name).toBeCloseTo(value, 12);
      expect(Math.abs(statistics[name]! - value), name).toBeLessThanOrEqual(1e-9 * Math.abs(value));
    }
    expect(row['method']).toBe('ks');
    expect(row['p_value']).toBe(statistics['ks_p_value']);
  });
});

/** Persisted state with every numeric sketch in it as written before version 3 (no values kept). */
function asVersionTwo(json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json;
  if (Array.isArray(json)) return json.map(asVersionTwo);
  const o = Object.fromEntries(Object.entries(json).map(([k, v]) => [k, asVersionTwo(v)]));
  if (o['kind'] !== 'numeric-sketch') return o;
  delete o['exact'];
  delete o['exactLimit'];
  return { ...o, version: 2 };
}

describe('state written before the values were kept', () => {
  it('restores, and a period compared with such a reference is decided from the sketches, as before', () => {
    const data = population(12);
    const sorted = [...data.events].sort((a, b) => a.ts - b.ts);
    const cut = sorted.findIndex((e) => e.ts >= MON + WEEK + 3 * DAY);
    const first = build(CONFIG);
    const out = new Collected();
    run(first, sorted.slice(0, cut), out, false); // week 0 closed: the reference is in state
    const second = build(CONFIG);
    let oldSketches = 0;
    for (const [name, state] of Object.entries(first.states)) {
      state.drainChanges();
      const persisted = JSON.stringify([...state.entries()]);
      oldSketches += persisted.split('"numeric-sketch"').length - 1;
      second.states[name]!.restore(asVersionTwo(JSON.parse(persisted)) as Array<[string, unknown]>);
    }
    expect(oldSketches).toBe(2);
    run(second, sorted.slice(cut), out);
    for (const [feature, [ref, cur]] of [
      ['spend', data.spend],
      ['transactions', data.transactions],
    ] as const) {
      const row = out.rows('drift_metric').find((r) => r['feature'] === feature)!;
      const asBefore = decideFeatureDrift({ kind: 'numeric', ref: sketchOf(ref, { exactLimit: 0 }), cur: sketchOf(cur, { exactLimit: 0 }) });
      expect(asBefore.approximate).toBe(true);
      expect([row['method'], row['score'], row['p_value'], row['drifted']]).toEqual([asBefore.method, asBefore.score, asBefore.p_value, asBefore.drifted]);
      expect(row['statistics']).toEqual({ ...asBefore.allStats, reference_size: CUSTOMERS, current_size: CUSTOMERS });
    }
  });
});
