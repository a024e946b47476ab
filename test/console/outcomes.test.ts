/**
 * The outcome forms of the console (fastify's inject): a member records an outcome on their team's
 * alerts and cases, the signed-in user is the actor, the CSRF token is required, other teams'
 * subjects and bad values are refused, and the pages show what was recorded.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listOutcomes } from '../../sinks/outcomes/store.js';
import { CASES, NOW, PASSWORD, USERS, openFixtureConsole, type FixtureConsole } from './fixture.js';

let opened: FixtureConsole | undefined;
let conn: DuckDBConnection;
let app: FastifyInstance;

type Jar = Map<string, string>;
const header = (jar: Jar): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

async function get(path: string, jar: Jar) {
  const response = await app.inject({ method: 'GET', url: path, headers: { cookie: header(jar) } });
  for (const c of response.cookies) jar.set(c.name, c.value);
  return response;
}

async function post(path: string, jar: Jar, fields: Record<string, string>) {
  const response = await app.inject({
    method: 'POST',
    url: path,
    headers: { cookie: header(jar), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
  for (const c of response.cookies) jar.set(c.name, c.value);
  return response;
}

const tokenOf = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)![1]!;

async function signIn(name: string): Promise<{ jar: Jar; token: string }> {
  const jar: Jar = new Map();
  const login = await get('/login', jar);
  expect((await post('/login', jar, { _csrf: tokenOf(login.body), name, password: PASSWORD })).statusCode).toBe(303);
  return { jar, token: tokenOf((await get('/alerts', jar)).body) };
}

/** Appends an outcome the job inferred on the lead of `alertId`, with the next seq. */
async function inferred(alertId: string, outcome: 'won_candidate' | 'lost_candidate'): Promise<void> {
  await conn.run(
    `INSERT INTO outcomes SELECT coalesce(max(seq), 0) + 1, 'lead', 'lead-of-${alertId}', '${alertId}', '${outcome}', NULL, 'pulse', 'inferred',
       make_timestamptz(${NOW} * 1000), 'inferred in the test' FROM outcomes`,
  );
}

/** The outcome the alerts page shows on the row of `alertId`. */
function outcomeShown(page: string, alertId: string): string | undefined {
  const row = page.split('<tr').find((r) => r.includes(`action="/alerts/${alertId}/outcome"`));
  return row === undefined ? undefined : /<span class="outcome">([^<]*)<\/span>/.exec(row)?.[1];
}

describe('console outcome forms', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole('pulse-console-outcomes-', () => NOW);
    ({ app, conn } = opened);
  });
  afterAll(() => opened?.close());

  it('records outcomes on alerts and cases as the signed-in user, and shows them', async () => {
    const { jar, token } = await signIn(USERS.member.name);
    const onAlert = await post('/alerts/alert-2/outcome', jar, { _csrf: token, outcome: 'useful', value: '' });
    expect(onAlert.statusCode).toBe(303);
    expect(onAlert.headers.location).toBe('/alerts?alert=alert-2');
    const onCase = await post(`/cases/${CASES.dueSoon}/outcome`, jar, { _csrf: token, outcome: 'won', value: '250.5', note: 'renewed <b>early</b>' });
    expect(onCase.statusCode).toBe(303);
    expect((await listOutcomes(conn)).map((o) => [o.subject_kind, o.subject_id, o.alert_id, o.outcome, o.value, o.actor, o.source])).toEqual([
      ['case', CASES.dueSoon, 'alert-2', 'won', 250.5, USERS.member.name, 'person'],
      ['alert', 'alert-2', 'alert-2', 'useful', null, USERS.member.name, 'person'],
    ]);
    const casePage = await get(`/cases/${CASES.dueSoon}`, jar);
    expect(casePage.body).toContain(`action="/cases/${CASES.dueSoon}/outcome"`);
    expect(casePage.body).toContain('renewed &lt;b&gt;early&lt;/b&gt;');
    expect(casePage.body).toMatch(/mia<\/strong> won · 250\.50/);
    // The alerts page shows the latest outcome of the alert, its lead or its case.
    expect((await get('/alerts?alert=alert-2', jar)).body).toContain('won (mia)');
  });

  it('shows the verdict the outcome figures count: a person’s over an inference the job appended after it', async () => {
    const { jar, token } = await signIn(USERS.member.name);
    expect((await post('/alerts/alert-3/outcome', jar, { _csrf: token, outcome: 'useful' })).statusCode).toBe(303);
    // As sinks/outcomes/infer.ts writes them: on the alert's lead, after the person's verdict.
    await inferred('alert-3', 'lost_candidate');
    await inferred('alert-4', 'won_candidate');
    const alerts = (await get('/alerts', jar)).body;
    expect(outcomeShown(alerts, 'alert-3')).toBe(`useful (${USERS.member.name})`);
    // No person judged alert-4: the job's inference is the verdict.
    expect(outcomeShown(alerts, 'alert-4')).toBe('won_candidate (pulse)');
  });

  it('refuses a form without the CSRF token, other teams’ subjects, unknown outcomes and bad values', async () => {
    const { jar, token } = await signIn(USERS.member.name);
    const before = (await listOutcomes(conn)).length;
    expect((await post('/alerts/alert-1/outcome', jar, { outcome: 'useful' })).statusCode).toBe(403);
    expect((await post('/alerts/alert-5/outcome', jar, { _csrf: token, outcome: 'useful' })).statusCode).toBe(404);
    expect((await post(`/cases/${CASES.otherTeam}/outcome`, jar, { _csrf: token, outcome: 'useful' })).statusCode).toBe(404);
    const unknown = await post('/alerts/alert-1/outcome', jar, { _csrf: token, outcome: 'won_candidate' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('choose an outcome');
    const badValue = await post('/alerts/alert-1/outcome', jar, { _csrf: token, outcome: 'won', value: '-3' });
    expect(badValue.statusCode).toBe(400);
    expect(badValue.body).toContain('the value must be an amount of 0 or more');
    expect(await listOutcomes(conn)).toHaveLength(before);
    // A manager may judge any team's alert.
    const manager = await signIn(USERS.manager.name);
    expect((await post('/alerts/alert-5/outcome', manager.jar, { _csrf: manager.token, outcome: 'not_useful' })).statusCode).toBe(303);
  });
});
