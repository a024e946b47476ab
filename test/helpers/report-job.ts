import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');

/**
 * The default job's KPI rules and drift (the alerts that have reports) without the per-customer
 * detectors, which add run time and no report, with a checkpoint every 4,000 events: alerts fire
 * and resolve in different checkpoints, and reports are requested all along the sample input.
 * `extra` is appended (an `alerting` block).
 */
export function reportJobYaml(dir: string, extra = ''): string {
  const text = readFileSync('pipelines/customer-analytics.yaml', 'utf8');
  const shifts = text.slice(text.indexOf('  - type: customer_shifts'), text.indexOf('  - type: population_drift'));
  const service = text.slice(text.indexOf('  - type: service_triggers'), text.indexOf('store:'));
  const path = join(dir, 'job.yaml');
  const job = text.replace(shifts, '').replace(service, '').replace('max_events: 1000000', 'max_events: 4000').replace('interval: 5s', 'interval: 1s');
  writeFileSync(path, `${job}\n${extra}`);
  return path;
}

/**
 * Runs `pulse run ARGS` (built CLI) in `cwd` with logs at `logLevel`. `killWhen` sees the stderr
 * so far after each chunk; when it returns true the process is killed with SIGKILL.
 */
export function runPulseIn(
  cwd: string,
  args: string[],
  options: { logLevel?: string; killWhen?: (stderr: string) => boolean } = {},
): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  mkdirSync(cwd, { recursive: true });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PULSE_LOG_LEVEL: options.logLevel ?? 'warn' },
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!killed && options.killWhen?.(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code) => {
      if (!killed && code !== 0) process.stderr.write(stderr);
      resolve({ code, killed, stderr });
    });
  });
}

/** The JSON log lines of a run's stderr (the progress line and other text are skipped). */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
