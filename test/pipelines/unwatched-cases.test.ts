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

/** A files job on `input` whose service operator (opening a case due in 24h per failed install) is named `name`. */
function writeJob(file: string, input: string, name: string): string {
  writeFileSync(
    file,
    `name: cases
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(input)}], batch_size: 4 }
operators:
  - type: service_triggers
    name: ${name}
    team: care
    survey_rules:
      - name: InstallFailed
        when: answers.install_completed == false
        case: { category: installation, due_in: 24h }
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

/** Closes customer `customer`'s case with `pulse cases close`, as a person would between two runs. */
async function closeCaseOf(db: string, customer: string): Promise<void> {
  const [rows] = await query(db, `SELECT case_id FROM cases WHERE customer_id = '${customer}'`, 'SELECT 1');
  execFileSync(process.execPath, [
    join(process.cwd(), 'dist/pipelines/cli.js'),
    'cases',
    'close',
    String(rows![0]!['case_id']),
    '--db',
    db,
    '--actor',
    'tester',
  ]);
}

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
