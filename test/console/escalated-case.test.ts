/**
 * A case escalated to another team (`cases.escalation.team`, fastify's inject): the escalation
 * team, which the `case_overdue` alert sends a link to the case, sees it on its home page and opens,
 * notes, takes over and judges it as a member of the owning team could; other cases stay hidden.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, hashPassword } from '../../console/users.js';
import { overdueAlert } from '../../operators/service/cases.js';
import type { CaseSettings } from '../../operators/service/types.js';
import { CASES, NOW, PASSWORD, USERS, insertAlertRow, openFixtureConsole, signedIn, type FixtureConsole } from './fixture.js';

const HOUR = 3600_000;
const ESCALATION_TEAM = 'supervisors';
const SUPERVISOR = { name: 'sam', team: ESCALATION_TEAM, role: 'member' as const };

/** The job's settings with `cases: { escalation: { severity: critical, team: supervisors } }`. */
const ESCALATING: CaseSettings = {
  defaultTier: 'Bronze',
  byTier: new Map(),
  oneOpenPerCategory: true,
  escalationSeverity: 'critical',
  escalationTeam: ESCALATION_TEAM,
};

/** The escalation of the fixture's retention case (due 4 hours before NOW), as the service operator raises it. */
async function escalateRetentionCase(conn: DuckDBConnection): Promise<void> {
  const dueAt = NOW - 4 * HOUR;
  const alert = overdueAlert(
    {
      case_id: CASES.otherTeam,
      alert_id: 'alert-5',
      rule: 'negative_contact',
      customer_id: 'cust-5',
      category: 'complaint',
      severity: 'high',
      team: 'retention',
      tier: 'Bronze',
      account_owner: null,
      opened_at: dueAt - 48 * HOUR,
      due_at: dueAt,
      phase: 'due',
    },
    ESCALATING,
    null,
    null,
  );
  await insertAlertRow(conn, alert);
}

let opened: FixtureConsole | undefined;

const teamOf = async (caseId: string): Promise<unknown> =>
  (await opened!.conn.runAndReadAll(`SELECT team FROM cases WHERE case_id = '${caseId}'`)).getRowsJS()[0]?.[0];

describe('a case escalated to another team', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole(
      'pulse-console-escalated-',
      () => NOW,
      async (conn) => {
        await addUser(conn, SUPERVISOR, await hashPassword(PASSWORD), NOW);
        await escalateRetentionCase(conn);
      },
    );
  });
  afterAll(() => opened?.close());

  it("is on the escalation team's home page, and no case of the other teams is", async () => {
    const supervisor = await signedIn(opened!.app, SUPERVISOR.name);
    const home = (await supervisor.request('GET', '/')).body;
    // Oracle: the fixture's one escalated case, overdue; its billing cases were never escalated.
    expect([...home.matchAll(/href="\/cases\/([^"]+)"/g)].map((m) => m[1])).toEqual([CASES.otherTeam]);
    expect(home.replace(/<[^>]+>/g, '')).toContain('1 overdue, 0 due soon, 1 listed');
    // The customer's page lists it too, as the case page lets them work it.
    const customer = (await supervisor.request('GET', '/customers/cust-5')).body;
    const listed = customer.match(/<ul class="customer-cases">([\s\S]*?)<\/ul>/)?.[1] ?? '';
    expect([...listed.matchAll(/href="\/cases\/([^"]+)"/g)].map((m) => m[1])).toEqual([CASES.otherTeam]);
  });

  it('is opened, noted, judged and taken over by a member of the escalation team; closing stays with managers', async () => {
    const { request, tokenOf } = await signedIn(opened!.app, SUPERVISOR.name);
    const page = await request('GET', `/cases/${CASES.otherTeam}`);
    expect(page.statusCode).toBe(200);
    const token = tokenOf(page.body);
    expect((await request('POST', `/cases/${CASES.otherTeam}/note`, { _csrf: token, note: 'calling the customer back' })).statusCode).toBe(303);
    expect((await request('POST', `/cases/${CASES.otherTeam}/status`, { _csrf: token, status: 'acknowledged' })).statusCode).toBe(303);
    expect((await request('POST', `/cases/${CASES.otherTeam}/outcome`, { _csrf: token, outcome: 'acted_on' })).statusCode).toBe(303);
    expect((await request('POST', `/cases/${CASES.otherTeam}/close`, { _csrf: token })).statusCode).toBe(403);
    expect((await request('POST', `/cases/${CASES.otherTeam}/assign`, { _csrf: token, team: ESCALATION_TEAM })).statusCode).toBe(303);
    expect(await teamOf(CASES.otherTeam)).toBe(ESCALATION_TEAM);
    const changes = await opened!.conn.runAndReadAll(
      `SELECT note, to_status, to_team FROM case_events WHERE case_id = '${CASES.otherTeam}' AND actor = '${SUPERVISOR.name}' ORDER BY seq`,
    );
    expect(changes.getRowsJS()).toEqual([
      ['calling the customer back', 'open', 'retention'],
      [null, 'acknowledged', 'retention'],
      [null, 'acknowledged', ESCALATION_TEAM],
    ]);
  });

  it('opens no other case to the escalation team, and no escalated case to a team it was not escalated to', async () => {
    const supervisor = await signedIn(opened!.app, SUPERVISOR.name);
    const page = await supervisor.request('GET', `/cases/${CASES.overdue}`);
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('There is no such case, or it belongs to another team.');
    const token = supervisor.tokenOf((await supervisor.request('GET', '/')).body);
    expect((await supervisor.request('POST', `/cases/${CASES.overdue}/note`, { _csrf: token, note: 'not ours' })).statusCode).toBe(404);
    // Billing's member: the retention case went to supervisors, not to billing.
    const member = await signedIn(opened!.app, USERS.member.name);
    expect((await member.request('GET', `/cases/${CASES.otherTeam}`)).statusCode).toBe(404);
  });
});
