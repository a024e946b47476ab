import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SCHEMAS } from '../../../operators/event-schemas.js';
import { EVENT_TYPES } from '../../../operators/events.js';
import type { EventType } from '../../../operators/events.js';
import { generate } from '../../../sources/generator/index.js';
import type { GenerateResult } from '../../../sources/generator/index.js';
import { Oracle } from './oracle.js';

/**
 * One mid-sized generated data set, checked against the ground truth with independent oracles:
 * the SPEC's JSON Schemas (ajv), DuckDB SQL over the file, and SciPy for the drift statistic.
 */

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const DAY = 86_400_000;
const OPTIONS = {
  customers: 800,
  days: 56,
  seed: 2026,
  shiftShare: 0.3,
  malformedRate: 0.005,
  duplicateRate: 0.01,
  lateRate: 0.005,
  outOfOrderSeconds: 300,
};

interface ShiftTruth {
  customer_id: string;
  kind: string;
  measures: string[];
  relative_size: number;
  direction: string;
  expected_ratio: Record<string, number>;
  start: string;
  day_index: number;
}
interface Truth {
  period: { start: string; days: number };
  counts: {
    events: number;
    lines: number;
    duplicates: number;
    late: number;
    malformed: number;
    by_type: Record<string, number>;
    malformed_by_kind: Record<string, number>;
  };
  stream: { late_lines: number[]; duplicate_lines: number[]; malformed_lines: { line: number; kind: string }[]; late_event_ids: string[] };
  shifts: ShiftTruth[];
  drift: {
    enabled: boolean;
    day_index: number;
    start: string;
    features: { name: string; affected_customers?: string[]; before?: Record<string, number>; after?: Record<string, number> }[];
    non_drifting: { name: string }[];
  };
  kpi: { queues: Record<string, { expected: { voice: { abandon_rate: number; service_level: number } } }> };
}

let dir: string;
let out: string;
let result: GenerateResult;
let truth: Truth;
let lines: string[];
let db: Oracle;
let startMs: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulse-gen-real-'));
  out = join(dir, 'events.ndjson');
  result = await generate({ ...OPTIONS, out });
  truth = JSON.parse(await readFile(result.groundTruthPath, 'utf8')) as Truth;
  lines = (await readFile(out, 'utf8')).split('\n');
  lines.pop();
  startMs = Date.parse(truth.period.start);
  db = await Oracle.open(out);
  // Valid, distinct events with their event day; malformed records filtered by SPEC's rules.
  await db.db.run(`CREATE TABLE tx AS SELECT DISTINCT ON (event_id) event_id, customer_id, ms,
      (ms - ${startMs}) // ${DAY} AS day, (j->>'amount')::DOUBLE AS amount, j->>'channel' AS channel, j->>'category' AS category
    FROM ev WHERE type = 'transaction' AND customer_id IS NOT NULL AND json_type(j->'amount') IN ('DOUBLE', 'UBIGINT', 'BIGINT')`);
  await db.db.run(`CREATE TABLE us AS SELECT DISTINCT ON (event_id) event_id, customer_id, (ms - ${startMs}) // ${DAY} AS day,
      j->>'metric' AS metric, (j->>'quantity')::DOUBLE AS quantity
    FROM ev WHERE type = 'usage' AND (j->>'quantity')::DOUBLE >= 0`);
  await db.db.run(`CREATE TABLE ct AS SELECT DISTINCT ON (event_id) event_id, customer_id, ms AS queued,
      to_ms(j->'answered_at') AS answered, to_ms(j->'ended_at') AS ended, j->>'channel' AS channel, j->>'queue' AS queue,
      j->>'reason' AS reason, j->>'disposition' AS disposition, (j->'ts') IS NULL AS no_ts, (ms - ${startMs}) // ${DAY} AS day,
      (j->>'hold_seconds')::DOUBLE AS hold, (j->>'acw_seconds')::DOUBLE AS acw
    FROM ev WHERE type = 'contact'`);
  const shiftRows = truth.shifts.map((s) => `('${s.customer_id}', '${s.kind}', ${s.day_index}, ${s.relative_size})`).join(',');
  await db.db.run(`CREATE TABLE shifts (customer_id VARCHAR, kind VARCHAR, day INTEGER, size DOUBLE)`);
  if (shiftRows) await db.db.run(`INSERT INTO shifts VALUES ${shiftRows}`);
}, 240_000);

