/**
 * Test helpers: contact builders, a seeded generator, and the DuckDB oracle — SQL written straight
 * from SPEC section 4 (not from the operator's code) over the same contacts.
 */
import { rng } from '../../helpers/seeded-random.js';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ContactEvent, ContactChannel, Disposition } from '../../../operators/events.js';
import type { OperatorOutput, OutputRow } from '../../../operators/operator.js';

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0); // a Monday, 10:00 UTC
export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** A finite watermark past every contact's look-ahead: every row is final (the end of an input is not: see streaming.test.ts). */
export const PAST_EVERY_LOOKAHEAD = Number.MAX_SAFE_INTEGER;

let seq = 0;

export interface ContactSpec {
  id?: string;
  customer?: string | null;
  channel?: ContactChannel;
  queue?: string;
  reason?: string;
  queued: number;
  /** Seconds from queued to answered; null = never answered. */
  answerAfter?: number | null;
  /** Seconds from answered (or queued, if unanswered) to ended. */
  duration?: number;
  acw?: number;
  disposition?: Disposition;
}

export function contact(s: ContactSpec): ContactEvent {
  seq += 1;
  const id = s.id ?? `c${seq}`;
  const answered = s.answerAfter === undefined || s.answerAfter === null ? null : s.queued + Math.round(s.answerAfter * 1000);
  const answerAfter = s.answerAfter === undefined ? null : s.answerAfter;
  const disposition: Disposition = s.disposition ?? (answerAfter === null ? 'abandoned' : 'resolved');
  const ended = (answered ?? s.queued) + Math.round((s.duration ?? 0) * 1000);
  return {
    type: 'contact',
    event_id: `e-${id}`,
    ts: s.queued,
    customer_id: s.customer === undefined ? null : s.customer,
    contact_id: id,
    channel: s.channel ?? 'voice',
    queue: s.queue ?? 'billing',
    reason: s.reason ?? 'invoice',
    agent_id: answered === null ? null : 'a1',
    queued_at: s.queued,
    answered_at: answered,
    ended_at: ended,
    hold_seconds: 0,
    acw_seconds: s.acw ?? 0,
    disposition,
    text: null,
  };
}

export { rng };

/** Random contacts over `days`, hitting the edge cases (waits of 4.999 s, 5 s, 20 s, callbacks, ...). */
export function generateContacts(seed: number, count: number, days: number): ContactEvent[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const waits = [0, 1, 4.999, 5, 5.001, 12, 19.999, 20, 20.001, 45, 180];
  const out: ContactEvent[] = [];
  for (let i = 0; i < count; i++) {
    const queued = T0 + Math.floor(r() * days * DAY);
    const kind = r();
    const wait = r() < 0.6 ? pick(waits) : Math.round(r() * 120_000) / 1000;
    const base = {
      id: `g${seed}-${i}`,
      customer: r() < 0.15 ? null : `cust${Math.floor(r() * 25)}`,
      channel: pick(['voice', 'chat', 'email'] as const),
      queue: pick(['billing', 'tech', 'sales']),
      reason: pick(['invoice', 'outage', 'upgrade']),
      queued,
    };
    if (kind < 0.6) {
      out.push(
        contact({
          ...base,
          answerAfter: wait,
          duration: 30 + Math.floor(r() * 900),
          acw: Math.floor(r() * 120) + (r() < 0.3 ? 0.5 : 0),
          disposition: pick(['resolved', 'resolved', 'unresolved', 'transferred', 'callback'] as const),
        }),
      );
    } else if (kind < 0.8) {
      out.push(contact({ ...base, answerAfter: null, duration: wait, disposition: 'abandoned' }));
    } else if (kind < 0.9) {
      out.push(contact({ ...base, answerAfter: null, duration: wait, disposition: 'callback' }));
    } else {
      out.push(contact({ ...base, answerAfter: null, duration: 60, disposition: 'self_service' }));
    }
  }
  return out;
}

