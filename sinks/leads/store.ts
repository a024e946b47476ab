/**
 * The `leads` table for people: list leads and record what came of them (`pulse leads`).
 * The job writes a lead once (status new); every change here sets `updated_by` and `updated_at`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../../operators/errors.js';
import { LEAD_STATUSES } from '../../operators/service/leads.js';
import { OUTPUT_TABLES_DDL } from '../duckdb/schema.js';
import { inTransaction } from '../duckdb/transaction.js';
import { ensureOutcomeTables, recordOutcome } from '../outcomes/store.js';
import { exactSumSql } from '../duckdb/exact-sum.js';
import { bindList } from '../duckdb/bind-list.js';
import { renderTable, shellWord } from '../terminal-text.js';
import { clipText } from '../../operators/text-clip.js';
import { checkValue } from '../outcomes/value.js';

export interface LeadRecord {
  lead_id: string;
  alert_id: string;
  customer_id: string;
  intent: string;
  confidence: number;
  source_contact: string | null;
  team: string;
  tier: string | null;
  account_owner: string | null;
  trailing_spend: number | null;
  excerpt: string | null;
  created_at: string;
  status: string;
  value: number | null;
  updated_by: string | null;
  updated_at: string | null;
}

export interface LeadFilter {
  status?: readonly string[];
  intent?: string;
  team?: string;
  limit?: number;
}

export interface LeadChange {
  status?: string;
  value?: number;
}

const LEADS_DDL = OUTPUT_TABLES_DDL.filter((ddl) => /TABLE IF NOT EXISTS leads \(/.test(ddl));

/** Creates `leads` (and `outcomes`, which updates write to) if missing. */
export async function ensureLeadTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(`SET TimeZone = 'UTC'`);
  for (const ddl of LEADS_DDL) await conn.run(ddl);
  await ensureOutcomeTables(conn);
}

/**
 * The outcome record a lead update makes (sinks/outcomes): reaching the customer is an action,
 * won and lost are verdicts. A value given for a lead already won or lost records the verdict
 * again with the value (the latest one counts).
 */
const OUTCOME_OF_STATUS: Partial<Record<string, 'acted_on' | 'won' | 'lost'>> = { contacted: 'acted_on', won: 'won', lost: 'lost' };
/** Statuses that are a verdict on the lead. */
const VERDICT_STATUSES: ReadonlySet<string> = new Set(['won', 'lost']);

const COLUMNS = `lead_id, alert_id, customer_id, intent, confidence, source_contact, team, tier, account_owner,
  trailing_spend, excerpt, strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS created_at, status, value, updated_by,
  strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS updated_at`;

function checkStatus(status: string): void {
  if (!(LEAD_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`'${status}' is not a lead status; use one of ${LEAD_STATUSES.join(', ')}`);
  }
}

export async function listLeads(conn: DuckDBConnection, filter: LeadFilter = {}): Promise<LeadRecord[]> {
  const where: string[] = [];
  const params: Record<string, string> = {};
  if (filter.status && filter.status.length > 0) {
    filter.status.forEach(checkStatus);
    where.push(`status IN (${bindList(params, 's', filter.status)})`);
  }
  if (filter.intent !== undefined) {
    where.push('intent = $intent');
    params['intent'] = filter.intent;
  }
  if (filter.team !== undefined) {
    where.push('team = $team');
    params['team'] = filter.team;
  }
  const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
  const reader = await conn.runAndReadAll(
    `SELECT ${COLUMNS} FROM leads ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, lead_id${limit}`,
    params,
  );
  return reader.getRowObjectsJS() as unknown as LeadRecord[];
}

