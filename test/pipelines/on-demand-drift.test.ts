/**
 * Drift on demand from the stored tables. Oracle: per-customer sums computed here from the
 * generated rows (the operator's "known customer, 0 when inactive" rule written out), and the
 * statistics from SciPy (/usr/bin/python3) on those sums.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../operators/errors.js';
import { OUTPUT_TABLES_DDL } from '../../sinks/duckdb/schema.js';
import { evaluateDriftOnDemand } from '../../pipelines/on-demand-drift/on-demand.js';
import type { OnDemandDriftResult } from '../../pipelines/on-demand-drift/on-demand.js';
import { driftCommand } from '../../pipelines/commands/drift.js';
import { openDatabase } from '../../pipelines/open-store.js';
import { rng } from '../helpers/seeded-random.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday
const week = (k: number) => T0 + k * 7 * DAY;
const CUSTOMERS = 3000;
const DAYS = 28; // week 0: churners leave after it, late joiners arrive after it; weeks 1 and 2 alike; week 3: half the customers spend 1.8x
const LATE_JOINERS = 200; // first seen in week 1: not known in week 0
const REASONS = ['billing', 'outage', 'moving', 'cancel'];

interface DailyRow {
  customer: number;
  day: number;
  spend: number;
  count: number;
  dataMb: number | null;
}

function generate(): { rows: DailyRow[]; hourlyReasons: Array<[number, string, number]> } {
  const rand = rng(20260105);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const rows: DailyRow[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const firstDay = c >= CUSTOMERS - LATE_JOINERS ? 7 : 0;
    const lastDay = c < 150 ? 6 : DAYS - 1; // churned after week 0: zeros later, still known
    for (let day = firstDay; day <= lastDay; day++) {
      if (day !== firstDay && rand() < 0.3) continue; // an inactive day: no row
      const boost = day >= 21 && c % 2 === 0 ? 1.8 : 1;
      const count = 1 + Math.floor(rand() * 3);
      const spend = boost * Math.exp(3 + 1.1 * normal());
      const dataMb = rand() < 0.5 ? Math.round(rand() * 500 * 100) / 100 : null;
      rows.push({ customer: c, day, spend, count, dataMb });
    }
  }
  // Hourly contact reason volumes: the same mix every week except week 3, where outages double.
  const hourlyReasons: Array<[number, string, number]> = [];
  for (let h = 0; h < DAYS * 24; h++) {
    for (const [i, reason] of REASONS.entries()) {
      const base = [40, 10, 6, 4][i] as number;
      const n = Math.round(base * (0.8 + 0.4 * rand()) * (h >= 21 * 24 && reason === 'outage' ? 2 : 1));
      hourlyReasons.push([h, reason, n]);
    }
  }
  return { rows, hourlyReasons };
}

const ts = (ms: number) => `make_timestamptz(${ms}::BIGINT * 1000)`;

let dir: string;
let dbPath: string;
let data: ReturnType<typeof generate>;

async function withConnection<T>(work: (c: Awaited<ReturnType<typeof openDatabase>>['connection']) => Promise<T>): Promise<T> {
  const db = await openDatabase(dbPath);
  try {
    return await work(db.connection);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-drift-on-demand-'));
  dbPath = join(dir, 'pulse.duckdb');
  data = generate();
  const instance = await DuckDBInstance.create(dbPath);
  const connection = await instance.connect();
  for (const ddl of OUTPUT_TABLES_DDL) await connection.run(ddl);
  const values = data.rows.map(
    (r) =>
      `('c${r.customer}', ${ts(T0 + r.day * DAY)}, ${ts(T0 + (r.day + 1) * DAY)}, ${r.spend}, ${r.count}, ${r.spend}, 0, ${r.dataMb ?? 0}, ` +
      `'${r.dataMb === null ? '{}' : JSON.stringify({ data_mb: r.dataMb })}', 0)`,
  );
  // Hourly and weekly rows of the same customers must not be summed on top of the daily ones.
  values.push(`('c1', ${ts(week(3) + HOUR)}, ${ts(week(3) + 2 * HOUR)}, 99999, 7, 99999, 0, 0, '{"data_mb": 9999}', 0)`);
  values.push(`('c2', ${ts(week(3))}, ${ts(week(4))}, 88888, 9, 88888, 0, 0, '{}', 0)`);
  for (let i = 0; i < values.length; i += 5000) {
    await connection.run(`INSERT INTO customer_windows VALUES ${values.slice(i, i + 5000).join(',\n')}`);
  }
  const contacts = data.hourlyReasons.map(([h, reason, n]) => `(${ts(T0 + h * HOUR)}, ${ts(T0 + (h + 1) * HOUR)}, 'support', 'phone', '${reason}', ${n})`);
  // Daily rows with a different (made-up) mix: picking them as well would double count and move JS.
  for (let d = 0; d < DAYS; d++) contacts.push(`(${ts(T0 + d * DAY)}, ${ts(T0 + (d + 1) * DAY)}, 'support', 'phone', 'moving', 5000)`);
  for (let i = 0; i < contacts.length; i += 5000) {
    await connection.run(`INSERT INTO contact_reason_volumes SELECT *, NULL AS taxonomy_version FROM (VALUES ${contacts.slice(i, i + 5000).join(',\n')})`);
  }
  connection.closeSync();
  instance.closeSync();
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Expected per-customer sums: a customer counts in a period once its first row is before the end. */
function perCustomer(start: number, end: number, value: (r: DailyRow) => number): number[] {
  const first = new Map<number, number>();
  for (const r of data.rows) first.set(r.customer, Math.min(first.get(r.customer) ?? Infinity, T0 + r.day * DAY));
  const sums = new Map<number, number>();
  for (const [c, f] of first) if (f < end) sums.set(c, 0);
  for (const r of data.rows) {
    const t = T0 + r.day * DAY;
    if (t >= start && t < end) sums.set(r.customer, (sums.get(r.customer) as number) + value(r));
  }
  return [...sums.values()];
}

