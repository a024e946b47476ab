/**
 * Shared by the drift benchmarks: a job that runs the default job's population_drift operator
 * alone (its other operators do not feed drift and take most of the run time), `pulse run` as a
 * child process, and the drift_metrics rows it wrote.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { openReadOnly, queryRows } from '../sinks/reports/db.js';
import { metricHistory } from '../sinks/reports/drift-data.js';
import type { DriftMetric as ReportDriftMetric } from '../sinks/reports/drift-data.js';

/** A drift_metrics row of a period (the benches' runs always set current_start). */
export type DriftMetric = ReportDriftMetric & { current_start: number };

/**
 * Writes the job to `jobPath`: the whole job at `configPath` when `fullJob`, else its event_time
 * and population_drift entry as they are, reading `events`. Returns the operator's name, or throws
 * when the job has no population_drift operator.
 */
export function writeDriftJob(configPath: string, events: string, jobPath: string, fullJob: boolean): string {
  const job = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const operators = (job.operators as Array<Record<string, unknown>>) ?? [];
  const driftOperator = operators.find((o) => o.type === 'population_drift');
  if (driftOperator === undefined) throw new Error(`${configPath} has no population_drift operator`);
  if (fullJob) {
    writeFileSync(jobPath, readFileSync(configPath, 'utf8'));
  } else {
    writeFileSync(
      jobPath,
      stringify({
        name: 'drift-bench',
        source: 'files',
        sources: { files: { type: 'files', paths: [events], batch_size: 8192 } },
        event_time: job.event_time,
        operators: [driftOperator],
        checkpoint: { interval: '30s', max_events: 5_000_000 },
      }),
    );
  }
  return typeof driftOperator.name === 'string' ? driftOperator.name : 'population_drift';
}

/** Runs `pulse run` on a fresh database at `dbPath`; rejects with the tail of stderr on failure. */
export function runDriftJob(jobPath: string, input: string, dbPath: string, workDir: string): Promise<void> {
  rmSync(dbPath, { force: true });
  rmSync(`${dbPath}.wal`, { force: true });
  const cli = fileURLToPath(new URL('../pipelines/cli.js', import.meta.url));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, 'run', '--config', jobPath, '--input', input, '--db', dbPath, '--reports', join(workDir, 'reports')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PULSE_METRICS_PORT: '0', PULSE_LOG_LEVEL: process.env.PULSE_LOG_LEVEL ?? 'warn' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + String(d)).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`pulse run exited ${code}: ${stderr}`))));
  });
}

/** drift_metrics rows by period and feature, and the periods with a firing dataset-drift alert. */
export async function readDriftResults(dbPath: string): Promise<{ metrics: DriftMetric[]; datasetAlarms: number[] }> {
  const store = await openReadOnly(dbPath);
  try {
    const metrics = (await metricHistory(store.connection)).filter((m): m is DriftMetric => m.current_start !== null);
    const datasetAlarms = (
      await queryRows(
        store.connection,
        `SELECT DISTINCT epoch_ms(window_start) AS ws FROM alerts WHERE rule = 'SegmentationRescoreNeeded' AND status = 'firing' ORDER BY ws`,
      )
    ).map((r) => Number(r.ws));
    return { metrics, datasetAlarms };
  } finally {
    store.close();
  }
}