afterAll(async () => {
  db?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('record format (SPEC section 1)', () => {
  it('holds all five types, every valid line passes the SPEC schema and every malformed one is rejectable', () => {
    const ajv = new Ajv({ strict: false, allowUnionTypes: true });
    addFormats(ajv, ['date-time', 'date', 'email']);
    const validators = Object.fromEntries(EVENT_TYPES.map((t) => [t, ajv.compile(EVENT_SCHEMAS[t])]));
    const rejected: number[] = [];
    const seenTypes = new Set<string>();
    lines.forEach((line, i) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        rejected.push(i + 1);
        return;
      }
      const type = record.type as EventType;
      const ok = validators[type]!(record);
      const impossible =
        type === 'contact' &&
        record.answered_at !== null &&
        Date.parse(String(typeof record.answered_at === 'number' ? new Date(record.answered_at).toISOString() : record.answered_at)) <
          Date.parse(String(typeof record.queued_at === 'number' ? new Date(record.queued_at).toISOString() : record.queued_at));
      if (!ok || impossible) rejected.push(i + 1);
      else seenTypes.add(type);
    });
    expect([...seenTypes].sort()).toEqual([...EVENT_TYPES].sort());
    expect(rejected).toEqual(truth.stream.malformed_lines.map((m) => m.line));
    expect(rejected.length).toBe(result.malformed);
    for (const kind of ['invalid_json', 'missing_field', 'wrong_type', 'negative_quantity', 'answered_before_queued']) {
      expect(truth.counts.malformed_by_kind[kind]).toBeGreaterThan(0);
    }
  });

  it('mixes RFC 3339 (Z and offsets) and epoch-ms times, and omits ts on some contacts only', async () => {
    const r = await db.one(`SELECT count(*) AS n,
        count(*) FILTER (WHERE json_type(j->'ts') = 'UBIGINT') AS epoch,
        count(*) FILTER (WHERE j->>'ts' LIKE '%Z') AS zulu,
        count(*) FILTER (WHERE regexp_matches(j->>'ts', '[+-][0-9]{2}:[0-9]{2}$')) AS offset,
        count(*) FILTER (WHERE (j->'ts') IS NULL AND type <> 'contact') AS missing_non_contact
      FROM ev`);
    expect((r.epoch as number) / (r.n as number)).toBeGreaterThan(0.25);
    expect((r.zulu as number) / (r.n as number)).toBeGreaterThan(0.3);
    expect((r.offset as number) / (r.n as number)).toBeGreaterThan(0.2);
    expect(r.missing_non_contact).toBe(0);
    const c = await db.one(`SELECT avg(no_ts::INT) AS share FROM ct`);
    expect(c.share).toBeGreaterThan(0.25);
    expect(c.share).toBeLessThan(0.35);
  });

  it('profiles carry the SPEC attributes with ~20 account owners and unequal region shares', async () => {
    const r = await db.one(`SELECT count(DISTINCT customer_id) AS customers, count(DISTINCT j->>'account_owner') AS owners,
        count(DISTINCT j->>'region') AS regions, count(DISTINCT j->>'tier') AS tiers FROM ev WHERE type = 'profile'`);
    expect(r).toMatchObject({ customers: OPTIONS.customers, owners: 20, regions: 7, tiers: 3 });
    const shares = await db.rows(`SELECT j->>'region' AS region, count(*) / sum(count(*)) OVER () AS share
      FROM (SELECT DISTINCT ON (customer_id) * FROM ev WHERE type = 'profile' ORDER BY customer_id, ms) GROUP BY 1 ORDER BY 2 DESC`);
    expect(Number(shares[0]!.share)).toBeGreaterThan(2 * Number(shares.at(-1)!.share));
  });
});

