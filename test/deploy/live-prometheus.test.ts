import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import {
  PROMETHEUS,
  hasPrometheus,
  startPrometheus,
  stopChild as stop,
  tail,
  waitUntil as waitFor,
  type PrometheusServer,
  type QueryResult,
} from '../helpers/prometheus-server.js';
import { freePort } from '../../bench/free-port.js';
import { liveEventStream } from './live-events.js';
import {
  OPTIONAL_METRICS,
  ROOT,
  RULES_DIR,
  dashboardTargets,
  dashboardVariables,
  labelValuesToPromql,
  metricNames,
  ruleExpressions,
  ruleFiles,
  substituteGrafanaVariables,
} from './promql-sources.js';

/**
 * Live check of the observability files: a real Prometheus (1 s scrapes, the repo's rule files)
 * scrapes a real `pulse run --input -` fed through stdin; every PromQL expression of the
 * dashboards and rules then goes through Prometheus' HTTP API. Expressions must not error, and
 * must return data unless they depend on a metric in OPTIONAL_METRICS (features the default
 * bounded run does not exercise; see deploy/README.md).
 */
const CLI = join(ROOT, 'dist', 'pipelines', 'cli.js');
if (!hasPrometheus) {
  process.stderr.write(`live Prometheus test skipped: ${PROMETHEUS} not found (apt-get install prometheus)\n`);
}

