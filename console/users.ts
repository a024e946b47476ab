/**
 * People who sign in to the console: a name, one team, a role, and an argon2id hash of their
 * password (@node-rs/argon2, its default parameters: 19 MiB, 2 passes, as OWASP recommends).
 * Stored in `console_users` of the job's database (sinks/duckdb/schema.ts); `pulse users`
 * adds, changes and removes them, the console's login checks them.
 */
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../operators/errors.js';
import { createOrUpgradeTables } from '../sinks/duckdb/migrate.js';
import { STATE_TABLES_DDL } from '../sinks/duckdb/schema.js';

/** A member works their team's cases; a manager also closes them and may look at every team. */
export const ROLES = ['manager', 'member'] as const;
export type Role = (typeof ROLES)[number];

export interface ConsoleUser {
  name: string;
  team: string;
  role: Role;
}

/** Shortest password `pulse users add` accepts. */
export const MIN_PASSWORD_LENGTH = 10;
const NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
/** One plain address (no display name, no list): nothing a mail header could be split on. */
const EMAIL_PATTERN = /^[^\s@<>,;:"()[\]\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

const USERS_DDL = STATE_TABLES_DDL.filter((ddl) => ddl.includes('TABLE IF NOT EXISTS console_users ('));

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** argon2, loaded with the first password: the alert delivery imports this module for team e-mails in every job. */
const argon2 = (): Promise<typeof import('@node-rs/argon2')> => import('@node-rs/argon2');

/** The argon2id hash of a password, checked for length first. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return (await argon2()).hash(password);
}

/** What `pulse users update` may change; absent fields stay as they are. */
export interface UserChanges {
  team?: string;
  role?: Role;
  email?: string;
}

/** Refuses a team, role or address that `add` and `update` would store. */
function checkChanges(changes: UserChanges): void {
  if (changes.team !== undefined && changes.team.trim() === '') throw new UsageError('--team must not be empty');
  if (changes.role !== undefined && !isRole(changes.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}; got '${String(changes.role)}'`);
  if (changes.email !== undefined && !EMAIL_PATTERN.test(changes.email)) {
    throw new UsageError(`--email '${changes.email}' is not a plain e-mail address (name@example.com)`);
  }
}

function checkPasswordHash(passwordHash: string): void {
  if (!passwordHash.startsWith('$argon2')) throw new UsageError('--password-hash must be an argon2 hash');
}

/**
 * A fresh key for a user's sessions: random, so that a user removed and added again under the
 * same name does not take the removed one's sessions back.
 */
function newSessionKey(): string {
  return randomBytes(12).toString('base64url');
}

/** Adds a user; a name that exists is refused (nothing is overwritten). `email`: where case notices go. */
export async function addUser(conn: DuckDBConnection, user: ConsoleUser, passwordHash: string, now: number, email?: string): Promise<void> {
  if (!NAME_PATTERN.test(user.name)) {
    throw new UsageError(`user name '${user.name}' must be 1-64 letters, digits or . _ @ -`);
  }
  checkChanges({ team: user.team, role: user.role, ...(email === undefined ? {} : { email }) });
  checkPasswordHash(passwordHash);
  await createOrUpgradeTables(conn, USERS_DDL);
  if ((await findUser(conn, user.name)) !== undefined) {
    throw new UsageError(`user '${user.name}' exists already`);
  }
  await conn.run(
    `INSERT INTO console_users (name, team, role, password_hash, created_at, email, session_key)
     VALUES ($name, $team, $role, $hash, make_timestamptz(CAST($now AS BIGINT) * 1000), $email, $key)`,
    { name: user.name, team: user.team, role: user.role, hash: passwordHash, now, email: email ?? null, key: newSessionKey() },
  );
}

/** The user named `name`; an unknown name is refused with where to see the names. */
async function requireUser(conn: DuckDBConnection, name: string): Promise<ConsoleUser> {
  await createOrUpgradeTables(conn, USERS_DDL);
  const user = await findUser(conn, name);
  if (user === undefined) throw new UsageError(`there is no console user '${name}' (pulse users list --db FILE shows the users)`);
  return user;
}

/** Removes a user: their sessions end at their next request (the console finds no such user). */
export async function removeUser(conn: DuckDBConnection, name: string): Promise<ConsoleUser> {
  const user = await requireUser(conn, name);
  await conn.run('DELETE FROM console_users WHERE name = $name', { name });
  return user;
}

/** Gives a user a new password and a new session key: every session they had ends. */
export async function setPassword(conn: DuckDBConnection, name: string, passwordHash: string): Promise<void> {
  checkPasswordHash(passwordHash);
  await requireUser(conn, name);
  await conn.run('UPDATE console_users SET password_hash = $hash, session_key = $key WHERE name = $name', {
    name,
    hash: passwordHash,
    key: newSessionKey(),
  });
}

/**
 * Changes a user's team, role or address; their sessions go on and use the new team and role from
 * their next request (the console reads them on every request). Returns the user as changed.
 */
export async function updateUser(conn: DuckDBConnection, name: string, changes: UserChanges): Promise<ConsoleUser> {
  if (changes.team === undefined && changes.role === undefined && changes.email === undefined) {
    throw new UsageError('give what to change: --team, --role or --email');
  }
  checkChanges(changes);
  const user = await requireUser(conn, name);
  await conn.run(`UPDATE console_users SET team = coalesce($team, team), role = coalesce($role, role), email = coalesce($email, email) WHERE name = $name`, {
    name,
    team: changes.team ?? null,
    role: changes.role ?? null,
    email: changes.email ?? null,
  });
  return { ...user, ...(changes.team === undefined ? {} : { team: changes.team }), ...(changes.role === undefined ? {} : { role: changes.role }) };
}

/** Users with their e-mail address when they have one (`pulse users list`). */
export async function listUsers(conn: DuckDBConnection): Promise<Array<ConsoleUser & { email?: string }>> {
  await createOrUpgradeTables(conn, USERS_DDL);
  const reader = await conn.runAndReadAll('SELECT name, team, role, email FROM console_users ORDER BY team, name');
  return reader.getRowObjectsJS().map((row) => (row['email'] === null ? toUser(row) : { ...toUser(row), email: String(row['email']) }));
}

/**
 * The addresses of the members (any role) of `teams`, each once: where a case's notices go. A
 * database without users, or users without addresses, gives none.
 */
export async function teamMemberEmails(conn: DuckDBConnection, teams: readonly string[]): Promise<string[]> {
  if (teams.length === 0) return [];
  await createOrUpgradeTables(conn, USERS_DDL);
  const reader = await conn.runAndReadAll(
    `SELECT DISTINCT email FROM console_users WHERE email IS NOT NULL AND list_contains(string_split($teams, chr(1)), team) ORDER BY email`,
    { teams: teams.join('\u0001') },
  );
  return reader.getRowsJS().map(([email]) => String(email));
}

export async function findUser(conn: DuckDBConnection, name: string): Promise<ConsoleUser | undefined> {
  const reader = await conn.runAndReadAll('SELECT name, team, role FROM console_users WHERE name = $name', { name });
  const row = reader.getRowObjectsJS()[0];
  return row === undefined ? undefined : toUser(row);
}

/** A user who signed in, and the key their session carries (session.ts). */
export interface SignedInUser extends ConsoleUser {
  sessionKey: string;
}

// A user stored before session keys existed has none: their sessions carry the empty key.
const SESSION_KEY_COLUMN = "coalesce(session_key, '') AS session_key";

/** The user of a session, when they still exist and their session key is still `sessionKey`. */
export async function findSessionUser(conn: DuckDBConnection, name: string, sessionKey: string): Promise<ConsoleUser | undefined> {
  const reader = await conn.runAndReadAll(`SELECT name, team, role, ${SESSION_KEY_COLUMN} FROM console_users WHERE name = $name`, { name });
  const row = reader.getRowObjectsJS()[0];
  return row === undefined || row['session_key'] !== sessionKey ? undefined : toUser(row);
}

// Verified against when the name is unknown, so a wrong name costs the same time as a wrong password.
let decoyHash: Promise<string> | undefined;

/** The user when `password` is theirs, else undefined (unknown name or wrong password alike). */
export async function checkLogin(conn: DuckDBConnection, name: string, password: string): Promise<SignedInUser | undefined> {
  const reader = await conn.runAndReadAll(`SELECT name, team, role, password_hash, ${SESSION_KEY_COLUMN} FROM console_users WHERE name = $name`, {
    name,
  });
  const row = reader.getRowObjectsJS()[0];
  const { hash, verify } = await argon2();
  if (row === undefined) {
    decoyHash ??= hash('decoy password, never stored');
    await verify(await decoyHash, password);
    return undefined;
  }
  return (await verify(String(row['password_hash']), password)) ? { ...toUser(row), sessionKey: String(row['session_key']) } : undefined;
}

function toUser(row: Record<string, unknown>): ConsoleUser {
  const role = String(row['role']);
  return { name: String(row['name']), team: String(row['team']), role: isRole(role) ? role : 'member' };
}
