/**
 * Shift-detection quality benchmark (issue 4): generates a seeded dataset (cached under
 * bench/.data/), feeds its events to `CustomerShiftOperator` in-process, and scores the alerts
 * against the generator's ground truth (`shifts` in the truth file).
 *
 *   npm run build && node dist/bench/shift-quality.js [--customers 50000 --days 120 --seed 3]
 *        [--config '{"robustZ": 4}' ...]   one operator per --config (customer_shifts YAML as JSON),
 *                                          all fed in the same pass; none = the defaults
 *        [--pattern-set weekend,gaps]      generate the data with these opt-in behaviour patterns
 *                                          (sources/generator/patterns.ts); none = the plain generator
 *        [--patterns]                      robustness run (issue 17, item 2): this bench once per
 *                                          configuration of PATTERN_SUITE, then each one's false-alert
 *                                          rate beside the plain configuration's (target: within 2x)
 *        [--summary PATH]                  write the per-config summary as JSON (used by --patterns)
 *
 * Scoring (per operator):
 * - true positive: a shift alert for a shifted customer, on one of its shifted measures, in the
 *   shift's direction, with window_start >= the shift start; delay = windows from the start to the
 *   first such alert (0 = the alert is about the first shifted window).
 * - false: any other shift alert (before the start, wrong direction or measure, unshifted customer).
 * - drift-group customers (`drift.features[spend_total].affected_customers`) get a population-wide
 *   1.8x step at the drift start: drift, not a per-customer shift. Their alerts are excluded from
 *   precision and false-alert rates and reported on their own line.
 * - false alerts per 1,000 customer-days: alerts on unshifted, non-drift customers / their
 *   customer-days (customers x days).
 * - breakdowns: recall and delay of |size| >= 50% shifts by the customer's activity (pre-shift
 *   transactions a day from the truth file), false alerts on unshifted customers by activity
 *   (transactions a day observed), and the cause of false alerts on shifted customers (wrong
 *   measure, before the start, wrong direction).
 * Instant triggers (large transaction, refund, new metric) are counted separately.
 *
 * The dataset has no malformed, duplicate or late records (those paths have their own tests): this
 * measures detection, not stream hygiene. Events are delivered up to 5 min out of order, so the
 * watermark is the largest event time seen minus 5 min, advanced after each batch.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median as ssMedian } from 'simple-statistics';
import { parseArgs } from 'node:util';
import { EventDecoder } from '../operators/decode.js';
import { MS_PER_DAY, MS_PER_MINUTE } from '../operators/events.js';
import type { OperatorOutput } from '../operators/operator.js';
import { resolveShiftConfig } from '../operators/shifts/config.js';
import { CustomerShiftOperator } from '../operators/shifts/operator.js';
import { generate } from '../sources/generator/index.js';
import type { GenerateOptions } from '../sources/generator/index.js';
import { arl0OfFalseAlertRate, klPerWindow, learntBaselineDelay, lordenDelay } from './lorden.js';
import { calibrateThreshold, cusumAlarms, weeklyZAlarms } from './reference-detectors.js';
import type { Detector } from './reference-detectors.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '50000' },
    days: { type: 'string', default: '120' },
    seed: { type: 'string', default: '3' },
    dir: { type: 'string', default: 'bench/.data' },
    config: { type: 'string', multiple: true },
    batch: { type: 'string', default: '10000' },
    dump: { type: 'string' },
    'pattern-set': { type: 'string', default: '' },
    patterns: { type: 'boolean', default: false },
    summary: { type: 'string' },
  },
});
const customers = Number(values.customers);
const days = Number(values.days);
const seed = Number(values.seed);
const dir = values.dir as string;
const batchSize = Number(values.batch);
const configs = (values.config ?? ['{}']).map((text) => JSON.parse(text) as Record<string, unknown>);
const patternSet = (values['pattern-set'] as string).split(',').filter((p) => p.length > 0) as NonNullable<GenerateOptions['patterns']>;

/** The configurations of `--patterns`: the plain generator first, as the reference rate. */
const PATTERN_SUITE = ['', 'weekend', 'payday', 'holiday', 'bigticket', 'gaps', 'weekend,payday,holiday,bigticket,gaps'];
if (values.patterns) {
  runPatternSuite();
  process.exit(0);
}