describe('stream imperfections', () => {
  const within = (count: number, n: number, p: number) => Math.abs(count - n * p) < 4 * Math.sqrt(n * p * (1 - p)) + 1;

  it('duplicates are exact copies of a valid line, at the configured rate', async () => {
    const r = await db.one(`SELECT count(*) - count(DISTINCT event_id) AS dups, max(copies) AS max_copies FROM
      (SELECT event_id, count(DISTINCT line) OVER (PARTITION BY event_id) AS copies FROM ev WHERE event_id IS NOT NULL)`);
    expect(r.dups).toBe(truth.counts.duplicates);
    expect(r.max_copies).toBe(1);
    expect(within(truth.counts.duplicates, truth.counts.events, OPTIONS.duplicateRate)).toBe(true);
    expect(within(truth.counts.malformed, truth.counts.events, OPTIONS.malformedRate)).toBe(true);
    // Only events whose late delivery still falls inside the period can be late (see README).
    const eligible = await db.one(`SELECT count(DISTINCT event_id) AS n FROM ev WHERE ms + 3 * ${DAY} <= ${startMs + OPTIONS.days * DAY}`);
    expect(within(truth.counts.late, eligible.n as number, OPTIONS.lateRate)).toBe(true);
  });

  it('late lines are 2+ days behind the stream; every other line is at most the out-of-order bound behind', async () => {
    const rows = await db.rows(`SELECT ln, lag_ms FROM (
        SELECT ln, max(ms) OVER (ORDER BY ln ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ms AS lag_ms FROM ev WHERE ms IS NOT NULL)
      WHERE lag_ms > 0 ORDER BY ln`);
    const late = rows.filter((r) => Number(r.lag_ms) > DAY).map((r) => Number(r.ln));
    expect(late).toEqual(truth.stream.late_lines);
    const onTime = rows.filter((r) => Number(r.lag_ms) <= DAY).map((r) => Number(r.lag_ms));
    expect(onTime.length).toBeGreaterThan(1000); // bounded disorder is present...
    // ...and bounded: an original waits at most 300 s, its duplicate copy up to 300 s more.
    expect(onTime.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(2 * OPTIONS.outOfOrderSeconds * 1000);
    expect(late.length).toBeGreaterThan(0);
    const lateIds = await db.rows(`SELECT event_id FROM ev WHERE ln IN (${truth.stream.late_lines.join(',')}) ORDER BY ln`);
    expect(new Set(lateIds.map((r) => r.event_id))).toEqual(new Set(truth.stream.late_event_ids));
  });
});

describe('behaviour shifts (ground truth present in the data)', () => {
  /** Observed vs injected log ratios: unbiased, strongly correlated, right direction for big shifts. */
  const checkRatios = (pairs: { observed: number; expected: number }[]) => {
    const err = pairs.map((p) => Math.log(p.observed / p.expected)).sort((a, b) => a - b);
    expect(Math.abs(err[Math.floor(err.length / 2)]!)).toBeLessThan(0.08);
    const absErr = err.map(Math.abs).sort((a, b) => a - b);
    expect(absErr[Math.floor(absErr.length / 2)]).toBeLessThan(0.25);
    const x = pairs.map((p) => Math.log(p.expected));
    const y = pairs.map((p) => Math.log(p.observed));
    expect(pearson(x, y)).toBeGreaterThan(0.75);
    const big = pairs.filter((p) => Math.abs(Math.log(p.expected)) >= Math.log(1.5));
    const right = big.filter((p) => Math.sign(Math.log(p.observed)) === Math.sign(Math.log(p.expected)));
    expect(right.length / big.length).toBeGreaterThan(0.9);
  };

  it('spend shifts: mean daily spend after/before matches the injected factor (DuckDB)', async () => {
    const rows = await db.rows(`SELECT s.customer_id, s.kind, s.size,
        sum(t.amount) FILTER (WHERE t.amount >= 0 AND t.day < s.day) / s.day AS before,
        sum(t.amount) FILTER (WHERE t.amount >= 0 AND t.day >= s.day) / (${OPTIONS.days} - s.day) AS after,
        count(*) FILTER (WHERE t.amount >= 0 AND t.day < s.day) / s.day AS n_before,
        count(*) FILTER (WHERE t.amount >= 0 AND t.day >= s.day) / (${OPTIONS.days} - s.day) AS n_after,
        count(*) FILTER (WHERE t.day < s.day) AS cb, count(*) FILTER (WHERE t.day >= s.day) AS ca
      FROM shifts s JOIN tx t USING (customer_id) WHERE s.kind IN ('spend_amount', 'spend_frequency')
      GROUP BY s.customer_id, s.kind, s.size, s.day HAVING cb >= 40 AND ca >= 20`);
    expect(rows.length).toBeGreaterThan(60);
    checkRatios(rows.map((r) => ({ observed: Number(r.after) / Number(r.before), expected: 1 + Number(r.size) })));
    // Frequency shifts move the count; amount shifts leave it alone.
    const counts = (kind: string) =>
      rows
        .filter((r) => r.kind === kind)
        .map((r) => ({ observed: Number(r.n_after) / Number(r.n_before), expected: kind === 'spend_amount' ? 1 : 1 + Number(r.size) }));
    checkRatios(counts('spend_frequency'));
    const flat = counts('spend_amount')
      .map((p) => Math.log(p.observed))
      .sort((a, b) => a - b);
    expect(Math.abs(flat[Math.floor(flat.length / 2)]!)).toBeLessThan(0.08);
    expect(Math.abs(flat[Math.floor(flat.length * 0.9)]!)).toBeLessThan(0.4);
  });

  it('usage shifts: the listed metrics move by the factor, the others stay (DuckDB)', async () => {
    const usageShifts = new Map(truth.shifts.filter((s) => s.kind === 'usage').map((s) => [s.customer_id, s]));
    expect(usageShifts.size).toBeGreaterThan(20);
    const rows = await db.rows(`SELECT s.customer_id, u.metric,
        sum(u.quantity) FILTER (WHERE u.day < s.day) / s.day AS before,
        sum(u.quantity) FILTER (WHERE u.day >= s.day) / (${OPTIONS.days} - s.day) AS after,
        count(*) FILTER (WHERE u.day >= s.day) AS ca
      FROM shifts s JOIN us u USING (customer_id) WHERE s.kind = 'usage' GROUP BY s.customer_id, u.metric, s.day HAVING ca >= 10`);
    const pairs = rows.map((r) => ({
      observed: Number(r.after) / Number(r.before),
      expected: usageShifts.get(String(r.customer_id))!.expected_ratio[String(r.metric)] ?? 1,
    }));
    expect(pairs.length).toBeGreaterThan(40);
    checkRatios(pairs);
  });

  it('shift starts respect 21 days of history and are UTC midnights', () => {
    for (const s of truth.shifts) {
      expect(s.day_index).toBeGreaterThanOrEqual(21);
      expect(Date.parse(s.start)).toBe(startMs + s.day_index * DAY);
      expect(s.direction).toBe(s.relative_size > 0 ? 'up' : 'down');
    }
    expect(new Set(truth.shifts.map((s) => s.relative_size)).size).toBeGreaterThan(4);
  });
});

describe('population drift', () => {
  it('starts on a week boundary ~60% through the period', () => {
    expect(truth.drift.enabled).toBe(true);
    expect(truth.drift.day_index % 7).toBe(0);
    expect(truth.drift.day_index).toBe(35);
  });

  it('the channel mix moves towards app while the category mix holds', async () => {
    const d = truth.drift.day_index;
    const r = await db.one(`SELECT
        avg((channel = 'app')::INT) FILTER (WHERE day < ${d}) AS app_before, avg((channel = 'app')::INT) FILTER (WHERE day >= ${d}) AS app_after,
        avg((category = 'groceries')::INT) FILTER (WHERE day < ${d} AND category IS NOT NULL) AS groc_before,
        avg((category = 'groceries')::INT) FILTER (WHERE day >= ${d} AND category IS NOT NULL) AS groc_after
      FROM tx`);
    const feature = truth.drift.features.find((f) => f.name === 'transaction_channel')!;
    expect(Math.abs((r.app_before as number) - feature.before!.app!)).toBeLessThan(0.02);
    expect(Math.abs((r.app_after as number) - feature.after!.app!)).toBeLessThan(0.02);
    expect(Math.abs((r.groc_before as number) - (r.groc_after as number))).toBeLessThan(0.02);
    expect(truth.drift.non_drifting.map((f) => f.name)).toContain('transaction_category');
  });

  it('the drift group spends 1.8x more per day, the other unshifted customers do not', async () => {
    const group = truth.drift.features.find((f) => f.name === 'spend_total')!.affected_customers!;
    expect(group.length).toBeGreaterThan(0.4 * (OPTIONS.customers - truth.shifts.length));
    await db.db.run(`CREATE TABLE grp AS SELECT unnest([${group.map((g) => `'${g}'`).join(',')}]) AS customer_id`);
    const d = truth.drift.day_index;
    const rows = await db.rows(`SELECT customer_id IN (SELECT customer_id FROM grp) AS in_group,
        (sum(amount) FILTER (WHERE day >= ${d} AND amount >= 0) / ${OPTIONS.days - d}) / (sum(amount) FILTER (WHERE day < ${d} AND amount >= 0) / ${d}) AS ratio,
        (count(*) FILTER (WHERE day >= ${d}) / ${OPTIONS.days - d}) / (count(*) FILTER (WHERE day < ${d}) / ${d}) AS count_ratio
      FROM tx WHERE customer_id NOT IN (SELECT customer_id FROM shifts) GROUP BY 1 ORDER BY 1`);
    const [others, inGroup] = rows;
    expect(Number(inGroup!.ratio)).toBeGreaterThan(1.6);
    expect(Number(inGroup!.ratio)).toBeLessThan(2.0);
    expect(Math.abs(Number(others!.ratio) - 1)).toBeLessThan(0.12);
    expect(Math.abs(Number(inGroup!.count_ratio) - 1)).toBeLessThan(0.08);
  });

  it('contact reasons shift towards TECH_NO_SERVICE', async () => {
    const d = truth.drift.day_index;
    const r = await db.one(`SELECT avg((reason = 'TECH_NO_SERVICE')::INT) FILTER (WHERE day < ${d}) AS before,
        avg((reason = 'TECH_NO_SERVICE')::INT) FILTER (WHERE day >= ${d}) AS after FROM ct`);
    expect((r.after as number) - (r.before as number)).toBeGreaterThan(0.07);
  });

  it('normalised Wasserstein (SPEC section 7) flags weekly spend and not weekly transaction counts (SciPy)', async () => {
    const d = truth.drift.day_index;
    const L = Math.min(d, OPTIONS.days - d);
    const csv = join(dir, 'weekly.csv');
    // Per customer and week: spend_total and spend_count, reference weeks [d-L, d), current [d, d+L).
    await db.db.run(`COPY (SELECT customer_id, day // 7 AS week, (day >= ${d})::INT AS cur,
        sum(amount) FILTER (WHERE amount >= 0) AS spend, count(*) FILTER (WHERE amount >= 0) AS cnt
      FROM tx WHERE day >= ${d - L} AND day < ${d + L} GROUP BY ALL) TO '${csv}' (HEADER)`);
    const py = `
import sys, pandas as pd
from scipy.stats import wasserstein_distance as w
df = pd.read_csv(sys.argv[1]).fillna(0)
for col in ['spend', 'cnt']:
    ref, cur = df[df.cur == 0][col], df[df.cur == 1][col]
    print(col, w(ref, cur) / max(ref.std(ddof=0), 0.001))
`;
    const output = execFileSync('/usr/bin/python3', ['-c', py, csv], { encoding: 'utf8' });
    const scores = Object.fromEntries(
      output
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k, Number(v)]),
    );
    expect(scores.spend).toBeGreaterThanOrEqual(0.1);
    expect(scores.cnt).toBeLessThan(0.1);
  });
});

