import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CommanderError } from 'commander';
import { type Alert, alertRow } from '../../../operators/alert.js';
import type { Operator, OperatorOutput } from '../../../operators/operator.js';
import { UsageError } from '../../../operators/errors.js';
import { DuckDBStore } from '../../../sinks/duckdb/store.js';
import { packStateRows } from '../../../operators/state-pack.js';
import {
  CaseNotFoundError,
  applyPeopleChanges,
  listCases,
  prepareCaseCheckpoint,
  showCase,
  updateCase,
  type CaseDeadlineWatcher,
} from '../../../sinks/cases/index.js';
import type { ServiceTriggersOperator, SettledCase } from '../../../operators/service/operator.js';
import { casesCommand } from '../../../pipelines/commands/cases.js';
import { HOUR, drain, operatorFromYaml, profile, survey } from '../../operators/service/helpers.js';

const YAML = `
team: care
survey_rules:
  - name: install_failed
    when: answers.install_completed == false
    case: { category: installation }
`;
const OPENED = Date.UTC(2026, 2, 2, 10, 0, 0);
const WALL = Date.UTC(2026, 3, 1, 9, 0, 0);

let dir: string;
let dbPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-cases-'));
  dbPath = join(dir, 'pulse.duckdb');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What the runner does at a checkpoint, with the case step (README wiring). */
async function checkpoint(store: DuckDBStore, op: Operator, now = WALL): Promise<Alert[]> {
  const work = await prepareCaseCheckpoint(store.connection, [watcher(op)], now);
  const outputs: OperatorOutput[] = op.drainOutputs();
  if (work.alerts.length > 0) outputs.push({ kind: 'alert', rows: work.alerts.map(alertRow) });
  await store.commitCheckpoint({
    outputs,
    rejections: [],
    state: packStateRows(op.name, op.states),
    dedup: [],
    positions: [],
    jobState: {},
    extraWrites: (conn) => work.write(conn),
  });
  return outputs.filter((o) => o.kind === 'alert').flatMap((o) => o.rows as unknown as Alert[]);
}

/** The operator's cases as the runner asks for them (its parts may be on worker threads). */
function watcher(op: Operator): CaseDeadlineWatcher {
  const cases = op as unknown as ServiceTriggersOperator;
  return {
    overdueCases: async () => cases.overdueCases(),
    settleOverdue: async (statuses) => cases.settleOverdue(statuses),
    casesChangedByPeople: async (statuses) => cases.casesChangedByPeople(statuses),
    watchReopened: async (reopened) => cases.watchReopened(reopened),
  };
}

/** A new store and an operator that opened one case (customer `customer` of `tier`, at OPENED) and checkpointed it. */
async function withOneCase(customer: string, tier: string): Promise<{ store: DuckDBStore; op: ServiceTriggersOperator }> {
  const store = await DuckDBStore.open(dbPath);
  const op = operatorFromYaml(YAML);
  op.process(profile(customer, tier));
  op.process(survey(customer, { install_completed: false }, OPENED, 'S1'));
  await checkpoint(store, op);
  return { store, op };
}

async function restoreInto(store: DuckDBStore, op: Operator): Promise<void> {
  for (const [name, keyed] of Object.entries(op.states)) keyed.restore(await store.loadOperatorState(op.name, name));
}

function cli(store: DuckDBStore, now = WALL) {
  let out = '';
  const command = casesCommand(async () => ({ connection: store.connection, close: () => undefined }), {
    write: (t) => void (out += t),
    env: { USER: 'alice' },
    now: () => now,
  });
  return {
    run: async (...args: string[]): Promise<string> => {
      out = '';
      await command.parseAsync(args, { from: 'user' });
      return out;
    },
  };
}

