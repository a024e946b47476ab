/**
 * What `pulse users remove|passwd|update` (console/users.ts) do to the sessions of a signed-in
 * user, over HTTP with fastify's inject: a removed user is signed out at their next request, a new
 * password ends all their sessions, a new team or role applies to the session at once.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, hashPassword, removeUser, setPassword, updateUser } from '../../console/users.js';
import { CASES, NOW, PASSWORD, openFixtureConsole, signedIn, type ConsoleSession, type FixtureConsole } from './fixture.js';

let opened: FixtureConsole | undefined;
let app: FastifyInstance;
let passwordHash = '';

const NEW_PASSWORD = 'a brand new password';

/** Adds `name`, a billing member with the fixture password. */
const addMember = (name: string) => addUser(opened!.conn, { name, team: 'billing', role: 'member' }, passwordHash, NOW);

/** Where the home page sends the session: 200 (signed in) or the login page. */
async function homeOf(session: ConsoleSession): Promise<number | string> {
  const home = await session.request('GET', '/');
  return home.statusCode === 200 ? 200 : String(home.headers.location);
}

describe('console sessions after a user is changed', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole('pulse-user-changes-', () => NOW);
    ({ app } = opened);
    passwordHash = await hashPassword(PASSWORD);
  });
  afterAll(() => opened?.close());

  it('a removed user is signed out at their next request, and stays out when the name is added again', async () => {
    await addMember('leo');
    const session = await signedIn(app, 'leo');
    expect(await homeOf(session)).toBe(200);
    await removeUser(opened!.conn, 'leo');
    expect(await homeOf(session)).toBe('/login');
    // Another person given the name later does not inherit the removed one's cookie.
    await addMember('leo');
    expect(await homeOf(session)).toBe('/login');
    expect(await homeOf(await signedIn(app, 'leo'))).toBe(200);
  });

  it('a new password ends every session of the user; the new password signs in, the old one no more', async () => {
    await addMember('noa');
    const first = await signedIn(app, 'noa');
    const second = await signedIn(app, 'noa');
    const bystander = await signedIn(app, 'leo');
    expect([await homeOf(first), await homeOf(second)]).toEqual([200, 200]);
    await setPassword(opened!.conn, 'noa', await hashPassword(NEW_PASSWORD));
    expect([await homeOf(first), await homeOf(second)]).toEqual(['/login', '/login']);
    expect(await homeOf(await signedIn(app, 'noa'))).toBe('/login');
    expect(await homeOf(await signedIn(app, 'noa', NEW_PASSWORD))).toBe(200);
    expect(await homeOf(bystander)).toBe(200);
  });

  it('a new team or role applies to a running session at its next request', async () => {
    await addMember('ivy');
    const session = await signedIn(app, 'ivy');
    expect((await session.request('GET', `/cases/${CASES.overdue}`)).statusCode).toBe(200);
    expect((await session.request('GET', `/cases/${CASES.otherTeam}`)).statusCode).toBe(404);
    await updateUser(opened!.conn, 'ivy', { team: 'retention' });
    expect((await session.request('GET', `/cases/${CASES.overdue}`)).statusCode).toBe(404);
    expect((await session.request('GET', `/cases/${CASES.otherTeam}`)).statusCode).toBe(200);
    await updateUser(opened!.conn, 'ivy', { role: 'manager' });
    expect((await session.request('GET', `/cases/${CASES.overdue}`)).statusCode).toBe(200);
  });
});
