import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiAddressFile } from '../../pipelines/job-api-address.js';
import { CASES, PASSWORD, USERS, writeConsoleFixture } from '../console/fixture.js';
import { Browserless } from '../helpers/browserless.js';
import { query } from '../helpers/duckdb.js';
import { pulseIn } from '../helpers/stdin-job.js';
import { CLI, waitFor } from './kafka-helpers.js';

/** A port free a moment ago (the console takes no port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * SPEC section 2: database commands never fail with a lock error. `pulse console` holds its
 * database as a job does, so it serves the same command API beside its pages; `pulse cases` and
 * `pulse users` run inside it.
 */
describe('commands reach a database that pulse console holds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-console-api-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `pulse console` over a fresh fixture database at `db`, once it serves its pages (its command API comes first). */
  async function consoleOn(db: string): Promise<{ port: number; stop: () => Promise<void> }> {
    await writeConsoleFixture(db);
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'console', '--db', db, '--port', String(port)], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let said = '';
    child.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const stop = async (): Promise<void> => {
      child.kill('SIGTERM');
      await exited;
    };
    await waitFor('the console to serve its pages', async () => said.includes('pulse console: serving'), 60_000).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    return { port, stop };
  }

  it('cases list and update, and users add, passwd, update and remove, run through the console; its address is gone when it stops', async () => {
    const db = join(dir, 'pulse.duckdb');
    const console_ = await consoleOn(db);
    try {
      expect(existsSync(apiAddressFile(db))).toBe(true);
      const list = pulseIn(dir, '', 'cases', 'list', '--db', db, '--json');
      expect(list.stderr).toBe('');
      expect(list.status).toBe(0);
      expect((JSON.parse(list.stdout) as Array<{ case_id: string }>).map((c) => c.case_id)).toContain(CASES.overdue);
      const update = pulseIn(dir, '', 'cases', 'update', CASES.overdue, '--db', db, '--status', 'in_progress', '--note', 'through the console');
      expect(update.status, update.stderr).toBe(0);
      expect(update.stdout).toContain('in_progress');
      const added = pulseIn(dir, 'a long enough password\n', 'users', 'add', 'zoe', '--team', 'billing', '--role', 'member', '--db', db);
      expect(added.status, added.stderr).toBe(0);
      expect(added.stdout).toContain('added member zoe of team billing');
      // The password goes to the console as its hash, as with add; the other changes as typed.
      const passwd = pulseIn(dir, 'another long password\n', 'users', 'passwd', 'zoe', '--db', db);
      expect(passwd.status, passwd.stderr).toBe(0);
      expect(passwd.stdout).toBe('new password for zoe; their console sessions have ended\n');
      const updated = pulseIn(dir, '', 'users', 'update', 'zoe', '--team', 'retention', '--db', db);
      expect(updated.status, updated.stderr).toBe(0);
      expect(updated.stdout).toBe('zoe is now a member of team retention\n');
      const removed = pulseIn(dir, '', 'users', 'remove', 'zoe', '--db', db);
      expect(removed.status, removed.stderr).toBe(0);
      expect(removed.stdout).toBe('removed member zoe of team retention\n');
      const unknown = pulseIn(dir, '', 'users', 'remove', 'zoe', '--db', db);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain("there is no console user 'zoe'");
    } finally {
      await console_.stop();
    }
    expect(existsSync(apiAddressFile(db))).toBe(false);
    // Stopped, the file is free again: the commands open it directly.
    const after = pulseIn(dir, '', 'cases', 'show', CASES.overdue, '--db', db);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toContain('through the console');
  }, 120_000);

  it('pages and commands that change one case at the same moment all land (they take turns on the file)', async () => {
    const db = join(dir, 'turns.duckdb');
    const console_ = await consoleOn(db);
    const notes: string[] = [];
    try {
      const client = new Browserless(`http://127.0.0.1:${console_.port}`);
      const token = Browserless.token(await (await client.request('/login')).text());
      expect((await client.request('/login', { _csrf: token, name: USERS.manager.name, password: PASSWORD })).status).toBe(303);
      const page = Browserless.token(await (await client.request(`/cases/${CASES.overdue}`)).text());
      const statuses = ['acknowledged', 'in_progress', 'waiting_on_customer', 'open'];
      // Rounds of commands (separate processes) adding notes while the manager's page changes the
      // case's status thirty times at once: each a transaction on the same case.
      for (let round = 0; round < 4; round++) {
        const commands = Array.from({ length: 8 }, (_, i) => {
          notes.push(`command note ${round}.${i}`);
          return ran(spawn(process.execPath, [CLI, 'cases', 'update', CASES.overdue, '--db', db, '--note', `command note ${round}.${i}`], { cwd: dir }));
        });
        const posts = Array.from({ length: 30 }, async (_, i) => {
          const status = statuses[i % statuses.length]!;
          notes.push(`${status} ${round}.${i}`);
          const response = await client.request(`/cases/${CASES.overdue}/status`, { _csrf: page, status, note: `${status} ${round}.${i}` });
          return { status: response.status, body: response.status === 303 ? '' : await response.text() };
        });
        for (const command of await Promise.all(commands)) expect(command.code, command.stderr).toBe(0);
        for (const post of await Promise.all(posts)) expect(post.status, post.body).toBe(303);
      }
    } finally {
      await console_.stop();
    }
    const [events] = await query(db, `SELECT note FROM case_events WHERE case_id = '${CASES.overdue}' AND note IS NOT NULL`);
    expect(events!.map((e) => e['note'])).toEqual(expect.arrayContaining(notes));
  }, 240_000);
});

/** How a child process ended, and what it wrote to stderr. */
function ran(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}
