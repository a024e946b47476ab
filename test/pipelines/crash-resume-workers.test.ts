import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../sources/generator/index.js';
import { Rng } from '../../sources/generator/rng.js';
import { query } from '../helpers/duckdb.js';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');

/** The default job's outputs that a crash could damage (times as epoch ms, JSON as text). */
const TABLES = [
  `SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, spend_total, spend_count, spend_max, refund_total,
          usage_total, CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`,
  `SELECT * EXCLUDE (window_start, window_end), epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we FROM contact_kpis ORDER BY ALL`,
  `SELECT * FROM contact_reason_volumes ORDER BY ALL`,
  `SELECT alert_id, rule, severity, customer_id, epoch_ms(fired_at) AS fa, CAST(labels AS VARCHAR) AS labels, status FROM alerts ORDER BY ALL`,
  `SELECT * FROM drift_metrics ORDER BY ALL`,
  `SELECT case_id, alert_id, customer_id, category, severity, team, epoch_ms(due_at) AS d FROM cases ORDER BY ALL`,
  `SELECT * FROM customer_segments ORDER BY ALL`,
  `SELECT source, position, reason FROM dead_letters ORDER BY ALL`,
];

/** Runs `pulse run`; kills it with SIGKILL after `killAfterMs` unless it finishes first. */
function runPulse(args: string[], killAfterMs: number | null): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PULSE_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const timer = killAfterMs === null ? null : setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, killed, stderr });
    });
  });
}

describe('crash and resume with worker threads', () => {
  it('SIGKILL of the default job on 2 workers at random moments, then re-running, gives the tables of one uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-crash-workers-'));
    const input = join(dir, 'events.ndjson');
    await generate({ out: input, customers: 200, days: 22, seed: 9 });
    // The default job with frequent checkpoints, so that kills land between them.
    const job = join(dir, 'job.yaml');
    writeFileSync(
      job,
      readFileSync('pipelines/customer-analytics.yaml', 'utf8').replace('interval: 5s', 'interval: 200ms').replace('max_events: 1000000', 'max_events: 3000'),
    );
    const common = ['--config', job, '--input', input, '--workers', '2', '--reports', join(dir, 'reports')];
    const reference = join(dir, 'reference.duckdb');
    const clean = await runPulse([...common, '--db', reference], null);
    expect(clean.code, clean.stderr).toBe(0);
    const expected = await query(reference, ...TABLES);
    expect(expected[0]!.length).toBeGreaterThan(1000);

    const rng = new Rng(21);
    const db = join(dir, 'crashed.duckdb');
    let kills = 0;
    let finished = false;
    for (let attempt = 0; attempt < 30 && !finished; attempt++) {
      // Kill windows grow with each attempt so that the run finishes eventually.
      const result = await runPulse([...common, '--db', db], kills < 4 ? 1500 + rng.int(0, 2500) + attempt * 500 : null);
      if (result.killed) {
        kills++;
        continue;
      }
      expect(result.code, result.stderr).toBe(0);
      finished = true;
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThan(0);
    const actual = await query(db, ...TABLES);
    actual.forEach((rows, i) => expect(rows, TABLES[i]).toEqual(expected[i]));
  }, 900_000);
});
