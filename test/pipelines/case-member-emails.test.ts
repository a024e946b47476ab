/**
 * Issue 15 item 1: team members get e-mail notices when a case opens, changes status or closes.
 * Console users have an address (`pulse users add --email`); an e-mail receiver with
 * `to_team_members: true` sends each team's case alerts to that team's members, through the
 * outbox and a real SMTP server (python3-aiosmtpd).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, teamMemberEmails } from '../../console/users.js';
import { UsageError } from '../../operators/errors.js';
import { AlertDelivery } from '../../pipelines/alert-delivery.js';
import { changeAlert } from '../../sinks/cases/checkpoint.js';
import { DuckDBStore } from '../../sinks/duckdb/store.js';
import { parseAlertingConfig } from '../../sinks/alerts/config.js';
import { stopPeer } from '../helpers/peer-process.js';
import { PYTHON, startSmtpServer, type ReceivedMail } from '../helpers/smtp-server.js';
import { makeAlert } from '../sinks/alerts/helpers.js';

const AT = Date.parse('2026-03-10T09:00:00Z');
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';

describe.skipIf(!existsSync(PYTHON))('case notices to team members by e-mail', () => {
  let dir = '';
  let proc: ChildProcess;
  let port = 0;
  let received: () => ReceivedMail[];
  let store: DuckDBStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-member-mail-'));
    ({ proc, port, received } = await startSmtpServer(dir));
    store = await DuckDBStore.open(join(dir, 'job.duckdb'));
    const conn = store.connection;
    await addUser(conn, { name: 'ana', team: 'billing', role: 'member' }, HASH, AT, 'ana@example.test');
    await addUser(conn, { name: 'bo', team: 'billing', role: 'manager' }, HASH, AT, 'bo@example.test');
    await addUser(conn, { name: 'cy', team: 'billing', role: 'member' }, HASH, AT); // no address: nothing for cy
    await addUser(conn, { name: 'di', team: 'retention', role: 'member' }, HASH, AT, 'di@example.test');
  });
  afterAll(() => {
    store?.close();
    stopPeer(proc, dir);
  });

  it('refuses an address a mail header could be split on, and looks up members by team', async () => {
    for (const bad of ['x@y.test, evil@z.test', 'Ana <ana@example.test>', 'ana@example.test\r\nBcc: e@z.test', 'no-at-sign']) {
      await expect(addUser(store.connection, { name: 'ev', team: 'billing', role: 'member' }, HASH, AT, bad)).rejects.toThrow(UsageError);
    }
    expect(await teamMemberEmails(store.connection, ['billing'])).toEqual(['ana@example.test', 'bo@example.test']);
    expect(await teamMemberEmails(store.connection, ['billing', 'retention'])).toEqual(['ana@example.test', 'bo@example.test', 'di@example.test']);
    expect(await teamMemberEmails(store.connection, ['nobody'])).toEqual([]);
  });

  it('an opened case, a status change and a close reach the members of the case team only, each team its own alerts', async () => {
    const alerting = {
      receivers: [{ name: 'members', type: 'email', from: 'pulse@example.test', smarthost: `127.0.0.1:${port}`, to_team_members: true }],
      // One group for all three alerts (all are kind=service): the receiver splits it by team.
      route: { receiver: 'members', group_by: ['kind'], group_wait: '0s', group_interval: '1s', repeat_interval: '4h' },
    };
    const delivery = AlertDelivery.create(alerting, store.connection, new Registry(), pino({ level: 'silent' }));
    // The alert that opened a case (service trigger), then people's changes (sinks/cases/checkpoint.ts).
    const opened = makeAlert({
      rule: 'negative_contact',
      subject: 'case-b1',
      customer_id: 'c-1',
      labels: { alertname: 'negative_contact', team: 'billing', case_id: 'case-b1' },
      annotations: { summary: 'Negative contact of c-1 opened case case-b1' },
    });
    const change = (seq: number, caseId: string, team: string, from: string, to: string) =>
      changeAlert({
        seq,
        case_id: caseId,
        at: AT + seq * 60_000,
        actor: 'bo',
        from_status: from,
        to_status: to,
        from_team: team,
        to_team: team,
        assignee: null,
        note: null,
        customer_id: 'c-1',
        category: 'complaint',
        case_severity: 'high',
        case_team: team,
        case_status: to,
        due_at: null,
      });
    await delivery.enqueueAlerts(store.connection, [
      opened,
      change(1, 'case-b1', 'billing', 'open', 'in_progress'),
      change(2, 'case-r7', 'retention', 'in_progress', 'closed'),
    ]);
    const result = await delivery.drain({ timeoutMs: 60_000 });
    await delivery.close();
    expect(result.pending).toBe(0);

    const mails = received().map((m) => ({ to: [...m.rcpt_tos].sort(), text: m.text }));
    mails.sort((a, b) => a.to.join().localeCompare(b.to.join()));
    expect(mails.map((m) => m.to)).toEqual([['ana@example.test', 'bo@example.test'], ['di@example.test']]);
    const [billing, retention] = mails;
    expect(billing!.text).toContain('opened case case-b1');
    expect(billing!.text).toContain('Case case-b1 updated by bo');
    expect(billing!.text).not.toContain('case-r7');
    expect(retention!.text).toContain('Case case-r7 closed by bo');
    expect(retention!.text).not.toContain('case-b1');
  }, 120_000);

  it('a receiver needs somebody to send to: fixed addresses, team members, or both', () => {
    const config = (receiver: Record<string, unknown>) => ({
      receivers: [{ name: 'm', type: 'email', from: 'p@x.test', smarthost: 'h:25', ...receiver }],
      route: { receiver: 'm' },
    });
    expect(() => parseAlertingConfig(config({}))).toThrow(/alerting\.receivers/);
    expect(() => parseAlertingConfig(config({ to_team_members: false }))).toThrow(/alerting\.receivers/);
    expect(() => parseAlertingConfig(config({ to_team_members: true }))).not.toThrow();
    expect(() => parseAlertingConfig(config({ to: 'ops@x.test', to_team_members: true }))).not.toThrow();
  });
});