describe('cases end to end on a DuckDB file', () => {
  test('open, close by hand, overdue escalation only for the open case, once, across a restart', async () => {
    let store = await DuckDBStore.open(dbPath);
    let op = operatorFromYaml(YAML);
    op.process(profile('g', 'Gold'));
    op.process(profile('s', 'Silver'));
    op.process(survey('g', { install_completed: false }, OPENED, 'S1'));
    op.process(survey('s', { install_completed: false }, OPENED, 'S2'));
    const fired = await checkpoint(store, op);
    expect(fired).toHaveLength(2);

    const open = await listCases(store.connection, {});
    expect(open.map((c) => [c.customer_id, c.status, c.due_at - c.opened_at])).toEqual([
      ['g', 'open', 24 * HOUR],
      ['s', 'open', 48 * HOUR],
    ]);
    const gold = open[0]!.case_id;
    const silver = open[1]!.case_id;

    // A person closes the Gold case through the CLI.
    const c = cli(store);
    const closedJson = JSON.parse(await c.run('close', gold, '--db', dbPath, '--note', 'reinstalled', '--json'));
    expect(closedJson).toMatchObject({ case_id: gold, status: 'closed', closed_at: new Date(WALL).toISOString() });

    // The watermark passes both deadlines; the checkpoint escalates only the Silver case and
    // notifies the team of the closing.
    op.onWatermark(OPENED + 49 * HOUR);
    const alerts = await checkpoint(store, op);
    expect(alerts.map((a) => [a.rule, a.labels['case_id']]).sort()).toEqual([
      ['case_closed', gold],
      ['case_overdue', silver],
    ]);
    expect(alerts.find((a) => a.rule === 'case_closed')!.labels).toMatchObject({ team: 'care', case_id: gold, status: 'closed' });

    // Restart: a new operator restored from the database does not escalate again.
    store.close();
    store = await DuckDBStore.open(dbPath);
    op = operatorFromYaml(YAML);
    await restoreInto(store, op);
    op.onWatermark(OPENED + 100 * HOUR);
    expect(await checkpoint(store, op)).toEqual([]);

    // The audit trail: closed by alice, escalated by pulse; the alerts table holds each alert once.
    const silverDetail = await showCase(store.connection, silver);
    expect(silverDetail.events.map((e) => [e.actor, e.action])).toEqual([['pulse', 'escalated']]);
    const goldDetail = await showCase(store.connection, gold);
    expect(goldDetail.events.map((e) => [e.actor, e.action, e.from_status, e.to_status, e.note, e.notified])).toEqual([
      ['alice', 'close', 'open', 'closed', 'reinstalled', true],
    ]);
    expect(goldDetail.alert?.rule).toBe('install_failed');
    const reader = await store.connection.runAndReadAll(`SELECT rule, count(*) AS n FROM alerts GROUP BY rule ORDER BY rule`);
    expect(reader.getRowObjectsJS().map((r) => [r['rule'], Number(r['n'])])).toEqual([
      ['case_closed', 1],
      ['case_overdue', 1],
      ['install_failed', 2],
    ]);
    store.close();
  });

  test('a checkpoint that escalates a thousand cases numbers their audit events after the existing ones, one each, and skips those closed by hand', async () => {
    const store = await DuckDBStore.open(dbPath);
    const op = operatorFromYaml(YAML);
    const customers = Array.from({ length: 1200 }, (_, i) => `c${i}`);
    for (const [i, customer] of customers.entries()) op.process(survey(customer, { install_completed: false }, OPENED, `S${i}`));
    await checkpoint(store, op);
    const cases = await listCases(store.connection, {});
    expect(cases).toHaveLength(1200);
    // Closed by hand, far apart in the list of overdue cases whose statuses the checkpoint reads.
    const closed = [0, 700, 1100].map((i) => cases[i]!.case_id);
    for (const id of closed) await cli(store).run('close', id, '--db', dbPath);

    // No profile: the default tier's deadline, 72 hours.
    op.onWatermark(OPENED + 73 * HOUR);
    await checkpoint(store, op, WALL + HOUR);
    const reader = await store.connection.runAndReadAll(
      `SELECT count(*) AS n, count(DISTINCT seq) AS seqs, min(seq) AS first, max(seq) AS last, count(DISTINCT e.case_id) AS cases,
              bool_and(actor = 'pulse' AND from_status = 'open' AND to_status = 'open' AND to_team = 'care' AND notified
                       AND e."at" = c.due_at AND epoch_ms(e."at") < ${WALL + HOUR} AND note LIKE 'overdue; alert %') AS as_recorded
       FROM case_events e JOIN cases c USING (case_id) WHERE action = 'escalated'`,
    );
    expect(reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))).toEqual([
      { n: 1197, seqs: 1197, first: 4, last: 1200, cases: 1197, as_recorded: true },
    ]);
    for (const [i, id] of closed.entries()) expect((await showCase(store.connection, id)).events.map((e) => [e.seq, e.action])).toEqual([[i + 1, 'close']]);
    store.close();
  });

  test('an escalation to the escalation team records the team the case came from, and the history shows both', async () => {
    const store = await DuckDBStore.open(dbPath);
    const op = operatorFromYaml(`${YAML}cases:\n  escalation: { team: supervisors }\n`);
    op.process(survey('e', { install_completed: false }, OPENED, 'S1'));
    await checkpoint(store, op);
    op.onWatermark(OPENED + 73 * HOUR);
    await checkpoint(store, op, WALL + HOUR);
    const [id] = (await listCases(store.connection, {})).map((c) => c.case_id);
    const events = (await showCase(store.connection, id!)).events.map((e) => [e.action, e.from_team, e.to_team]);
    expect(events).toEqual([['escalated', 'care', 'supervisors']]);
    const history = await cli(store).run('show', id!, '--db', dbPath);
    expect(history).toMatch(/pulse\s+opened\s+-> open\s+care\s/);
    expect(history).toMatch(/pulse\s+escalated\s+open\s+care -> supervisors\s/);
    store.close();
  });

  test('a restart between the deadline passing and the status check still escalates once', async () => {
    let store = await DuckDBStore.open(dbPath);
    let op = operatorFromYaml(YAML);
    op.process(survey('b', { install_completed: false }, OPENED, 'S1'));
    await checkpoint(store, op);
    op.onWatermark(OPENED + 73 * HOUR);
    // Persist the 'due' state without settling (as if the process died before the check).
    await store.commitCheckpoint({
      outputs: [],
      rejections: [],
      state: packStateRows(op.name, op.states),
      dedup: [],
      positions: [],
      jobState: {},
    });
    store.close();
    store = await DuckDBStore.open(dbPath);
    op = operatorFromYaml(YAML);
    await restoreInto(store, op);
    expect((await checkpoint(store, op)).map((a) => a.rule)).toEqual(['case_overdue']);
    expect(await checkpoint(store, op)).toEqual([]);
    store.close();
  });
});

