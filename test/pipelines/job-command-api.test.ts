import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutboxSender } from '../../pipelines/commands/database-access.js';
import { isWithin, JobCommandApi } from '../../pipelines/job-api.js';
import { SerialQueue } from '../../sinks/serial-queue.js';
import type { DrainResult } from '../../sinks/alerts/worker.js';

const dir = mkdtempSync(join(tmpdir(), 'pulse-api-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'job.duckdb');

/** The job's delivery, recording what the command asked of it. */
function delivery(result: Partial<DrainResult>): OutboxSender & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    receiverNames: ['hook', 'mail'],
    requeueDead: async (filter) => {
      calls.push(`requeue ${filter.receiver ?? '*'}`);
      return 2;
    },
    drain: async (options) => {
      calls.push(`drain ${options.receiver ?? '*'} ${options.timeoutMs ?? 'default'}`);
      return { sent: 1, failed: 0, dead: 0, muted: 0, delivered: 3, pending: 0, pendingByReceiver: {}, lastErrorByReceiver: {}, timedOut: false, ...result };
    },
    close: async () => void calls.push('close'),
  };
}

function api(outbox?: OutboxSender): JobCommandApi {
  return new JobCommandApi({
    dbPath: db,
    reportsDir: join(dir, 'reports'),
    connect: () => Promise.reject(new Error('no database in this test')),
    queue: new SerialQueue(),
    ...(outbox ? { outbox } : {}),
  });
}

describe("a running job's command API", () => {
  it("pulse outbox send runs with the job's own delivery (no --config needed), which the command does not close", async () => {
    const outbox = delivery({});
    const result = await api(outbox).handle({ argv: ['outbox', 'send', '--db', db, '--receiver', 'hook', '--timeout', '2m'] });
    expect(result).toEqual({ exitCode: 0, stdout: 'requeued 2 dead deliveries\ndelivered 3 deliveries in 1 notification\n', stderr: '' });
    expect(outbox.calls).toEqual(['requeue hook', 'drain hook 120000']);
  });

  it('says what is left and exits 1 when deliveries stay pending; names the receivers for an unknown one', async () => {
    const stuck = await api(
      delivery({
        pending: 6,
        pendingByReceiver: { hook: 4, mail: 2 },
        lastErrorByReceiver: { hook: 'POST http://h answered HTTP 503: refused' },
        timedOut: true,
      }),
    ).handle({ argv: ['outbox', 'send', '--db', db] });
    expect(stuck.exitCode).toBe(1);
    expect(stuck.stdout).toContain(
      'still pending: hook 4, last error: POST http://h answered HTTP 503: refused; mail 2 (see pulse outbox list --status pending)',
    );
    expect(stuck.stderr).toContain('not everything was delivered: 6 pending');
    const unknown = await api(delivery({})).handle({ argv: ['outbox', 'send', '--db', db, '--receiver', 'pager'] });
    expect(unknown).toMatchObject({ exitCode: 2, stderr: "pulse: --receiver pager: no such receiver; the job's receivers are hook, mail\n" });
    const none = await api().handle({ argv: ['outbox', 'send', '--db', db] });
    expect(none).toMatchObject({ exitCode: 2, stderr: 'pulse: this job has no alerting section: there is no receiver to send to\n' });
  });

  it("writes reports only under the job's reports directory, symlinks resolved", async () => {
    symlinkSync(tmpdir(), join(dir, 'escape'));
    expect(isWithin(join(dir, 'reports'), join(dir, 'reports', 'a', 'b'))).toBe(true);
    expect(isWithin(join(dir, 'reports'), join(dir, 'reports'))).toBe(true);
    expect(isWithin(join(dir, 'reports'), join(dir, 'reports-2'))).toBe(false);
    expect(isWithin(join(dir, 'reports'), join(dir, 'reports', '..', 'x'))).toBe(false);
    expect(isWithin(dir, join(dir, 'escape', 'x'))).toBe(false);
    const refused = await api().handle({ argv: ['report', 'kpi', '--db', db, `--out=${join(dir, 'elsewhere')}`] });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`a running job writes reports only under its reports directory ${join(dir, 'reports')}`);
  });
});
