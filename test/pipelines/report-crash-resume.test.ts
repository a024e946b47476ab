import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sources/generator/rng.js';
import { query } from '../helpers/duckdb.js';
import { reportJobYaml, runPulseIn } from '../helpers/report-job.js';
import { sampleIn } from '../helpers/sample.js';

/** Kills at the report queue's `batch`-th batch of pending requests: committed, not all rendered yet. */
const atQueueBatch = (batch: number) => (stderr: string) => stderr.split('"msg":"rendering alert reports"').length - 1 >= batch;

const KILLS = 6;
const ALERTS = `SELECT alert_id, rule, status, CAST(annotations AS VARCHAR) AS annotations FROM alerts ORDER BY alert_id`;
const REQUESTS = `SELECT alert_id, alert_status, status, renders FROM pulse_report_requests ORDER BY alert_id, alert_status`;

describe('report requests across crashes', () => {
  it('SIGKILL with reports pending, then re-running: every report is written, each request rendered once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-report-crash-'));
    const config = reportJobYaml(dir);
    // Rendered while the input is read (not at its end, as files are by default): kills land with requests pending.
    writeFileSync(config, readFileSync(config, 'utf8').replace('reports:\n', 'reports:\n  render: after_checkpoint\n'));
    // Each run in a directory of its own with reports in `reports` there: the links (relative
    // paths) of both runs compare equal, and the files do not mix.
    const run = (cwd: string, killAtBatch: number | null) =>
      runPulseIn(cwd, ['--config', config, '--input', sampleIn(cwd), '--db', join(cwd, 'pulse.duckdb'), '--reports', 'reports'], {
        logLevel: 'debug',
        ...(killAtBatch === null ? {} : { killWhen: atQueueBatch(killAtBatch) }),
      });
    const reference = join(dir, 'reference');
    expect((await run(reference, null)).code).toBe(0);
    const [expectedAlerts] = await query(join(reference, 'pulse.duckdb'), ALERTS);

    const crashed = join(dir, 'crashed');
    const db = join(crashed, 'pulse.duckdb');
    const rng = new Rng(5);
    // Pending requests left behind by each kill (read while no process holds the database).
    const pendingAfterKills: number[] = [];
    let finished = false;
    // Up to KILLS runs killed at one of their first queue batches (a run may end before it), then one to the end.
    for (let attempt = 0; attempt <= KILLS && !finished; attempt++) {
      const result = await run(crashed, attempt < KILLS ? rng.int(1, 4) : null);
      if (result.killed) {
        const [[row]] = (await query(db, `SELECT count(*) AS n FROM pulse_report_requests WHERE status = 'pending'`)) as [[Record<string, unknown>]];
        pendingAfterKills.push(Number(row['n']));
        continue;
      }
      expect(result.code).toBe(0);
      finished = true;
    }
    expect(finished).toBe(true);
    // The kills did leave committed requests unrendered, and they were not lost.
    expect(pendingAfterKills.filter((n) => n > 0).length).toBeGreaterThan(0);

    const [alerts, requests] = await query(db, ALERTS, REQUESTS);
    // The alerts, their links included, are those of the uninterrupted run.
    expect(alerts).toEqual(expectedAlerts);
    const linked = alerts!.filter((a) => JSON.parse(String(a['annotations'])).report_path !== undefined);
    expect(linked.length).toBeGreaterThan(5);
    expect([...new Set(requests!.map((r) => r['alert_id']))].sort()).toEqual(linked.map((a) => a['alert_id']).sort());
    for (const request of requests!) {
      const final = alerts!.find((a) => a['alert_id'] === request['alert_id'])!;
      // Written exactly once: the alert's final version always, an earlier one unless superseded.
      if (request['alert_status'] === final['status']) expect([request['status'], request['renders']]).toEqual(['done', 1]);
      else
        expect([
          ['done', 1],
          ['superseded', 0],
        ]).toContainEqual([request['status'], request['renders']]);
    }
    // One report file per alert, showing the alert's final state.
    for (const alert of linked) {
      const { report_path: path } = JSON.parse(String(alert['annotations'])) as { report_path: string };
      expect(path.startsWith('reports/')).toBe(true);
      const html = readFileSync(join(crashed, path), 'utf8');
      if (path.includes('/kpi-')) expect(html).toContain(`, ${String(alert['status'])}): `);
      else if (/\/(scorecard|signals|closed-loop)-/.test(path)) expect(html).toContain(String(alert['rule']));
      else expect(html).toContain(`id ${String(alert['alert_id'])}`);
    }
    expect(readdirSync(join(crashed, 'reports')).filter((f) => f.endsWith('.html'))).toHaveLength(linked.length);
  }, 900_000);
});