describe('a case closed by hand before its deadline', () => {
  /** The case ids of the install_failed alerts written so far, in firing order. */
  async function firedCases(store: DuckDBStore): Promise<string[]> {
    const reader = await store.connection.runAndReadAll(`SELECT labels->>'case_id' AS c FROM alerts WHERE rule = 'install_failed' ORDER BY fired_at`);
    return reader.getRowObjectsJS().map((r) => String(r['c']));
  }

  test('is not reused by the next firing, whether closed while the job runs or between two runs; reopened, it is the open case again', async () => {
    let { store, op } = await withOneCase('b', 'Bronze');
    const [first] = await firedCases(store);

    // Closed while the job runs: heard at the next checkpoint.
    await cli(store).run('close', first!, '--db', dbPath, '--note', 'fixed');
    await checkpoint(store, op);
    op.process(survey('b', { install_completed: false }, OPENED + HOUR, 'S2'));
    await checkpoint(store, op);
    const second = (await firedCases(store))[1]!;
    expect(second).not.toBe(first);

    // Closed between two runs: heard when the job starts, before its first event.
    await cli(store).run('close', second, '--db', dbPath, '--resolved');
    store.close();
    store = await DuckDBStore.open(dbPath);
    op = operatorFromYaml(YAML);
    await restoreInto(store, op);
    await applyPeopleChanges(store.connection, [watcher(op)]);
    op.process(survey('b', { install_completed: false }, OPENED + 2 * HOUR, 'S3'));
    await checkpoint(store, op);
    const third = (await firedCases(store))[2]!;
    expect([first, second]).not.toContain(third);

    // The first case reopened, the third closed: the next firing finds the first again.
    await cli(store).run('update', first!, '--db', dbPath, '--status', 'in_progress');
    await cli(store).run('close', third, '--db', dbPath);
    await checkpoint(store, op);
    op.process(survey('b', { install_completed: false }, OPENED + 3 * HOUR, 'S4'));
    await checkpoint(store, op);
    expect((await firedCases(store))[3]).toBe(first);

    // Each case still escalates at its deadline only if it is open then: the reopened first one.
    op.onWatermark(OPENED + 100 * HOUR);
    const escalated = (await checkpoint(store, op)).filter((a) => a.rule === 'case_overdue').map((a) => a.labels['case_id']);
    expect(escalated).toEqual([first]);
    store.close();
  });
});

