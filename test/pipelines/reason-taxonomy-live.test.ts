import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Browserless } from '../helpers/browserless.js';
import { REASONS_V1, contactLines, jobReasonTables, reasonOracle, reasonsByVersion } from '../helpers/reason-oracle.js';
import { pulseIn, startStdinJob, type StdinJob } from '../helpers/stdin-job.js';
import { waitFor } from './kafka-helpers.js';
import { freePort } from '../../bench/free-port.js';

/**
 * Issue 15 item 3 on a live job: `pulse run --input -` (two worker threads) maps contact reasons
 * by version 1 (`pulse reasons import`); a manager renames a reason and merges another into it on
 * the reasons page of the job's console (versions 2 and 3); the job takes them up without a
 * restart (the gauge `pulse_reason_taxonomy_version` says when), and the contacts sent after count
 * under the merged reason while the rows of the earlier ones keep version 1. Checked against
 * DuckDB SQL (test/helpers/reason-oracle.ts).
 */
const PER_PART = 40;
const HOUR = 3_600_000;

let dir = '';
let job: StdinJob | undefined;

afterEach(() => {
  if (job && job.child.exitCode === null && job.child.signalCode === null) job.child.kill('SIGKILL');
});

describe('a reason list changed on the console while the job runs on stdin', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-taxonomy-live-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is used for the contacts after the change, without a restart; earlier rows keep their version', async () => {
    const db = join(dir, 'job.duckdb');
    (await DuckDBInstance.create(db)).closeSync();
    writeFileSync(join(dir, 'v1.yaml'), REASONS_V1);
    writeFileSync(
      join(dir, 'job.yaml'),
      `name: live-reasons
source: files
sources:
  files: { type: files, paths: [unused], batch_size: 4096 }
workers: 2
operators:
  - type: contact_kpis
    window_sizes: [1h]
checkpoint: { interval: 300ms }
`,
    );
    expect(pulseIn(dir, '', 'reasons', 'import', '--file', 'v1.yaml', '--db', db).status).toBe(0);
    // Ten days apart (more than the FCR look-ahead), both in the past.
    const start = Math.floor(Date.now() / HOUR) * HOUR;
    const parts = [contactLines(0, start - 12 * 24 * HOUR, PER_PART), contactLines(1, start - 2 * 24 * HOUR, PER_PART)];
    writeFileSync(join(dir, 'all.ndjson'), `${parts.flat().join('\n')}\n`);

    const port = await freePort();
    const consolePort = await freePort();
    const args = ['--config', 'job.yaml', '--db', db, '--metrics-port', String(port), '--console-port', String(consolePort)];
    job = startStdinJob(dir, args, Buffer.from(`${parts[0]!.join('\n')}\n`));
    const running = job;
    const metricsShow = (what: string, ...lines: string[]) =>
      waitFor(
        what,
        async () => {
          if (running.child.exitCode !== null) throw new Error(`the job exited early (${running.child.exitCode}): ${running.stderr()}`);
          const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
            (r) => r.text(),
            () => '',
          );
          return lines.every((line) => text.split('\n').includes(line));
        },
        120_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; job stderr: ${running.stderr().slice(-2000)}`);
      });
    await metricsShow(
      'the first part checkpointed under version 1',
      `pulse_events_ingested_total{type="contact"} ${PER_PART}`,
      'pulse_reason_taxonomy_version 1',
    );

    // A manager (added through the job's API) renames billing_dispute, then merges cancel into it.
    expect(pulseIn(dir, 'manager password 1\n', 'users', 'add', 'mia', '--team', 'billing', '--role', 'manager', '--db', db).status).toBe(0);
    const manager = new Browserless(`http://127.0.0.1:${consolePort}`);
    const login = await manager.request('/login');
    expect((await manager.request('/login', { _csrf: Browserless.token(await login.text()), name: 'mia', password: 'manager password 1' })).status).toBe(303);
    const changes: Array<Record<string, string>> = [
      { op: 'rename', code: 'billing_dispute', label: 'Billing problem' },
      { op: 'merge', code: 'cancel', into: 'billing_dispute' },
    ];
    for (const change of changes) {
      const page = await manager.request('/reasons');
      const saved = await manager.request('/reasons', { _csrf: Browserless.token(await page.text()), ...change });
      expect(saved.status, await saved.text()).toBe(303);
    }
    expect(pulseIn(dir, '', 'reasons', 'versions', '--db', db).stdout).toMatch(
      /^3\t\S+\tmia\tmerged cancel into billing_dispute\n2\t\S+\tmia\trenamed billing_dispute/,
    );
    await metricsShow('the running job to take version 3 up', 'pulse_reason_taxonomy_version 3');
    // The page lists the codes the job found unknown (XYZ on every channel, BILL01 off voice).
    const listed = await (await manager.request('/reasons')).text();
    expect(listed).toContain('<td data-label="Code" class="code">XYZ</td>');

    running.child.stdin!.write(`${parts[1]!.join('\n')}\n`);
    await metricsShow('the second part checkpointed', `pulse_events_ingested_total{type="contact"} ${2 * PER_PART}`);
    running.child.kill('SIGTERM');
    expect(await running.exit, running.stderr()).toBe(0);

    const expected = await reasonOracle(join(dir, 'all.ndjson'), [
      { list: 1, version: 1 },
      { list: 2, version: 3 },
    ]);
    const got = await jobReasonTables(db);
    expect(got.volumes).toEqual(expected.volumes);
    expect(got.kpis).toEqual(expected.kpis);
    expect(got.unknown).toEqual(expected.unknown);
    expect(got.versions).toEqual(reasonsByVersion(1, 3));
  }, 300_000);
});