function reasonCounts(start: number, end: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [h, reason, n] of data.hourlyReasons) {
    const t = T0 + h * HOUR;
    if (t >= start && t < end) out[reason] = (out[reason] ?? 0) + n;
  }
  return out;
}

const ORACLE = `
import json, sys
import numpy as np
from scipy.stats import wasserstein_distance
from scipy.spatial.distance import jensenshannon
d = json.load(open(sys.argv[1]))
out = {}
for name, s in d['numeric'].items():
    ref, cur = np.array(s['ref']), np.array(s['cur'])
    out[name] = wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
cats = sorted(set(d['ref_reasons']) | set(d['cur_reasons']))
p = np.array([d['ref_reasons'].get(k, 0) for k in cats], dtype=float)
q = np.array([d['cur_reasons'].get(k, 0) for k in cats], dtype=float)
out['contact_reason'] = float(jensenshannon(p, q, base=2))
print(json.dumps(out))
`;

/** SciPy's scores for the period pair, on the sums computed above. */
function scipyScores(refStart: number, curStart: number): Record<string, number> {
  const numeric: Record<string, { ref: number[]; cur: number[] }> = {};
  const measures: Record<string, (r: DailyRow) => number> = {
    spend_per_customer: (r) => r.spend,
    transactions_per_customer: (r) => r.count,
    data_mb_per_customer: (r) => r.dataMb ?? 0,
  };
  for (const [name, m] of Object.entries(measures)) {
    numeric[name] = { ref: perCustomer(refStart, refStart + 7 * DAY, m), cur: perCustomer(curStart, curStart + 7 * DAY, m) };
  }
  const file = join(dir, `oracle-${refStart}-${curStart}.json`);
  writeFileSync(
    file,
    JSON.stringify({ numeric, ref_reasons: reasonCounts(refStart, refStart + 7 * DAY), cur_reasons: reasonCounts(curStart, curStart + 7 * DAY) }),
  );
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', ORACLE, file], { encoding: 'utf8' })) as Record<string, number>;
}

function feature(result: OnDemandDriftResult, name: string) {
  const f = result.features.find((x) => x.feature === name);
  if (f === undefined) throw new Error(`no feature ${name} in ${result.features.map((x) => x.feature).join(', ')}`);
  return f;
}

const periodsOf = (ref: number, cur: number) => ({
  referenceStart: week(ref),
  referenceEnd: week(ref + 1),
  currentStart: week(cur),
  currentEnd: week(cur + 1),
});

