/**
 * The reasons page lists the codes the running job counted as unknown (over HTTP with fastify's
 * inject): most frequent first, escaped, and marked when the active list maps them by now.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUnknownReasonCounts } from '../../sinks/taxonomy/unknown-codes.js';
import { HOSTILE, NOW, PASSWORD, USERS, openFixtureConsole, type FixtureConsole } from './fixture.js';

let opened: FixtureConsole | undefined;
let app: FastifyInstance;

describe('console reasons page: unknown codes', () => {
  beforeAll(async () => {
    opened = await openFixtureConsole(
      'pulse-unknown-',
      () => NOW,
      async (c) => {
        // Two checkpoints' counts: they add up per (channel, code); INV on e-mail is mapped by the
        // fixture's list now (it was unknown to an older one).
        await addUnknownReasonCounts(c, [
          { channel: 'chat', code: 'XYZ', count: 3, first_seen: NOW - 7200_000, last_seen: NOW - 3600_000, version: 1 },
          { channel: 'email', code: 'INV', count: 1, first_seen: NOW - 7200_000, last_seen: NOW - 7200_000, version: 1 },
          { channel: 'web', code: HOSTILE, count: 2, first_seen: NOW - 7200_000, last_seen: NOW - 7200_000, version: 1 },
        ]);
        await addUnknownReasonCounts(c, [{ channel: 'chat', code: 'XYZ', count: 4, first_seen: NOW - 9000_000, last_seen: NOW - 60_000, version: 1 }]);
      },
    );
    ({ app } = opened);
  });
  afterAll(() => opened?.close());

  it('lists each code with its summed count, first and last seen, escaped, and whether the list maps it now', async () => {
    const cookies = new Map<string, string>();
    const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const login = await app.inject({ method: 'GET', url: '/login' });
    for (const c of login.cookies) cookies.set(c.name, c.value);
    const token = /name="_csrf" value="([^"]+)"/.exec(login.body)![1]!;
    const signedIn = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token, name: USERS.member.name, password: PASSWORD }).toString(),
    });
    for (const c of signedIn.cookies) cookies.set(c.name, c.value);
    const page = await app.inject({ method: 'GET', url: '/reasons', headers: { cookie: header() } });
    expect(page.statusCode).toBe(200);
    const unknownTable = page.body.slice(page.body.indexOf('<table class="unknown-codes">'));
    const table = unknownTable.slice(unknownTable.indexOf('<tbody>'), unknownTable.indexOf('</table>'));
    const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.trim()));
    expect(rows.map((r) => [r[0], r[1], r[2], r[5], r[6]])).toEqual([
      ['chat', 'XYZ', '7', '1', 'still unknown'],
      ['web', '&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.pwned=2&quot;&gt;', '2', '1', 'still unknown'],
      ['email', 'INV', '1', '1', 'mapped to invoice_question'],
    ]);
    // First seen is the earliest of both checkpoints, last seen the latest.
    expect(rows[0]![3]).toContain(new Date(NOW - 9000_000).toISOString().slice(11, 16));
    expect(rows[0]![4]).toContain(new Date(NOW - 60_000).toISOString().slice(11, 16));
    expect(page.body).not.toContain('<script>window.pwned');
  });
});
