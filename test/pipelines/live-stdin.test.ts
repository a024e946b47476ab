import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { apiAddressFile } from '../../pipelines/job-api-address.js';
import { query } from '../helpers/duckdb.js';
import { CLI, waitFor } from './kafka-helpers.js';
import { freePort } from '../../bench/free-port.js';

/**
 * Issue 18 items 3 and 7: `pulse run --input -` fed by a producer that keeps the pipe open. The
 * last partial batch is processed after the linger, a signal drains, checkpoints and exits, and a
 * fatal error ends the process at once, all while stdin is still open.
 */

interface Job {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

const started: ChildProcess[] = [];

afterEach(() => {
  // A failed test must not leave a job waiting on its stdin.
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function start(dir: string, args: string[]): Job {
  const child = spawn(process.execPath, [CLI, 'run', ...args], {
    cwd: dir,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, PULSE_LOG_LEVEL: 'warn' },
  });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
  child.stdin!.on('error', () => undefined); // a job that died cannot take input; its exit code says why
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), stderr: () => stderr };
}

/** Resolves with the exit code, or 'still running' after `ms`: the job must exit on its own, stdin open. */
function exitWithin(job: Job, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([job.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms))]);
}

function writeJob(dir: string): string {
  const path = join(dir, 'job.yaml');
  writeFileSync(
    path,
    `name: live
source: files
sources:
  files: { type: files, paths: [unused], batch_size: 4096 }
operators:
  - type: customer_windows
    windows: [{ size: 1h }]
checkpoint: { interval: 300ms }
`,
  );
  return path;
}

const transaction = (id: string, ts: number, amount: number): string =>
  JSON.stringify({ type: 'transaction', event_id: id, ts, customer_id: 'C1', amount, channel: 'web' });

describe('pulse run --input - with a producer that keeps the pipe open', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'processes the partial batch, and on %s drains, checkpoints and exits 0',
    async (signal) => {
      const dir = mkdtempSync(join(tmpdir(), 'pulse-live-stdin-'));
      const db = join(dir, 'pulse.duckdb');
      const port = await freePort();
      const job = start(dir, ['--config', writeJob(dir), '--input', '-', '--db', db, '--metrics-port', String(port)]);
      const now = Date.now();
      // Three lines: far fewer than batch_size, and the pipe stays open.
      job.child.stdin!.write([transaction('a', now - 120_000, 10), transaction('b', now - 60_000, 20), transaction('c', now - 30_000, 12.5)].join('\n') + '\n');
      await waitFor(
        'the three events to be checkpointed while stdin is open',
        async () => {
          if (job.child.exitCode !== null) throw new Error(`the job exited early (${job.child.exitCode}): ${job.stderr()}`);
          const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then(
            (r) => r.text(),
            () => '',
          );
          return metrics.includes('pulse_events_ingested_total{type="transaction"} 3');
        },
        60_000,
      );
      expect(existsSync(apiAddressFile(db))).toBe(true);
      job.child.kill(signal);
      expect(await exitWithin(job, 30_000), job.stderr()).toBe(0);
      expect(existsSync(apiAddressFile(db))).toBe(false);
      const [windows] = await query(db, 'SELECT customer_id, spend_total, spend_count FROM customer_windows ORDER BY window_start');
      const hourOf = (ts: number): number => Math.floor(ts / 3_600_000);
      // The oracle: the three amounts summed by the hour they fall in.
      const expected = new Map<number, number>();
      for (const [ts, amount] of [
        [now - 120_000, 10],
        [now - 60_000, 20],
        [now - 30_000, 12.5],
      ] as const) {
        expected.set(hourOf(ts), (expected.get(hourOf(ts)) ?? 0) + amount);
      }
      expect(windows!.map((w) => Number(w['spend_total']))).toEqual([...expected.values()]);
      expect(windows!.reduce((sum, w) => sum + Number(w['spend_count']), 0)).toBe(3);
    },
    120_000,
  );

  it('exits 1 at once after a fatal error, although stdin is still open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-live-fatal-'));
    // A second input, a gzip file cut short: reading it fails, which stops the job.
    const file = join(dir, 'events.ndjson.gz');
    const whole = gzipSync(Buffer.from(`${transaction('b', Date.now() - 60_000, 5)}\n`.repeat(200)));
    writeFileSync(file, whole.subarray(0, whole.length - 20));
    const job = start(dir, ['--config', writeJob(dir), '--input', '-', '--input', file, '--db', join(dir, 'pulse.duckdb')]);
    job.child.stdin!.write(transaction('a', Date.now() - 60_000, 10) + '\n');
    expect(await exitWithin(job, 60_000)).toBe(1);
    expect(job.stderr()).toMatch(/pulse: .*cannot decompress this gzip file/);
    expect(job.child.stdin!.writableEnded).toBe(false);
  }, 90_000);
});