describe('evaluateDriftOnDemand', () => {
  it('finds spend drifted by normalised Wasserstein, every score equal to SciPy on the same per-customer sums', async () => {
    const result = await withConnection((c) => evaluateDriftOnDemand(c, periodsOf(2, 3)));
    const expected = scipyScores(week(2), week(3));
    expect(result.runId).toBe(`adhoc-${new Date(week(3)).toISOString()}`);
    expect(result.features.map((f) => f.feature)).toEqual(['spend_per_customer', 'transactions_per_customer', 'data_mb_per_customer', 'contact_reason']);

    const spend = feature(result, 'spend_per_customer');
    expect(spend.method).toBe('wasserstein_norm');
    expect([spend.referenceSize, spend.currentSize]).toEqual([CUSTOMERS, CUSTOMERS]); // churned customers count as zeros
    expect(spend.score).toBeCloseTo(expected['spend_per_customer'] as number, 9);
    expect(Math.abs((spend.score as number) - (expected['spend_per_customer'] as number))).toBeLessThan(1e-9);
    expect(spend.score).toBeGreaterThan(0.1);
    expect(spend.drifted).toBe(true);
    expect(spend.key).toBe(true);

    for (const name of ['transactions_per_customer', 'data_mb_per_customer']) {
      const f = feature(result, name);
      expect(f.method).toBe('wasserstein_norm');
      expect(Math.abs((f.score as number) - (expected[name] as number))).toBeLessThan(1e-9);
      expect(f.drifted).toBe(false);
    }
    const reasons = feature(result, 'contact_reason');
    expect(reasons.kind).toBe('categorical');
    expect(reasons.method).toBe('jensenshannon');
    expect(Math.abs((reasons.score as number) - (expected['contact_reason'] as number))).toBeLessThan(1e-9);
    expect(result.contactWindowMs).toBe(HOUR);

    // One of four features drifted (share 0.25 < 0.5), but it is the key feature.
    expect(result.dataset).toMatchObject({
      drifted: true,
      driftedCount: reasons.drifted ? 2 : 1,
      evaluatedCount: 4,
      driftedKeyFeatures: ['spend_per_customer'],
    });
  });

  it('finds two alike weeks not drifted', async () => {
    const result = await withConnection((c) => evaluateDriftOnDemand(c, periodsOf(1, 2)));
    const expected = scipyScores(week(1), week(2));
    const spend = feature(result, 'spend_per_customer');
    expect(Math.abs((spend.score as number) - (expected['spend_per_customer'] as number))).toBeLessThan(1e-9);
    expect(spend.score).toBeLessThan(0.1);
    for (const f of result.features) expect([f.feature, f.drifted]).toEqual([f.feature, false]);
    expect(result.dataset.drifted).toBe(false);
  });

  it('counts a customer from the period its first row falls in (late joiners are not zeros before)', async () => {
    const result = await withConnection((c) => evaluateDriftOnDemand(c, { ...periodsOf(0, 1), runId: 'joiners' }));
    const expected = scipyScores(week(0), week(1));
    const spend = feature(result, 'spend_per_customer');
    expect([spend.referenceSize, spend.currentSize]).toEqual([CUSTOMERS - LATE_JOINERS, CUSTOMERS]);
    for (const name of ['spend_per_customer', 'transactions_per_customer', 'data_mb_per_customer']) {
      expect(Math.abs((feature(result, name).score as number) - (expected[name] as number))).toBeLessThan(1e-9);
    }
  });

  it('leaves out customers idle for longer than customerTtlMs, as the operator forgets them', async () => {
    const result = await withConnection((c) => evaluateDriftOnDemand(c, { ...periodsOf(2, 3), runId: 'ttl', customerTtlMs: 10 * DAY }));
    const spend = feature(result, 'spend_per_customer');
    // The 150 churners' last row is day 6; week 2 ends on day 21: idle 14 days > 10.
    expect([spend.referenceSize, spend.currentSize]).toEqual([CUSTOMERS - 150, CUSTOMERS - 150]);
  });

  it('without the key feature the dataset follows the share of drifted features', async () => {
    const result = await withConnection((c) => evaluateDriftOnDemand(c, { ...periodsOf(2, 3), keyFeatures: [], runId: 'no-keys' }));
    const drifted = result.features.filter((f) => f.drifted).length;
    expect(result.dataset.share).toBe(drifted / 4);
    expect(result.dataset.drifted).toBe(drifted / 4 >= 0.5);
  });

  it('writes one drift_metrics row per feature under the run id, replacing an earlier run of the same id', async () => {
    const rows = await withConnection(async (c) => {
      await evaluateDriftOnDemand(c, { ...periodsOf(2, 3), runId: 'manual-1' });
      const again = await evaluateDriftOnDemand(c, { ...periodsOf(2, 3), runId: 'manual-1' });
      const reader = await c.runAndReadAll(
        `SELECT feature, method, score, drifted, epoch_ms(reference_start) AS rs, epoch_ms(current_end) AS ce
           FROM drift_metrics WHERE run_id = 'manual-1' ORDER BY feature`,
      );
      return { again, rows: reader.getRowObjectsJS() };
    });
    expect(rows.rows).toHaveLength(4);
    const spend = rows.rows.find((r) => r['feature'] === 'spend_per_customer');
    expect({ ...spend, rs: Number(spend?.['rs']), ce: Number(spend?.['ce']) }).toMatchObject({
      method: 'wasserstein_norm',
      drifted: true,
      rs: week(2),
      ce: week(4),
    });
    expect(spend?.['score']).toBe(feature(rows.again, 'spend_per_customer').score);
  });

  it('refuses periods of unequal length, off the daily grid, or empty, with a UsageError', async () => {
    await withConnection(async (c) => {
      const unequal = evaluateDriftOnDemand(c, { referenceStart: week(0), referenceEnd: week(2), currentStart: week(2), currentEnd: week(3) });
      await expect(unequal).rejects.toBeInstanceOf(UsageError);
      await expect(unequal).rejects.toThrow(/14 days.*7 days.*same length/);
      const overlapping = evaluateDriftOnDemand(c, { referenceStart: week(0), referenceEnd: week(2), currentStart: week(1), currentEnd: week(3) });
      await expect(overlapping).rejects.toThrow(/overlap; drift compares two distinct periods/);
      const unknownKey = evaluateDriftOnDemand(c, {
        referenceStart: week(0),
        referenceEnd: week(1),
        currentStart: week(1),
        currentEnd: week(2),
        keyFeatures: ['nosuch'],
      });
      await expect(unknownKey).rejects.toThrow(
        /key feature 'nosuch' is not one this evaluation computes; the features are spend_per_customer, transactions_per_customer/,
      );
      await expect(evaluateDriftOnDemand(c, { ...periodsOf(0, 1), currentStart: week(1) + 12 * HOUR, currentEnd: week(2) + 12 * HOUR })).rejects.toThrow(
        /current period starts at .*off the grid/,
      );
      await expect(evaluateDriftOnDemand(c, { ...periodsOf(0, 1), currentEnd: week(1) })).rejects.toBeInstanceOf(UsageError);
      const count = await c.runAndReadAll(
        `SELECT count(*) FROM drift_metrics WHERE run_id LIKE 'adhoc-%' AND current_start NOT IN (${ts(week(1))}, ${ts(week(2))}, ${ts(week(3))})`,
      );
      expect(Number(count.getRowsJS()[0]?.[0])).toBe(0);
    });
  });
});

