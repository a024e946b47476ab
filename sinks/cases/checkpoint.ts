/**
 * What the runner does for cases at each checkpoint (README: "Overdue cases and closing by hand").
 *
 * 1. Overdue settlement: operators that watch case deadlines (ServiceTriggersOperator) hold the
 *    cases whose due_at the watermark has passed. Their status as people left it is read from the
 *    `cases` table and handed to `settleOverdue`: closed/resolved cases are dropped, the others
 *    raise one `case_overdue` alert (it comes out of the operator's next `drainOutputs`).
 * 2. Change notifications: audit events written by `pulse cases update|close` with
 *    `notified = false` become `case_updated` / `case_closed` alerts (label `team`, `case_id`), so
 *    the team hears of them through the alert routing.
 * `write` records the escalations in `case_events` and marks the notified events; call it inside
 * the checkpoint transaction (CheckpointData.extraWrites), so a crash before the commit repeats
 * both (alert ids are stable, so the outbox does not send twice).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type Alert, stableAlertId } from '../../operators/alert.js';
import { CASE_ALERT_RULES, type CaseStatusInfo, type NewDeadline, type ReopenedCase, TERMINAL_CASE_STATUSES } from '../../operators/service/case-status.js';
import { SERVICE_STATE_NAMES, type SettledCase } from '../../operators/service/operator.js';
import type { KeyedState } from '../../operators/state.js';
import { bindRows } from '../duckdb/bind-list.js';
import { alertRules, caseStatuses, insertEvents } from './store.js';

/**
 * The cases of an operator that watches case deadlines, wherever it runs (its local parts on the
 * worker threads answer through the runner).
 */
export interface CaseDeadlineWatcher {
  /** `dueBy`: deadlines before it have passed (the job clock when it is not the watermark). */
  overdueCases(dueBy?: number): Promise<ReadonlyArray<{ case_id: string }>>;
  settleOverdue(statuses: ReadonlyMap<string, CaseStatusInfo>): Promise<SettledCase[]>;
  /** Statuses people gave cases since the operator last heard, by case id (a closed case is no longer reused). */
  casesChangedByPeople(statuses: ReadonlyMap<string, string>): Promise<void>;
  /**
   * Cases people reopened: one whose deadline had passed (the operator watches it no more) is
   * watched again, to a new deadline. Returns the deadline of each reopened case it watches that
   * the `cases` table does not show yet.
   */
  watchReopened(cases: readonly ReopenedCase[]): Promise<NewDeadline[]>;
}

/** True for an operator (part) that holds cases with deadlines (duck-typed so any operator can take part). */
export function watchesCaseDeadlines(op: object): boolean {
  const candidate = op as { overdueCases?: unknown; settleOverdue?: unknown };
  return typeof candidate.overdueCases === 'function' && typeof candidate.settleOverdue === 'function';
}

/**
 * The name of the keyed state, by case id, in which an operator that watches case deadlines keeps
 * its cases (the service operator's): the cases an operator taken out of the job left there go to
 * the job's own watcher when it starts (pipelines/state-restore.ts).
 */
export const WATCHED_CASES_STATE = SERVICE_STATE_NAMES.cases;

/** The keyed state of the cases `op` watches, or undefined when it watches none. */
export function watchedCasesState(op: { states: Readonly<Record<string, KeyedState<unknown>>> }): KeyedState<unknown> | undefined {
  return watchesCaseDeadlines(op) ? op.states[WATCHED_CASES_STATE] : undefined;
}

/** The actor recorded for escalations in the audit trail. */
export const SYSTEM_ACTOR = 'pulse';

export interface CaseCheckpointWork {
  /** Cases settled by the overdue check (escalated or found closed). */
  settled: SettledCase[];
  /** Notifications of changes made by people; add them to the checkpoint's alert outputs. */
  alerts: Alert[];
  /** Writes the audit events and notified marks; run inside the checkpoint transaction. */
  write(conn: DuckDBConnection): Promise<void>;
}

/**
 * Settles overdue cases of every watching operator and collects pending change notifications.
 * Call before draining the operators' outputs. `now` is the job's clock (sinks/duckdb/job-clock.ts):
 * escalations are recorded at their cases' due time, never after it, so a case's history is on one clock; `dueBy` is that clock
 * when deadlines do not pass by the watermark (a live source: the wall clock).
 */
