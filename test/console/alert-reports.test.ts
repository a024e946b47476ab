/**
 * An alert's report through the console, whatever directory the console runs in: the job stores
 * the path as it wrote it, relative to where it ran.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, PASSWORD, USERS, openFixtureConsole, type FixtureConsole } from './fixture.js';

const reportsDir = mkdtempSync(join(tmpdir(), 'pulse-console-reports-'));
let opened: FixtureConsole | undefined;

type Jar = Map<string, string>;
const header = (jar: Jar): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const tokenOf = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)![1]!;

async function request(method: 'GET' | 'POST', url: string, jar: Jar, fields?: Record<string, string>) {
  const response = await opened!.app.inject({
    method,
    url,
    headers: { cookie: header(jar), ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(fields ? { payload: new URLSearchParams(fields).toString() } : {}),
  });
  for (const c of response.cookies) jar.set(c.name, c.value);
  return response;
}

describe("an alert's report in the console", () => {
  beforeAll(async () => {
    writeFileSync(join(reportsDir, 'kpi-abandon_rate-billing-voice-1d.html'), '<html><body>the KPI report</body></html>');
    opened = await openFixtureConsole(
      'pulse-console-reports-db-',
      () => NOW,
      async (conn) => {
        // As a job started in another directory with `--reports reports` stored them.
        await conn.run(`INSERT INTO pulse_report_requests VALUES
          ('alert-2', 'firing', 'kpi', 'reports/kpi-abandon_rate-billing-voice-1d.html', 1, 'done', 1, now(), now(), NULL),
          ('alert-1', 'firing', 'kpi', 'reports/../../etc/passwd', 2, 'done', 1, now(), now(), NULL)`);
      },
      reportsDir,
    );
  });
  afterAll(async () => {
    await opened?.close();
    rmSync(reportsDir, { recursive: true, force: true });
  });

  it("is served from the console's reports directory by its file name, never from outside it", async () => {
    const jar: Jar = new Map();
    const login = await request('GET', '/login', jar);
    await request('POST', '/login', jar, { _csrf: tokenOf(login.body), name: USERS.manager.name, password: PASSWORD });
    const report = await request('GET', '/alerts/alert-2/report', jar);
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('the KPI report');
    expect((await request('GET', '/alerts/alert-1/report', jar)).statusCode).toBe(404);
  });
});