describe('pulse drift evaluate', () => {
  async function run(args: string[]): Promise<string> {
    let out = '';
    const command = driftCommand(openDatabase, { write: (t) => void (out += t) });
    await command.parseAsync(['evaluate', '--db', dbPath, ...args], { from: 'user' });
    return out;
  }
  const weeks = (ref: number, cur: number) => [
    '--reference-start',
    new Date(week(ref)).toISOString(),
    '--reference-end',
    new Date(week(ref + 1)).toISOString(),
    '--current-start',
    new Date(week(cur)).toISOString(),
    '--current-end',
    new Date(week(cur + 1)).toISOString(),
  ];

  it('prints the feature table and the dataset verdict, and writes the report with --out', async () => {
    const outDir = join(dir, 'report');
    const text = await run([...weeks(2, 3), '--out', outDir, '--run', 'cli-run']);
    const lines = text.split('\n');
    expect(lines[0]).toBe('drift run cli-run');
    expect(lines.find((l) => l.startsWith('spend_per_customer (key)'))).toMatch(/^spend_per_customer \(key\)\s+wasserstein_norm\s+0\.\d{4}\s+-\s+0\.1\s+yes$/);
    expect(lines.find((l) => l.startsWith('transactions_per_customer'))).toMatch(/\sno$/);
    expect(text).toMatch(/dataset: DRIFTED \(\d of 4 features drifted, .*key features drifted: spend_per_customer\)/);
    const html = lines.find((l) => l.endsWith('.html'));
    const md = lines.find((l) => l.endsWith('.md'));
    expect(html && existsSync(html)).toBe(true);
    expect(md && existsSync(md)).toBe(true);
    const markdown = readFileSync(md as string, 'utf8');
    expect(markdown).toContain('cli-run');
    expect(markdown).toContain('spend');
    const stored = await withConnection(async (c) => (await c.runAndReadAll(`SELECT count(*) FROM drift_metrics WHERE run_id = 'cli-run'`)).getRowsJS());
    expect(Number(stored[0]?.[0])).toBe(4);
  });

  it('says not drifted for two alike weeks, and accepts bare dates as midnight UTC', async () => {
    const text = await run([
      '--reference-start',
      '2026-01-12',
      '--reference-end',
      '2026-01-19',
      '--current-start',
      '2026-01-19',
      '--current-end',
      '2026-01-26',
    ]);
    expect(text.split('\n')[0]).toBe('drift run adhoc-2026-01-19T00:00:00.000Z');
    expect(text).toMatch(/dataset: not drifted \(0 of 4 features drifted/);
  });

  it('rejects a bad date with a UsageError naming the option, and unequal periods', async () => {
    const bad = weeks(1, 2);
    bad[5] = '2026-13-45T00:00:00Z';
    await expect(run(bad)).rejects.toThrow(UsageError);
    await expect(run(bad)).rejects.toThrow(/--current-start '2026-13-45T00:00:00Z' is not a time/);
    const noZone = weeks(1, 2);
    noZone[1] = '2026-01-12T00:00:00';
    await expect(run(noZone)).rejects.toThrow(/--reference-start/);
    const unequal = weeks(1, 2);
    unequal[3] = new Date(week(3)).toISOString();
    await expect(run(unequal)).rejects.toThrow(/same length/);
  });
});
