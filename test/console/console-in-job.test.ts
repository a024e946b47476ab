/**
 * The console served by a running job (`--console-port`): a user added with `pulse users add`
 * while the job holds the database (the command reaches the job through its API with the
 * password's hash), signs in over HTTP and adds a note that lands in the job's audit trail; the
 * stored alerts link to their console pages under `console.base_url`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserless } from '../helpers/browserless.js';
import { query } from '../helpers/duckdb.js';
import { pulseIn as pulse, startSampleJob, stopSampleJob, type SampleJob } from '../helpers/stdin-job.js';
import { freePort } from '../../bench/free-port.js';

const BASE_URL = 'https://pulse.example.com/console';
const PASSWORD = 'lead password 123';

let dir = '';
let job: SampleJob | undefined;
let consolePort = 0;
const DB = 'job.duckdb';

describe('the console of a running job', () => {
  beforeAll(async () => {
    const config = `${readFileSync(join(process.cwd(), 'pipelines/customer-analytics.yaml'), 'utf8')}\nconsole:\n  base_url: ${BASE_URL}/\n`;
    consolePort = await freePort();
    job = await startSampleJob('pulse-console-job-', DB, ['--console-port', String(consolePort), '--reports', 'reports'], config);
    dir = job.dir;
  }, 240_000);

  afterAll(() => stopSampleJob(job));

  it('a user added while the job runs signs in, sees the team’s cases and adds a note as themself', async () => {
    const cases = JSON.parse(pulse(dir, '', 'cases', 'list', '--db', DB, '--json').stdout) as Array<{ case_id: string; team: string; status: string }>;
    const target = cases.find((c) => c.status === 'open') ?? cases[0]!;
    const added = pulse(dir, `${PASSWORD}\n`, 'users', 'add', 'lead', '--team', target.team, '--role', 'manager', '--db', DB);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toBe(`added manager lead of team ${target.team}\n`);

    const client = new Browserless(`http://127.0.0.1:${consolePort}`);
    const login = await client.request('/login');
    const token = Browserless.token(await login.text());
    const wrong = await client.request('/login', { _csrf: token, name: 'lead', password: 'not it at all' });
    expect(wrong.status).toBe(401);
    const signedIn = await client.request('/login', { _csrf: token, name: 'lead', password: PASSWORD });
    expect(signedIn.status).toBe(303);
    const home = await client.request('/');
    expect(home.status).toBe(200);
    const page = await client.request(`/cases/${encodeURIComponent(target.case_id)}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    const noted = await client.request(`/cases/${encodeURIComponent(target.case_id)}/note`, { _csrf: Browserless.token(html), note: 'called the customer' });
    expect(noted.status).toBe(303);

    const shown = pulse(dir, '', 'cases', 'show', target.case_id, '--db', DB, '--json');
    expect(shown.status, shown.stderr).toBe(0);
    const events = (JSON.parse(shown.stdout) as { events: Array<{ actor: string; note: string | null }> }).events;
    // The job's own escalations may land in the trail too, before or after the note.
    expect(events).toContainEqual(expect.objectContaining({ actor: 'lead', action: 'update', note: 'called the customer' }));
  }, 120_000);

  it('stored alerts link to their console pages under console.base_url', async () => {
    job!.child.stdin!.end();
    expect(await job!.exit, job!.stderr()).toBe(0);
    const [alerts] = await query(
      join(dir, DB),
      `SELECT alert_id, json_extract_string(labels, '$.case_id') AS case_id, json_extract_string(annotations, '$.console_url') AS url FROM alerts`,
    );
    expect(alerts!.length).toBeGreaterThan(0);
    for (const a of alerts!) {
      const expected =
        a['case_id'] === null
          ? `${BASE_URL}/alerts?alert=${encodeURIComponent(String(a['alert_id']))}`
          : `${BASE_URL}/cases/${encodeURIComponent(String(a['case_id']))}`;
      expect(a['url']).toBe(expected);
    }
    const [users] = await query(join(dir, DB), `SELECT name, role FROM console_users`);
    expect(users).toEqual([{ name: 'lead', role: 'manager' }]);
  }, 120_000);
});