/** Runs this bench once per PATTERN_SUITE entry (reports on stdout), then compares false-alert rates. */
function runPatternSuite(): void {
  const self = fileURLToPath(import.meta.url);
  const passOn = [
    '--customers',
    String(customers),
    '--days',
    String(days),
    '--seed',
    String(seed),
    '--dir',
    dir,
    '--batch',
    String(batchSize),
    ...(values.config ?? []).flatMap((c) => ['--config', c]),
  ];
  const rates: Array<{ set: string; summary: Array<Record<string, number>> }> = [];
  for (const set of PATTERN_SUITE) {
    // Named like the dataset (size and seed too), so suites of other sizes or seeds sharing --dir never mix.
    const summaryPath = join(dir, `summary-${customers}c-${days}d-s${seed}-${set.replaceAll(',', '+') || 'plain'}.json`);
    console.log(`\n##### patterns: ${set || 'none (plain)'}`);
    execFileSync(process.execPath, [self, ...passOn, '--pattern-set', set, '--summary', summaryPath], { stdio: ['ignore', 'inherit', 'inherit'] });
    rates.push({
      set: set === PATTERN_SUITE[PATTERN_SUITE.length - 1] ? 'all five' : set || 'plain',
      summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as Array<Record<string, number>>,
    });
  }
  const plain = rates[0]!.summary;
  console.log('\nfalse alerts on unshifted customers per 1,000 customer-days, by pattern configuration (target: at most 2x the plain rate):');
  configs.forEach((cfg, i) => {
    console.log(`config ${JSON.stringify(cfg)}`);
    console.log(row(['patterns', 'FA/1000cd', 'x plain', 'within 2x', 'precision', 'recall>=50%']));
    for (const r of rates) {
      const fa = r.summary[i]!['faRate']!;
      const plainFa = plain[i]!['faRate']!;
      const ratio = fa / plainFa;
      console.log(
        row([
          r.set,
          fa.toFixed(3),
          Number.isFinite(ratio) ? ratio.toFixed(2) : '-',
          fa <= 2 * plainFa ? 'yes' : 'NO', // not the ratio: 0 against 0 is within 2x
          pct(r.summary[i]!['precision']!),
          pct(r.summary[i]!['recallBig']!),
        ]),
      );
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Data and truth
mkdirSync(dir, { recursive: true });
const events = join(dir, `shift-${customers}c-${days}d-s${seed}${patternSet.length > 0 ? `-${patternSet.join('+')}` : ''}.ndjson`);
const truthPath = events.replace(/\.ndjson$/, '.truth.json');
const started = performance.now();
if (!existsSync(events) || !existsSync(truthPath)) {
  process.stderr.write(`generating ${events} ...\n`);
  await generate({
    out: events,
    customers,
    days,
    seed,
    malformedRate: 0,
    duplicateRate: 0,
    lateRate: 0,
    truthPath,
    ...(patternSet.length > 0 ? { patterns: patternSet } : {}),
  });
}
const generateSeconds = (performance.now() - started) / 1000;

interface TruthShift {
  customer_id: string;
  kind: string;
  measures: string[];
  direction: 'up' | 'down';
  relative_size: number;
  start: string;
  day_index: number;
  baseline_daily?: Record<string, number>;
}
interface Truth {
  period: { start: string; days: number };
  shifts: TruthShift[];
  drift: { enabled: boolean; start?: string; features?: Array<{ name: string; affected_customers?: string[] }> };
  behaviour_patterns?: { weekend_heavy_customers: string[]; payday_customers: string[]; gap_days_by_customer: Record<string, unknown> };
}
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;
/**
 * The behaviour pattern of each customer that has one (`--pattern-set`), for the false alerts by
 * pattern; a customer with several counts under the first of gaps, pay day, weekend-heavy.
 */
const patternOf = new Map<string, string>();
if (truth.behaviour_patterns) {
  const bp = truth.behaviour_patterns;
  for (const [name, ids] of [
    ['weekend-heavy', bp.weekend_heavy_customers],
    ['pay day', bp.payday_customers],
    ['gaps', Object.keys(bp.gap_days_by_customer)],
  ] as const) {
    for (const id of ids) patternOf.set(id, name);
  }
}
const PATTERN_GROUPS = ['gaps', 'pay day', 'weekend-heavy', 'no pattern'] as const;

/** Ground-truth measure names -> the operator's measure names (usage_total is not a measure there). */
function operatorMeasure(m: string): string | null {
  if (m === 'spend_total' || m === 'spend_count') return m;
  if (m === 'usage_total') return null;
  return `usage:${m}`;
}
interface Shift {
  direction: 'up' | 'down';
  size: number;
  kind: string;
  measures: Set<string>;
  start: number;
  /** Pre-shift expected transactions per day (truth), for the activity breakdown. */
  txPerDay: number;
  /** Shifted days in the data (windows from the start to the end). */
  horizon: number;
  /** Day index of the start. */
  day: number;
}
const shifts = new Map<string, Shift>();
for (const s of truth.shifts) {
  const measures = new Set(s.measures.map(operatorMeasure).filter((m): m is string => m !== null));
  shifts.set(s.customer_id, {
    direction: s.direction,
    size: s.relative_size,
    kind: s.kind,
    measures,
    start: Date.parse(s.start),
    txPerDay: s.baseline_daily?.['spend_count'] ?? 0,
    horizon: truth.period.days - s.day_index,
    day: s.day_index,
  });
}
const driftGroup = new Set(truth.drift.features?.find((f) => f.name === 'spend_total')?.affected_customers ?? []);
const quietCustomers = customers - shifts.size - driftGroup.size;

// ---------------------------------------------------------------------------------------------
// Feed the operators
const operators = configs.map((cfg, i) => ({
  cfg,
  op: new CustomerShiftOperator(`shifts-${i}`, resolveShiftConfig(cfg)),
  alerts: [] as Array<Record<string, unknown>>,
  seconds: 0,
}));
const decoder = new EventDecoder();
let maxTs = Number.NEGATIVE_INFINITY;
let lines = 0;
let rejected = 0;
const feedStart = performance.now();
let decodeSeconds = 0;

function collect(o: (typeof operators)[number], outputs: OperatorOutput[]): void {
  for (const out of outputs) if (out.kind === 'alert') for (const row of out.rows) o.alerts.push(row as Record<string, unknown>);
}

function flush(batch: ReturnType<EventDecoder['decode']>[], watermark: number): void {
  for (const o of operators) {
    const t = performance.now();
    for (const r of batch) if (r.ok) o.op.process(r.event);
    o.op.onWatermark(watermark);
    o.seconds += (performance.now() - t) / 1000;
    collect(o, o.op.drainOutputs());
  }
}

/** Non-refund transactions per customer over the whole period (activity level of unshifted customers). */
const txCount = new Map<string, number>();
/** Non-refund transactions per customer and day, for the count-based reference detectors. */
const dailyCounts = new Map<string, Uint16Array>();
const periodStart = Date.parse(truth.period.start);
function countDay(customerId: string, ts: number): void {
  let c = dailyCounts.get(customerId);
  if (!c) dailyCounts.set(customerId, (c = new Uint16Array(days)));
  const d = Math.floor((ts - periodStart) / MS_PER_DAY);
  if (d >= 0 && d < days) c[d]!++;
}
let batch: ReturnType<EventDecoder['decode']>[] = [];
const rl = createInterface({ input: createReadStream(events), crlfDelay: Infinity });
for await (const line of rl) {
  if (line.length === 0) continue;
  lines++;
  const t = performance.now();
  const r = decoder.decode(line);
  decodeSeconds += (performance.now() - t) / 1000;
  if (!r.ok) {
    rejected++;
    continue;
  }
  if (r.event.ts > maxTs) maxTs = r.event.ts;
  if (r.event.type === 'transaction' && r.event.amount >= 0) {
    txCount.set(r.event.customer_id, (txCount.get(r.event.customer_id) ?? 0) + 1);
    countDay(r.event.customer_id, r.event.ts);
  }
  batch.push(r);
  if (batch.length >= batchSize) {
    flush(batch, maxTs - 5 * MS_PER_MINUTE);
    batch = [];
    if (lines % 2_000_000 < batchSize) process.stderr.write(`  ${lines} lines, ${((performance.now() - feedStart) / 1000).toFixed(0)} s\n`);
  }
}
flush(batch, Number.POSITIVE_INFINITY);
const feedSeconds = (performance.now() - feedStart) / 1000;
// --dump PATH: every operator's alerts as JSON, for ad-hoc analysis.
if (values.dump) writeFileSync(values.dump, JSON.stringify(operators.map((o) => o.alerts)));

// ---------------------------------------------------------------------------------------------
// Score
const INSTANT = new Set(['CustomerLargeTransaction', 'CustomerLargeRefund', 'CustomerNewUsageMetric']);
/**
 * The silence rule (issue 17) is scored on its own, not as a shift alert: the generator injects no
 * customer who stops buying, so on unshifted, non-drift customers every CustomerWentQuiet is false;
 * on customers whose purchase frequency drops it is the silence rule's answer to that drop.
 */
const SILENCE = 'CustomerWentQuiet';
const windowMs = resolveShiftConfig(configs[0]).windowMs;

interface Bucket {
  shifts: number;
  detected: number;
  delays: number[];
}
const newBucket = (): Bucket => ({ shifts: 0, detected: 0, delays: [] });
function median(xs: number[]): number | null {
  return xs.length === 0 ? null : ssMedian(xs);
}

/** The matching rule of the module comment: right customer, measure, direction, at or after the start. */
function isTrue(customerId: string, measure: string, direction: string, windowStart: number): boolean {
  const s = shifts.get(customerId);
  return !!s && s.measures.has(measure) && direction === s.direction && windowStart >= s.start;
}

function bucketOf<K>(map: Map<K, Bucket>, key: K): Bucket {
  let b = map.get(key);
  if (!b) map.set(key, (b = newBucket()));
  return b;
}

/** Activity levels (transactions per day) for the breakdown: detectability grows with activity. */
const ACTIVITY_EDGES = [0.5, 1, 2, 4] as const;
function activityOf(txPerDay: number): string {
  const i = ACTIVITY_EDGES.findIndex((e) => txPerDay < e);
  if (i === 0) return `tx/day < ${ACTIVITY_EDGES[0]}`;
  if (i < 0) return `tx/day >= ${ACTIVITY_EDGES[ACTIVITY_EDGES.length - 1]}`;
  return `tx/day ${ACTIVITY_EDGES[i - 1]}-${ACTIVITY_EDGES[i]}`;
}
const ACTIVITY_LABELS = [0, ...ACTIVITY_EDGES].map(activityOf);
const activityOfCustomer = (id: string): string => {
  const s = shifts.get(id);
  return activityOf(s ? s.txPerDay : (txCount.get(id) ?? 0) / days);
};

const driftStart = truth.drift.start ? Date.parse(truth.drift.start) : Number.POSITIVE_INFINITY;

function score(alerts: Array<Record<string, unknown>>) {
  let tp = 0;
  let fpShifted = 0;
  let fpQuiet = 0;
  let driftAlerts = 0;
  /** Analytic alerts of moves of part of the population (operators/shifts/together.ts), as "measure direction from day". */
  const together: string[] = [];
  let driftAfter = 0;
  const instant: Record<string, number> = {};
  const firstHit = new Map<string, number>();
  /** Why alerts on shifted customers were false. */
  const fpWhy = { beforeStart: 0, wrongMeasure: 0, wrongDirection: 0 };
  const fpQuietByActivity = new Map<string, number>();
  const fpQuietByPattern = new Map<string, number>();
  const precDir = new Map<string, { tp: number; fp: number }>();
  const silence = { falseQuiet: 0, falseQuietByActivity: new Map<string, number>(), frequencyDrops: 0, delays: [] as number[], other: 0, drift: 0 };
  for (const a of alerts) {
    const rule = a['rule'] as string;
    if (rule === SILENCE) {
      const id = a['customer_id'] as string;
      const sh = shifts.get(id);
      if (driftGroup.has(id)) silence.drift++;
      else if (!sh) {
        silence.falseQuiet++;
        const act = activityOfCustomer(id);
        silence.falseQuietByActivity.set(act, (silence.falseQuietByActivity.get(act) ?? 0) + 1);
      } else if (sh.kind === 'spend_frequency' && sh.direction === 'down' && (a['window_start'] as number) >= sh.start) {
        silence.frequencyDrops++;
        silence.delays.push(Math.floor(((a['window_start'] as number) - sh.start) / windowMs));
      } else silence.other++;
      continue;
    }
    if (INSTANT.has(rule)) {
      instant[rule] = (instant[rule] ?? 0) + 1;
      continue;
    }
    if (a['customer_id'] === null) {
      const labels = a['labels'] as Record<string, string>;
      const day = Math.floor(((a['window_start'] as number) - periodStart) / MS_PER_DAY);
      together.push(`${labels['measure']} ${labels['direction']} from day ${day}`);
      continue;
    }
    const id = a['customer_id'] as string;
    const labels = a['labels'] as Record<string, string>;
    const measure = labels['measure'] ?? '';
    const direction = labels['direction'] ?? '';
    const ws = a['window_start'] as number;
    if (driftGroup.has(id)) {
      driftAlerts++;
      if (ws >= driftStart) driftAfter++;
      continue;
    }
    const ok = isTrue(id, measure, direction, ws);
    const d = precDir.get(direction) ?? { tp: 0, fp: 0 };
    precDir.set(direction, d);
    if (ok) {
      tp++;
      d.tp++;
      const delay = Math.floor((ws - (shifts.get(id) as Shift).start) / windowMs);
      const prev = firstHit.get(id);
      if (prev === undefined || delay < prev) firstHit.set(id, delay);
    } else {
      d.fp++;
      const sh = shifts.get(id);
      if (sh) {
        fpShifted++;
        if (!sh.measures.has(measure)) fpWhy.wrongMeasure++;
        else if (ws < sh.start) fpWhy.beforeStart++;
        else fpWhy.wrongDirection++;
      } else {
        fpQuiet++;
        const act = activityOfCustomer(id);
        fpQuietByActivity.set(act, (fpQuietByActivity.get(act) ?? 0) + 1);
        const group = patternOf.get(id) ?? 'no pattern';
        fpQuietByPattern.set(group, (fpQuietByPattern.get(group) ?? 0) + 1);
      }
    }
  }
  const bySize = new Map<number, Bucket>();
  const byDir = new Map<string, Bucket>();
  const byKind = new Map<string, Bucket>();
  const big = newBucket();
  const bigByActivity = new Map<string, Bucket>();
  for (const [id, s] of shifts) {
    const delay = firstHit.get(id);
    const isBig = Math.abs(s.size) >= 0.5;
    const buckets = [
      bucketOf(bySize, s.size),
      bucketOf(byDir, s.direction),
      bucketOf(byKind, s.kind),
      ...(isBig ? [big, bucketOf(bigByActivity, activityOf(s.txPerDay))] : []),
    ];
    for (const b of buckets) {
      b.shifts++;
      if (delay !== undefined) {
        b.detected++;
        b.delays.push(delay);
      }
    }
  }
  return {
    tp,
    fpShifted,
    fpQuiet,
    driftAlerts,
    driftAfter,
    together,
    instant,
    bySize,
    byDir,
    byKind,
    big,
    precDir,
    fpWhy,
    fpQuietByActivity,
    fpQuietByPattern,
    bigByActivity,
    silence,
    firstHit,
  };
}

/**
 * Per activity band, spend shifts of 50% or more beside Lorden's bound at the measured false-alert
 * rate (bench/lorden.ts): the recall ceiling is the share of shifts whose bound fits in the shifted
 * days of the data; the targets of issue 17 are recall >= 0.9 x ceiling and median delay <= 1.5 x
 * the median bound in every band with at least one transaction a day. Lorden's bound knows the
 * customer's level before the shift; `learnt ceil` is the share of shifts a detector can reach
 * when it has to learn that level from the customer's days before the shift (`learntBaselineDelay`:
 * every customer's history starts on day 0 of the data), and `rec/learnt` the recall beside it.
 */
function printBeside(firstHit: ReadonlyMap<string, number>, faRate: number): void {
  const arl0 = arl0OfFalseAlertRate(faRate);
  console.log(
    `beside Lorden's bound (spend shifts, |size| >= 50%; ARL0 ${Number.isFinite(arl0) ? Math.round(arl0).toLocaleString('en') : 'inf'} windows per series from the measured false-alert rate):`,
  );
  console.log(row(['band', 'shifts', 'recall', 'ceiling', 'rec/ceil', 'med.delay', 'med.bound', 'delay/bnd', 'learnt ceil', 'rec/learnt']));
  for (const act of ACTIVITY_LABELS) {
    const band = [...shifts.entries()].filter(([, sh]) => Math.abs(sh.size) >= 0.5 && activityOf(sh.txPerDay) === act);
    const rows = band
      .map(([id, sh]) => ({
        kl: klPerWindow(sh.kind, 1 + sh.size, sh.txPerDay),
        horizon: sh.horizon,
        delay: firstHit.get(id),
        learnt: learntBaselineDelay(sh.kind, 1 + sh.size, sh.txPerDay, sh.day, sh.horizon, arl0),
      }))
      .filter((r): r is { kl: number; horizon: number; delay: number | undefined; learnt: number | null } => r.kl !== null);
    if (rows.length === 0) continue;
    const bounds = rows.map((r) => lordenDelay(arl0, r.kl));
    const ceiling = bounds.filter((b, i) => b <= rows[i]!.horizon).length / rows.length;
    const learntCeiling = rows.filter((r) => r.learnt !== null).length / rows.length;
    const found = rows.filter((r) => r.delay !== undefined);
    const recall = found.length / rows.length;
    const delay = median(found.map((r) => r.delay as number));
    const bound = median(bounds);
    console.log(
      row([
        act,
        rows.length,
        pct(recall),
        pct(ceiling),
        pct(recall / ceiling),
        delay ?? '-',
        bound === null ? '-' : bound.toFixed(1),
        delay === null || bound === null ? '-' : (delay / bound).toFixed(2),
        pct(learntCeiling),
        learntCeiling > 0 ? pct(recall / learntCeiling) : '-',
      ]),
    );
  }
}

/**
 * The reference detectors of issue 17 (bench/reference-detectors.ts) on the same data: each one's
 * threshold is calibrated on the unshifted, non-drift customers to allow as many false alerts as
 * the GLR made there, then frequency shifts of 50% or more (the only shifts daily counts can see)
 * are scored per activity band beside the GLR and Lorden's bound. Detection: the first alarm in
 * the shift's direction at or after its start day; delay in days, as the GLR's in windows.
 */
function printReferences(firstHit: ReadonlyMap<string, number>, fpQuiet: number, faRate: number): void {
  const unshifted = [...dailyCounts.entries()].filter(([id]) => !shifts.has(id) && !driftGroup.has(id)).map(([, c]) => c);
  const refs: Array<{ name: string; detector: Detector; threshold: number; falseAlarms: number }> = [
    { name: 'z7', detector: weeklyZAlarms },
    { name: 'cusum', detector: cusumAlarms },
  ].map(({ name, detector }) => {
    const threshold = calibrateThreshold(detector, unshifted, fpQuiet);
    return { name, detector, threshold, falseAlarms: unshifted.reduce((n, c) => n + detector(c, threshold).length, 0) };
  });
  const quietDays = quietCustomers * days;
  console.log(
    `reference detectors at the GLR's false-alert rate (${faRate.toFixed(3)} per 1,000 customer-days): ` +
      refs.map((r) => `${r.name} threshold ${r.threshold.toFixed(2)} -> ${((1000 * r.falseAlarms) / quietDays).toFixed(3)}`).join('; '),
  );
  const arl0 = arl0OfFalseAlertRate(faRate);
  console.log(row(['freq. |size|>=50%', 'shifts', 'med.bound', 'GLR rec', 'GLR delay', 'z7 rec', 'z7 delay', 'cusum rec', 'cusum dly']));
  const noZero = new Uint16Array(days);
  for (const act of ACTIVITY_LABELS) {
    const band = [...shifts.entries()].filter(([, sh]) => sh.kind === 'spend_frequency' && Math.abs(sh.size) >= 0.5 && activityOf(sh.txPerDay) === act);
    if (band.length === 0) continue;
    const bounds = band.map(([, sh]) => lordenDelay(arl0, klPerWindow(sh.kind, 1 + sh.size, sh.txPerDay) ?? Number.NaN)).filter(Number.isFinite);
    const glr = band.map(([id]) => firstHit.get(id)).filter((d): d is number => d !== undefined);
    const cells: Array<string | number> = [act, band.length, median(bounds)?.toFixed(1) ?? '-', pct(glr.length / band.length), median(glr) ?? '-'];
    for (const r of refs) {
      const delays = band
        .map(([id, sh]) => {
          const hit = r.detector(dailyCounts.get(id) ?? noZero, r.threshold).find((a) => a.day >= sh.day && a.direction === sh.direction);
          return hit ? hit.day - sh.day : Number.NaN;
        })
        .filter(Number.isFinite);
      cells.push(pct(delays.length / band.length), median(delays) ?? '-');
    }
    console.log(row(cells));
  }
}

/** False alerts on unshifted customers per group (activity band, behaviour pattern) and their rate. */
function printFalseByGroup(groups: readonly string[], customersOf: ReadonlyMap<string, number>, falseOf: ReadonlyMap<string, number>): void {
  console.log(row(['unshifted', 'customers', 'false', 'FA/1000cd', '']));
  for (const group of groups) {
    const n = customersOf.get(group) ?? 0;
    const f = falseOf.get(group) ?? 0;
    console.log(row([group, n, f, n > 0 ? ((1000 * f) / (n * days)).toFixed(3) : '-', '']));
  }
}

const quietByActivity = new Map<string, number>();
const quietByPattern = new Map<string, number>();
for (const id of new Set([...txCount.keys()])) {
  if (shifts.has(id) || driftGroup.has(id)) continue;
  const act = activityOfCustomer(id);
  quietByActivity.set(act, (quietByActivity.get(act) ?? 0) + 1);
  const group = patternOf.get(id) ?? 'no pattern';
  quietByPattern.set(group, (quietByPattern.get(group) ?? 0) + 1);
}

// Function declarations: the --patterns summary, which runs before anything else, prints with them too.
function pct(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '  -  ';
}
function row(cells: Array<string | number>): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(18) : String(c).padStart(10))).join(' ');
}

console.log(
  `dataset: ${events} (${customers} customers x ${days} days, seed ${seed}; ${lines} lines, ${rejected} rejected)\n` +
    `shifted customers ${shifts.size}, drift group ${driftGroup.size} (excluded), unshifted ${quietCustomers} (${quietCustomers * days} customer-days)\n` +
    `runtime: generate ${generateSeconds.toFixed(1)} s, read+decode+feed ${feedSeconds.toFixed(1)} s (decode ${decodeSeconds.toFixed(1)} s)`,
);
const summary: Array<Record<string, unknown>> = [];
for (const o of operators) {
  const r = score(o.alerts);
  const shiftAlerts = r.tp + r.fpShifted + r.fpQuiet;
  const precision = r.tp / shiftAlerts;
  const recallBig = r.big.detected / r.big.shifts;
  const delayBig = median(r.big.delays);
  const faRate = (1000 * r.fpQuiet) / (quietCustomers * days);
  console.log(`\n=== config ${JSON.stringify(o.cfg)}  (operator ${o.seconds.toFixed(1)} s)`);
  console.log(row(['bucket', 'shifts', 'detected', 'recall', 'med.delay']));
  const line = (name: string, b: Bucket): void => console.log(row([name, b.shifts, b.detected, pct(b.detected / b.shifts), median(b.delays) ?? '-']));
  for (const size of [...r.bySize.keys()].sort((a, b) => a - b)) line(`size ${size > 0 ? '+' : ''}${Math.round(size * 100)}%`, bucketOf(r.bySize, size));
  for (const dir of ['down', 'up']) if (r.byDir.has(dir)) line(`direction ${dir}`, bucketOf(r.byDir, dir));
  for (const kind of [...r.byKind.keys()].sort()) line(`kind ${kind}`, bucketOf(r.byKind, kind));
  line('|size| >= 50%', r.big);
  for (const act of ACTIVITY_LABELS) if (r.bigByActivity.has(act)) line(`>=50%, ${act}`, bucketOf(r.bigByActivity, act));
  console.log(row(['alerts', 'true', 'false', 'precision', '']));
  for (const dir of ['down', 'up']) {
    const d = r.precDir.get(dir) ?? { tp: 0, fp: 0 };
    console.log(row([`direction ${dir}`, d.tp, d.fp, pct(d.tp / (d.tp + d.fp)), '']));
  }
  console.log(row(['all', r.tp, r.fpShifted + r.fpQuiet, pct(precision), '']));
  console.log(
    `false alerts on unshifted customers: ${r.fpQuiet} = ${faRate.toFixed(3)} per 1,000 customer-days; ` +
      `false alerts on shifted customers: ${r.fpShifted}; ` +
      `drift-group alerts (excluded): ${r.driftAlerts}, ${r.driftAfter} of them at or after the drift start`,
  );
  console.log(
    `moves together (one analytic alert each, in place of their customers' alerts; the drift starts on day ${truth.drift.start ? Math.floor((driftStart - periodStart) / MS_PER_DAY) : '-'}): ` +
      (r.together.length === 0 ? 'none' : r.together.join(', ')),
  );
  console.log(`false alerts on shifted customers by cause: ${JSON.stringify(r.fpWhy)}`);
  printFalseByGroup(ACTIVITY_LABELS, quietByActivity, r.fpQuietByActivity);
  if (patternOf.size > 0) printFalseByGroup(PATTERN_GROUPS, quietByPattern, r.fpQuietByPattern);
  console.log(`instant triggers: ${JSON.stringify(r.instant)}`);
  printBeside(r.firstHit, faRate);
  printReferences(r.firstHit, r.fpQuiet, faRate);
  const q = r.silence;
  const quietDays = quietCustomers * days;
  console.log(
    `silence rule (${SILENCE}, not counted above): false on unshifted customers ${q.falseQuiet} = ${((1000 * q.falseQuiet) / quietDays).toFixed(3)} per 1,000 customer-days ` +
      `(${ACTIVITY_LABELS.map((act) => `${act}: ${q.falseQuietByActivity.get(act) ?? 0}`).join(', ')}); ` +
      `on frequency drops after their start ${q.frequencyDrops} (median delay ${median(q.delays) ?? '-'} windows); other shifted customers ${q.other}; drift group ${q.drift}`,
  );
  const targets = {
    'recall(|size|>=50%) >= 0.95': recallBig >= 0.95,
    'precision >= 0.9': precision >= 0.9,
    'median delay (|size|>=50%) <= 2': delayBig !== null && delayBig <= 2,
    'false alerts < 1 / 1,000 customer-days': faRate < 1,
  };
  for (const [name, met] of Object.entries(targets)) console.log(`  target ${name}: ${met ? 'MET' : 'not met'}`);
  summary.push({ config: o.cfg, recallBig, precision, delayBig, faRate, seconds: o.seconds });
}
if (values.summary) writeFileSync(values.summary, JSON.stringify(summary));
if (operators.length > 1) {
  console.log('\ntrade-off (one line per config):');
  console.log(row(['recall>=50%', 'precision', 'med.delay', 'FA/1000cd', 'config']));
  for (const s of summary) {
    console.log(
      `${pct(s['recallBig'] as number).padEnd(18)} ${row(['', pct(s['precision'] as number), String(s['delayBig']), (s['faRate'] as number).toFixed(3)]).trimStart()}  ${JSON.stringify(s['config'])}`,
    );
  }
}
console.log(`\ntotal runtime ${((performance.now() - started) / 1000).toFixed(1)} s`);
