import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { CLI, waitFor } from './kafka-helpers.js';

const DAY = 86_400_000;

/**
 * A live source (stdin kept open) runs schedules on the wall clock: events dated in March make no
 * March reports; runs are due as the wall clock passes cron times, and cover the day before them.
 */
describe('scheduled reports of a live job', () => {
  it('are due on the wall clock, not on the events’ time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-live-schedule-'));
    const db = join(dir, 'pulse.duckdb');
    const reports = join(dir, 'reports');
    writeFileSync(
      join(dir, 'job.yaml'),
      `name: live-schedule
source: files
sources: { files: { type: files, paths: [unused], batch_size: 4096 } }
operators: [{ type: contact_kpis, window_sizes: [1d] }]
checkpoint: { interval: 300ms }
reports:
  dir: ${JSON.stringify(reports)}
  schedule:
    - { name: EverySecond, report: contact_center_scorecard, cron: "* * * * * *", period: day }
`,
    );
    const startedAt = Date.now();
    const child = spawn(process.execPath, [CLI, 'run', '--config', join(dir, 'job.yaml'), '--input', '-', '--db', db], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, PULSE_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const queued = Date.UTC(2026, 2, 3, 9);
      child.stdin!.write(
        JSON.stringify({
          type: 'contact',
          event_id: 'e1',
          customer_id: null,
          contact_id: 'k1',
          channel: 'voice',
          queue: 'billing',
          reason: 'R',
          agent_id: 'A',
          queued_at: queued,
          answered_at: queued + 10_000,
          ended_at: queued + 300_000,
          hold_seconds: 0,
          acw_seconds: 30,
          disposition: 'resolved',
        }) + '\n',
      );
      await waitFor(
        'a scheduled report while stdin is open',
        async () => {
          if (child.exitCode !== null) throw new Error(`the job exited early (${child.exitCode}): ${stderr}`);
          return existsSync(reports) && readdirSync(reports).some((f) => f.startsWith('scorecard-everysecond-') && f.endsWith('.html'));
        },
        60_000,
      );
      child.stdin!.end();
      expect(await exited, stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const endedAt = Date.now();
    const [runs] = await query(
      db,
      `SELECT epoch_ms(fired_at) AS due, annotations->>'period_start' AS period_start FROM alerts WHERE kind = 'report' ORDER BY fired_at`,
    );
    expect(runs!.length).toBeGreaterThan(0);
    for (const run of runs!) {
      const due = Number(run['due']);
      // Made while the job ran, on whole seconds of the wall clock; none for the events' March.
      expect(due).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000);
      expect(due).toBeLessThanOrEqual(endedAt);
      expect(due % 1000).toBe(0);
      expect(run['period_start']).toBe(new Date(Math.floor(due / DAY) * DAY - DAY).toISOString());
    }
    // One run per second at most: every due time is distinct.
    expect(new Set(runs!.map((r) => r['due'])).size).toBe(runs!.length);
  }, 120_000);
});
