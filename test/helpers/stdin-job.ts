import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../pipelines/kafka-helpers.js';
import { freePort } from '../../bench/free-port.js';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `pulse ARGS` in `cwd` to its end, with `input` on stdin. */
export function pulseIn(cwd: string, input: string, ...args: string[]): Ran {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, input, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export interface StdinJob {
  child: ChildProcess;
  exit: Promise<number | null>;
  /** What the job wrote to stderr so far (shown when a wait fails). */
  stderr(): string;
}

/**
 * Starts `pulse run ARGS --input -` in `cwd` and writes `input` to its stdin, which stays open like
 * a live feed (end it with `child.stdin.end()`).
 */
export function startStdinJob(cwd: string, args: string[], input: Buffer): StdinJob {
  let stderr = '';
  const child = spawn(process.execPath, [CLI, 'run', '--input', '-', ...args], {
    cwd,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, PULSE_LOG_LEVEL: 'warn' },
  });
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // A job that died cannot take its input (EPIPE): its stderr, shown on failure, says why.
  child.stdin!.on('error', (error: Error) => void (stderr += `\n[stdin: ${error.message}]`));
  child.stdin!.write(input);
  return { child, exit, stderr: () => stderr };
}

/**
 * Waits until the job has committed cases: `pulse cases list` (a separate process, reaching the
 * job through its API) lists some. Checkpoints are taken on the interval while the feed is silent.
 */
export async function waitForCases(cwd: string, db: string, job: StdinJob): Promise<void> {
  await waitFor(
    'the running job to have committed cases',
    async () => {
      const listed = pulseIn(cwd, '', 'cases', 'list', '--db', db, '--json');
      return listed.status === 0 && (JSON.parse(listed.stdout) as unknown[]).length > 0;
    },
    180_000,
    1_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; job stderr: ${job.stderr().slice(-3000)}`);
  });
}

/** A job on the bundled sample whose stdin stays open, in a directory of its own. */
export interface SampleJob extends StdinJob {
  dir: string;
}

/**
 * Starts the default job (or the job YAML `config`, written to DIR/job.yaml) in a new directory,
 * fed `samples/events.ndjson` on a stdin that stays open, with a metrics port (the command API)
 * and `args`; resolves once the job has committed cases. A job that fails to get there is killed.
 */
export async function startSampleJob(prefix: string, db: string, args: string[] = [], config?: string): Promise<SampleJob> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let configPath = join(process.cwd(), 'pipelines/customer-analytics.yaml');
  if (config !== undefined) writeFileSync((configPath = join(dir, 'job.yaml')), config);
  const allArgs = ['--config', configPath, '--db', db, '--metrics-port', String(await freePort()), ...args];
  const job = { ...startStdinJob(dir, allArgs, readFileSync(join(process.cwd(), 'samples/events.ndjson'))), dir };
  try {
    await waitForCases(dir, db, job);
  } catch (error) {
    stopSampleJob(job);
    throw error;
  }
  return job;
}

/** Kills the job if it still runs and removes its directory. */
export function stopSampleJob(job: SampleJob | undefined): void {
  if (job === undefined) return;
  if (job.child.exitCode === null) job.child.kill('SIGKILL');
  rmSync(job.dir, { recursive: true, force: true });
}