/** The sum of a counter's series on the pipeline's own /metrics. */
async function pipelineCounter(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const series = text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
  return series.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe.skipIf(!hasPrometheus)('live: Prometheus scraping a running pipeline', () => {
  const work = mkdtempSync(join(tmpdir(), 'pulse-live-'));
  let pipeline: ChildProcess | undefined;
  let prometheus: PrometheusServer | undefined;
  let promUrl = '';
  let metricsPort = 0;
  let pipelineStderr: () => string = () => '';
  let sentDuplicates = 0;

  const query = (expr: string): Promise<QueryResult> => prometheus!.query(expr);

  async function samples(expr: string): Promise<number> {
    const result = await query(expr);
    if (result.status !== 'success') throw new Error(`${expr}: ${result.error}`);
    return result.data!.result.length;
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with npx tsc -p tsconfig.json`);

    // The default job, with small batches and a 1 s checkpoint interval so that counters and
    // gauges (published at checkpoints) move during a short run.
    const job = parseDocument(readFileSync(join(ROOT, 'pipelines', 'customer-analytics.yaml'), 'utf8'));
    job.setIn(['sources', 'files', 'batch_size'], 100);
    job.setIn(['checkpoint', 'interval'], '1s');
    const jobPath = join(work, 'job.yaml');
    writeFileSync(jobPath, job.toString());

    metricsPort = await freePort();
    pipeline = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '--config',
        jobPath,
        '--input',
        '-',
        '--db',
        join(work, 'pulse.duckdb'),
        '--metrics-port',
        String(metricsPort),
        '--reports',
        join(work, 'reports'),
      ],
      { cwd: work, stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, PULSE_LOG_LEVEL: 'warn' } },
    );
    pipelineStderr = tail(pipeline, 'stderr');
    const pipelineDied = (): string | undefined =>
      pipeline!.exitCode !== null ? `pipeline exited with ${pipeline!.exitCode}: ${pipelineStderr()}` : undefined;
    await waitFor('pipeline /readyz', async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok, 30_000, pipelineDied);

    prometheus = await startPrometheus(
      work,
      [`127.0.0.1:${metricsPort}`],
      ruleFiles().map((f) => join(RULES_DIR, f)),
    );
    promUrl = prometheus.url;
    const promDied = (): string | undefined => prometheus!.died();

    // Feed the stream in chunks (whole batches of 100 lines), each once the previous one is
    // checkpointed, so several checkpoints publish metrics while Prometheus scrapes.
    const stream = liveEventStream(Date.now());
    const events = stream.lines.slice(0, stream.valid);
    const extras = stream.lines.slice(stream.valid);
    const lines = [...extras, ...events];
    let pad = 0;
    // Padding and the final batch repeat recent events: within the lateness horizon, so they are
    // rejected as duplicates (older repeats would count as late).
    while (lines.length % 100 !== 0) lines.push(events[events.length - 1 - pad++]!);
    for (let i = 0; i < lines.length; i += 500) {
      const chunk = lines.slice(i, i + 500);
      pipeline.stdin!.write(chunk.join('\n') + '\n');
      // Ingested and refused records are counted at the checkpoint that commits them: together
      // they reach the lines written once the chunk is checkpointed.
      const written = i + chunk.length;
      const counted = async (): Promise<boolean> =>
        (await pipelineCounter(metricsPort, 'pulse_events_ingested_total')) + (await pipelineCounter(metricsPort, 'pulse_events_rejected_total')) >= written;
      await waitFor(`the checkpoint of the first ${written} lines`, counted, 30_000, pipelineDied);
    }
    // One more batch after a pause makes the last checkpoint cover everything above.
    pipeline.stdin!.write(events.slice(-100).join('\n') + '\n');
    sentDuplicates = stream.duplicates + pad + 100;

    await waitFor(
      'all events counted and three scrapes of them',
      async () => {
        const counted = await query('sum(pulse_events_ingested_total)');
        const total = Number(counted.data?.result[0]?.value[1] ?? 0);
        const dup = await query('sum(pulse_events_rejected_total{reason="duplicate"})');
        return (
          total === stream.valid &&
          Number(dup.data?.result[0]?.value[1] ?? 0) === sentDuplicates &&
          (await samples('count_over_time(pulse_events_ingested_total[1m]) >= 3')) > 0 &&
          (await samples('pulse:dead_letter_ratio:rate5m')) > 0
        );
      },
      45_000,
      () => pipelineDied() ?? promDied(),
    );
  }, 150_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (pipeline && pipeline.exitCode === null) {
      pipeline.stdin?.end();
      await Promise.race([new Promise((r) => pipeline!.once('exit', r)), sleep(15_000)]);
    }
    await stop(pipeline);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** Names of recording rules whose inputs include an optional metric are optional too. */
  function optionalNames(): Set<string> {
    const optional = new Set(Object.keys(OPTIONAL_METRICS));
    for (const rule of ruleExpressions()) {
      if (rule.kind === 'record' && metricNames(rule.expr).some((n) => optional.has(n))) optional.add(rule.name);
    }
    return optional;
  }

  it('promtool check metrics finds no problem in a live scrape of /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toContain('pulse_events_ingested_total');
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('Prometheus scrapes the pipeline target successfully', async () => {
    const response = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> };
    };
    const pulse = response.data.activeTargets.filter((t) => t.labels['job'] === 'pulse');
    expect(pulse).toHaveLength(1);
    expect(pulse[0]!.health, pulse[0]!.lastError).toBe('up');
  });

  it('the stream reached the pipeline: ingested and rejected counts match what was sent', async () => {
    const stream = liveEventStream(Date.now());
    const ingested = await query('sum(pulse_events_ingested_total)');
    expect(Number(ingested.data!.result[0]!.value[1])).toBe(stream.valid);
    const rejected = await query('sum(pulse_events_rejected_total{reason!="duplicate"})');
    expect(Number(rejected.data!.result[0]!.value[1])).toBe(stream.invalid);
    const duplicates = await query('sum(pulse_events_rejected_total{reason="duplicate"})');
    expect(Number(duplicates.data!.result[0]!.value[1])).toBe(sentDuplicates);
  });

  it('every dashboard expression evaluates, and returns data unless it needs an optional feature', async () => {
    const optional = optionalNames();
    const failures: string[] = [];
    const targets = dashboardTargets();
    expect(targets.length).toBeGreaterThan(30);
    for (const t of targets) {
      const expr = substituteGrafanaVariables(t.expr);
      const result = await query(expr);
      if (result.status !== 'success') {
        failures.push(`${t.dashboard} / ${t.panel}: error ${result.error} in ${expr}`);
        continue;
      }
      const mayBeEmpty = metricNames(expr).some((n) => optional.has(n));
      if (result.data!.result.length === 0 && !mayBeEmpty) failures.push(`${t.dashboard} / ${t.panel}: no data for ${expr}`);
    }
    for (const v of dashboardVariables()) {
      const expr = labelValuesToPromql(v.query);
      const result = await query(expr);
      if (result.status !== 'success') failures.push(`${v.dashboard} variable ${v.name}: error ${result.error}`);
      else if (result.data!.result.length === 0 && !metricNames(expr).some((n) => optional.has(n))) {
        failures.push(`${v.dashboard} variable ${v.name}: no values from ${v.query}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('every rule expression evaluates; recording rules return data unless they need an optional feature', async () => {
    const optional = optionalNames();
    const failures: string[] = [];
    for (const rule of ruleExpressions()) {
      const result = await query(rule.expr);
      if (result.status !== 'success') {
        failures.push(`${rule.file} ${rule.name}: error ${result.error}`);
        continue;
      }
      // Alert expressions are empty while healthy; only recording rules must produce series.
      if (rule.kind === 'record' && result.data!.result.length === 0 && !optional.has(rule.name)) {
        failures.push(`${rule.file} ${rule.name}: no data`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('every metric referenced by dashboards and rules exists, except the documented optional ones', async () => {
    const optional = optionalNames();
    const names = new Set([...dashboardTargets().map((t) => t.expr), ...ruleExpressions().map((r) => r.expr)].flatMap(metricNames));
    const missing: string[] = [];
    for (const name of [...names].sort()) {
      if (optional.has(name)) continue;
      if ((await samples(`count({__name__="${name}"})`)) === 0) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it('Prometheus evaluates every loaded rule without error', async () => {
    const response = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const rules = response.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBe(ruleExpressions().length);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  });

  it('the pipeline finishes cleanly when its input ends', async () => {
    pipeline!.stdin!.end();
    const code =
      pipeline!.exitCode !== null
        ? pipeline!.exitCode
        : await Promise.race([
            new Promise<number | null>((resolve) => pipeline!.once('exit', (c) => resolve(c))),
            sleep(30_000).then(() => 'timeout' as const),
          ]);
    expect(code, pipelineStderr()).toBe(0);
    expect(pipelineStderr()).toMatch(/processed \d+ records/);
  }, 40_000);
});