describe('seasonality and contacts', () => {
  it('weekly seasonality: Saturday is the busiest transaction day', async () => {
    const rows = await db.rows(`SELECT dayofweek(make_timestamp(ms * 1000)) AS dow, count(*) AS n FROM tx GROUP BY 1 ORDER BY n DESC`);
    expect(Number(rows[0]!.dow)).toBe(6);
    const byDow = Object.fromEntries(rows.map((r) => [Number(r.dow), Number(r.n)]));
    expect(byDow[6]! / byDow[3]!).toBeGreaterThan(1.1);
  });

  it('contact times are consistent and waits realistic', async () => {
    const r = await db.one(`SELECT count(*) AS n,
        count(*) FILTER (WHERE answered < queued) AS answered_before_queued,
        count(*) FILTER (WHERE ended < coalesce(answered, queued)) AS ended_early,
        count(*) FILTER (WHERE channel = 'voice' AND answered - queued <= 20000) AS fast,
        count(*) FILTER (WHERE channel = 'voice' AND answered - queued > 20000) AS slow,
        count(*) FILTER (WHERE disposition = 'abandoned' AND ended - queued < 5000) AS short_abandons,
        count(*) FILTER (WHERE disposition = 'abandoned' AND ended - queued >= 5000) AS long_abandons,
        count(*) FILTER (WHERE disposition = 'self_service') AS self_service,
        count(*) FILTER (WHERE disposition = 'callback') AS callbacks,
        count(*) FILTER (WHERE disposition = 'transferred') AS transfers,
        count(*) FILTER (WHERE disposition = 'self_service' AND channel NOT IN ('ivr', 'web')) AS odd_self_service,
        avg((customer_id IS NULL)::INT) AS unknown_share,
        avg((hour(make_timestamp(queued * 1000)) BETWEEN 8 AND 17)::INT) AS office_share,
        count(*) FILTER (WHERE hold < 0 OR acw < 0) AS negative_durations
      FROM ct`);
    expect(r.answered_before_queued).toBe(truth.counts.malformed_by_kind.answered_before_queued);
    expect(r.ended_early).toBe(0);
    expect(r.negative_durations).toBe(0);
    expect(r.odd_self_service).toBe(0);
    for (const k of ['fast', 'slow', 'short_abandons', 'long_abandons', 'self_service', 'callbacks', 'transfers']) {
      expect(r[k], k).toBeGreaterThan(10);
    }
    expect(r.unknown_share).toBeGreaterThan(0.01);
    expect(r.unknown_share).toBeLessThan(0.06);
    expect(r.office_share).toBeGreaterThan(0.6);
  });

  it('repeat contacts for the same reason make FCR well below 1', async () => {
    const r = await db.one(`WITH h AS (SELECT * FROM ct WHERE answered IS NOT NULL AND answered >= queued AND customer_id IS NOT NULL)
      SELECT avg((NOT EXISTS (SELECT 1 FROM ct c2 WHERE c2.customer_id = h.customer_id AND c2.reason = h.reason
        AND c2.queued > h.ended AND c2.queued <= h.ended + 7 * ${DAY}))::INT) AS fcr FROM h`);
    expect(r.fcr).toBeGreaterThan(0.6);
    expect(r.fcr).toBeLessThan(0.92);
  });

  it('pooled voice abandon rate and service level match the intended per-queue levels', async () => {
    const rows = await db.rows(`SELECT queue, count(*) AS offered,
        count(*) FILTER (WHERE disposition = 'abandoned') AS abandoned,
        count(*) FILTER (WHERE disposition = 'abandoned' AND ended - queued < 5000) AS short,
        count(*) FILTER (WHERE answered IS NOT NULL AND answered - queued <= 20000) AS within_sl
      FROM ct WHERE channel = 'voice' AND disposition <> 'self_service' AND (answered IS NULL OR answered >= queued) GROUP BY 1`);
    let den = 0;
    let abandonedLong = 0;
    let inSl = 0;
    let expectedAbandon = 0;
    let expectedSl = 0;
    for (const r of rows) {
      const d = Number(r.offered) - Number(r.short);
      den += d;
      abandonedLong += Number(r.abandoned) - Number(r.short);
      inSl += Number(r.within_sl);
      const e = truth.kpi.queues[String(r.queue)]!.expected.voice;
      expectedAbandon += d * e.abandon_rate;
      expectedSl += d * e.service_level;
    }
    expect(den).toBeGreaterThan(500);
    const pA = expectedAbandon / den;
    const pS = expectedSl / den;
    expect(Math.abs(abandonedLong / den - pA)).toBeLessThan(4 * Math.sqrt((pA * (1 - pA)) / den));
    expect(Math.abs(inSl / den - pS)).toBeLessThan(4 * Math.sqrt((pS * (1 - pS)) / den));
  });

  it('surveys carry NPS 0-10 and CSAT 1-5, install surveys ease and completion', async () => {
    const r = await db.one(`SELECT count(*) AS n, min((j->'answers'->>'nps')::INT) AS nps_min, max((j->'answers'->>'nps')::INT) AS nps_max,
        min((j->'answers'->>'csat')::INT) AS csat_min, max((j->'answers'->>'csat')::INT) AS csat_max,
        count(*) FILTER (WHERE (j->'answers'->'install_completed') IS NOT NULL) AS installs,
        count(*) FILTER (WHERE (j->'answers'->>'ease_of_install') IS NOT NULL AND (j->'answers'->>'ease_of_install')::INT NOT BETWEEN 1 AND 10) AS bad_ease
      FROM ev WHERE type = 'survey'`);
    expect(r.n).toBeGreaterThan(100);
    expect(r.nps_min).toBeGreaterThanOrEqual(0);
    expect(r.nps_max).toBeLessThanOrEqual(10);
    expect(r.csat_min).toBeGreaterThanOrEqual(1);
    expect(r.csat_max).toBeLessThanOrEqual(5);
    expect(r.installs).toBeGreaterThan(10);
    expect(r.bad_ease).toBe(0);
  });
});

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
