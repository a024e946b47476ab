import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { JobCommandApi } from '../../pipelines/job-api.js';
import { parseJobConfig } from '../../pipelines/job-config.js';
import { SerialQueue } from '../../sinks/serial-queue.js';
import { OUTPUT_TABLES_DDL } from '../../sinks/duckdb/schema.js';
import { query } from '../helpers/duckdb.js';
import { runJob } from '../helpers/run-job.js';
import { textContacts } from '../helpers/text-contact.js';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const UPGRADE = "I'd like to add another line to my account for my son.";
const CANCEL = 'Please cancel my contract, I am switching to Verizon, they are cheaper.';

const contact = textContacts();
let n = 0;
const transaction = (customer: string, at: number, amount: number): string =>
  JSON.stringify({ type: 'transaction', event_id: `t${++n}`, ts: at, customer_id: customer, amount, channel: 'web' });

function job(paths: string[], db: string) {
  return parseJobConfig(
    `
name: outcomes-test
source: files
sources:
  files: { type: files, paths: ${JSON.stringify(paths)}, batch_size: 1 }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h }
operators:
  - type: customer_windows
    windows: [{ size: 1h }, { size: 1d }]
  - type: service_triggers
    interaction_rules:
      - { name: sales_lead, trigger: intent, intents: [new_sale, upsell_cross_sell], team: sales }
      - { name: retention_lead, trigger: intent, intents: [retention_risk], team: retention-desk }
leads: { win_window: 2d }
store: { path: ${JSON.stringify(db)} }
# A checkpoint every two events, never paused (the crash below is in the third one).
checkpoint: { interval: 1h, max_events: 2, max_share: 1 }
dead_letters: { rejects_files: false }
`,
    'outcomes-test.yaml',
    {},
  );
}

const OUTCOMES = `SELECT l.customer_id, o.outcome, o.value, o.source, CAST(epoch_ms(o."at") AS DOUBLE) AS at
  FROM outcomes o JOIN leads l ON l.lead_id = o.subject_id ORDER BY o.seq`;

