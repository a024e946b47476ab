/**
 * A manager's edits on the reasons page (over HTTP with fastify's inject) of a code the list does
 * not have: rename and retire are refused (400, nothing saved) naming the code and the list's
 * codes; merging one of the unknown codes the job counted into a reason maps it onto that reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonMapper } from '../../operators/reason-taxonomy.js';
import { taxonomyVersion, taxonomyVersions } from '../../sinks/taxonomy/store.js';
import { addUnknownReasonCounts } from '../../sinks/taxonomy/unknown-codes.js';
import { NOW, USERS, openFixtureConsole, signedIn, type ConsoleSession, type FixtureConsole } from './fixture.js';

let opened: FixtureConsole | undefined;
let manager: ConsoleSession;

const CODES = 'its codes: billing_dispute, invoice_question, cancel';

/** The text of an HTML page with the entities eta escapes decoded. */
const textOf = (html: string): string => html.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');

/** Posts a change of the reasons page with the page's CSRF token. */
async function postReasons(fields: Record<string, string>) {
  const page = await manager.request('GET', '/reasons');
  return manager.request('POST', '/reasons', { _csrf: manager.tokenOf(page.body), ...fields });
}

const versionCount = async (): Promise<number> => (await taxonomyVersions(opened!.conn)).length;

describe('console reasons page: edits of codes the list does not have', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole(
      'pulse-reason-edits-',
      () => NOW,
      (c) => addUnknownReasonCounts(c, [{ channel: 'chat', code: 'XYZ', count: 3, first_seen: NOW - 7200_000, last_seen: NOW - 3600_000, version: 1 }]),
    );
    manager = await signedIn(opened.app, USERS.manager.name);
  });
  afterAll(() => opened?.close());

  it.each([
    [{ op: 'retire', code: 'NOPE' }, `there is no reason 'NOPE' in the list; ${CODES}`],
    [{ op: 'rename', code: 'NOPE2', label: 'ghost' }, `there is no reason 'NOPE2' in the list; ${CODES}`],
    [{ op: 'retire', code: 'CANCEL' }, `there is no reason 'CANCEL' in the list (codes are case-sensitive: did you mean 'cancel'?)`],
    [{ op: 'merge', code: 'XYZ', into: 'NOPE4' }, `there is no reason 'NOPE4' in the list; ${CODES}`],
    [{ op: 'merge', code: 'cancel', into: 'NOPE5' }, `there is no reason 'NOPE5' in the list; ${CODES}`],
    [{ op: 'rename', code: 'cancel', label: 'Cancellation' }, 'the list is like that already (renamed cancel to "Cancellation")'],
  ])('%o is refused with a 400 that names the code, and saves nothing', async (fields, message) => {
    const before = await versionCount();
    const refused = await postReasons(fields);
    expect(refused.statusCode).toBe(400);
    expect(textOf(refused.body)).toContain(`Nothing was saved: ${message}`);
    expect(await versionCount()).toBe(before);
  });

  it('an unknown code the page lists is merged into a reason: a version that maps it there on every channel', async () => {
    const page = textOf((await manager.request('GET', '/reasons')).body);
    const row = page.slice(page.indexOf('<td data-label="Code" class="code">XYZ</td>'));
    expect(row.slice(0, row.indexOf('</tr>'))).toContain('<form method="post" action="/reasons" class="inline merge-unknown">');
    const before = await versionCount();
    const merged = await postReasons({ op: 'merge', code: 'XYZ', into: 'cancel' });
    expect(merged.statusCode).toBe(303);
    expect(await versionCount()).toBe(before + 1);
    const saved = (await taxonomyVersion(opened!.conn))!;
    expect(saved.comment).toBe('mapped code XYZ to cancel (every channel)');
    expect(saved.created_by).toBe(USERS.manager.name);
    for (const channel of ['chat', 'voice', 'email']) expect(reasonMapper(saved.taxonomy)(channel, 'XYZ')).toEqual({ reason: 'cancel', known: true });
    expect(textOf((await manager.request('GET', '/reasons')).body)).toContain('mapped to cancel');
  });
});
