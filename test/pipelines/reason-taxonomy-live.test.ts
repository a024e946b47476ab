import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REASONS_BY_VERSION, REASONS_V1, REASONS_V2, contactLines, jobReasonTables, reasonOracle } from '../helpers/reason-oracle.js';
import { pulseIn, startStdinJob, type StdinJob } from '../helpers/stdin-job.js';
import { freePort, waitFor } from './kafka-helpers.js';

/**
 * Issue 15 item 3 on a live job: `pulse run --input -` (two worker threads) maps contact reasons
 * by version 1; a manager imports version 2 (a rename and a merge) with `pulse reasons import`,
 * which reaches the running job through its API; the job takes it up without a restart (the
 * gauge `pulse_reason_taxonomy_version` says when), and the contacts sent after count under the
 * merged reason while the rows of the earlier ones keep version 1. Checked against DuckDB SQL.
 */
const PER_PART = 40;
const HOUR = 3_600_000;

let dir = '';
let job: StdinJob | undefined;

afterEach(() => {
  if (job && job.child.exitCode === null && job.child.signalCode === null) job.child.kill('SIGKILL');
});

describe('a reason list imported while the job runs on stdin', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-taxonomy-live-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is used for the contacts after it, without a restart; earlier rows keep their version', async () => {
    const db = join(dir, 'job.duckdb');
    (await DuckDBInstance.create(db)).closeSync();
    writeFileSync(join(dir, 'v1.yaml'), REASONS_V1);
    writeFileSync(join(dir, 'v2.yaml'), REASONS_V2);
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
    job = startStdinJob(dir, ['--config', 'job.yaml', '--db', db, '--metrics-port', String(port)], Buffer.from(`${parts[0]!.join('\n')}\n`));
    const running = job;
    const metricsShow = (what: string, ...lines: string[]) =>
      waitFor(
        what,
        async () => {
          if (running.child.exitCode !== null) throw new Error(`the job exited early (${running.child.exitCode}): ${running.stderr()}`);
          const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
          return lines.every((line) => text.split('\n').includes(line));
        },
        120_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; job stderr: ${running.stderr().slice(-2000)}`);
      });
    await metricsShow('the first part checkpointed under version 1', `pulse_events_ingested_total{type="contact"} ${PER_PART}`, 'pulse_reason_taxonomy_version 1');

    const imported = pulseIn(dir, '', 'reasons', 'import', '--file', 'v2.yaml', '--db', db, '--comment', 'merge cancel');
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toBe('saved reason list version 2 (2 reasons)\n');
    await metricsShow('the running job to take version 2 up', 'pulse_reason_taxonomy_version 2');

    running.child.stdin!.write(`${parts[1]!.join('\n')}\n`);
    await metricsShow('the second part checkpointed', `pulse_events_ingested_total{type="contact"} ${2 * PER_PART}`);
    running.child.kill('SIGTERM');
    expect(await running.exit, running.stderr()).toBe(0);

    const expected = await reasonOracle(join(dir, 'all.ndjson'), [1, 2]);
    const got = await jobReasonTables(db);
    expect(got.volumes).toEqual(expected.volumes);
    expect(got.kpis).toEqual(expected.kpis);
    expect(got.unknown).toEqual(expected.unknown);
    expect(got.versions).toEqual(REASONS_BY_VERSION);
  }, 300_000);
});
