import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { casesCommand } from '../../pipelines/commands/cases.js';
import type { ReopenedCase } from '../../operators/service/case-status.js';
import { ensureCaseTables, prepareCaseCheckpoint } from '../../sinks/cases/index.js';
import { jobClock, readJobClock } from '../../sinks/duckdb/job-clock.js';
import { replaysFiles } from '../../pipelines/job-config.js';
import { query } from '../helpers/duckdb.js';
import { runJob, testJob } from '../helpers/run-job.js';
import { HOUR, operatorFromYaml, profile, survey } from '../operators/service/helpers.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const SERVICE = `
  - type: service_triggers
    name: service
    team: care
    survey_rules:
      - name: InstallFailed
        when: answers.install_completed == false
        case: { category: installation, due_in: 24h }`;

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'pulse-case-clock-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `pulse cases ARGS --json` on the database, at wall time `wall` (long after the replayed events). */
async function casesJson(db: string, wall: number, ...args: string[]): Promise<Array<Record<string, string>>> {
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  let out = '';
  const command = casesCommand(async () => ({ connection, close: () => undefined }), { write: (t) => void (out += t), env: {}, now: () => wall });
  try {
    await command.parseAsync([...args, '--db', db, '--json'], { from: 'user' });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return JSON.parse(out) as Array<Record<string, string>>;
}

describe('one clock for cases', () => {
  test('a replayed file: `cases list --overdue` is exactly the set escalation escalated, judged at the stored event time', async () => {
    // Eight cases opened 5 minutes apart, due 24 h later; the last event holds the watermark
    // (5 minutes of out-of-orderness) at the fifth deadline, so cases 0..4 are due (due < clock),
    // case 5 is due exactly at the clock (not overdue: deadlines are strict), 6 and 7 are not.
    const lines: object[] = [];
    for (let k = 0; k < 8; k++) {
      lines.push({ ...profile(`c${k}`, 'Gold', T0 - HOUR), event_id: `p${k}` });
      lines.push({ ...survey(`c${k}`, { install_completed: false }, T0 + k * 5 * MINUTE, `S${k}`), event_id: `s${k}` });
    }
    const lastEvent = T0 + 24 * HOUR + 30 * MINUTE;
    lines.push({ type: 'transaction', event_id: 'last', ts: lastEvent, customer_id: 'c0', amount: 1, channel: 'web' });
    const input = join(dir, 'events.ndjson');
    writeFileSync(input, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const db = join(dir, 'pulse.duckdb');
    await runJob(testJob({ paths: [input], db, batchSize: 4, operators: `  - type: customer_windows${SERVICE}` }));

    const clockAt = lastEvent - 5 * MINUTE;
    const [escalated, events, jobState] = await query(
      db,
      `SELECT labels->>'case_id' AS case_id FROM alerts WHERE rule = 'case_overdue' ORDER BY 1`,
      `SELECT case_id, epoch_ms("at") AS at FROM case_events WHERE action = 'escalated' ORDER BY 1`,
      `SELECT CAST(value AS VARCHAR) AS v FROM pulse_job_state WHERE key = 'clock'`,
    );
    expect(JSON.parse(String(jobState![0]!['v']))).toEqual({ at: clockAt, basis: 'event' });
    const all = await casesJson(db, Date.UTC(2026, 11, 3), 'list');
    expect(all).toHaveLength(8);
    const caseOf = new Map(all.map((c) => [c['customer_id'], c['case_id']]));
    const expected = [0, 1, 2, 3, 4].map((k) => caseOf.get(`c${k}`)!).sort();
    expect(escalated!.map((r) => r['case_id'])).toEqual(expected);

    // Months later by the wall clock, the CLI still judges by the job's clock: the same cases.
    const overdue = await casesJson(db, Date.UTC(2026, 11, 3), 'list', '--overdue');
    expect(overdue.map((c) => c['case_id']).sort()).toEqual(expected);
    // The case history is on the same clock: each escalation recorded when its case became overdue
    // (as its alert says; the job noticed them all at the end of this one-checkpoint replay), not today.
    const dueAt = new Map([0, 1, 2, 3, 4].map((k) => [caseOf.get(`c${k}`)!, T0 + k * 5 * MINUTE + 24 * HOUR]));
    expect(events!.map((e) => [e['case_id'], Number(e['at'])])).toEqual(expected.map((id) => [id, dueAt.get(id)]));

    // A person closing a case later is recorded on the job clock too.
    const closed = await casesJson(db, Date.UTC(2026, 11, 3), 'close', caseOf.get('c7')!);
    expect(closed).toMatchObject({ status: 'closed', closed_at: new Date(clockAt).toISOString() });
  }, 60_000);

  test('a live job: deadlines pass by the wall clock, not only when events move the watermark', async () => {
    const op = operatorFromYaml(`
team: care
survey_rules:
  - name: InstallFailed
    when: answers.install_completed == false
    case: { category: installation, due_in: 24h }
`);
    op.process(profile('a', 'Gold'));
    op.process(survey('a', { install_completed: false }, T0, 'S1'));
    op.drainOutputs();
    const watcher = {
      overdueCases: async (dueBy?: number) => op.overdueCases(dueBy),
      settleOverdue: async (s: ReadonlyMap<string, never>) => op.settleOverdue(s),
      casesChangedByPeople: async (s: ReadonlyMap<string, string>) => op.casesChangedByPeople(s),
      watchReopened: async (reopened: readonly ReopenedCase[]) => op.watchReopened(reopened),
    };
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await ensureCaseTables(conn);
    // No event since: the watermark stays at T0, the wall clock is one minute short of the deadline...
    expect((await prepareCaseCheckpoint(conn, [watcher], T0 + 24 * HOUR - MINUTE, T0 + 24 * HOUR - MINUTE)).settled).toEqual([]);
    // ...and then past it.
    const settled = (await prepareCaseCheckpoint(conn, [watcher], T0 + 24 * HOUR + MINUTE, T0 + 24 * HOUR + MINUTE)).settled;
    expect(settled.map((s) => s.escalated)).toEqual([true]);
    conn.closeSync();
    instance.closeSync();
  });

  test('the clock rule: event time for a replay of files, the wall clock for stdin and Kafka', () => {
    const files = testJob({ paths: ['a.ndjson'], db: 'x.duckdb' });
    const stdin = testJob({ paths: ['-'], db: 'x.duckdb' });
    expect([replaysFiles(files), replaysFiles(stdin)]).toEqual([true, false]);
    expect(jobClock(replaysFiles(files), T0, T0 + 9 * HOUR)).toEqual({ at: T0, basis: 'event' });
    expect(jobClock(replaysFiles(stdin), T0, T0 + 9 * HOUR)).toEqual({ at: T0 + 9 * HOUR, basis: 'wall' });
    // Before the first event of a replay no time has passed; the end of its input (+Infinity) is not time either.
    expect(jobClock(true, null, T0)).toBeUndefined();
    expect(jobClock(true, Number.POSITIVE_INFINITY, T0)).toBeUndefined();
  });

  test('a database no job wrote has no stored clock (the CLI uses the wall clock)', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    expect(await readJobClock(conn)).toBeUndefined();
    conn.closeSync();
    instance.closeSync();
  });
});