describe('a case reopened after its deadline', () => {
  test('is watched again to a new deadline (from its reopening), shown in the table, and escalates once more, across a restart', async () => {
    let { store, op } = await withOneCase('s', 'Silver');
    const [opened] = await listCases(store.connection, {});
    const id = opened!.case_id;

    // Escalated at its deadline, then closed by a person.
    op.onWatermark(OPENED + 49 * HOUR);
    const first = (await checkpoint(store, op)).filter((a) => a.rule === 'case_overdue');
    expect(first.map((a) => a.labels['case_id'])).toEqual([id]);
    await cli(store, OPENED + 50 * HOUR).run('close', id, '--db', dbPath);
    await checkpoint(store, op);

    // Reopened at 60 hours; the job restarts before its next checkpoint hears of it.
    await cli(store, OPENED + 60 * HOUR).run('update', id, '--db', dbPath, '--status', 'open', '--note', 'customer called back');
    store.close();
    store = await DuckDBStore.open(dbPath);
    op = operatorFromYaml(YAML);
    await restoreInto(store, op);
    await applyPeopleChanges(store.connection, [watcher(op)]);
    const notified = await checkpoint(store, op);
    expect(notified.map((a) => a.rule)).toEqual(['case_updated']);
    // The new deadline: the reopening plus the Silver closure goal, 60 + 48 hours.
    expect((await listCases(store.connection, {})).map((c) => [c.case_id, c.status, c.due_at])).toEqual([[id, 'open', OPENED + 108 * HOUR]]);

    op.onWatermark(OPENED + 107 * HOUR);
    expect(await checkpoint(store, op)).toEqual([]);
    op.onWatermark(OPENED + 109 * HOUR);
    const second = (await checkpoint(store, op)).filter((a) => a.rule === 'case_overdue');
    expect(second.map((a) => [a.labels['case_id'], a.fired_at])).toEqual([[id, OPENED + 108 * HOUR]]);
    expect(second[0]!.alert_id).not.toBe(first[0]!.alert_id);
    expect(second[0]!.annotations['description']).toContain(
      `opened by install_failed at ${new Date(OPENED).toISOString()} and reopened at ${new Date(OPENED + 60 * HOUR).toISOString()} had a closure goal of 2d`,
    );

    // Once: a restart and a later watermark escalate nothing more.
    store.close();
    store = await DuckDBStore.open(dbPath);
    op = operatorFromYaml(YAML);
    await restoreInto(store, op);
    await applyPeopleChanges(store.connection, [watcher(op)]);
    op.onWatermark(OPENED + 300 * HOUR);
    expect(await checkpoint(store, op)).toEqual([]);
    const escalations = (await showCase(store.connection, id)).events.filter((e) => e.action === 'escalated');
    expect(escalations.map((e) => e.at)).toEqual([OPENED + 48 * HOUR, OPENED + 108 * HOUR]);
    store.close();
  });
});

describe('a case reopened between two runs whose new deadline passes before the next run checkpoints', () => {
  test('escalates at its new deadline once, not again at a later checkpoint or run', async () => {
    let { store, op } = await withOneCase('s', 'Silver');
    const id = (await listCases(store.connection, {}))[0]!.case_id;
    op.onWatermark(OPENED + 49 * HOUR);
    await checkpoint(store, op);
    await cli(store, OPENED + 50 * HOUR).run('close', id, '--db', dbPath);
    await cli(store, OPENED + 60 * HOUR).run('update', id, '--db', dbPath, '--status', 'open');
    store.close();

    // The next run: its events pass the new deadline (108 h) before its first checkpoint.
    const run = async (watermarks: number[]): Promise<void> => {
      store = await DuckDBStore.open(dbPath);
      op = operatorFromYaml(YAML);
      await restoreInto(store, op);
      await applyPeopleChanges(store.connection, [watcher(op)]);
      for (const hours of watermarks) {
        op.onWatermark(OPENED + hours * HOUR);
        await checkpoint(store, op);
      }
      store.close();
    };
    await run([200, 201, 202]);
    await run([300, 301]);
    store = await DuckDBStore.open(dbPath);
    const escalations = (await showCase(store.connection, id)).events.filter((e) => e.action === 'escalated');
    expect(escalations.map((e) => e.at)).toEqual([OPENED + 48 * HOUR, OPENED + 108 * HOUR]);
    expect((await listCases(store.connection, {})).map((c) => c.due_at)).toEqual([OPENED + 108 * HOUR]);
    store.close();
  });
});

