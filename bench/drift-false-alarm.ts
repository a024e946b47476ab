/**
 * False drift on stable populations (issue 17, item 6): generates populations of 300, 3,000 and
 * 30,000 customers with no injected drift and no individual shifts, runs the default job's
 * population_drift operator over them with `pulse run`, and prints per feature the share of
 * periods flagged as drifted beside the level it was configured for.
 *
 * On small samples the decision is a test (KS p <= 0.05, chi-square p < 0.05): its false-drift
 * rate should be at most the level (0.05), up to sampling noise over the periods (the binomial
 * standard error is printed). On large samples (> 1,000 values a period) the decision is a distance
 * threshold (normalised Wasserstein, Jensen-Shannon), which has no nominal level: the rate is
 * printed with the largest score seen, and should be 0 on a stable population.
 *
 *   npm run build && node dist/bench/drift-false-alarm.js [--sizes 300,3000,30000] [--days 168]
 *     [--seeds 1] [--config pipelines/customer-analytics.yaml] [--dir DIR] [--keep]
 *
 * `--seeds N` repeats every size with seeds 1..N (more periods, a tighter rate). Paths are relative
 * to the current directory (the repo).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generate } from '../sources/generator/index.js';
import type { DriftMetric } from './drift-job.js';
import { readDriftResults } from './drift-job.js';
import { runJob, writeOperatorJob } from './operator-job.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '300,3000,30000' },
    days: { type: 'string', default: '168' },
    seeds: { type: 'string', default: '1' },
    config: { type: 'string', default: 'pipelines/customer-analytics.yaml' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = (values.sizes as string).split(',').map(Number);
const days = Number(values.days);
const seeds = Number(values.seeds);
const configPath = resolve(values.config as string);
if (!existsSync(configPath)) fail(`job config ${configPath} not found; run from the repo root or pass --config`);
if (sizes.some((n) => !(Number.isInteger(n) && n > 0)) || !(days >= 14) || !(Number.isInteger(seeds) && seeds > 0)) {
  fail('--sizes must be positive integers, --days at least 14, --seeds a positive integer');
}
const dir = values.dir === undefined ? mkdtempSync(join(tmpdir(), 'pulse-drift-false-alarm-')) : resolve(values.dir);
mkdirSync(dir, { recursive: true });

const out: string[] = [];
const line = (s = '') => {
  out.push(s);
  process.stderr.write(`${s}\n`);
};
line(`false drift on stable populations: ${days} days, seeds 1..${seeds}, no injected drift or shifts; default population_drift operator`);
let allMet = true;
for (const customers of sizes) {
  const metrics: DriftMetric[] = [];
  let datasetAlarms = 0;
  let periods = 0;
  let seconds = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const events = join(dir, `stable-${customers}c-${days}d-s${seed}.ndjson`);
    const t0 = performance.now();
    if (!existsSync(events)) {
      await generate({ out: events, customers, days, seed, truthPath: `${events}.truth.json`, drift: false, shiftShare: 0 });
    }
    const jobPath = join(dir, 'drift-job.yaml');
    writeOperatorJob(configPath, events, jobPath, 'population_drift');
    const db = join(dir, `stable-${customers}c-s${seed}.duckdb`);
    await runJob(jobPath, events, db, dir);
    const results = await readDriftResults(db);
    seconds += (performance.now() - t0) / 1000;
    metrics.push(...results.metrics);
    datasetAlarms += results.datasetAlarms.length;
    periods += new Set(results.metrics.map((m) => m.current_start)).size;
    rmSync(db, { force: true });
  }
  line();
  line(`${customers} customers: ${periods} periods, ${seconds.toFixed(0)} s; dataset-drift alarms ${datasetAlarms}`);
  line(`  ${'feature'.padEnd(26)} ${'method (periods)'.padEnd(40)} ${'drifted'.padStart(9)} ${'rate'.padStart(6)} ${'+-se'.padStart(6)}  level / worst`);
  for (const feature of [...new Set(metrics.map((m) => m.feature))].sort()) {
    const rows = metrics.filter((m) => m.feature === feature && m.method !== 'insufficient_data');
    if (rows.length === 0) {
      line(`  ${feature.padEnd(26)} insufficient data in every period`);
      continue;
    }
    const methods = [...new Set(rows.map((m) => m.method))].map((m) => `${m} (${rows.filter((r) => r.method === m).length})`).join(', ');
    const drifted = rows.filter((m) => m.drifted).length;
    const rate = drifted / rows.length;
    const tests = rows.filter((m) => m.p_value !== null);
    const scores = rows.filter((m) => m.p_value === null);
    const level = tests.length > 0 ? Math.max(...tests.map((m) => m.threshold ?? 0)) : null;
    // A test's false-drift rate should be at most its level, allowing two standard errors of noise.
    const se = Math.sqrt(((level ?? 0.05) * (1 - (level ?? 0.05))) / rows.length);
    const testAlarms = tests.filter((m) => m.drifted).length;
    const scoreAlarms = scores.filter((m) => m.drifted).length;
    const met = (level === null || testAlarms / Math.max(tests.length, 1) <= level + 2 * se) && scoreAlarms === 0;
    allMet &&= met;
    const parts: string[] = [];
    if (level !== null) parts.push(`level ${level}: ${testAlarms}/${tests.length} test alarms`);
    if (scores.length > 0) {
      const top = scores.reduce((a, b) => ((b.score ?? 0) > (a.score ?? 0) ? b : a));
      parts.push(`max ${top.method} ${(top.score ?? 0).toFixed(3)} vs ${top.threshold}`);
    }
    line(
      `  ${feature.padEnd(26)} ${methods.padEnd(40)} ${`${drifted}/${rows.length}`.padStart(9)} ${rate.toFixed(3).padStart(6)} ${se.toFixed(3).padStart(6)}  ${parts.join('; ')}  ${met ? 'OK' : 'OVER'}`,
    );
  }
}
line();
line(
  `target (issue 17): false-drift rate per feature at most the configured level (tests: within two standard errors; distance thresholds: no alarm): ${allMet ? 'MET' : 'NOT MET'}`,
);
process.stdout.write(`${out.join('\n')}\n`);
if (values.dir === undefined && !values.keep) rmSync(dir, { recursive: true, force: true });

function fail(message: string): never {
  process.stderr.write(`drift-false-alarm: ${message}\n`);
  process.exit(2);
}
