/**
 * Shared by the detection benchmarks: a job that runs one operator of the default job alone (the
 * others do not feed it and take most of the run time), and `pulse run` of it as a child process.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

/**
 * Writes the job to `jobPath`: the whole job at `configPath` when `fullJob`, else its event_time
 * and its operator of `type` as they are, reading `events`. Returns the operator's name, or throws
 * when the job has no operator of that type.
 */
export function writeOperatorJob(configPath: string, events: string, jobPath: string, type: string, fullJob = false): string {
  const job = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const operators = (job.operators as Array<Record<string, unknown>>) ?? [];
  const operator = operators.find((o) => o.type === type);
  if (operator === undefined) throw new Error(`${configPath} has no ${type} operator`);
  if (fullJob) {
    writeFileSync(jobPath, readFileSync(configPath, 'utf8'));
  } else {
    writeFileSync(
      jobPath,
      stringify({
        name: `${type}-bench`,
        source: 'files',
        sources: { files: { type: 'files', paths: [events], batch_size: 8192 } },
        event_time: job.event_time,
        operators: [operator],
        checkpoint: { interval: '30s', max_events: 5_000_000 },
      }),
    );
  }
  return typeof operator.name === 'string' ? operator.name : type;
}

/** Runs `pulse run` on a fresh database at `dbPath`; rejects with the tail of stderr on failure. */
export function runJob(jobPath: string, input: string, dbPath: string, workDir: string): Promise<void> {
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
