import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runJob, testJob } from '../helpers/run-job.js';
import { textContacts } from '../helpers/text-contact.js';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const HOUR = 3_600_000;
const DAY = 86_400_000;

const contactLine = textContacts();

const OPERATORS = `  - type: service_triggers
    interaction_rules:
      - name: sales_lead
        trigger: intent
        intents: [new_sale, upsell_cross_sell]
        team: sales
      - name: retention_lead
        trigger: intent
        intents: [retention_risk]
        team: retention-desk
        cooldown: 3d`;

describe('leads from intent, end to end', () => {
  test('leads are written once per customer and intent per period, routed by team, and updated by people', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-leads-'));
    const events = join(dir, 'events.ndjson');
    const cancel = 'Please cancel my contract, I am switching to Verizon, they are cheaper.';
    const upgrade = "I'd like to add another line to my account for my son.";
    writeFileSync(
      events,
      [
        JSON.stringify({
          type: 'profile',
          event_id: 'p1',
          ts: T0 - DAY,
          customer_id: 'gold1',
          account_owner: 'ana@example.com',
          region: 'north',
          age_band: '35-44',
          tier: 'Gold',
          signup_date: '2024-01-01',
        }),
        JSON.stringify({ type: 'transaction', event_id: 't1', ts: T0 - HOUR, customer_id: 'gold1', amount: 250, channel: 'web' }),
        contactLine('gold1', T0, cancel),
        contactLine('gold1', T0 + DAY, cancel), // same intent within 3 days: no second lead
        contactLine('gold1', T0 + DAY + HOUR, upgrade), // another intent: a lead of its own
        contactLine('gold1', T0 + 4 * DAY, cancel), // past the period: a new lead
        contactLine('bronze2', T0 + HOUR, 'Please update my email address on the account.'), // other: no lead
      ].join('\n') + '\n',
    );
    const db = join(dir, 'pulse.duckdb');
    await runJob(testJob({ paths: [events], db, batchSize: 2, operators: OPERATORS }));

    const [leads, alerts] = await query(
      db,
      `SELECT lead_id, customer_id, intent, team, tier, account_owner, trailing_spend, status, CAST(epoch_ms(created_at) AS DOUBLE) AS created, source_contact, excerpt
       FROM leads ORDER BY created_at`,
      `SELECT alert_id, labels->>'team' AS team, labels->>'intent' AS intent, labels->>'lead_id' AS lead_id FROM alerts ORDER BY fired_at`,
    );
    expect(leads!.map((l) => [l['customer_id'], l['intent'], l['team'], l['created']])).toEqual([
      ['gold1', 'retention_risk', 'retention-desk', T0],
      ['gold1', 'upsell_cross_sell', 'sales', T0 + DAY + HOUR],
      ['gold1', 'retention_risk', 'retention-desk', T0 + 4 * DAY],
    ]);
    expect(leads![0]).toMatchObject({ tier: 'Gold', account_owner: 'ana@example.com', trailing_spend: 250, status: 'new', excerpt: cancel });
    expect(alerts!.map((a) => [a['team'], a['intent'], a['lead_id']])).toEqual(leads!.map((l) => [l['team'], l['intent'], l['lead_id']]));

    const id = String(leads![1]!['lead_id']);
    const update = spawnSync(process.execPath, [CLI, 'leads', 'update', id, '--db', db, '--status', 'won', '--value', '1200', '--actor', 'ana', '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(update.status, update.stderr).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({ lead_id: id, status: 'won', value: 1200, updated_by: 'ana' });
    const [after] = await query(db, `SELECT status, value, updated_by, updated_at IS NOT NULL AS stamped FROM leads WHERE lead_id = '${id}'`);
    expect(after).toEqual([{ status: 'won', value: 1200, updated_by: 'ana', stamped: true }]);

    const bad = spawnSync(process.execPath, [CLI, 'leads', 'update', 'lead-nope', '--db', db, '--status', 'lost'], { encoding: 'utf8', timeout: 120_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("no lead 'lead-nope'");
    const list = spawnSync(process.execPath, [CLI, 'leads', 'list', '--db', db, '--status', 'won'], { encoding: 'utf8', timeout: 120_000 });
    expect(list.stdout).toContain(id);
    expect(list.stdout.trim().split('\n')).toHaveLength(2); // header + the won lead
    // A filter that matches nothing because it is misspelt says so, with the close match.
    const misspelt = spawnSync(process.execPath, [CLI, 'leads', 'list', '--db', db, '--team', 'Sales'], { encoding: 'utf8', timeout: 120_000 });
    expect(misspelt.status).toBe(2);
    expect(misspelt.stderr).toMatch(/--team Sales: no team 'Sales' in leads \(did you mean sales\?\)/);
    const none = spawnSync(process.execPath, [CLI, 'leads', 'list', '--db', db, '--team', 'sales', '--status', 'lost'], { encoding: 'utf8', timeout: 120_000 });
    expect([none.status, none.stdout]).toEqual([0, 'no leads\n']);
  }, 120_000);
});
