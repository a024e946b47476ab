/**
 * The console stamps a case change with the case clock that `pulse cases` and escalation use: the
 * event time a replayed input reached (the job clock the last checkpoint stored), else the wall
 * clock; and judges "overdue" by it too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_CLOCK_KEY } from '../../sinks/duckdb/job-clock.js';
import { CASES, NOW, PASSWORD, USERS, openFixtureConsole, type FixtureConsole } from './fixture.js';

const HOUR = 3_600_000;
/** Where a replay of March reached: hours before the fixture's cases fall due. */
const EVENT_TIME = NOW - 30 * 24 * HOUR;

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

describe('the console on a replayed database', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole(
      'pulse-console-clock-',
      () => NOW,
      async (conn) => {
        await conn.run(`INSERT OR REPLACE INTO pulse_job_state VALUES ('${JOB_CLOCK_KEY}', '${JSON.stringify({ at: EVENT_TIME, basis: 'event' })}')`);
      },
    );
  });
  afterAll(() => opened?.close());

  it('stamps a change with the event time the replay reached, as pulse cases does, and judges overdue by it', async () => {
    const jar: Jar = new Map();
    const login = await request('GET', '/login', jar);
    await request('POST', '/login', jar, { _csrf: tokenOf(login.body), name: USERS.member.name, password: PASSWORD });
    const page = await request('GET', `/cases/${CASES.overdue}`, jar);
    // Overdue by the wall clock, not yet by the replay's clock.
    expect(page.body).not.toMatch(/class="[^"]*overdue/);
    const changed = await request('POST', `/cases/${CASES.overdue}/status`, jar, { _csrf: tokenOf(page.body), status: 'in_progress' });
    expect(changed.statusCode).toBe(303);
    const reader = await opened!.conn.runAndReadAll(
      `SELECT epoch_ms("at") AS at, actor FROM case_events WHERE case_id = '${CASES.overdue}' ORDER BY seq DESC LIMIT 1`,
    );
    expect(reader.getRowObjectsJS()).toEqual([{ at: BigInt(EVENT_TIME), actor: USERS.member.name }]);
  });
});
