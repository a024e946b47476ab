/**
 * Case tools over a DuckDB connection: list, show (with the audit trail), update and close.
 * Every change is one transaction that updates `cases` and appends to `case_events` (who, when,
 * from and to), with `notified = false` so the next checkpoint of a job sends it through the alert
 * routing (checkpoint.ts). Times are epoch milliseconds in and out.
 *
 * A running job owns its DuckDB file; its HTTP API can call these same functions on the job's
 * connection, between checkpoints (they open their own transaction).
 */
import { BOOLEAN, DOUBLE, LIST, VARCHAR, listValue, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { CASE_STATUSES, type CaseStatusInfo, TERMINAL_CASE_STATUSES, isCaseStatus } from '../../operators/service/case-status.js';
import { OUTPUT_TABLES_DDL } from '../duckdb/schema.js';
import { inTransaction } from '../duckdb/transaction.js';
import { AmbiguousCaseIdError, CaseChangeError, CaseNotFoundError, UnknownTeamError } from './errors.js';
import { bindList } from '../duckdb/bind-list.js';

export interface CaseRecord {
  case_id: string;
  alert_id: string | null;
  customer_id: string | null;
  category: string;
  severity: string;
  status: string;
  team: string;
  opened_at: number;
  due_at: number;
  closed_at: number | null;
  /** The latest assignee named in the audit trail, if any. */
  assignee: string | null;
}

export interface CaseEventRecord {
  seq: number;
  case_id: string;
  at: number;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  from_team: string | null;
  to_team: string | null;
  assignee: string | null;
  note: string | null;
  notified: boolean;
}

export interface CaseFilter {
  /** Any of these statuses. */
  status?: readonly string[];
  team?: string;
  customer?: string;
  /** Only cases not closed or resolved whose due_at is before `asOf`. */
  overdue?: boolean;
  /** The instant `overdue` is judged at (epoch ms); default now. */
  asOf?: number;
  limit?: number;
}

/** Who makes a change and when (wall clock, epoch ms). */
export interface Who {
  actor: string;
  at: number;
}

export interface CaseChange {
  status?: string;
  team?: string;
  /** `team` may be one that no case or console user has yet (else such a team is refused as a likely typo). */
  newTeam?: boolean;
  assignee?: string;
  note?: string;
}

export interface CaseDetail {
  case: CaseRecord;
  events: CaseEventRecord[];
  /** The alert that opened the case, when it is in the `alerts` table. */
  alert: { rule: string; severity: string; summary: string | null; description: string | null } | null;
}

// `alerts` too: `show` joins the alert that opened a case.
const CASE_DDL = OUTPUT_TABLES_DDL.filter((ddl) => /TABLE IF NOT EXISTS (cases|case_events|alerts) \(/.test(ddl));

/** Creates `cases`, `case_events` and `alerts` if missing (a database no job has written yet). */
export async function ensureCaseTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`SET TimeZone = 'UTC'`);
  for (const ddl of CASE_DDL) await conn.run(ddl);
}

const CASE_COLUMNS = `c.case_id, c.alert_id, c.customer_id, c.category, c.severity, c.status, c.team,
  epoch_ms(c.opened_at) AS opened_at, epoch_ms(c.due_at) AS due_at, epoch_ms(c.closed_at) AS closed_at,
  (SELECT arg_max(e.assignee, e.seq) FROM case_events e WHERE e.case_id = c.case_id AND e.assignee IS NOT NULL) AS assignee`;

const TERMINAL_SQL = [...TERMINAL_CASE_STATUSES].map((s) => `'${s}'`).join(', ');

export async function listCases(conn: DuckDBConnection, filter: CaseFilter = {}): Promise<CaseRecord[]> {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.status && filter.status.length > 0) {
    for (const s of filter.status) checkStatus(s);
    where.push(`c.status IN (${bindList(params, 's', filter.status)})`);
  }
  if (filter.team !== undefined) {
    where.push('c.team = $team');
    params['team'] = filter.team;
  }
  if (filter.customer !== undefined) {
    where.push('c.customer_id = $customer');
    params['customer'] = filter.customer;
  }
  if (filter.overdue) {
    where.push(`c.status NOT IN (${TERMINAL_SQL}) AND epoch_ms(c.due_at) < $asOf`);
    params['asOf'] = filter.asOf ?? Date.now();
  }
  const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
  const reader = await conn.runAndReadAll(
    `SELECT ${CASE_COLUMNS} FROM cases c ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY c.due_at, c.case_id${limit}`,
    params,
  );
  return reader.getRowObjectsJS().map(toCase);
}

