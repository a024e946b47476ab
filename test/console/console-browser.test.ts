/**
 * The console end to end in headless Chromium (playwright-core, Debian's chromium): sign-in,
 * the team's overdue case on top, a member's note, a manager's close, what is refused (a member's
 * close, a form without its CSRF token, another team's case), the audit trail naming both people,
 * and hostile text (HTML in customer ids, transcripts, notes) shown as text on every page.
 * Screenshots of each page go to test-output/console/ (or $TEST_OUTPUT_DIR/console).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleConnectionDatabase, type ConsoleDatabase } from '../../console/database.js';
import { startConsole } from '../../console/server.js';
import { parseTaxonomyYaml, reasonMapper } from '../../operators/reason-taxonomy.js';
import { CASES, HOSTILE, HOSTILE_CUSTOMER, NOW, PASSWORD, TRANSCRIPT, USERS, writeConsoleFixture } from './fixture.js';
import { HAS_CHROMIUM, launchChromium } from '../helpers/chromium.js';

const SHOTS = join(process.env['TEST_OUTPUT_DIR'] ?? join(process.cwd(), 'test-output'), 'console');
const NOTE = `Called back; customer pasted <b id="note-inj">this</b> & left`;

let dir = '';
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let db: ConsoleDatabase;
let server: { url: string; close: () => Promise<void> };
let browser: Browser;

/** Rows from the database, read in turn with the console's own work. */
function rows(sql: string, params: Record<string, string> = {}): Promise<Array<Record<string, unknown>>> {
  return db.use(async (c) => (await c.runAndReadAll(sql, params)).getRowObjectsJS() as Array<Record<string, unknown>>);
}

/** Nothing injected became markup or ran, on whatever page is open. */
async function expectNoInjection(page: Page): Promise<void> {
  const seen = await page.evaluate(() => ({
    pwned: (window as unknown as { pwned?: number }).pwned ?? null,
    injected: document.querySelectorAll('#inj, #note-inj, main script, main img').length,
    scripts: document.scripts.length,
  }));
  expect(seen).toEqual({ pwned: null, injected: 0, scripts: 0 });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
  return page;
}

async function submit(page: Page, action: string): Promise<number> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(`form[action$="/${action}"] button[type=submit]`)]);
  // A redirect after a successful POST lands on the case page (200); a refusal is the POST's own answer.
  return response?.status() ?? 0;
}

