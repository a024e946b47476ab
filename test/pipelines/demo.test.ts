import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { CLI } from './kafka-helpers.js';

/** Files under a directory with their sizes and times: what "left as it was" means. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => {
      const stat = statSync(join(dir, file));
      return `${file} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

describe('pulse demo', () => {
  const work = mkdtempSync(join(tmpdir(), 'pulse-demo-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("prints a plain summary (no log lines) whose numbers are the database's, and writes nothing outside its directory", async () => {
    const samples = join(process.cwd(), 'samples');
    const before = snapshot(samples);
    const run = spawnSync(process.execPath, [CLI, 'demo', '--dir', "demo's out"], {
      cwd: work,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, PULSE_LOG_LEVEL: 'info' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(snapshot(samples)).toEqual(before);
    const out = join(work, "demo's out");
    expect(readdirSync(out).sort()).toEqual(['events.ndjson', 'events.rejects.ndjson', 'pulse.duckdb', 'pulse.log', 'reports']);
    // The job's JSON logs go to the log file, not between the summary's lines.
    for (const line of `${run.stdout}${run.stderr}`.split('\n')) expect(line.trimStart().startsWith('{')).toBe(false);
    expect(readFileSync(join(out, 'pulse.log'), 'utf8')).toContain('"msg":"input processed to its end"');

    const db = join(out, 'pulse.duckdb');
    const [kinds, reasons, cases, rejected, drift, members] = await query(
      db,
      `SELECT kind, count(*)::INT AS n FROM alerts GROUP BY kind ORDER BY n DESC, kind`,
      `SELECT reason, count(*)::INT AS n FROM dead_letters GROUP BY reason ORDER BY n DESC, reason`,
      `SELECT count(*)::INT AS n FROM cases`,
      `SELECT count(*)::INT AS n FROM dead_letters`,
      `SELECT count(DISTINCT run_id)::INT AS n FROM drift_metrics`,
      `SELECT count(*)::INT AS n FROM move_members`,
    );
    const summary = run.stdout;
    const total = kinds!.reduce((sum, r) => sum + Number(r['n']), 0);
    expect(summary).toContain(
      `${total.toLocaleString('en-US')} alerts (alerts table; one row per alert, in its latest state): ${kinds!.map((r) => `${r['kind']} ${Number(r['n']).toLocaleString('en-US')}`).join(', ')}`,
    );
    for (const r of reasons!) expect(summary).toMatch(new RegExp(`\\n {15}${r['reason']} +${Number(r['n']).toLocaleString('en-US')}  \\S`));
    expect(summary).toContain(`Cases        ${Number(cases![0]!['n']).toLocaleString('en-US')} opened:`);
    expect(summary).toContain(`${Number(drift![0]!['n'])} weekly runs`);
    expect(summary).toMatch(/KPI alerts {3}\w+: fired \d+ times/);
    // The KPI rules' alerts only: not the analytic alert of a move together (operators/shifts/together.ts).
    const kpiSection = summary.slice(summary.indexOf('KPI alerts'), summary.indexOf('\nMoves'));
    expect(summary).toMatch(/analytic .*GroupSpendJump 1/);
    // The sample's drift group pays 1.8x from 2026-02-09: one move, its customers listed.
    expect(Number(members![0]!['n'])).toBeGreaterThan(0);
    expect(summary).toContain(`Moves        GroupSpendJump from 2026-02-09 (spend_total, their amounts): ${members![0]!['n']} customers' own alerts held back`);
    expect(kpiSection).not.toContain('GroupSpendJump');
    expect(summary).toMatch(/Reports {6}(\d+ [\w-]+, )*\d+ KPI(, \d+ [\w-]+)* and \d+ [\w-]+ reports .* in demo's out\/reports\/:/);
    expect(summary).toContain(' closed-loop');
    expect(summary).toMatch(/Reports {6}\d+ scorecard, /);
    expect(summary).toContain('generator injected');
    // Every dead letter is also in the rejects file beside the demo's copy of the sample.
    const rejects = readFileSync(join(out, 'events.rejects.ndjson'), 'utf8').trim().split('\n');
    expect(rejects).toHaveLength(Number(rejected![0]!['n']));
    expect(summary).toContain("demo's out/events.rejects.ndjson");
    // No suggestion of a command that is not installed.
    const duckdbInstalled = (process.env['PATH'] ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, 'duckdb')));
    if (!duckdbInstalled) {
      expect(summary).not.toMatch(/^\s*duckdb /m);
      expect(summary).toContain("import {DuckDBInstance} from '@duckdb/node-api'");
      // The suggested command works as printed, from where it says, with a quote and a space in the path.
      const suggested = summary.split('\n').find((line) => line.trimStart().startsWith('node --input-type=module'));
      const tally = spawnSync('/bin/sh', ['-c', suggested!], { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 });
      expect(tally.status, tally.stderr).toBe(0);
      expect(tally.stdout).toContain('case_overdue');
    }
  }, 300_000);
});