/** The case with this id, or the only case whose id starts with it. */
export async function getCase(conn: DuckDBConnection, idOrPrefix: string, dbPath?: string): Promise<CaseRecord> {
  const exact = await conn.runAndReadAll(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.case_id = $id`, { id: idOrPrefix });
  const rows = exact.getRowObjectsJS();
  if (rows.length > 0) return toCase(rows[0]!);
  if (idOrPrefix.length >= 6) {
    const prefixed = await conn.runAndReadAll(`SELECT ${CASE_COLUMNS} FROM cases c WHERE starts_with(c.case_id, $id) ORDER BY c.case_id LIMIT 20`, {
      id: idOrPrefix,
    });
    const found = prefixed.getRowObjectsJS().map(toCase);
    if (found.length === 1) return found[0]!;
    if (found.length > 1)
      throw new AmbiguousCaseIdError(
        idOrPrefix,
        found.map((c) => c.case_id),
      );
  }
  throw new CaseNotFoundError(idOrPrefix, dbPath);
}

export async function showCase(conn: DuckDBConnection, idOrPrefix: string, dbPath?: string): Promise<CaseDetail> {
  const found = await getCase(conn, idOrPrefix, dbPath);
  const events = await caseEvents(conn, found.case_id);
  let alert: CaseDetail['alert'] = null;
  if (found.alert_id) {
    const reader = await conn.runAndReadAll(
      `SELECT rule, severity, json_extract_string(annotations, '$.summary') AS summary,
              json_extract_string(annotations, '$.description') AS description
       FROM alerts WHERE alert_id = $id LIMIT 1`,
      { id: found.alert_id },
    );
    const row = reader.getRowObjectsJS()[0];
    if (row) {
      alert = {
        rule: String(row['rule']),
        severity: String(row['severity']),
        summary: nullableString(row['summary']),
        description: nullableString(row['description']),
      };
    }
  }
  return { case: found, events, alert };
}

export async function caseEvents(conn: DuckDBConnection, caseId: string): Promise<CaseEventRecord[]> {
  const reader = await conn.runAndReadAll(
    `SELECT seq, case_id, epoch_ms("at") AS "at", actor, action, from_status, to_status, from_team, to_team, assignee, note, notified
     FROM case_events WHERE case_id = $id ORDER BY seq`,
    { id: caseId },
  );
  return reader.getRowObjectsJS().map(toEvent);
}

/**
 * Changes status, team and/or assignee (and adds a note) in one transaction. Moving to `resolved`
 * or `closed` sets `closed_at`; moving back to an open status clears it (a reopen).
 */
export async function updateCase(conn: DuckDBConnection, idOrPrefix: string, change: CaseChange, who: Who, dbPath?: string): Promise<CaseRecord> {
  if (change.status === undefined && change.team === undefined && change.assignee === undefined && change.note === undefined) {
    throw new CaseChangeError('nothing to change: give --status, --team, --assignee or --note');
  }
  if (change.status !== undefined) checkStatus(change.status);
  if (change.team !== undefined && change.team.trim() === '') throw new CaseChangeError('--team must not be empty');
  return applyChange(conn, idOrPrefix, change, who, 'update', dbPath);
}

/** Teams that exist: those with cases, and those console users work in. */
const KNOWN_TEAMS = `SELECT team FROM cases UNION SELECT team FROM console_users`;

/** Refuses a team that no case or console user has (`UnknownTeamError`), with the close matches and the teams. */
async function requireKnownTeam(conn: DuckDBConnection, team: string): Promise<void> {
  const reader = await conn.runAndReadAll(
    `SELECT team, damerau_levenshtein(lower(team), lower($team)) AS d FROM (${KNOWN_TEAMS}) WHERE team IS NOT NULL ORDER BY d, team`,
    { team },
  );
  const teams = reader.getRowObjectsJS().map((r) => ({ team: String(r['team']), distance: Number(r['d']) }));
  if (teams.some((t) => t.team === team)) return;
  const close = teams.filter((t) => t.distance <= Math.max(2, Math.floor(team.length / 3))).map((t) => t.team);
  throw new UnknownTeamError(
    team,
    close,
    teams.map((t) => t.team),
  );
}

/** Closes a case (`closed`, or `resolved` when given); closing a closed case is refused. */
export async function closeCase(
  conn: DuckDBConnection,
  idOrPrefix: string,
  options: { note?: string; status?: 'closed' | 'resolved' },
  who: Who,
  dbPath?: string,
): Promise<CaseRecord> {
  const status = options.status ?? 'closed';
  return applyChange(conn, idOrPrefix, { status, ...(options.note !== undefined ? { note: options.note } : {}) }, who, 'close', dbPath);
}

async function applyChange(
  conn: DuckDBConnection,
  idOrPrefix: string,
  change: CaseChange,
  who: Who,
  action: 'update' | 'close',
  dbPath?: string,
): Promise<CaseRecord> {
  return inTransaction(conn, async () => {
    const before = await getCase(conn, idOrPrefix, dbPath);
    if (action === 'close' && TERMINAL_CASE_STATUSES.has(before.status)) {
      throw new CaseChangeError(`case '${before.case_id}' is already ${before.status}`);
    }
    const toStatus = change.status ?? before.status;
    const toTeam = change.team ?? before.team;
    if (toTeam !== before.team && change.newTeam !== true) await requireKnownTeam(conn, toTeam);
    const terminal = TERMINAL_CASE_STATUSES.has(toStatus);
    const closedAt = terminal ? (TERMINAL_CASE_STATUSES.has(before.status) ? before.closed_at : who.at) : null;
    await conn.run(
      `UPDATE cases SET status = $status, team = $team,
         closed_at = CASE WHEN $closed IS NULL THEN NULL ELSE make_timestamptz(CAST($closed AS BIGINT) * 1000) END
       WHERE case_id = $id`,
      { status: toStatus, team: toTeam, closed: closedAt, id: before.case_id },
    );
    await insertEvent(conn, {
      case_id: before.case_id,
      at: who.at,
      actor: who.actor,
      action: action === 'close' ? 'close' : toStatus !== before.status && !terminal && TERMINAL_CASE_STATUSES.has(before.status) ? 'reopen' : 'update',
      from_status: before.status,
      to_status: toStatus,
      from_team: before.team,
      to_team: toTeam,
      assignee: change.assignee ?? null,
      note: change.note ?? null,
      notified: false,
    });
    return getCase(conn, before.case_id, dbPath);
  });
}

/** Appends one audit event (the caller owns the transaction); returns its seq. */
export async function insertEvent(conn: DuckDBConnection, e: Omit<CaseEventRecord, 'seq'>): Promise<number> {
  const [seq] = await insertEvents(conn, [e]);
  return seq!;
}

/** The columns of `case_events` after `seq`, with the type of the list each is bound as. */
const EVENT_COLUMNS = [
  ['case_id', VARCHAR],
  ['at', DOUBLE],
  ['actor', VARCHAR],
  ['action', VARCHAR],
  ['from_status', VARCHAR],
  ['to_status', VARCHAR],
  ['from_team', VARCHAR],
  ['to_team', VARCHAR],
  ['assignee', VARCHAR],
  ['note', VARCHAR],
  ['notified', BOOLEAN],
] as const satisfies ReadonlyArray<readonly [Exclude<keyof CaseEventRecord, 'seq'>, DuckDBType]>;

/**
 * Appends audit events in their order (the caller owns the transaction); returns their seqs. One
 * statement whatever their number, each column bound as a list: a checkpoint may escalate
 * thousands of cases, and a statement an event took about a millisecond each.
 */
export async function insertEvents(conn: DuckDBConnection, events: ReadonlyArray<Omit<CaseEventRecord, 'seq'>>): Promise<number[]> {
  if (events.length === 0) return [];
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const [column, type] of EVENT_COLUMNS) {
    values[column] = listValue(events.map((event) => event[column]));
    types[column] = LIST(type);
  }
  const columns = EVENT_COLUMNS.map(([column]) => `unnest($${column}) AS "${column}"`).join(', ');
  const reader = await conn.runAndReadAll(
    `INSERT INTO case_events
       SELECT (SELECT coalesce(max(seq), 0) FROM case_events) + n, case_id, make_timestamptz(CAST("at" AS BIGINT) * 1000), actor, action,
              from_status, to_status, from_team, to_team, assignee, note, notified
       FROM (SELECT unnest(range(1, len($case_id) + 1)) AS n, ${columns})
     RETURNING seq`,
    values,
    types,
  );
  // Numbered in the events' order; RETURNING need not give them in that order.
  return reader
    .getRowsJS()
    .map(([seq]) => Number(seq))
    .sort((a, b) => a - b);
}

/**
 * Status and team of the given cases as people left them (missing ids are left out). The ids are
 * bound as one list: a checkpoint may settle tens of thousands of overdue cases, and IN lists of
 * 500 parameters took 0.9 s for 20,000 of them (0.06 s as a list).
 */
export async function caseStatuses(conn: DuckDBConnection, caseIds: readonly string[]): Promise<Map<string, CaseStatusInfo>> {
  const out = new Map<string, CaseStatusInfo>();
  if (caseIds.length === 0) return out;
  const reader = await conn.runAndReadAll(
    'SELECT case_id, status, team FROM cases WHERE case_id IN (SELECT unnest($ids))',
    { ids: listValue([...caseIds]) },
    { ids: LIST(VARCHAR) },
  );
  for (const row of reader.getRowObjectsJS()) out.set(String(row['case_id']), { status: String(row['status']), team: String(row['team']) });
  return out;
}

/** The rule of each of the alerts `alertIds` that the `alerts` table holds, by alert id. */
export async function alertRules(conn: DuckDBConnection, alertIds: readonly string[]): Promise<Map<string, string>> {
  const reader = await conn.runAndReadAll(
    'SELECT alert_id, any_value(rule) AS rule FROM alerts WHERE alert_id IN (SELECT unnest($ids)) GROUP BY alert_id',
    { ids: listValue([...alertIds]) },
    { ids: LIST(VARCHAR) },
  );
  return new Map(reader.getRowObjectsJS().map((row) => [String(row['alert_id']), String(row['rule'])]));
}

/** Which of `caseIds` need no more watching: escalated already, or closed or resolved by a person. */
export async function casesPastWatching(conn: DuckDBConnection, caseIds: readonly string[]): Promise<Set<string>> {
  if (caseIds.length === 0) return new Set();
  const reader = await conn.runAndReadAll(
    `SELECT case_id FROM cases
      WHERE case_id IN (SELECT unnest($ids))
        AND (status IN (SELECT unnest($terminal)) OR case_id IN (SELECT case_id FROM case_events WHERE action = 'escalated'))`,
    { ids: listValue([...caseIds]), terminal: listValue([...TERMINAL_CASE_STATUSES]) },
    { ids: LIST(VARCHAR), terminal: LIST(VARCHAR) },
  );
  return new Set(reader.getRowObjectsJS().map((row) => String(row['case_id'])));
}

function checkStatus(status: string): void {
  if (!isCaseStatus(status)) throw new CaseChangeError(`unknown status '${status}'; statuses are ${CASE_STATUSES.join(', ')}`);
}

const nullableString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toCase(row: Record<string, unknown>): CaseRecord {
  return {
    case_id: String(row['case_id']),
    alert_id: nullableString(row['alert_id']),
    customer_id: nullableString(row['customer_id']),
    category: String(row['category']),
    severity: String(row['severity']),
    status: String(row['status']),
    team: String(row['team']),
    opened_at: Number(row['opened_at']),
    due_at: Number(row['due_at']),
    closed_at: nullableNumber(row['closed_at']),
    assignee: nullableString(row['assignee']),
  };
}

function toEvent(row: Record<string, unknown>): CaseEventRecord {
  return {
    seq: Number(row['seq']),
    case_id: String(row['case_id']),
    at: Number(row['at']),
    actor: String(row['actor']),
    action: String(row['action']),
    from_status: nullableString(row['from_status']),
    to_status: nullableString(row['to_status']),
    from_team: nullableString(row['from_team']),
    to_team: nullableString(row['to_team']),
    assignee: nullableString(row['assignee']),
    note: nullableString(row['note']),
    notified: Boolean(row['notified']),
  };
}
