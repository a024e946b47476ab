/**
 * A job database for console tests, written directly: cases of two teams around a fixed "now"
 * (one overdue, one due soon, one later, one closed), the alerts behind them (shaped as the service
 * operator fires them), a customer segment,
 * windows and queue KPIs, and three users. Customer ids, transcripts and notes carry HTML, which
 * every page must show as text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { singleConnectionDatabase } from '../../console/database.js';
import { buildConsole } from '../../console/server.js';
import { addUser, hashPassword } from '../../console/users.js';
import { createOrUpgradeTables } from '../../sinks/duckdb/migrate.js';
import { OUTPUT_TABLES_DDL, STATE_TABLES_DDL } from '../../sinks/duckdb/schema.js';
import { saveTaxonomyVersion } from '../../sinks/taxonomy/store.js';
import type { Alert } from '../../operators/alert.js';
import { contact, drain, operatorFromYaml, profile } from '../operators/service/helpers.js';

export const NOW = Date.parse('2026-03-10T12:00:00Z');
const HOUR = 3600_000;

/** What an attacker puts where the console prints event data. */
export const HOSTILE = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`;
export const HOSTILE_CUSTOMER = `cust-<b id="inj">bold</b>&"'`;
export const TRANSCRIPT = `Agent said: ${HOSTILE} then hung up`;

export const PASSWORD = 'a long enough password';
export const USERS = {
  member: { name: 'mia', team: 'billing', role: 'member' as const },
  manager: { name: 'max', team: 'billing', role: 'manager' as const },
  otherTeam: { name: 'rita', team: 'retention', role: 'member' as const },
};

/** The queue of the contacts behind the fixture's alerts, with KPIs in `contact_kpis`. */
export const FIXTURE_QUEUE = 'billing-q';

export const CASES = {
  overdue: 'case-overdue-0001',
  dueSoon: 'case-soon-0002',
  later: 'case-later-0003',
  closed: 'case-closed-0004',
  otherTeam: 'case-retention-0005',
};

/** Version 1 of the reason list; one label carries HTML. */
export const REASONS_V1 = {
  reasons: [
    { code: 'billing_dispute', label: `Billing ${HOSTILE}`, category: 'billing', channel_codes: { voice: ['BILL01'] } },
    { code: 'invoice_question', label: 'Invoice question', category: 'billing', channel_codes: { email: ['INV'] } },
    { code: 'cancel', label: 'Cancellation', category: 'retention' },
  ],
};

const ts = (ms: number): string => `make_timestamptz(${ms} * 1000)`;
const q = (text: string): string => `'${text.replaceAll("'", "''")}'`;

async function insertCase(conn: DuckDBConnection, id: string, team: string, status: string, dueAt: number, customer: string, alertId: string): Promise<void> {
  const closed = status === 'closed' ? ts(NOW - HOUR) : 'NULL';
  await conn.run(
    `INSERT INTO cases VALUES (${q(id)}, ${q(alertId)}, ${q(customer)}, 'complaint', 'high', ${q(status)}, ${q(team)}, ${ts(dueAt - 48 * HOUR)}, ${ts(dueAt)}, ${closed})`,
  );
  await conn.run(
    `INSERT INTO case_events VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM case_events), ${q(id)}, ${ts(dueAt - 48 * HOUR)}, 'pulse', 'open', NULL, 'open', NULL, ${q(team)}, NULL, NULL, true)`,
  );
}

/**
 * A case-opening alert of a contact as the service operator fires it (operators/service/operator.ts):
 * the fixture's alerts take its labels and annotations, so a page that reads a field where real
 * alerts do not carry it (the queue is an annotation, not a label) fails here too.
 */
function serviceAlertOfContact(): Alert {
  const operator = operatorFromYaml(`
team: billing
interaction_rules:
  - name: negative_contact
    trigger: negative_text
    cooldown: 0
    case: true
`);
  operator.process(profile('cust', 'gold'));
  operator.process(contact('cust', NOW - 50 * HOUR, { queue: FIXTURE_QUEUE, text: 'terrible service, not happy' }));
  const [alert] = drain(operator).alerts;
  if (alert === undefined) throw new Error('the fixture rule fired no alert: change its contact text so that it scores negative');
  return alert;
}

async function insertAlert(conn: DuckDBConnection, id: string, customer: string, team: string, caseId: string, description: string): Promise<void> {
  const real = serviceAlertOfContact();
  await insertAlertRow(conn, {
    ...real,
    alert_id: id,
    customer_id: customer,
    window_start: NOW - 50 * HOUR,
    fired_at: NOW - 49 * HOUR,
    labels: { ...real.labels, team, case_id: caseId, account_owner: `owner <i>${HOSTILE}</i>` },
    annotations: { ...real.annotations, summary: `Negative contact of ${customer}`, description, case_id: caseId },
  });
}

/** Writes an alert as the job's alert sink stores it. */
export async function insertAlertRow(conn: DuckDBConnection, alert: Alert): Promise<void> {
  await conn.run(
    `INSERT INTO alerts VALUES (${q(alert.alert_id)}, ${q(alert.kind)}, ${q(alert.rule)}, ${q(alert.severity)}, ${alert.customer_id === null ? 'NULL' : q(alert.customer_id)},
       ${ts(alert.window_start)}, ${ts(alert.fired_at)}, ${q(JSON.stringify(alert.labels))}, ${q(JSON.stringify(alert.annotations))}, ${q(alert.status)})`,
  );
}

