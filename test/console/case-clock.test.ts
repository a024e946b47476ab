/**
 * The console stamps a case change with the case clock that `pulse cases` and escalation use: the
 * event time a replayed input reached (the job clock the last checkpoint stored), else the wall
 * clock; and judges "overdue" by it too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_CLOCK_KEY } from '../../sinks/duckdb/job-clock.js';
import { CASES, NOW, USERS, openFixtureConsole, signedIn, type FixtureConsole } from './fixture.js';

const HOUR = 3_600_000;
/** Where a replay of March reached: hours before the fixture's cases fall due. */
const EVENT_TIME = NOW - 30 * 24 * HOUR;

let opened: FixtureConsole | undefined;

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
    const { request, tokenOf } = await signedIn(opened!.app, USERS.member.name);
    const page = await request('GET', `/cases/${CASES.overdue}`);
    // Overdue by the wall clock, not yet by the replay's clock.
    expect(page.body).not.toMatch(/class="[^"]*overdue/);
    const changed = await request('POST', `/cases/${CASES.overdue}/status`, { _csrf: tokenOf(page.body), status: 'in_progress' });
    expect(changed.statusCode).toBe(303);
    const reader = await opened!.conn.runAndReadAll(
      `SELECT epoch_ms("at") AS at, actor FROM case_events WHERE case_id = '${CASES.overdue}' ORDER BY seq DESC LIMIT 1`,
    );
    expect(reader.getRowObjectsJS()).toEqual([{ at: BigInt(EVENT_TIME), actor: USERS.member.name }]);
  });
});
