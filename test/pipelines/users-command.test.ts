import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { pulseIn } from '../helpers/stdin-job.js';

/** `pulse ARGS` with `input` on stdin (the password). */
const pulse = (input: string, ...args: string[]) => pulseIn(process.cwd(), input, ...args);

let dir = '';
let db = '';

describe('pulse users', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-users-'));
    db = join(dir, 'job.duckdb');
    (await DuckDBInstance.create(db)).closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds a user with the password from stdin, stored as an argon2id hash, never in clear', async () => {
    const added = pulse('correct horse battery\n', 'users', 'add', 'alice', '--team', 'billing', '--role', 'member', '--db', db);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toBe('added member alice of team billing\n');
    const [rows] = await query(db, 'SELECT name, team, role, password_hash FROM console_users');
    expect(rows).toHaveLength(1);
    expect(rows![0]).toMatchObject({ name: 'alice', team: 'billing', role: 'member' });
    const hash = String(rows![0]!['password_hash']);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    expect(hash).not.toContain('horse');
    const listed = pulse('', 'users', 'list', '--db', db, '--json');
    expect(JSON.parse(listed.stdout)).toEqual([{ name: 'alice', team: 'billing', role: 'member' }]);
  }, 120_000);

  it('refuses a short password, an existing name, an unknown role and a hostile name, with exit code 2', () => {
    const short = pulse('short\n', 'users', 'add', 'bob', '--team', 'billing', '--role', 'manager', '--db', db);
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('at least 10 characters');
    const twice = pulse('another long password\n', 'users', 'add', 'alice', '--team', 'billing', '--role', 'manager', '--db', db);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain("user 'alice' exists already");
    const role = pulse('another long password\n', 'users', 'add', 'carol', '--team', 'billing', '--role', 'admin', '--db', db);
    expect(role.status).toBe(2);
    expect(role.stderr).toContain('Allowed choices are manager, member');
    const hostile = pulse('another long password\n', 'users', 'add', '<b>x</b>', '--team', 'billing', '--role', 'member', '--db', db);
    expect(hostile.status).toBe(2);
    expect(hostile.stderr).toContain('must be 1-64 letters');
  }, 120_000);

  it('--email gives a user an address for case notices; one a mail header could be split on is refused', async () => {
    const added = pulse(
      'a long enough password\n',
      'users',
      'add',
      'dora',
      '--team',
      'retention',
      '--role',
      'member',
      '--email',
      'dora@example.test',
      '--db',
      db,
    );
    expect(added.status, added.stderr).toBe(0);
    const bad = pulse(
      'a long enough password\n',
      'users',
      'add',
      'ed',
      '--team',
      'retention',
      '--role',
      'member',
      '--email',
      'ed@example.test, x@evil.test',
      '--db',
      db,
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('is not a plain e-mail address');
    expect(pulse('', 'users', 'list', '--db', db).stdout).toBe('alice\tbilling\tmember\ndora\tretention\tmember\tdora@example.test\n');
    const [rows] = await query(db, `SELECT name, email FROM console_users ORDER BY name`);
    expect(rows).toEqual([
      { name: 'alice', email: null },
      { name: 'dora', email: 'dora@example.test' },
    ]);
  }, 120_000);

  it('passwd gives a user a new hash from stdin; update changes team, role and address; remove deletes the user', async () => {
    const hashOf = async (name: string) => String((await query(db, `SELECT password_hash FROM console_users WHERE name = '${name}'`))[0]![0]!['password_hash']);
    const before = await hashOf('alice');
    const passwd = pulse('a different long password\n', 'users', 'passwd', 'alice', '--db', db);
    expect(passwd.status, passwd.stderr).toBe(0);
    expect(passwd.stdout).toBe('new password for alice; their console sessions have ended\n');
    const after = await hashOf('alice');
    expect(after).toMatch(/^\$argon2id\$/);
    expect(after).not.toBe(before);
    const updated = pulse('', 'users', 'update', 'alice', '--team', 'retention', '--role', 'manager', '--email', 'alice@example.test', '--db', db);
    expect(updated.status, updated.stderr).toBe(0);
    expect(updated.stdout).toBe('alice is now a manager of team retention\n');
    const teamOnly = pulse('', 'users', 'update', 'dora', '--team', 'billing', '--db', db);
    expect(teamOnly.stdout).toBe('dora is now a member of team billing\n');
    expect(pulse('', 'users', 'list', '--db', db).stdout).toBe('dora\tbilling\tmember\tdora@example.test\nalice\tretention\tmanager\talice@example.test\n');
    const removed = pulse('', 'users', 'remove', 'dora', '--db', db);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('removed member dora of team billing\n');
    expect(pulse('', 'users', 'list', '--db', db).stdout).toBe('alice\tretention\tmanager\talice@example.test\n');
  }, 120_000);

  it('refuses an unknown user (naming it and where to see the users), an update without a change and a short new password, with exit code 2', async () => {
    const listed = pulse('', 'users', 'list', '--db', db).stdout;
    for (const args of [
      ['remove', 'ghost'],
      ['update', 'ghost', '--role', 'member'],
    ]) {
      const refused = pulse('', 'users', ...args, '--db', db);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain("there is no console user 'ghost' (pulse users list --db FILE shows the users)");
    }
    const passwd = pulse('a long enough password\n', 'users', 'passwd', 'ghost', '--db', db);
    expect(passwd.status).toBe(2);
    expect(passwd.stderr).toContain("there is no console user 'ghost'");
    const nothing = pulse('', 'users', 'update', 'alice', '--db', db);
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toContain('give what to change: --team, --role or --email');
    const short = pulse('short\n', 'users', 'passwd', 'alice', '--db', db);
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('at least 10 characters');
    expect(pulse('', 'users', 'list', '--db', db).stdout).toBe(listed);
  }, 120_000);
});