/** Last row per key over all drained outputs of one kind (rows with the same key replace earlier ones). */
export function latestRows(outputs: OperatorOutput[], kind: string, keyCols: string[]): Map<string, OutputRow> {
  const rows = new Map<string, OutputRow>();
  for (const out of outputs) {
    if (out.kind !== kind) continue;
    for (const row of out.rows) rows.set(JSON.stringify(keyCols.map((k) => row[k])), row);
  }
  return rows;
}

export const KPI_KEY = ['window_start', 'window_end', 'queue', 'channel'];

export interface OracleOptions {
  windowMs: number;
  shortAbandonSeconds?: number;
  serviceLevelSeconds?: number;
  lookaheadDays?: number;
  anyReason?: boolean;
  /** SL variant, written as its SPEC/Cisco/Genesys formula. */
  slVariant?: 'abandons_against' | 'ignore_abandons' | 'abandons_for' | 'answered_only';
  slCallbacks?: 'count' | 'exclude';
}

export async function openOracle(): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(':memory:');
  return db.connect();
}

export async function loadContacts(conn: DuckDBConnection, contacts: ContactEvent[]): Promise<void> {
  await conn.run('DROP TABLE IF EXISTS contacts');
  await conn.run(`CREATE TABLE contacts (contact_id VARCHAR, customer_id VARCHAR, channel VARCHAR, queue VARCHAR,
    reason VARCHAR, queued_at BIGINT, answered_at BIGINT, ended_at BIGINT, acw_seconds DOUBLE, disposition VARCHAR)`);
  const appender = await conn.createAppender('contacts');
  for (const c of contacts) {
    appender.appendVarchar(c.contact_id);
    if (c.customer_id === null) appender.appendNull();
    else appender.appendVarchar(c.customer_id);
    appender.appendVarchar(c.channel);
    appender.appendVarchar(c.queue);
    appender.appendVarchar(c.reason);
    appender.appendBigInt(BigInt(c.queued_at));
    if (c.answered_at === null) appender.appendNull();
    else appender.appendBigInt(BigInt(c.answered_at));
    appender.appendBigInt(BigInt(c.ended_at));
    appender.appendDouble(c.acw_seconds);
    appender.appendVarchar(c.disposition);
    appender.endRow();
  }
  appender.closeSync();
}