/** Writes the fixture into a new database file at `path`. */
export async function writeConsoleFixture(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    await createOrUpgradeTables(conn, [...OUTPUT_TABLES_DDL, ...STATE_TABLES_DDL]);
    await insertCase(conn, CASES.overdue, 'billing', 'open', NOW - 2 * HOUR, HOSTILE_CUSTOMER, 'alert-1');
    await insertCase(conn, CASES.dueSoon, 'billing', 'acknowledged', NOW + 3 * HOUR, 'cust-2', 'alert-2');
    await insertCase(conn, CASES.later, 'billing', 'open', NOW + 5 * 24 * HOUR, 'cust-3', 'alert-3');
    await insertCase(conn, CASES.closed, 'billing', 'closed', NOW - 30 * HOUR, 'cust-4', 'alert-4');
    await insertCase(conn, CASES.otherTeam, 'retention', 'open', NOW - 4 * HOUR, 'cust-5', 'alert-5');
    await insertAlert(conn, 'alert-1', HOSTILE_CUSTOMER, 'billing', CASES.overdue, `Negative words in the transcript. Text: ${JSON.stringify(TRANSCRIPT)}.`);
    await insertAlert(conn, 'alert-2', 'cust-2', 'billing', CASES.dueSoon, 'Survey NPS 2.');
    await insertAlert(conn, 'alert-3', 'cust-3', 'billing', CASES.later, 'Survey NPS 4.');
    await insertAlert(conn, 'alert-4', 'cust-4', 'billing', CASES.closed, 'Survey NPS 1.');
    await insertAlert(conn, 'alert-5', 'cust-5', 'retention', CASES.otherTeam, 'Survey NPS 0.');
    await conn.run(
      `INSERT INTO customer_segments VALUES (${q(HOSTILE_CUSTOMER)}, 'gold', 3, 12, 4200, 5, 4, 5, '545', 4321.5, ${ts(NOW - 24 * HOUR)}),
                                            (${q(HOSTILE_CUSTOMER)}, 'silver', 9, 8, 1000, 3, 3, 3, '333', 999, ${ts(NOW - 96 * HOUR)}),
                                            ('cust-2', 'bronze', 30, 1, 10, 1, 1, 1, '111', 10, ${ts(NOW - 24 * HOUR)})`,
    );
    await conn.run(
      `INSERT INTO customer_windows VALUES (${q(HOSTILE_CUSTOMER)}, ${ts(NOW - 26 * HOUR)}, ${ts(NOW - 25 * HOUR)}, 120.5, 2, 100, 30, 0, '{}', 3)`,
    );
    await conn.run(
      `INSERT INTO contact_kpis (window_start, window_end, queue, channel, offered, handled, abandoned, short_abandoned, self_service, abandon_rate, aht_seconds, fcr_final)
       VALUES (${ts(NOW - 26 * HOUR)}, ${ts(NOW - 25 * HOUR)}, ${q(FIXTURE_QUEUE)}, 'voice', 40, 30, 10, 1, 0, 0.25, 310, false)`,
    );
    await saveTaxonomyVersion(conn, REASONS_V1, { actor: 'pulse-admin', at: NOW - 48 * HOUR }, 'initial list');
    const hash = await hashPassword(PASSWORD);
    for (const user of Object.values(USERS)) await addUser(conn, user, hash, NOW);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The console on a fresh fixture database, served through fastify's inject (no port). */
export interface FixtureConsole {
  app: FastifyInstance;
  conn: DuckDBConnection;
  close(): Promise<void>;
}

/** Writes the fixture into a new temporary folder, lets `prepare` add to it, and builds the console on it. */
export async function openFixtureConsole(
  prefix: string,
  now: () => number,
  prepare?: (conn: DuckDBConnection) => Promise<void>,
  reportsDir?: string,
): Promise<FixtureConsole> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await writeConsoleFixture(join(dir, 'job.duckdb'));
  const instance = await DuckDBInstance.create(join(dir, 'job.duckdb'));
  const conn = await instance.connect();
  await prepare?.(conn);
  const app = await buildConsole({
    db: singleConnectionDatabase(conn),
    dueSoonMs: 3600_000,
    now,
    cookieSecret: 'test secret of enough length 123',
    ...(reportsDir === undefined ? {} : { reportsDir }),
  });
  return {
    app,
    conn,
    close: async () => {
      await app.close();
      conn.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A signed-in browser of the console: its cookies and the CSRF token of its forms. */
export interface ConsoleSession {
  request(method: 'GET' | 'POST', url: string, fields?: Record<string, string>): ReturnType<FastifyInstance['inject']>;
  /** The CSRF token of a page's form. */
  tokenOf(body: string): string;
}

/** Signs `name` in (by default with the fixture password) through the login form, as a browser would, with fastify's inject. */
export async function signedIn(app: FastifyInstance, name: string, password = PASSWORD): Promise<ConsoleSession> {
  const jar = new Map<string, string>();
  const tokenOf = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)![1]!;
  const request = async (method: 'GET' | 'POST', url: string, fields?: Record<string, string>) => {
    const response = await app.inject({
      method,
      url,
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(fields ? { payload: new URLSearchParams(fields).toString() } : {}),
    });
    for (const c of response.cookies) jar.set(c.name, c.value);
    return response;
  };
  const login = await request('GET', '/login');
  await request('POST', '/login', { _csrf: tokenOf(login.body), name, password });
  return { request: request as ConsoleSession['request'], tokenOf };
}
