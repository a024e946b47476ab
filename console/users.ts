/**
 * People who sign in to the console: a name, one team, a role, and an argon2id hash of their
 * password (@node-rs/argon2, its default parameters: 19 MiB, 2 passes, as OWASP recommends).
 * Stored in `console_users` of the job's database (sinks/duckdb/schema.ts); `pulse users add`
 * creates them, the console's login checks them.
 */
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

/** Adds a user; a name that exists is refused (nothing is overwritten). `email`: where case notices go. */
export async function addUser(conn: DuckDBConnection, user: ConsoleUser, passwordHash: string, now: number, email?: string): Promise<void> {
  if (!NAME_PATTERN.test(user.name)) {
    throw new UsageError(`user name '${user.name}' must be 1-64 letters, digits or . _ @ -`);
  }
  if (user.team.trim() === '') throw new UsageError('--team must not be empty');
  if (!isRole(user.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}; got '${String(user.role)}'`);
  if (!passwordHash.startsWith('$argon2')) throw new UsageError('--password-hash must be an argon2 hash');
  if (email !== undefined && !EMAIL_PATTERN.test(email)) throw new UsageError(`--email '${email}' is not a plain e-mail address (name@example.com)`);
  await createOrUpgradeTables(conn, USERS_DDL);
  if ((await findUser(conn, user.name)) !== undefined) {
    throw new UsageError(`user '${user.name}' exists already`);
  }
  await conn.run(
    `INSERT INTO console_users (name, team, role, password_hash, created_at, email)
     VALUES ($name, $team, $role, $hash, make_timestamptz(CAST($now AS BIGINT) * 1000), $email)`,
    { name: user.name, team: user.team, role: user.role, hash: passwordHash, now, email: email ?? null },
  );
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

// Verified against when the name is unknown, so a wrong name costs the same time as a wrong password.
let decoyHash: Promise<string> | undefined;

/** The user when `password` is theirs, else undefined (unknown name or wrong password alike). */
export async function checkLogin(conn: DuckDBConnection, name: string, password: string): Promise<ConsoleUser | undefined> {
  const reader = await conn.runAndReadAll('SELECT name, team, role, password_hash FROM console_users WHERE name = $name', { name });
  const row = reader.getRowObjectsJS()[0];
  const { hash, verify } = await argon2();
  if (row === undefined) {
    decoyHash ??= hash('decoy password, never stored');
    await verify(await decoyHash, password);
    return undefined;
  }
  return (await verify(String(row['password_hash']), password)) ? toUser(row) : undefined;
}

function toUser(row: Record<string, unknown>): ConsoleUser {
  const role = String(row['role']);
  return { name: String(row['name']), team: String(row['team']), role: isRole(role) ? role : 'member' };
}
