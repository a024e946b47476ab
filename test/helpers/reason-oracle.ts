/**
 * Contacts for the reason-taxonomy tests and their oracle: DuckDB SQL over the same input, each
 * contact mapped by the version in force for its segment (the mappings of V1 and V2 as a table),
 * giving the reason volumes, KPIs (offered, FCR same_reason) and unknown codes a job must write.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { query } from './duckdb.js';

export const REASONS_V1 = `reasons:
  - { code: billing_dispute, label: Billing dispute, category: billing, channel_codes: { voice: [BILL01] } }
  - { code: cancel, label: Cancellation, category: retention }
`;
/** V1 with billing_dispute renamed and cancel merged into it. */
export const REASONS_V2 = `reasons:
  - { code: billing_dispute, label: Billing problem, category: billing, channel_codes: { voice: [BILL01] } }
  - { code: cancel, label: Cancellation, category: retention, status: retired, merged_into: billing_dispute }
`;
/** Both lists as mapping rows: (list 1 or 2, channel or '*', arriving code, reason). */
const MAPPINGS = `(VALUES
  (1, 'voice', 'BILL01', 'billing_dispute'), (1, '*', 'billing_dispute', 'billing_dispute'), (1, '*', 'cancel', 'cancel'),
  (2, 'voice', 'BILL01', 'billing_dispute'), (2, '*', 'billing_dispute', 'billing_dispute'), (2, '*', 'cancel', 'billing_dispute')
)`;

const CHANNELS = ['voice', 'chat', 'email'] as const;
const CODES = ['BILL01', 'cancel', 'billing_dispute', 'XYZ', 'BILL01'] as const;

/** `count` contacts of segment `s` from `start`, 3 minutes apart, of six customers; ids `s{s}-{i}`. */
export function contactLines(s: number, start: number, count: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const queued = start + i * 3 * 60_000;
    const abandoned = i % 5 === 4;
    const answered = abandoned ? null : queued + 15_000;
    lines.push(
      JSON.stringify({
        type: 'contact',
        event_id: `s${s}-${i}`,
        customer_id: `c${(i * 3 + s) % 6}`,
        contact_id: `k${s}-${i}`,
        channel: CHANNELS[i % 3],
        queue: i % 2 === 0 ? 'billing' : 'support',
        reason: CODES[(i * 7 + s) % 5],
        agent_id: abandoned ? null : 'A1',
        queued_at: new Date(queued).toISOString(),
        answered_at: answered === null ? null : new Date(answered).toISOString(),
        ended_at: new Date(queued + 120_000).toISOString(),
        hold_seconds: 0,
        acw_seconds: 10,
        disposition: abandoned ? 'abandoned' : i % 3 === 0 ? 'unresolved' : 'resolved',
      }),
    );
  }
  return lines;
}

type Rows = Array<Record<string, unknown>>;

export interface ReasonTables {
  volumes: Rows;
  kpis: Rows;
  unknown: Rows;
}

/**
 * What a job must write for `input`: segment `s` mapped by `segments[s].list` (REASONS_V1 or
 * REASONS_V2), which the job saved as version `segments[s].version`.
 */
