/**
 * The case page and its reassign form (fastify's inject): a member's list of the customer's recent
 * alerts holds their team's only, as the customer page does; the close button's tooltip is a
 * well-formed attribute; reassigning to a misspelt team says what a console user can do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, FIXTURE_QUEUE, NOW, USERS, openFixtureConsole, signedIn, type FixtureConsole } from './fixture.js';

/** A retention alert of the customer of the billing case `dueSoon`, linked to retention's case. */
const OTHER_TEAM_RULE = 'RetentionOnlySignal';
const OTHER_TEAM_CASE_LINK = `href="/cases/${CASES.otherTeam}"`;

let opened: FixtureConsole | undefined;

describe('the case page', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole(
      'pulse-console-case-page-',
      () => NOW,
      async (conn) => {
        const labels = JSON.stringify({ alertname: OTHER_TEAM_RULE, kind: 'service', severity: 'warning', team: 'retention', case_id: CASES.otherTeam });
        const annotations = JSON.stringify({ summary: 'retention desk only' });
        await conn.run(
          `INSERT INTO alerts VALUES ('alert-6', 'service', '${OTHER_TEAM_RULE}', 'warning', 'cust-2', make_timestamptz(${NOW - 3_600_000} * 1000),
             make_timestamptz(${NOW - 3_600_000} * 1000), '${labels}', '${annotations}', 'firing')`,
        );
      },
    );
  });
  afterAll(() => opened?.close());

  it("lists only the member's team's alerts of the customer, as the customer page does; a manager sees every team's", async () => {
    const member = await signedIn(opened!.app, USERS.member.name);
    const page = await member.request('GET', `/cases/${CASES.dueSoon}`);
    expect(page.statusCode).toBe(200);
    // The member's own alert of the customer is still listed.
    expect(page.body).toContain('Negative contact of cust-2');
    expect(page.body).not.toContain(OTHER_TEAM_RULE);
    expect(page.body).not.toContain(OTHER_TEAM_CASE_LINK);
    expect((await member.request('GET', '/customers/cust-2')).body).not.toContain(OTHER_TEAM_RULE);

    const manager = await signedIn(opened!.app, USERS.manager.name);
    const managerPage = await manager.request('GET', `/cases/${CASES.dueSoon}`);
    expect(managerPage.body).toContain(OTHER_TEAM_RULE);
    expect(managerPage.body).toContain(OTHER_TEAM_CASE_LINK);
    expect((await manager.request('GET', '/customers/cust-2')).body).toContain(OTHER_TEAM_RULE);
  });

  it("shows the KPIs of the queue the opening alert's contact came in on (an annotation of service alerts)", async () => {
    const member = await signedIn(opened!.app, USERS.member.name);
    const page = (await member.request('GET', `/cases/${CASES.dueSoon}`)).body;
    // Oracle: the fixture's one contact_kpis row of its queue, 40 offered, 25% abandoned.
    expect(page).toContain(`<h3>Queue ${FIXTURE_QUEUE}</h3>`);
    expect(page).toMatch(/<td>voice<\/td><td>40<\/td><td>25(\.0)?%<\/td>/);
  });

  it("gives a member's close button a quoted title, and a manager's none", async () => {
    const member = await signedIn(opened!.app, USERS.member.name);
    expect((await member.request('GET', `/cases/${CASES.dueSoon}`)).body).toContain('<button type="submit" class="close" title="case managers only">');
    const manager = await signedIn(opened!.app, USERS.manager.name);
    expect((await manager.request('GET', `/cases/${CASES.dueSoon}`)).body).toContain('<button type="submit" class="close">');
  });

  /** A member's `action` form on their case, refused: the 400 page's message. */
  async function refusal(action: string, form: Record<string, string>): Promise<string> {
    const { request, tokenOf } = await signedIn(opened!.app, USERS.member.name);
    const page = await request('GET', `/cases/${CASES.dueSoon}`);
    const refused = await request('POST', `/cases/${CASES.dueSoon}/${action}`, { _csrf: tokenOf(page.body), ...form });
    expect(refused.statusCode).toBe(400);
    return /<p class="error" role="alert">([^<]*)<\/p>/.exec(refused.body)![1]!;
  }

  it('refuses a misspelt team with the close match and the teams, and says what a console user can do (no command-line flag)', async () => {
    const message = await refusal('assign', { team: 'billng' });
    expect(message).toContain('(did you mean billing?)');
    expect(message).toContain('teams: billing, retention.');
    expect(message).toContain(
      'ask an administrator to add its first console user (pulse users add NAME --team billng --role member), then reassign the case here.',
    );
    expect(message).not.toContain('--new-team');
    const team = await opened!.conn.runAndReadAll(`SELECT team FROM cases WHERE case_id = '${CASES.dueSoon}'`);
    expect(team.getRowObjectsJS()).toEqual([{ team: 'billing' }]);
  });

  it('refuses a form sent empty with what to fill in, not the command-line flags', async () => {
    expect(await refusal('note', { note: '   ' })).toBe('Nothing was changed: the form was empty (write a note).');
  });
});