describe('pulse cases CLI', () => {
  async function seeded(): Promise<{ store: DuckDBStore; ids: string[] }> {
    const store = await DuckDBStore.open(dbPath);
    const op = operatorFromYaml(YAML);
    op.process(profile('g', 'Gold'));
    op.process(survey('g', { install_completed: false }, OPENED, 'S1'));
    op.process(survey('b', { install_completed: false }, OPENED + HOUR, 'S2'));
    const { alerts, cases } = drain(op);
    await store.commitCheckpoint({
      outputs: [
        { kind: 'alert', rows: alerts.map(alertRow) },
        { kind: 'case', rows: cases },
      ],
      rejections: [],
      state: [],
      dedup: [],
      positions: [],
      jobState: {},
    });
    return { store, ids: cases.map((c) => String(c['case_id'])) };
  }

  test('list (table and JSON, filters), show, update, close, with the actor and time recorded', async () => {
    const { store, ids } = await seeded();
    const [gold, bronze] = ids as [string, string];
    const c = cli(store);

    const table = await c.run('list', '--db', dbPath);
    expect(table.split('\n')[0]).toMatch(/^CASE\s+STATUS\s+SEVERITY\s+TEAM/);
    expect(table).toContain(gold);
    expect(table).toContain('OVERDUE'); // WALL is weeks after both deadlines

    const listed = JSON.parse(await c.run('list', '--db', dbPath, '--json'));
    expect(listed.map((x: { case_id: string; severity: string }) => [x.case_id, x.severity])).toEqual([
      [gold, 'urgent'],
      [bronze, 'normal'],
    ]);
    // Overdue as of a time between the Gold (24h) and Bronze (72h+1h) deadlines.
    const asOf = new Date(OPENED + 30 * HOUR).toISOString();
    expect(JSON.parse(await c.run('list', '--db', dbPath, '--overdue', '--as-of', asOf, '--json')).map((x: { case_id: string }) => x.case_id)).toEqual([gold]);

    // A team no case or console user has is refused as a likely typo, with the close match; --new-team starts one.
    await expect(c.run('update', gold, '--db', dbPath, '--team', 'cara')).rejects.toThrow(
      /no case or console user has the team 'cara' \(did you mean care\?\); teams: care\. .*--new-team/,
    );
    await expect(c.run('update', gold, '--db', dbPath, '--team', 'field')).rejects.toThrow(/teams: care\./);
    const updated = JSON.parse(
      await c.run('update', gold, '--db', dbPath, '--status', 'in_progress', '--team', 'field', '--new-team', '--assignee', 'bob', '--json'),
    );
    expect(updated).toMatchObject({ status: 'in_progress', team: 'field', assignee: 'bob', closed_at: null });
    expect(JSON.parse(await c.run('list', '--db', dbPath, '--team', 'field', '--json'))).toHaveLength(1);
    // A team no case has is said so, with the close match, rather than "no cases match".
    await expect(c.run('list', '--db', dbPath, '--team', 'feild')).rejects.toThrow(/--team feild: no team 'feild' in cases \(did you mean field\?\)/);
    // The history: opened in care (not the team it has now), then handed to field.
    const history = (await c.run('show', gold, '--db', dbPath)).split('\n').filter((l) => / pulse +opened | update /.test(l));
    expect(history.map((l) => l.split(/\s{2,}/).slice(1, 5))).toEqual([
      ['pulse', 'opened', '-> open', 'care'],
      ['alice', 'update', 'open -> in_progress', 'care -> field'],
    ]);
    expect(JSON.parse(await c.run('list', '--db', dbPath, '--status', 'open', '--json')).map((x: { case_id: string }) => x.case_id)).toEqual([bronze]);

    // A unique prefix works; closing records who and when.
    await c.run('close', bronze.slice(0, 12), '--db', dbPath, '--actor', 'carol', '--resolved');
    const shown = JSON.parse(await c.run('show', bronze, '--db', dbPath, '--json'));
    expect(shown.case).toMatchObject({ status: 'resolved', closed_at: new Date(WALL).toISOString() });
    expect(shown.events).toEqual([
      expect.objectContaining({ actor: 'carol', action: 'close', from_status: 'open', to_status: 'resolved', at: new Date(WALL).toISOString() }),
    ]);
    const text = await c.run('show', gold, '--db', dbPath);
    expect(text).toMatch(/status\s+in_progress/);
    expect(text).toMatch(/alice\s+update\s+open -> in_progress\s+care -> field\s+bob/);

    // Reopening clears closed_at.
    const reopened = await updateCase(store.connection, bronze, { status: 'open' }, { actor: 'dave', at: WALL + 1 });
    expect(reopened.closed_at).toBeNull();
    expect((await showCase(store.connection, bronze)).events.at(-1)!.action).toBe('reopen');
    store.close();
  });

  test('clear errors: unknown id (exit 2, names it), bad status, nothing to change, closing twice', async () => {
    const { store, ids } = await seeded();
    const c = cli(store);
    await expect(c.run('show', 'case-nope', '--db', dbPath)).rejects.toThrow(CaseNotFoundError);
    await expect(c.run('close', 'case-nope', '--db', dbPath)).rejects.toThrow(/no case 'case-nope' in .*pulse\.duckdb/);
    const error = await c.run('update', 'case-nope', '--db', dbPath, '--note', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('USAGE'); // the CLI maps USAGE to exit code 2
    await expect(c.run('update', ids[0]!, '--db', dbPath)).rejects.toThrow(/give at least one of --status/);
    await expect(c.run('update', ids[0]!, '--db', dbPath, '--status', 'done')).rejects.toBeInstanceOf(CommanderError);
    await expect(c.run('list', '--db', dbPath, '--status', 'done')).rejects.toThrow(/unknown status 'done'/);
    await c.run('close', ids[0]!, '--db', dbPath);
    await expect(c.run('close', ids[0]!, '--db', dbPath)).rejects.toThrow(/already closed/);
    // A failed change leaves no trace.
    expect((await showCase(store.connection, ids[1]!)).events).toEqual([]);
    store.close();
  });

  test('works on a database no job has written (creates the case tables)', async () => {
    const instance = await DuckDBInstance.create(dbPath);
    const connection = await instance.connect();
    let out = '';
    const command = casesCommand(async () => ({ connection, close: () => undefined }), { write: (t) => void (out += t), env: {} });
    await command.parseAsync(['list', '--db', dbPath], { from: 'user' });
    expect(out).toBe('no cases match\n');
    connection.closeSync();
    instance.closeSync();
  });
});

describe('escalations of one checkpoint from several shards', () => {
  test('are numbered in time order, then by case, whatever order the shards answered in', async () => {
    const store = await DuckDBStore.open(dbPath);
    // One watcher whose answers come shard by shard: b and d from one, a and c from the other.
    const due = (case_id: string, hours: number): SettledCase => ({
      case_id,
      escalated: true,
      alert_id: `x-${case_id}`,
      status: 'open',
      from_team: 'care',
      team: 'care',
      due_at: OPENED + hours * HOUR,
    });
    const settled = [due('b', 2), due('d', 4), due('a', 1), due('c', 3), due('a2', 3)];
    const watcher: CaseDeadlineWatcher = {
      overdueCases: () => Promise.resolve(settled.map(({ case_id }) => ({ case_id }))),
      settleOverdue: () => Promise.resolve(settled),
      casesChangedByPeople: () => Promise.resolve(),
      watchReopened: () => Promise.resolve([]),
    };
    const work = await prepareCaseCheckpoint(store.connection, [watcher], WALL);
    await work.write(store.connection);
    const reader = await store.connection.runAndReadAll(`SELECT case_id FROM case_events ORDER BY seq`);
    expect(reader.getRowsJS().map(([id]) => id)).toEqual(['a', 'b', 'a2', 'c', 'd']);
    store.close();
  });
});
