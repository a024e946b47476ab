/**
 * The `outcomes` table (issue 16, "the loop closed"): what came of an alert, a lead or a case.
 *
 * `recordOutcome` is the one write function: `pulse outcomes record`, `pulse leads update`, the
 * console forms and the command API (which runs the same commands) all go through it, and the job's
 * inference (infer.ts) writes the same rows with source `inferred`. Rows are appended, never
 * changed: the latest judgement of a subject counts (figures.ts), and the history stays.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../../operators/errors.js';
import { OUTPUT_TABLES_DDL } from '../duckdb/schema.js';
import { checkValue } from './value.js';

export const SUBJECT_KINDS = ['alert', 'lead', 'case'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/**
 * What people record. `acknowledged` and `acted_on` are actions; `useful`, `not_useful`, `won` and
 * `lost` verdicts; `reopened` takes back the verdicts people recorded before it (a won lead moved
 * back to contacted), so that the subject counts as the job infers it until the next verdict.
 */
export const PERSON_OUTCOMES = ['acknowledged', 'acted_on', 'useful', 'not_useful', 'won', 'lost', 'reopened'] as const;
/** What the job infers from later events (infer.ts); a person's verdict overrides them. */
export const INFERRED_OUTCOMES = ['won_candidate', 'lost_candidate'] as const;
export type Outcome = (typeof PERSON_OUTCOMES)[number] | (typeof INFERRED_OUTCOMES)[number];

export interface OutcomeInput {
  subjectId: string;
  /** Looked up in alerts, leads and cases when not given. */
  kind?: SubjectKind;
  outcome: string;
  value?: number;
  note?: string;
}

export interface OutcomeRecord {
  seq: number;
  subject_kind: SubjectKind;
  subject_id: string;
  alert_id: string | null;
  outcome: string;
  value: number | null;
  actor: string;
  source: 'person' | 'inferred';
  at: string;
  note: string | null;
}

const OUTCOME_DDL = OUTPUT_TABLES_DDL.filter((ddl) => /TABLE IF NOT EXISTS (outcomes|alerts|leads|cases) \(/.test(ddl));

/** Creates `outcomes` (and the subject tables it looks ids up in) if missing. */
export async function ensureOutcomeTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`SET TimeZone = 'UTC'`);
  for (const ddl of OUTCOME_DDL) await conn.run(ddl);
}

/** Where each kind of subject lives, and how its alert is found. */
const SUBJECT_TABLES: Record<SubjectKind, { table: string; id: string }> = {
  alert: { table: 'alerts', id: 'alert_id' },
  lead: { table: 'leads', id: 'lead_id' },
  case: { table: 'cases', id: 'case_id' },
};

async function alertOf(conn: DuckDBConnection, kind: SubjectKind, id: string): Promise<{ found: boolean; alertId: string | null }> {
  const { table, id: column } = SUBJECT_TABLES[kind];
  const reader = await conn.runAndReadAll(`SELECT alert_id FROM ${table} WHERE ${column} = $id LIMIT 1`, { id });
  const row = reader.getRowsJS()[0];
  return row === undefined ? { found: false, alertId: null } : { found: true, alertId: row[0] === null ? null : String(row[0]) };
}

/** The kind and alert of a subject id: the kind given, else whichever table holds the id. */
async function resolveSubject(conn: DuckDBConnection, input: OutcomeInput, dbPath?: string): Promise<{ kind: SubjectKind; alertId: string | null }> {
  const kinds = input.kind !== undefined ? [input.kind] : SUBJECT_KINDS;
  for (const kind of kinds) {
    const { found, alertId } = await alertOf(conn, kind, input.subjectId);
    if (found) return { kind, alertId };
  }
  const where = input.kind !== undefined ? `${input.kind}` : 'alert, lead or case';
  throw new UsageError(
    `no ${where} '${input.subjectId}'${dbPath ? ` in ${dbPath}` : ''}; ids are listed on the console's alerts page, by pulse leads list and by pulse cases list`,
  );
}

/**
 * Appends one outcome by a person (the caller may hold a transaction: the seq is taken inside it).
 * Unknown subjects and outcomes and values that are no amount are UsageErrors that say what to give instead.
 */
export async function recordOutcome(conn: DuckDBConnection, input: OutcomeInput, who: { actor: string; at: number }, dbPath?: string): Promise<OutcomeRecord> {
  if (!(PERSON_OUTCOMES as readonly string[]).includes(input.outcome)) {
    throw new UsageError(`'${input.outcome}' is not an outcome people record; use one of ${PERSON_OUTCOMES.join(', ')}`);
  }
  checkValue(input.value);
  if (who.actor.trim() === '') throw new UsageError('the actor of an outcome must not be empty (give --actor NAME)');
  const { kind, alertId } = await resolveSubject(conn, input, dbPath);
  const reader = await conn.runAndReadAll(
    `INSERT INTO outcomes
       SELECT coalesce(max(seq), 0) + 1, $kind, $id, $alert, $outcome, $value, $actor, 'person',
              make_timestamptz(CAST($at AS BIGINT) * 1000), $note
       FROM outcomes
     RETURNING ${RECORD_COLUMNS}`,
    {
      kind,
      id: input.subjectId,
      alert: alertId,
      outcome: input.outcome,
      value: input.value ?? null,
      actor: who.actor,
      at: who.at,
      note: input.note ?? null,
    },
  );
  return toRecord(reader.getRowObjectsJS()[0]!);
}

const RECORD_COLUMNS = `seq, subject_kind, subject_id, alert_id, outcome, value, actor, source,
  strftime("at", '%Y-%m-%dT%H:%M:%S.%gZ') AS "at", note`;

export interface OutcomeFilter {
  subjectId?: string;
  kind?: SubjectKind;
  limit?: number;
}

/** Outcomes, newest first. */
export async function listOutcomes(conn: DuckDBConnection, filter: OutcomeFilter = {}): Promise<OutcomeRecord[]> {
  const where: string[] = [];
  const params: Record<string, string> = {};
  if (filter.subjectId !== undefined) {
    where.push('subject_id = $id');
    params['id'] = filter.subjectId;
  }
  if (filter.kind !== undefined) {
    where.push('subject_kind = $kind');
    params['kind'] = filter.kind;
  }
  const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
  const reader = await conn.runAndReadAll(
    `SELECT ${RECORD_COLUMNS} FROM outcomes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC${limit}`,
    params,
  );
  return reader.getRowObjectsJS().map(toRecord);
}

function toRecord(row: Record<string, unknown>): OutcomeRecord {
  return {
    seq: Number(row['seq']),
    subject_kind: String(row['subject_kind']) as SubjectKind,
    subject_id: String(row['subject_id']),
    alert_id: row['alert_id'] === null ? null : String(row['alert_id']),
    outcome: String(row['outcome']),
    value: row['value'] === null ? null : Number(row['value']),
    actor: String(row['actor']),
    source: String(row['source']) as OutcomeRecord['source'],
    at: String(row['at']),
    note: row['note'] === null ? null : String(row['note']),
  };
}