/** Records a status and/or value; unknown ids and statuses are UsageErrors (exit code 2). */
export async function updateLead(
  conn: DuckDBConnection,
  leadId: string,
  change: LeadChange,
  who: { actor: string; at: number },
  dbPath?: string,
): Promise<LeadRecord> {
  if (change.status !== undefined) checkStatus(change.status);
  checkValue(change.value);
  const sets = ['updated_by = $actor', 'updated_at = make_timestamptz(CAST($at AS BIGINT) * 1000)'];
  const params: Record<string, string | number> = { id: leadId, actor: who.actor, at: who.at };
  if (change.status !== undefined) {
    sets.push('status = $status');
    params['status'] = change.status;
  }
  if (change.value !== undefined) {
    sets.push('value = $value');
    params['value'] = change.value;
  }
  return inTransaction(conn, async () => {
    const before = await conn.runAndReadAll(`SELECT status FROM leads WHERE lead_id = $id`, { id: leadId });
    const previousStatus = before.getRows()[0]?.[0];
    const updated = await conn.runAndReadAll(`UPDATE leads SET ${sets.join(', ')} WHERE lead_id = $id RETURNING lead_id`, params);
    if (updated.getRows().length === 0) {
      throw new UsageError(
        `no lead '${leadId}'${dbPath ? ` in ${dbPath}` : ''}; see pulse leads list --db ${dbPath === undefined ? 'PATH' : shellWord(dbPath)}`,
      );
    }
    const reader = await conn.runAndReadAll(`SELECT ${COLUMNS} FROM leads WHERE lead_id = $id`, { id: leadId });
    const lead = reader.getRowObjectsJS()[0] as unknown as LeadRecord;
    // Moved back from won or lost: the verdict is taken back (the figures counted it on).
    if (VERDICT_STATUSES.has(String(previousStatus)) && !VERDICT_STATUSES.has(lead.status)) {
      await recordOutcome(conn, { subjectId: leadId, kind: 'lead', outcome: 'reopened' }, who, dbPath);
    }
    const outcome = OUTCOME_OF_STATUS[lead.status];
    if (outcome !== undefined && (change.status !== undefined || outcome !== 'acted_on')) {
      await recordOutcome(
        conn,
        { subjectId: leadId, kind: 'lead', outcome, ...(lead.value !== null && outcome !== 'acted_on' ? { value: lead.value } : {}) },
        who,
        dbPath,
      );
    }
    return lead;
  });
}

/** A readable table of leads. */
export function formatLeads(leads: readonly LeadRecord[]): string {
  if (leads.length === 0) return 'no leads\n';
  const header = ['lead_id', 'created_at', 'customer', 'intent', 'conf', 'team', 'status', 'value', 'excerpt'];
  const rows = leads.map((l) => [
    l.lead_id,
    l.created_at,
    l.customer_id,
    l.intent,
    l.confidence.toFixed(2),
    l.team,
    l.status,
    l.value === null ? '' : l.value.toFixed(2),
    clipText((l.excerpt ?? '').replace(/\s+/g, ' '), 50, ''),
  ]);
  return renderTable(header, rows, {});
}

export interface LeadSummaryRow {
  intent: string;
  team: string;
  leads: number;
  /** Leads people reached: status contacted, won or lost. */
  reached: number;
  won: number;
  lost: number;
  /** reached / leads. */
  reach_rate: number | null;
  /** won / reached (the issue's "60% of those reached closed"); NULL when none was reached. */
  win_rate: number | null;
  /** Sum of `value` over won leads. */
  revenue: number;
}

/** Conversion and revenue per intent and team, from the outcomes people recorded. */
export async function leadSummary(conn: DuckDBConnection): Promise<LeadSummaryRow[]> {
  const reader = await conn.runAndReadAll(`
    SELECT intent, team,
      CAST(count(*) AS INTEGER) AS leads,
      CAST(count(*) FILTER (WHERE status IN ('contacted', 'won', 'lost')) AS INTEGER) AS reached,
      CAST(count(*) FILTER (WHERE status = 'won') AS INTEGER) AS won,
      CAST(count(*) FILTER (WHERE status = 'lost') AS INTEGER) AS lost,
      coalesce(${exactSumSql('value', "status = 'won'")}, 0) AS revenue
    FROM leads GROUP BY intent, team ORDER BY intent, team`);
  return (reader.getRowObjectsJS() as Array<Omit<LeadSummaryRow, 'reach_rate' | 'win_rate'>>).map((r) => ({
    ...r,
    reach_rate: r.leads > 0 ? r.reached / r.leads : null,
    win_rate: r.reached > 0 ? r.won / r.reached : null,
  }));
}

export function formatLeadSummary(rows: readonly LeadSummaryRow[]): string {
  if (rows.length === 0) return 'no leads\n';
  const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
  const header = ['intent', 'team', 'leads', 'reached', 'won', 'lost', 'reach_rate', 'win_rate', 'revenue'];
  const body = rows.map((r) => [
    r.intent,
    r.team,
    String(r.leads),
    String(r.reached),
    String(r.won),
    String(r.lost),
    pct(r.reach_rate),
    pct(r.win_rate),
    r.revenue.toFixed(2),
  ]);
  return renderTable(header, body, {});
}
