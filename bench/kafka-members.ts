/**
 * Consumer-group members as child processes, for the benches that run several `pulse run --source
 * kafka` members on librdkafka's mock cluster (rebalance-bench.ts, members-bench.ts): start, watch
 * through `pulse status`, stop. Members still running when the bench exits are killed, so none
 * outlives the mock cluster it talks to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { runInJob } from '../pipelines/job-api.js';
import type { MemberStatus } from '../pipelines/job-status.js';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it gives a value; fails after `timeoutMs` naming `what` it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, pollMs = 50): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(pollMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** `pulse status` of the member running on `db`, or undefined while it does not answer. */
export async function memberStatus(db: string): Promise<MemberStatus | undefined> {
  const result = await runInJob(db, ['status']);
  return result?.exitCode === 0 ? (JSON.parse(result.stdout) as MemberStatus) : undefined;
}

/**
 * The default job (every operator) reading `topic` from the mock cluster as group `group`, with
 * short session timeouts so that a group forms in seconds; `settings` are further job keys by path.
 */
export function kafkaJob(
  brokers: string,
  topic: string,
  group: string,
  librdkafka: Record<string, string | number>,
  settings: Array<[string[], unknown]>,
): string {
  const job = parseDocument(readFileSync('pipelines/customer-analytics.yaml', 'utf8'));
  job.setIn(['sources', 'kafka'], {
    type: 'kafka',
    brokers,
    topics: topic,
    group,
    options: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'topic.metadata.refresh.interval.ms': 1000, ...librdkafka },
  });
  for (const [path, value] of settings) job.setIn(path, value);
  return job.toString();
}

/** Starts a member of `config`; its JSON log goes to `<db>.log`. */
export function startMember(config: string, db: string, metricsPort: number, work: string): ChildProcess {
  const log = openSync(`${db}.log`, 'w');
  const child = spawn(
    process.execPath,
    [
      'dist/pipelines/cli.js',
      'run',
      '--config',
      config,
      '--source',
      'kafka',
      '--db',
      db,
      '--metrics-port',
      String(metricsPort),
      '--reports',
      join(work, 'reports'),
    ],
    { stdio: ['ignore', 'ignore', log], env: { ...process.env, PULSE_LOG_LEVEL: 'info' } },
  );
  closeSync(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Stops a member gracefully (SIGTERM: it commits a last checkpoint) and waits for it to exit. */
export async function stopMember(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Kills every member still running (a bench that failed half way). */
export function killMembers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** CPU seconds (user + system) a running child process has used so far, from /proc (Linux). */
export function cpuSecondsOf(child: ChildProcess): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th field, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