export async function prepareCaseCheckpoint(
  conn: DuckDBConnection,
  watchers: readonly CaseDeadlineWatcher[],
  now: number,
  dueBy?: number,
): Promise<CaseCheckpointWork> {
  const settled = await settleOverdue(conn, watchers, dueBy);
  const pending = await pendingNotifications(conn);
  await tellStatuses(watchers, pending.statuses);
  const deadlines = await watchReopened(watchers, pending.reopened);
  // A case watched again to a deadline the job's clock has passed already (the run read past it
  // before this checkpoint, or this is the input's last) is settled now, as if watched all along.
  if (deadlines.length > 0) settled.push(...(await settleOverdue(conn, watchers, now)));
  return {
    settled,
    alerts: pending.alerts,
    async write(tx) {
      await insertEvents(
        tx,
        settled
          .filter((s) => s.escalated)
          .map((s) => ({
            case_id: s.case_id,
            // When it became overdue, as its escalation alert says; noticed at this checkpoint
            // (`now`), which in a replay of one checkpoint is the end of the data for every case.
            at: Math.min(s.due_at, now),
            actor: SYSTEM_ACTOR,
            action: 'escalated',
            from_status: s.status,
            to_status: s.status,
            from_team: s.from_team,
            to_team: s.team,
            assignee: null,
            note: `overdue; alert ${s.alert_id ?? ''}`,
            // The escalation alert itself is the notification.
            notified: true,
          }))
          // In time order, then by case: the escalations of one checkpoint came shard by shard,
          // and checkpoints fall where the wall clock puts them, so two runs of one input numbered
          // the same events (seq) in other orders.
          .sort((a, b) => a.at - b.at || (a.case_id < b.case_id ? -1 : a.case_id > b.case_id ? 1 : 0)),
      );
      await markNotified(tx, pending.seqs);
      await setDeadlines(tx, deadlines);
    },
  };
}

/** The overdue cases of every watcher (`dueBy`: see `CaseDeadlineWatcher.overdueCases`), settled against their status in `cases`. */
async function settleOverdue(conn: DuckDBConnection, watchers: readonly CaseDeadlineWatcher[], dueBy: number | undefined): Promise<SettledCase[]> {
  const settled: SettledCase[] = [];
  for (const watcher of watchers) {
    const due = await watcher.overdueCases(dueBy);
    if (due.length === 0) continue;
    const statuses = await caseStatuses(
      conn,
      due.map((c) => c.case_id),
    );
    settled.push(...(await watcher.settleOverdue(statuses)));
  }
  return settled;
}

/**
 * Tells the watching operators of the statuses people gave cases since the last checkpoint. Also
 * when a job starts, before it reads: a case closed between two runs is not reused by the first
 * firing of the next.
 */
export async function applyPeopleChanges(conn: DuckDBConnection, watchers: readonly CaseDeadlineWatcher[]): Promise<void> {
  if (watchers.length === 0) return;
  // Statuses only. A reopened case is watched again at the next checkpoint, in the transaction that
  // records its new deadline and marks the reopening heard: watched again here as well, it came
  // back a second time at that checkpoint once its new deadline had passed and it had escalated.
  await tellStatuses(watchers, (await pendingNotifications(conn)).statuses);
}

async function tellStatuses(watchers: readonly CaseDeadlineWatcher[], statuses: ReadonlyMap<string, string>): Promise<void> {
  if (statuses.size > 0) for (const watcher of watchers) await watcher.casesChangedByPeople(statuses);
}

/**
 * Reopened cases, only when one operator watches cases (the table does not say which operator
 * opened a case, and two watching it would escalate it twice).
 */
async function watchReopened(watchers: readonly CaseDeadlineWatcher[], reopened: readonly ReopenedCase[]): Promise<NewDeadline[]> {
  return reopened.length > 0 && watchers.length === 1 ? watchers[0]!.watchReopened(reopened) : [];
}

/** Reopened cases' new deadlines, for people to see (`pulse cases`, the console). */
async function setDeadlines(conn: DuckDBConnection, deadlines: readonly NewDeadline[]): Promise<void> {
  if (deadlines.length === 0) return;
  const params: Record<string, string | number> = {};
  await conn.run(
    `UPDATE cases SET due_at = make_timestamptz(CAST(d.due AS BIGINT) * 1000)
     FROM (VALUES ${bindRows(
       params,
       'd',
       deadlines.map((d) => [d.case_id, d.due_at]),
     )}) d(id, due)
     WHERE cases.case_id = d.id`,
    params,
  );
}

interface PendingNotifications {
  alerts: Alert[];
  seqs: number[];
  /** The current status of each case people changed, by case id. */
  statuses: Map<string, string>;
  /** Cases reopened and open now, each once (its latest reopening). */
  reopened: ReopenedCase[];
}