export async function reasonOracle(input: string, segments: ReadonlyArray<{ list: 1 | 2; version: number }>): Promise<ReasonTables> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    const bySegment = (pick: (segment: { list: 1 | 2; version: number }) => number): string =>
      `CASE split_part(event_id, '-', 1) ${segments.map((segment, s) => `WHEN 's${s}' THEN ${pick(segment)}`).join(' ')} END`;
    await conn.run(`CREATE TABLE ev AS
      SELECT e.*, ${bySegment((s) => s.list)} AS list, ${bySegment((s) => s.version)} AS version
      FROM read_json('${input}', format = 'newline_delimited', columns = {
        event_id: 'VARCHAR', customer_id: 'VARCHAR', channel: 'VARCHAR', queue: 'VARCHAR', reason: 'VARCHAR',
        queued_at: 'TIMESTAMPTZ', answered_at: 'TIMESTAMPTZ', ended_at: 'TIMESTAMPTZ', disposition: 'VARCHAR'}) e`);
    // A channel's own code first, then the reason's code on any channel, else the code as it arrived.
    await conn.run(`CREATE TABLE mapped AS
      SELECT ev.*, coalesce(byc.reason, anyc.reason, ev.reason) AS mapped, coalesce(byc.reason, anyc.reason) IS NOT NULL AS known
      FROM ev
      LEFT JOIN ${MAPPINGS} AS byc(list, channel, code, reason) ON byc.list = ev.list AND byc.channel = ev.channel AND byc.code = ev.reason
      LEFT JOIN ${MAPPINGS} AS anyc(list, channel, code, reason) ON anyc.list = ev.list AND anyc.channel = '*' AND anyc.code = ev.reason`);
    const read = async (sql: string): Promise<Rows> => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Rows;
    return {
      volumes: await read(`
        SELECT epoch_ms(time_bucket(INTERVAL 1 HOUR, queued_at)) AS ws, queue, channel, mapped AS reason, count(*)::INTEGER AS contacts, max(version) AS v
        FROM mapped GROUP BY ALL ORDER BY ALL`),
      // FCR, same_reason: a handled contact is resolved unless the customer contacts again about the
      // same (mapped) reason with queued_at in (ended_at, ended_at + 7 days].
      kpis: await read(`
        SELECT epoch_ms(time_bucket(INTERVAL 1 HOUR, a.queued_at)) AS ws, a.queue, a.channel, count(*)::INTEGER AS offered,
               count(*) FILTER (WHERE a.answered_at IS NOT NULL)::INTEGER AS fcr_eligible,
               count(*) FILTER (WHERE a.answered_at IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM mapped b WHERE b.customer_id = a.customer_id AND b.mapped = a.mapped
                   AND b.queued_at > a.ended_at AND b.queued_at <= a.ended_at + INTERVAL 7 DAY))::INTEGER AS fcr_resolved,
               max(a.version) AS v
        FROM mapped a GROUP BY ALL ORDER BY ALL`),
      unknown: await read(`
        SELECT channel, reason AS code, count(*)::INTEGER AS count, epoch_ms(min(queued_at)) AS first_seen, epoch_ms(max(queued_at)) AS last_seen, max(version) AS v
        FROM mapped WHERE NOT known GROUP BY ALL ORDER BY ALL`),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The same tables as the job wrote them. */
export async function jobReasonTables(db: string): Promise<ReasonTables & { versions: Rows }> {
  const [volumes, kpis, unknown, versions] = await query(
    db,
    `SELECT epoch_ms(window_start) AS ws, queue, channel, reason, contacts::INTEGER AS contacts, taxonomy_version AS v FROM contact_reason_volumes ORDER BY ALL`,
    `SELECT epoch_ms(window_start) AS ws, queue, channel, offered::INTEGER AS offered, fcr_eligible::INTEGER AS fcr_eligible,
            fcr_resolved::INTEGER AS fcr_resolved, taxonomy_version AS v FROM contact_kpis ORDER BY ALL`,
    `SELECT channel, code, count::INTEGER AS count, epoch_ms(first_seen) AS first_seen, epoch_ms(last_seen) AS last_seen, taxonomy_version AS v
     FROM reason_unknown_codes ORDER BY ALL`,
    `SELECT DISTINCT reason, taxonomy_version AS v FROM contact_reason_volumes ORDER BY ALL`,
  );
  return { volumes: volumes!, kpis: kpis!, unknown: unknown!, versions: versions! };
}

/**
 * The reasons stored under the version of the first list (`before`) and of the merged one
 * (`after`): `cancel` only before; unknown codes (BILL01 off voice, XYZ) as they came.
 */
export function reasonsByVersion(before: number, after: number): Array<{ reason: string; v: number }> {
  return [
    { reason: 'BILL01', v: before },
    { reason: 'BILL01', v: after },
    { reason: 'XYZ', v: before },
    { reason: 'XYZ', v: after },
    { reason: 'billing_dispute', v: before },
    { reason: 'billing_dispute', v: after },
    { reason: 'cancel', v: before },
  ];
}
