/**
 * An alert's report through the console, whatever directory the console runs in: the job stores
 * the path as it wrote it, relative to where it ran.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, USERS, openFixtureConsole, signedIn, type FixtureConsole } from './fixture.js';

const reportsDir = mkdtempSync(join(tmpdir(), 'pulse-console-reports-'));
let opened: FixtureConsole | undefined;

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
    const { request } = await signedIn(opened!.app, USERS.manager.name);
    const report = await request('GET', '/alerts/alert-2/report');
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('the KPI report');
    expect((await request('GET', '/alerts/alert-1/report')).statusCode).toBe(404);
  });
});