describe.skipIf(!HAS_CHROMIUM)('the console in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'pulse-console-'));
    const path = join(dir, 'job.duckdb');
    await writeConsoleFixture(path);
    instance = await DuckDBInstance.create(path);
    conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    db = singleConnectionDatabase(conn);
    server = await startConsole({ db, port: 0, host: '127.0.0.1', dueSoonMs: 24 * 3600_000, now: () => NOW });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    conn?.closeSync();
    instance?.closeSync();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong password is refused; the login page escapes what was typed', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=name]', `<b id="inj">x</b>`);
    await page.fill('input[name=password]', 'not the password');
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(response?.status()).toBe(401);
    expect(await page.textContent('.error')).toBe('Wrong name or password.');
    expect(await page.inputValue('input[name=name]')).toBe(`<b id="inj">x</b>`);
    await expectNoInjection(page);
    await shot(page, '01-login-refused');
  });

  it('a member sees their team’s cases, the overdue one highlighted on top, then the due-soon one', async () => {
    const page = await signIn(USERS.member.name);
    const listed = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => ({ urgency: tr.className, id: tr.querySelector('a')!.textContent })));
    // Oracle: the fixture's billing cases not closed, ordered overdue, due soon, later; retention's is not shown.
    expect(listed).toEqual([
      { urgency: 'overdue', id: CASES.overdue },
      { urgency: 'due_soon', id: CASES.dueSoon },
      { urgency: 'later', id: CASES.later },
    ]);
    const overdueRow = page.locator('tr.overdue');
    expect(await overdueRow.locator('.badge.overdue').textContent()).toBe('OVERDUE');
    // Highlighted: a red background, unlike the other rows.
    const colours = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => getComputedStyle(tr).backgroundColor));
    expect(colours[0]).not.toBe(colours[2]);
    expect(await overdueRow.locator('td[data-label=Customer]').textContent()).toBe(HOSTILE_CUSTOMER);
    expect(await page.textContent('.summary')).toContain('1 overdue, 1 due soon, 3 listed');
    await expectNoInjection(page);
    await shot(page, '02-home-member');

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, '03-home-phone');

    // A filter the member cannot widen: the team stays theirs.
    await page.goto(`${server.url}/?team=retention`);
    expect(await page.$$eval('table.cases tbody tr a', (as) => as.map((a) => a.textContent))).not.toContain(CASES.otherTeam);
    await page.context().close();
  });

  it('a member opens the overdue case, sees the customer and the transcript as text, and adds a note', async () => {
    const page = await signIn(USERS.member.name);
    await page.click(`a[href="/cases/${CASES.overdue}"]`);
    const facts = await page.$$eval('section:first-of-type dl.facts dd', (dds) => dds.map((d) => d.textContent));
    // Oracle: the fixture's latest segment of the customer is gold with 4321.5 trailing spend.
    expect(facts).toEqual([HOSTILE_CUSTOMER, 'gold', '4321.50', `owner <i>${HOSTILE}</i>`]);
    // The alert quotes the transcript as JSON text (operators/service/describe.ts).
    expect(await page.textContent('dl.annotations')).toContain(JSON.stringify(TRANSCRIPT));
    expect(await page.textContent('.case-state')).toContain('OVERDUE');
    await expectNoInjection(page);

    await page.fill('form[action$="/note"] textarea[name=note]', NOTE);
    expect(await submit(page, 'note')).toBe(200);
    expect(await page.locator('.history li').last().textContent()).toContain(NOTE);
    await expectNoInjection(page);
    await shot(page, '04-case-member-note');
    const events = await rows(`SELECT actor, action, note FROM case_events WHERE case_id = $id ORDER BY seq`, { id: CASES.overdue });
    expect(events.at(-1)).toEqual({ actor: USERS.member.name, action: 'update', note: NOTE });
    await page.context().close();
  });

  it('a member’s close is refused, by the button and by a forged status; the case stays open', async () => {
    const page = await signIn(USERS.member.name);
    await page.goto(`${server.url}/cases/${CASES.overdue}`);
    expect(await submit(page, 'close')).toBe(403);
    expect(await page.textContent('.error')).toContain('Only a case manager can close');
    await shot(page, '05-member-close-refused');
    await page.goto(`${server.url}/cases/${CASES.overdue}`);
    expect(await page.$$eval('form[action$="/status"] option', (os) => os.map((o) => o.getAttribute('value')))).not.toContain('closed');
    await page.evaluate(() => {
      const select = document.querySelector<HTMLSelectElement>('form[action$="/status"] select')!;
      select.add(new Option('closed', 'closed', true, true));
    });
    expect(await submit(page, 'status')).toBe(403);
    expect(await rows(`SELECT status FROM cases WHERE case_id = $id`, { id: CASES.overdue })).toEqual([{ status: 'open' }]);
    await page.context().close();
  });

  it('a form without its CSRF token is refused and changes nothing', async () => {
    const page = await signIn(USERS.member.name);
    await page.goto(`${server.url}/cases/${CASES.overdue}`);
    const before = await rows(`SELECT count(*)::INTEGER AS n FROM case_events`);
    await page.fill('form[action$="/note"] textarea[name=note]', 'sent without a token');
    await page.evaluate(() => document.querySelector('form[action$="/note"] input[name=_csrf]')!.remove());
    expect(await submit(page, 'note')).toBe(403);
    expect(await page.textContent('.error')).toContain('CSRF');
    await shot(page, '06-csrf-refused');
    // A token of the right form but not this browser's secret is refused too.
    await page.goto(`${server.url}/cases/${CASES.overdue}`);
    await page.fill('form[action$="/note"] textarea[name=note]', 'sent with a forged token');
    await page.evaluate(() => (document.querySelector<HTMLInputElement>('form[action$="/note"] input[name=_csrf]')!.value = 'forged-token'));
    expect(await submit(page, 'note')).toBe(403);
    expect(await rows(`SELECT count(*)::INTEGER AS n FROM case_events`)).toEqual(before);
    await page.context().close();
  });

  it('a member of another team cannot open or change the case', async () => {
    const page = await signIn(USERS.otherTeam.name);
    const response = await page.goto(`${server.url}/cases/${CASES.overdue}`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent('.error')).toContain('belongs to another team');
    await page.context().close();
  });

  it('a manager closes the case; the audit trail names both people', async () => {
    const page = await signIn(USERS.manager.name);
    await page.goto(`${server.url}/cases/${CASES.overdue}`);
    await page.fill('form[action$="/close"] input[name=note]', 'refund issued');
    expect(await submit(page, 'close')).toBe(200);
    expect(await page.textContent('.case-state')).toContain('closed');
    const actors = await page.$$eval('.history .actor', (as) => as.map((a) => a.textContent));
    expect(actors).toEqual(['pulse', USERS.member.name, USERS.manager.name]);
    await expectNoInjection(page);
    await shot(page, '07-case-closed-by-manager');
    // Oracle: the database's audit trail and the case row.
    const events = await rows(`SELECT actor, action, from_status, to_status, note FROM case_events WHERE case_id = $id ORDER BY seq`, { id: CASES.overdue });
    expect(events.slice(1)).toEqual([
      { actor: USERS.member.name, action: 'update', from_status: 'open', to_status: 'open', note: NOTE },
      { actor: USERS.manager.name, action: 'close', from_status: 'open', to_status: 'closed', note: 'refund issued' },
    ]);
    expect(await rows(`SELECT status, CAST(epoch_ms(closed_at) AS DOUBLE) AS closed_at FROM cases WHERE case_id = $id`, { id: CASES.overdue })).toEqual([
      { status: 'closed', closed_at: NOW },
    ]);
    // Closed cases leave the home page's open list.
    await page.goto(`${server.url}/`);
    expect(await page.$$eval('table.cases tbody tr a', (as) => as.map((a) => a.textContent))).toEqual([CASES.dueSoon, CASES.later]);
    await page.context().close();
  });

  it('a member changes a status; a manager reassigns the case to another team, whose member then sees it', async () => {
    const member = await signIn(USERS.member.name);
    await member.goto(`${server.url}/cases/${CASES.dueSoon}`);
    await member.selectOption('form[action$="/status"] select[name=status]', 'in_progress');
    expect(await submit(member, 'status')).toBe(200);
    expect(await member.textContent('.case-state strong')).toBe('in_progress');
    await member.context().close();

    const manager = await signIn(USERS.manager.name);
    await manager.goto(`${server.url}/cases/${CASES.dueSoon}`);
    await manager.fill('form[action$="/assign"] input[name=team]', USERS.otherTeam.team);
    await manager.fill('form[action$="/assign"] input[name=assignee]', USERS.otherTeam.name);
    expect(await submit(manager, 'assign')).toBe(200);
    await manager.context().close();
    const events = await rows(
      `SELECT actor, from_status, to_status, from_team, to_team, assignee FROM case_events WHERE case_id = $id AND actor <> 'pulse' ORDER BY seq`,
      { id: CASES.dueSoon },
    );
    expect(events).toEqual([
      { actor: USERS.member.name, from_status: 'acknowledged', to_status: 'in_progress', from_team: 'billing', to_team: 'billing', assignee: null },
      {
        actor: USERS.manager.name,
        from_status: 'in_progress',
        to_status: 'in_progress',
        from_team: 'billing',
        to_team: 'retention',
        assignee: USERS.otherTeam.name,
      },
    ]);

    const other = await signIn(USERS.otherTeam.name);
    expect(await other.$$eval('table.cases tbody tr a', (as) => as.map((a) => a.textContent))).toEqual([CASES.otherTeam, CASES.dueSoon]);
    await other.goto(`${server.url}/cases/${CASES.dueSoon}`);
    expect(await other.textContent('.case-state')).toContain(`assigned to ${USERS.otherTeam.name}`);
    await other.context().close();
  });

  it('the alerts page lists the team’s alerts linked to their cases and customers, hostile text escaped', async () => {
    const page = await signIn(USERS.member.name);
    await page.click('nav a[href="/alerts"]');
    const alertIds = await page.$$eval('table.alerts tbody tr', (trs) => trs.map((tr) => tr.id));
    expect(alertIds.sort()).toEqual(['alert-alert-1', 'alert-alert-2', 'alert-alert-3', 'alert-alert-4']);
    const first = page.locator('#alert-alert-1');
    expect(await first.locator('td[data-label=Customer] a').textContent()).toBe(HOSTILE_CUSTOMER);
    expect(await first.locator('td[data-label=Links] a').getAttribute('href')).toBe(`/cases/${CASES.overdue}`);
    await expectNoInjection(page);
    await shot(page, '08-alerts');
    await first.locator('td[data-label=Customer] a').click();
    // The customer page: the hostile id as text, its one alert and its (now closed) case.
    expect(await page.textContent('h1')).toBe(`Customer ${HOSTILE_CUSTOMER}`);
    expect(await page.$$eval('.customer-alerts li', (lis) => lis.map((li) => li.id))).toEqual(['alert-alert-1']);
    expect(await page.$$eval('.customer-cases a', (as) => as.map((a) => a.textContent))).toEqual([CASES.overdue]);
    expect(await page.textContent('dl.facts')).toContain('gold');
    await expectNoInjection(page);
    await shot(page, '09-customer');
    // Signing out ends the session: the pages ask for a login again.
    await Promise.all([page.waitForURL(`${server.url}/login`), page.click('form.logout button')]);
    await page.goto(`${server.url}/alerts`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.context().close();
  });

  it('a manager renames and merges reasons on the reasons page; each change is a version; a member only looks', async () => {
    const member = await signIn(USERS.member.name);
    await member.goto(`${server.url}/reasons`);
    expect(await member.locator('form.rename').count()).toBe(0);
    expect(await member.textContent('#reason-billing_dispute .label')).toBe(`Billing ${HOSTILE}`);
    await expectNoInjection(member);
    const token = await member.inputValue('form.logout input[name=_csrf]');
    const forged = await member.request.post(`${server.url}/reasons`, { form: { _csrf: token, op: 'retire', code: 'cancel' } });
    expect(forged.status()).toBe(403);
    await member.context().close();

    const page = await signIn(USERS.manager.name);
    await page.goto(`${server.url}/reasons`);
    await page.fill('#reason-invoice_question form.rename input[name=label]', 'Invoice or bill question');
    await Promise.all([page.waitForNavigation(), page.click('#reason-invoice_question form.rename button')]);
    await page.selectOption('#reason-invoice_question form.merge select[name=into]', 'billing_dispute');
    await Promise.all([page.waitForNavigation(), page.click('#reason-invoice_question form.merge button')]);
    expect(await page.textContent('#reason-invoice_question .label')).toBe('Invoice or bill question');
    expect(await page.textContent('#reason-invoice_question td[data-label=Status]')).toBe('retired → billing_dispute');
    expect(
      await page.$$eval('.versions li', (lis) =>
        lis.map((li) =>
          li
            .textContent!.replace(/^[^·]*· /, '')
            .replace(/\s+/g, ' ')
            .trim(),
        ),
      ),
    ).toEqual([
      'max: merged invoice_question into billing_dispute · YAML',
      'max: renamed invoice_question to "Invoice or bill question" · YAML',
      'pulse-admin: initial list · YAML',
    ]);
    await expectNoInjection(page);
    await shot(page, '10-reasons-manager');
    // The export reads back; the email code of the merged reason now counts as billing_dispute; version 1 is unchanged.
    const exported = parseTaxonomyYaml(await (await page.request.get(`${server.url}/reasons.yaml`)).text(), 'export');
    expect(reasonMapper(exported)('email', 'INV')).toEqual({ reason: 'billing_dispute', known: true });
    const first = parseTaxonomyYaml(await (await page.request.get(`${server.url}/reasons.yaml?version=1`)).text(), 'v1');
    expect(reasonMapper(first)('email', 'INV')).toEqual({ reason: 'invoice_question', known: true });
    // A merge into a retired reason is refused and saves nothing.
    const refused = await page.request.post(`${server.url}/reasons`, {
      form: { _csrf: await page.inputValue('form.logout input[name=_csrf]'), op: 'merge', code: 'cancel', into: 'invoice_question' },
    });
    expect(refused.status()).toBe(400);
    expect(await refused.text()).toContain('which is retired');
    expect(await rows('SELECT count(*)::INTEGER AS n FROM reason_taxonomy_versions')).toEqual([{ n: 3 }]);
    await page.context().close();
  });
});