/** Audit events people made that no notification has gone out for yet, as alerts. */
export async function pendingNotifications(conn: DuckDBConnection): Promise<PendingNotifications> {
  const reader = await conn.runAndReadAll(
    `SELECT e.seq, e.case_id, epoch_ms(e."at") AS "at", e.actor, e.action, e.from_status, e.to_status, e.from_team, e.to_team,
            e.assignee, e.note, c.customer_id, c.category, c.severity AS case_severity, c.team AS case_team,
            c.status AS case_status, epoch_ms(c.due_at) AS due_at, epoch_ms(c.opened_at) AS opened_at, c.alert_id
     FROM case_events e LEFT JOIN cases c USING (case_id)
     WHERE NOT e.notified ORDER BY e.seq`,
  );
  const alerts: Alert[] = [];
  const seqs: number[] = [];
  const statuses = new Map<string, string>();
  const reopened = new Map<string, ReopenedCase>();
  for (const row of reader.getRowObjectsJS()) {
    seqs.push(Number(row['seq']));
    alerts.push(changeAlert(row));
    const status = str(row['case_status']);
    if (status === null) continue;
    const caseId = String(row['case_id']);
    statuses.set(caseId, status);
    if (row['action'] === 'reopen' && !TERMINAL_CASE_STATUSES.has(status) && row['customer_id'] !== null) {
      reopened.set(caseId, {
        case_id: caseId,
        alert_id: str(row['alert_id']),
        rule: null,
        customer_id: String(row['customer_id']),
        category: String(row['category']),
        severity: String(row['case_severity']),
        team: String(row['case_team']),
        opened_at: Number(row['opened_at']),
        due_at: Number(row['due_at']),
        reopened_at: Number(row['at']),
      });
    }
  }
  return { alerts, seqs, statuses, reopened: await withRules(conn, [...reopened.values()]) };
}

/**
 * The rule of the alert that opened each reopened case, read only when there are any: a lookup
 * joined into every checkpoint's query of pending changes read the whole `alerts` table each time.
 */
async function withRules(conn: DuckDBConnection, reopened: ReopenedCase[]): Promise<ReopenedCase[]> {
  const ids = reopened.flatMap((c) => (c.alert_id === null ? [] : [c.alert_id]));
  if (ids.length === 0) return reopened;
  const rules = await alertRules(conn, ids);
  return reopened.map((c) => ({ ...c, rule: c.alert_id === null ? null : (rules.get(c.alert_id) ?? null) }));
}

async function markNotified(conn: DuckDBConnection, seqs: readonly number[]): Promise<void> {
  for (let i = 0; i < seqs.length; i += 500) {
    const chunk = seqs.slice(i, i + 500);
    await conn.run(`UPDATE case_events SET notified = true WHERE seq IN (${chunk.map((s) => String(Math.trunc(s))).join(', ')})`);
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The notification of one change: `case_closed` when it ends in closed/resolved, else `case_updated`. */
export function changeAlert(row: Record<string, unknown>): Alert {
  const caseId = String(row['case_id']);
  const seq = Number(row['seq']);
  const at = Number(row['at']);
  const actor = String(row['actor']);
  const from = str(row['from_status']);
  const to = str(row['to_status']) ?? str(row['case_status']) ?? 'open';
  const fromTeam = str(row['from_team']);
  const team = str(row['to_team']) ?? str(row['case_team']) ?? 'unknown';
  const closed = TERMINAL_CASE_STATUSES.has(to) && !(from !== null && TERMINAL_CASE_STATUSES.has(from));
  const rule = closed ? CASE_ALERT_RULES.closed : CASE_ALERT_RULES.updated;
  const changes: string[] = [];
  if (from !== to) changes.push(`status ${from ?? '?'} -> ${to}`);
  if (fromTeam !== null && fromTeam !== team) changes.push(`team ${fromTeam} -> ${team}`);
  if (row['assignee'] !== null && row['assignee'] !== undefined) changes.push(`assigned to ${String(row['assignee'])}`);
  const note = str(row['note']);
  const labels: Record<string, string> = {
    alertname: rule,
    kind: 'service',
    severity: 'info',
    team,
    case_id: caseId,
    status: to,
    trigger: rule,
  };
  const category = str(row['category']);
  if (category) labels['category'] = category;
  if (fromTeam !== null && fromTeam !== team) labels['previous_team'] = fromTeam;
  return {
    alert_id: stableAlertId(rule, at, caseId, String(seq)),
    kind: 'service',
    rule,
    severity: 'info',
    customer_id: str(row['customer_id']),
    window_start: at,
    fired_at: at,
    labels,
    annotations: {
      summary: `Case ${caseId} ${closed ? `${to} by ${actor}` : `updated by ${actor}`}`,
      description:
        `${actor} ${changes.length > 0 ? changes.join(', ') : 'added a note'} on case ${caseId}` +
        `${category ? ` (${category}, ${str(row['case_severity']) ?? ''})` : ''}` +
        `${note ? `: ${JSON.stringify(note)}` : ''}.`,
      case_id: caseId,
      actor,
      ...(note ? { note } : {}),
      ...(row['due_at'] !== null && row['due_at'] !== undefined ? { due_at: new Date(Number(row['due_at'])).toISOString() } : {}),
    },
    status: 'firing',
  };
}
