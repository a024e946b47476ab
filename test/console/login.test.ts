/**
 * Sign-in over HTTP (fastify's inject, no browser): the session cookie is signed and expires,
 * guessing a password is limited per address and name, and the pages send their security headers.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_ATTEMPTS } from '../../console/pages/login.js';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../../console/session.js';
import { NOW, PASSWORD, USERS, openFixtureConsole, type FixtureConsole } from './fixture.js';

let opened: FixtureConsole | undefined;
let app: FastifyInstance;
let clock = NOW;

type Jar = Map<string, string>;
const header = (jar: Jar): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

async function get(path: string, jar: Jar) {
  const response = await app.inject({ method: 'GET', url: path, headers: { cookie: header(jar) } });
  for (const c of response.cookies) jar.set(c.name, c.value);
  return response;
}

async function postLogin(jar: Jar, name: string, password: string) {
  const page = await get('/login', jar);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const response = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: header(jar), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, name, password }).toString(),
  });
  for (const c of response.cookies) jar.set(c.name, c.value);
  return response;
}

describe('console sign-in', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole('pulse-login-', () => clock);
    ({ app } = opened);
  });
  afterAll(() => opened?.close());

  it('a session lasts its time; a tampered or expired cookie asks for a login again', async () => {
    const jar: Jar = new Map();
    expect((await postLogin(jar, USERS.member.name, PASSWORD)).statusCode).toBe(303);
    const home = await get('/', jar);
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-security-policy']).toContain("default-src 'none'");
    expect(home.headers['x-content-type-options']).toBe('nosniff');
    const cookie = jar.get(SESSION_COOKIE)!;
    // Another user's name in the same signed value: the signature no longer matches.
    const forged = new Map(jar).set(SESSION_COOKIE, cookie.replace(USERS.member.name, USERS.manager.name));
    expect((await get('/', forged)).headers.location).toBe('/login');
    clock = NOW + SESSION_TTL_MS + 1;
    try {
      expect((await get('/', jar)).headers.location).toBe('/login');
    } finally {
      clock = NOW;
    }
  });

  it('a filter repeated in a hand-edited link takes its last value, on every page that filters', async () => {
    const jar: Jar = new Map();
    expect((await postLogin(jar, USERS.manager.name, PASSWORD)).statusCode).toBe(303);
    // The default parser made each repeated key an array, which the queries refused: a 500.
    for (const path of ['/?team=a&team=b&status=open&status=closed', '/alerts?kind=sales&kind=service&customer=x&customer=y']) {
      const page = await get(path, jar);
      expect(page.statusCode).toBe(200);
    }
    const last = await get('/?team=nobody&team=retention', jar);
    expect(last.body).toMatch(/<option value="retention" selected/);
  });

  it('a list longer than a page says there are more and how to reach them', async () => {
    const jar: Jar = new Map();
    expect((await postLogin(jar, USERS.manager.name, PASSWORD)).statusCode).toBe(303);
    expect((await get('/alerts', jar)).body).not.toContain('there are more');
    // 201 alerts of one customer: the page shows 200 of them and says so (it stopped without a word).
    await opened!.conn.run(
      `INSERT INTO alerts SELECT 'bulk-' || i, 'sales', 'CustomerSpendJump', 'info', 'BULK', make_timestamptz(${NOW} * 1000 - i * 1000000),
              make_timestamptz(${NOW} * 1000 - i * 1000000), '{}', '{}', 'firing' FROM range(201) t(i)`,
    );
    const page = await get('/alerts', jar);
    expect(page.body).toContain('Showing the newest 200 alerts that match; there are more.');
    expect(page.body.match(/<tr id="alert-/g)).toHaveLength(200);
    expect((await get('/alerts?customer=nobody', jar)).body).not.toContain('there are more');
  });

  it(`after ${LOGIN_ATTEMPTS} attempts for one name the next is refused with 429; other names are not held back`, async () => {
    const jar: Jar = new Map();
    for (let i = 0; i < LOGIN_ATTEMPTS; i++) expect((await postLogin(jar, USERS.otherTeam.name, `wrong ${i}`)).statusCode).toBe(401);
    const blocked = await postLogin(jar, USERS.otherTeam.name, PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain('Too many sign-in attempts');
    expect((await postLogin(jar, USERS.manager.name, PASSWORD)).statusCode).toBe(303);
  });
});
