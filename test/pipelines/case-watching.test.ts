import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';
import { HOUR, profile, survey } from '../operators/service/helpers.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'pulse-unwatched-cases-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A files job on `input` whose service operator, named `name`, opens a case per failed install,
 * due in 24h (`tierDeadlines`: in the closure goal of the customer's tier), on two worker threads.
 */
function writeJob(file: string, input: string, name: string, tierDeadlines = false): string {
  writeFileSync(
    file,
    `name: cases
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(input)}], batch_size: 4 }
workers: 2
operators:
  - type: service_triggers
    name: ${name}
    team: care
    survey_rules:
      - name: InstallFailed
        when: answers.install_completed == false
        case: { category: installation${tierDeadlines ? '' : ', due_in: 24h'} }
dead_letters: { rejects_files: false }
`,
  );
  return file;
}

function writeLines(name: string, lines: readonly object[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

/** Changes customer `customer`'s case with `pulse cases ACTION ...`, as a person would between two runs. */
async function changeCaseOf(db: string, customer: string, ...action: string[]): Promise<void> {
  const [rows] = await query(db, `SELECT case_id FROM cases WHERE customer_id = '${customer}'`, 'SELECT 1');
  const [verb, ...rest] = action;
  execFileSync(process.execPath, [
    join(process.cwd(), 'dist/pipelines/cli.js'),
    'cases',
    verb!,
    String(rows![0]!['case_id']),
    ...rest,
    '--db',
    db,
    '--actor',
    'tester',
  ]);
}

const closeCaseOf = (db: string, customer: string): Promise<void> => changeCaseOf(db, customer, 'close');

const ESCALATIONS = [
  `SELECT labels->>'case_id' AS case_id, alert_id, epoch_ms(fired_at) AS fired_at, labels->>'tier' AS tier FROM alerts WHERE rule = 'case_overdue' ORDER BY 1`,
  `SELECT case_id, epoch_ms("at") AS at FROM case_events WHERE action = 'escalated' ORDER BY 1`,
];

describe('cases that an operator no longer in the job was watching', () => {
  test('a service operator renamed between runs takes over the open cases of the old name: each escalates once when due, as without the rename', async () => {
    // Six Gold customers each open a case (due 24 h later) in the first part; the second part
    // moves event time past every deadline.
    const first = writeLines(
      'first.ndjson',
      Array.from({ length: 6 }, (_, k) => [
        { ...profile(`c${k}`, 'Gold', T0 - HOUR), event_id: `p${k}` },
        { ...survey(`c${k}`, { install_completed: false }, T0 + k * 5 * MINUTE, `S${k}`), event_id: `s${k}` },
      ]).flat(),
    );
    const second = writeLines('second.ndjson', [{ type: 'transaction', event_id: 'late', ts: T0 + 26 * HOUR, customer_id: 'c9', amount: 1, channel: 'web' }]);

    // A person closes c0's case between the two runs: it is dropped at its deadline, not escalated.
    const control = join(dir, 'control.duckdb');
    expect((await runPulse(['--config', writeJob(join(dir, 'control.yaml'), first, 'service'), '--db', control])).code).toBe(0);
    await closeCaseOf(control, 'c0');
    expect((await runPulse(['--config', writeJob(join(dir, 'control.yaml'), second, 'service'), '--db', control])).code).toBe(0);
    const expected = await query(control, ...ESCALATIONS);
    expect(expected[0]).toHaveLength(5);

    const renamed = join(dir, 'renamed.duckdb');
    expect((await runPulse(['--config', writeJob(join(dir, 'old.yaml'), first, 'service'), '--db', renamed])).code).toBe(0);
    const [opened] = await query(renamed, `SELECT count(*)::INTEGER AS n FROM cases WHERE status = 'open'`, 'SELECT 1');
    expect(opened).toEqual([{ n: 6 }]);
    await closeCaseOf(renamed, 'c0');
    const newName = writeJob(join(dir, 'new.yaml'), second, 'service_v2');
    const run = await runPulse(['--config', newName, '--db', renamed]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "5 cases with a deadline to watch were watched by an operator no longer in the job (renamed or taken out): 'service_v2' watches them from now on",
    );
    expect(await query(renamed, ...ESCALATIONS)).toEqual(expected);

    // Escalated once: a later run has nothing left to take over and escalates nothing again.
    const again = await runPulse(['--config', newName, '--db', renamed]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('watched by an operator no longer in the job');
    expect(await query(renamed, ...ESCALATIONS)).toEqual(expected);
  });
});

describe('cases reopened after their deadline', () => {
  test("are watched again on their customer's worker thread, to the closure goal of the customer's tier from the reopening, and escalate once more", async () => {
    // Gold (24 h) and Silver (48 h) customers each open a case; the next run's event time passes every deadline.
    const tiers = ['Gold', 'Silver', 'Gold', 'Silver', 'Gold', 'Silver'];
    const opening = writeLines('opening.ndjson', [
      ...tiers.map((tier, k) => ({ type: 'profile', event_id: `p${k}`, ts: T0 - HOUR, customer_id: `c${k}`, tier })),
      ...tiers.map((_, k) => ({ ...survey(`c${k}`, { install_completed: false }, T0 + k * 5 * MINUTE, `S${k}`), event_id: `s${k}` })),
    ]);
    const at = (hours: number): string =>
      writeLines(`at-${hours}h.ndjson`, [{ type: 'transaction', event_id: `t${hours}`, ts: T0 + hours * HOUR, customer_id: 'c9', amount: 1, channel: 'web' }]);
    const db = join(dir, 'reopened.duckdb');
    const run = async (input: string): Promise<void> => {
      expect((await runPulse(['--config', writeJob(join(dir, 'job.yaml'), input, 'service', true), '--db', db])).code).toBe(0);
    };
    await run(opening);
    await run(at(50));
    const [escalated] = await query(db, `SELECT count(*)::INTEGER AS n FROM alerts WHERE rule = 'case_overdue'`, 'SELECT 1');
    expect(escalated).toEqual([{ n: 6 }]);

    // People close every case, then reopen them.
    for (let k = 0; k < tiers.length; k++) {
      await closeCaseOf(db, `c${k}`);
      await changeCaseOf(db, `c${k}`, 'update', '--status', 'open');
    }
    await run(at(200));

    // Each case's new deadline is its reopening plus its tier's closure goal, and it escalated there.
    const [cases, reopenings, overdue] = await query(
      db,
      `SELECT customer_id, epoch_ms(due_at) AS due FROM cases ORDER BY 1`,
      `SELECT c.customer_id, epoch_ms(e."at") AS at FROM case_events e JOIN cases c USING (case_id) WHERE e.action = 'reopen' ORDER BY 1`,
      `SELECT customer_id, epoch_ms(fired_at)::DOUBLE AS fired_at, labels->>'tier' AS tier FROM alerts WHERE rule = 'case_overdue' ORDER BY 1, 2`,
    );
    const goal = (k: number): number => (tiers[k] === 'Gold' ? 24 : 48) * HOUR;
    const expectedDue = reopenings!.map((r, k) => ({ customer_id: `c${k}`, due: Number(r['at']) + goal(k) }));
    expect(cases!.map((c) => ({ customer_id: c['customer_id'], due: Number(c['due']) }))).toEqual(expectedDue);
    expect(overdue).toEqual(
      tiers.flatMap((tier, k) => [
        { customer_id: `c${k}`, fired_at: T0 + k * 5 * MINUTE + goal(k), tier },
        { customer_id: `c${k}`, fired_at: expectedDue[k]!.due, tier },
      ]),
    );
  });
});