describe('outcomes inferred by the job, and recorded by people', () => {
  test('a transaction after a sales lead is a won candidate, after a retention lead a stay, silence after it a loss; a crash and restart count none twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outcomes-'));
    const events = join(dir, 'events.ndjson');
    writeFileSync(
      events,
      [
        contact('s1', T0, UPGRADE),
        contact('r1', T0 + 10 * MIN, CANCEL),
        contact('r2', T0 + 20 * MIN, CANCEL),
        transaction('s1', T0 + 3 * HOUR, 300), // within 2 days of s1's lead: won, 300
        transaction('r2', T0 + DAY, 50), // r2 still buys: stayed (won, without a value)
        transaction('z9', T0 + 4 * DAY, 5), // moves the watermark past r1's 2 days: r1 lost
        transaction('r1', T0 + 4 * DAY + HOUR, 80), // too late to undo r1's loss
      ].join('\n') + '\n',
    );
    const expected = [
      { customer_id: 's1', outcome: 'won_candidate', value: 300, source: 'inferred', at: T0 + 3 * HOUR },
      { customer_id: 'r2', outcome: 'won_candidate', value: null, source: 'inferred', at: T0 + DAY },
      { customer_id: 'r1', outcome: 'lost_candidate', value: null, source: 'inferred', at: T0 + 10 * MIN + 2 * DAY },
    ];

    const reference = join(dir, 'reference.duckdb');
    const { metrics } = await runJob(job([events], reference));
    expect(await query(reference, OUTCOMES)).toEqual([expected]);
    // The gauges after the last checkpoint: the sales lead won (inferred, 300), of two retention leads one kept, one lost.
    const gauge = async (name: string) =>
      Object.fromEntries((await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => [Object.values(v.labels).join('/'), v.value]));
    expect(await gauge('pulse_lead_conversion')).toEqual({ 'retention_risk/retention-desk': 0.5, 'upsell_cross_sell/sales': 1 });
    expect(await gauge('pulse_lead_revenue')).toEqual({ 'retention_risk/retention-desk': 0, 'upsell_cross_sell/sales': 300 });
    expect(await gauge('pulse_rule_precision')).toEqual({ retention_lead: 0.5, sales_lead: 1 });
    expect(await gauge('pulse_rule_judged_alerts')).toEqual({ retention_lead: 2, sales_lead: 1 });
    expect(await gauge('pulse_rule_flagged_for_tuning')).toEqual({ retention_lead: 0, sales_lead: 0 }); // 2 judged < min_judged 10

    // The same input, with the third checkpoint failing (nothing of it is stored), then a restart.
    const crashed = join(dir, 'crashed.duckdb');
    let checkpoints = 0;
    await expect(
      runJob(job([events], crashed), {
        sinks: [
          {
            write: async () => {
              if (++checkpoints === 3) throw new Error('simulated crash in the third checkpoint');
            },
          },
        ],
      }),
    ).rejects.toThrow(/simulated crash/);
    const [before] = await query(crashed, OUTCOMES);
    expect(before).toEqual([expected[0]]); // the win was committed before the crash
    await runJob(job([events], crashed));
    expect(await query(crashed, OUTCOMES)).toEqual([expected]);
    // A run over input it has already read adds nothing either.
    await runJob(job([events], crashed));
    expect(await query(crashed, OUTCOMES)).toEqual([expected]);

    // A person judges r2's lead not useful (it beats the inferred stay); the summary flags the retention rule (0 of 2).
    const [leads] = await query(reference, `SELECT customer_id, lead_id, alert_id FROM leads ORDER BY customer_id`);
    const r2 = leads!.find((l) => l['customer_id'] === 'r2')!;
    const record = spawnSync(
      process.execPath,
      [
        CLI,
        'outcomes',
        'record',
        String(r2['alert_id']),
        '--db',
        reference,
        '--outcome',
        'not_useful',
        '--actor',
        'bo',
        '--note',
        'only asked about fees',
        '--json',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(record.status, record.stderr).toBe(0);
    expect(JSON.parse(record.stdout)).toMatchObject({ subject_kind: 'alert', alert_id: r2['alert_id'], outcome: 'not_useful', actor: 'bo', source: 'person' });
    const bad = spawnSync(process.execPath, [CLI, 'outcomes', 'record', 'nope', '--db', reference, '--outcome', 'useful'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("no alert, lead or case 'nope'");
    const summary = spawnSync(process.execPath, [CLI, 'outcomes', 'summary', '--db', reference, '--min-judged', '2'], { encoding: 'utf8', timeout: 120_000 });
    expect(summary.status, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/^retention_lead\s+service\s+2\s+2\s+0\s+0\.0%\s+FLAG$/m);
    expect(summary.stdout).toMatch(/^sales_lead\s+service\s+1\s+1\s+1\s+100\.0%$/m);
    expect(summary.stdout).toMatch(/^upsell_cross_sell\s+sales\s+1\s+1\s+100\.0%\s+0\s+1\s+0\s+100\.0%\s+300\.00$/m);
  }, 180_000);

  test("a running job's command API records and lists outcomes on the job's own database", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outcomes-api-'));
    const db = join(dir, 'job.duckdb');
    const instance = await DuckDBInstance.create(db);
    const setup = await instance.connect();
    try {
      for (const ddl of OUTPUT_TABLES_DDL) await setup.run(ddl);
      await setup.run(`INSERT INTO alerts VALUES ('a1', 'kpi', 'AbandonRateHigh', 'warning', NULL, now(), now(), '{}', '{}', 'firing')`);
      const api = new JobCommandApi({ dbPath: db, reportsDir: join(dir, 'reports'), connect: () => instance.connect(), queue: new SerialQueue() });
      const recorded = await api.handle({ argv: ['outcomes', 'record', 'a1', '--db', db, '--outcome', 'acknowledged', '--actor', 'ops'] });
      expect(recorded, recorded.stderr).toMatchObject({ exitCode: 0 });
      const listed = await api.handle({ argv: ['outcomes', 'list', '--db', db, '--json'] });
      expect(JSON.parse(listed.stdout)).toMatchObject([{ subject_kind: 'alert', subject_id: 'a1', outcome: 'acknowledged', actor: 'ops', source: 'person' }]);
    } finally {
      setup.closeSync();
      instance.closeSync();
    }
  });
});
