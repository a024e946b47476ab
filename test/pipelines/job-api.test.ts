import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAddressFile, readApiAddress } from '../../pipelines/job-api-address.js';
import { COMMAND_API_PATH } from '../../pipelines/job-api.js';
import { pulseIn, startSampleJob, stopSampleJob, type Ran, type SampleJob } from '../helpers/stdin-job.js';
import { CLI, waitFor } from './kafka-helpers.js';

/**
 * SPEC section 2: while a job runs it owns its DuckDB file; `pulse report` and `pulse cases` then
 * reach the job through its HTTP API on the metrics port and never fail with a bare lock error.
 * The job here reads stdin that stays open, like a live feed; the commands are separate processes.
 */

const pulse = (cwd: string, ...args: string[]): Ran => pulseIn(cwd, '', ...args);

let dir = '';
let job: SampleJob | undefined;
const DB = 'job.duckdb';

describe('commands reach a running job through its HTTP API', () => {
  beforeAll(async () => {
    // The default job on stdin with a metrics port, fed the bundled sample.
    job = await startSampleJob('pulse-api-', DB, ['--reports', 'reports']);
    dir = job.dir;
  }, 240_000);

  afterAll(() => stopSampleJob(job));

  it('the API admits only the pulse command: a token from the 0600 address file, loopback Host, JSON, no Origin', async () => {
    const file = apiAddressFile(join(dir, DB));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const address = readApiAddress(join(dir, DB))!;
    expect(address.token.length).toBeGreaterThanOrEqual(32);
    const port = Number(new URL(address.url).port);
    const body = JSON.stringify({ argv: ['cases', 'list', '--db', join(dir, DB), '--json'] });
    const post = (headers: Record<string, string>): Promise<{ status: number; text: string }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: COMMAND_API_PATH, method: 'POST', headers }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const good = { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${address.token}` };
    const ok = await post(good);
    expect(ok.status, ok.text).toBe(200);
    expect((JSON.parse(ok.text) as { exitCode: number }).exitCode).toBe(0);
    expect(await post({ ...good, Host: `localhost:${port}` })).toMatchObject({ status: 200 });
    // What a web page can send: a "simple" text/plain POST, with its Origin; a rebound DNS name as Host.
    expect(await post({ ...good, 'Content-Type': 'text/plain' })).toMatchObject({ status: 415 });
    expect(await post({ ...good, Origin: 'https://evil.example' })).toMatchObject({ status: 403 });
    expect(await post({ ...good, Origin: 'null' })).toMatchObject({ status: 403 });
    expect(await post({ ...good, Host: `evil.example:${port}` })).toMatchObject({ status: 403 });
    expect(await post({ ...good, Host: `127.0.0.1:${port + 1}` })).toMatchObject({ status: 403 });
    // Without the token (another local user cannot read the file).
    const { Authorization: _token, ...anonymous } = good;
    expect(await post(anonymous)).toMatchObject({ status: 401 });
    expect(await post({ ...good, Authorization: `Bearer ${address.token.slice(1)}x` })).toMatchObject({ status: 401 });
  }, 60_000);

  it('pulse cases and pulse report work while the job holds the file; changes land in its database', async () => {
    expect(existsSync(apiAddressFile(join(dir, DB)))).toBe(true);

    const listed = pulse(dir, 'cases', 'list', '--db', DB, '--json');
    expect(listed.status).toBe(0);
    const seen = JSON.parse(listed.stdout) as Array<{ case_id: string; status: string; customer_id: string }>;
    const target = seen.find((c) => c.status === 'open') ?? seen[0]!;

    const closed = pulse(dir, 'cases', 'close', target.case_id, '--db', DB, '--actor', 'api-test', '--note', 'closed while the job runs', '--json');
    expect(closed.status, closed.stderr).toBe(0);
    expect((JSON.parse(closed.stdout) as { status: string }).status).toBe('closed');

    const report = pulse(dir, 'report', 'customer', '--db', DB, '--out', 'reports/by-hand', '--customer', target.customer_id);
    expect(report.status, report.stderr).toBe(0);
    const [html, markdown] = report.stdout.trim().split('\n');
    expect(html).toMatch(/^\/.*\.html$/); // made absolute by the caller, written by the job
    expect(readFileSync(html!, 'utf8')).toContain('<svg');
    expect(existsSync(markdown!)).toBe(true);
    expect(html!.startsWith(join(dir, 'reports', 'by-hand'))).toBe(true);
    // The job writes reports only under its own reports directory.
    for (const out of ['out', 'reports/../elsewhere', '/tmp']) {
      const refused = pulse(dir, 'report', 'customer', '--db', DB, '--out', out, '--customer', target.customer_id);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(`a running job writes reports only under its reports directory ${join(dir, 'reports')}`);
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);
    // This job has no alerting section: nothing to send with.
    const send = pulse(dir, 'outbox', 'send', '--db', DB);
    expect(send.status).toBe(2);
    expect(send.stderr).toContain('this job has no alerting section');

    // Errors keep their exit codes and messages.
    const unknown = pulse(dir, 'cases', 'show', 'no-such-case', '--db', DB);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no case 'no-such-case'/);
    // Another database is not the job's: opened directly, and one that does not exist is not created.
    const other = pulse(dir, 'cases', 'list', '--db', 'other.duckdb');
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(`the database other.duckdb does not exist (nothing was created)`);
    expect(existsSync(join(dir, 'other.duckdb'))).toBe(false);

    // The job goes on, and what the API changed is in its database after it stops.
    job!.child.stdin!.end();
    expect(await job!.exit, job!.stderr()).toBe(0);
    expect(existsSync(apiAddressFile(join(dir, DB)))).toBe(false);
    const after = pulse(dir, 'cases', 'show', target.case_id, '--db', DB, '--json');
    expect(after.status, after.stderr).toBe(0);
    const detail = JSON.parse(after.stdout) as { case: { status: string }; events: Array<{ actor: string; action: string; note: string | null }> };
    expect(detail.case.status).toBe('closed');
    expect(detail.events).toContainEqual(expect.objectContaining({ actor: 'api-test', action: 'close', note: 'closed while the job runs' }));
    const final = JSON.parse(pulse(dir, 'cases', 'list', '--db', DB, '--json').stdout) as Array<{ case_id: string }>;
    const finalIds = new Set(final.map((c) => c.case_id));
    for (const c of seen) expect(finalIds.has(c.case_id)).toBe(true);
  }, 240_000);

  it('a job without a metrics port: the command says how to reach it instead of a bare lock error', async () => {
    const quiet = spawn(
      process.execPath,
      [CLI, 'run', '--config', join(process.cwd(), 'pipelines/customer-analytics.yaml'), '--input', '-', '--db', 'quiet.duckdb'],
      {
        cwd: dir,
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    try {
      await waitFor('the job to hold its file', async () => existsSync(join(dir, 'quiet.duckdb')), 60_000);
      let ran: Ran | undefined;
      await waitFor(
        'the lock to be reported',
        async () => {
          ran = pulse(dir, 'cases', 'list', '--db', 'quiet.duckdb');
          return ran.status === 1;
        },
        60_000,
      );
      expect(ran!.stderr).toMatch(/in use by another process/);
      expect(ran!.stderr).toMatch(/--metrics-port/);
      expect(ran!.stderr).not.toMatch(/Could not set lock|IO Error/);
    } finally {
      quiet.kill('SIGKILL');
    }
  }, 120_000);
});