/** The KPIs per window and queue x channel, straight from SPEC section 4's sentences. */
export async function oracleKpis(conn: DuckDBConnection, o: OracleOptions): Promise<Map<string, Record<string, unknown>>> {
  const W = o.windowMs;
  const shortMs = (o.shortAbandonSeconds ?? 5) * 1000;
  const slMs = (o.serviceLevelSeconds ?? 20) * 1000;
  const lookMs = (o.lookaheadDays ?? 7) * DAY;
  const sameReason = o.anyReason ? 'TRUE' : 'b.reason = a.reason';
  // SL denominators: SPEC's is offered - short_abandoned (abandons "against"); Cisco's "ignore"
  // also removes abandons within the target, "positive" counts them as met; Genesys without
  // abandons divides by answered only. `exclude` takes unanswered callbacks out of the base.
  const base = o.slCallbacks === 'exclude' ? '(n_offered - n_short - n_callback_unanswered)' : '(n_offered - n_short)';
  const sl = {
    abandons_against: `n_answered_in_sl::DOUBLE / NULLIF(${base}, 0)`,
    ignore_abandons: `n_answered_in_sl::DOUBLE / NULLIF(${base} - n_abandoned_in_sl, 0)`,
    abandons_for: `(n_answered_in_sl + n_abandoned_in_sl)::DOUBLE / NULLIF(${base}, 0)`,
    answered_only: `n_answered_in_sl::DOUBLE / NULLIF(n_handled, 0)`,
  }[o.slVariant ?? 'abandons_against'];
  const sql = `
    WITH c AS (
      SELECT *,
        (queued_at // ${W}) * ${W} AS ws,
        disposition = 'self_service' AS is_ss,
        disposition <> 'self_service' AND answered_at IS NOT NULL AS is_handled,
        disposition <> 'self_service' AND answered_at IS NULL AND disposition <> 'callback' AS is_abandoned
      FROM contacts
    ), w AS (
      SELECT *, CASE WHEN is_handled THEN answered_at - queued_at WHEN is_abandoned THEN ended_at - queued_at END AS wait_ms
      FROM c
    ), f AS (
      SELECT a.contact_id,
        NOT EXISTS (SELECT 1 FROM contacts b WHERE b.customer_id = a.customer_id AND ${sameReason}
                    AND b.queued_at > a.ended_at AND b.queued_at <= a.ended_at + ${lookMs}) AS first_time
      FROM w a WHERE a.is_handled AND a.customer_id IS NOT NULL
    ), agg AS (
      SELECT ws, queue, channel,
        count(*) FILTER (WHERE NOT is_ss) AS n_offered,
        count(*) FILTER (WHERE is_handled) AS n_handled,
        count(*) FILTER (WHERE is_abandoned) AS n_abandoned,
        count(*) FILTER (WHERE is_abandoned AND wait_ms < ${shortMs}) AS n_short,
        count(*) FILTER (WHERE is_ss) AS n_ss,
        count(*) FILTER (WHERE NOT is_ss AND NOT is_handled AND NOT is_abandoned) AS n_callback_unanswered,
        count(*) FILTER (WHERE is_handled AND wait_ms <= ${slMs}) AS n_answered_in_sl,
        count(*) FILTER (WHERE is_abandoned AND wait_ms >= ${shortMs} AND wait_ms <= ${slMs}) AS n_abandoned_in_sl,
        count(*) FILTER (WHERE is_handled AND disposition = 'transferred') AS n_transferred,
        count(*) FILTER (WHERE disposition = 'resolved') AS n_resolved,
        avg((ended_at - answered_at) / 1000.0 + acw_seconds) FILTER (WHERE is_handled) AS aht,
        avg((answered_at - queued_at) / 1000.0) FILTER (WHERE is_handled) AS asa,
        avg(wait_ms / 1000.0) FILTER (WHERE NOT is_ss AND wait_ms IS NOT NULL) AS avg_queue,
        count(f.contact_id) AS n_fcr_eligible,
        count(*) FILTER (WHERE f.first_time) AS n_fcr_resolved
      FROM w LEFT JOIN f USING (contact_id)
      GROUP BY ws, queue, channel
    )
    SELECT ws AS window_start, ws + ${W} AS window_end, queue, channel,
      n_offered AS offered, n_handled AS handled, n_abandoned AS abandoned, n_short AS short_abandoned,
      n_ss AS self_service,
      (n_abandoned - n_short)::DOUBLE / NULLIF(n_offered - n_short, 0) AS abandon_rate,
      aht AS aht_seconds, asa AS asa_seconds, avg_queue AS avg_queue_seconds,
      ${sl} AS service_level,
      n_transferred::DOUBLE / NULLIF(n_handled, 0) AS transfer_rate,
      n_ss::DOUBLE / NULLIF(n_ss + n_offered, 0) AS self_service_rate,
      n_fcr_resolved::DOUBLE / NULLIF(n_fcr_eligible, 0) AS fcr_rate,
      n_transferred AS transferred, n_resolved AS resolved,
      n_resolved / (${W} / 60000.0) AS resolved_per_minute,
      n_fcr_eligible AS fcr_eligible, n_fcr_resolved AS fcr_resolved
    FROM agg`;
  const reader = await conn.runAndReadAll(sql);
  const out = new Map<string, Record<string, unknown>>();
  for (const row of reader.getRowObjectsJS()) {
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) r[k] = typeof v === 'bigint' ? Number(v) : v;
    out.set(JSON.stringify(KPI_KEY.map((k) => r[k])), r);
  }
  return out;
}

export const RATE_COLUMNS = [
  'abandon_rate',
  'aht_seconds',
  'asa_seconds',
  'avg_queue_seconds',
  'service_level',
  'transfer_rate',
  'self_service_rate',
  'fcr_rate',
  'resolved_per_minute',
] as const;
export const COUNT_COLUMNS = [
  'offered',
  'handled',
  'abandoned',
  'short_abandoned',
  'self_service',
  'transferred',
  'resolved',
  'fcr_eligible',
  'fcr_resolved',
] as const;
