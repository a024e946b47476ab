/**
 * Outcomes the job infers from later events, at every checkpoint (issue 16):
 * - a new_sale or upsell_cross_sell lead whose customer transacts within `win_window` after it is a
 *   `won_candidate`, valued at the spend of the first window with a transaction credited to it. A
 *   window is credited to one lead only, the customer's latest sales lead before it (last touch),
 *   and never again once a candidate names it: a customer with a new-sale and an up-sell lead, or
 *   two leads a week apart, and one purchase made each lead won at the purchase's full value
 *   (revenue counted twice, every lead converted);
 * - a retention_risk lead whose customer does not transact within `win_window` after it, once the
 *   watermark has passed the end of that period, is a `lost_candidate`; one whose customer does (the
 *   customer stayed) is a `won_candidate` without a value, as soon as the transaction is seen. With
 *   losses alone, a retention rule's precision could only be 0 (a tester's rule, right on 50 of 54
 *   texts, was flagged for tuning at 0 of 64): what came of its alerts is measured both ways, as
 *   a sales lead's is.
 *
 * Why a checkpoint-time SQL step over stored tables, not an operator: the evidence (`leads`,
 * `customer_windows`) is already in the database the checkpoint writes, in the same transaction
 * as this step; each candidate is inserted only if the lead has none yet, so a replay after a
 * crash (which rewrites the same rows) or a restart cannot count one twice, and there is no
 * operator state to snapshot. Operators stay pure (they never touch DuckDB).
 *
 * Resolution: transactions are seen through the job's smallest `customer_windows` size (1h in
 * the default job; only the windows of the customers with such leads are read). A win counts only windows that start at or after the lead (a transaction
 * later in the lead's own hour is missed); a loss needs no spend in any window that overlaps the
 * period, and a stay is any such spend (so the two are complements: a purchase earlier in the
 * lead's own hour counts as staying). Judged by event time: the watermark,
 * never the wall clock, so a replay infers what the live job did.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export interface LeadInference {
  /** How long after a lead a transaction still counts, ms (`leads.win_window`). */
  winWindowMs: number;
  /** The smallest customer_windows size of the job, ms: the resolution transactions are seen at. */
  spendWindowMs: number;
  /** The event-time watermark of the checkpoint (finite), epoch ms. */
  watermark: number;
}

export const WON_INTENTS = ['new_sale', 'upsell_cross_sell'] as const;
export const RETENTION_INTENTS = ['retention_risk'] as const;

const list = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

const UNJUDGED = (outcome: string): string =>
  `NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.subject_kind = 'lead' AND o.subject_id = l.lead_id AND o.outcome = '${outcome}')`;

/**
 * Windows with spend, of the smallest window size, of the customers whose leads of `intents` have
 * no `outcome` yet (once most leads are settled, few customers' windows are read).
 */
const spendOf = (intents: readonly string[], outcome: string): string => `spend AS (
  SELECT customer_id, window_start, window_end, spend_total FROM customer_windows
   WHERE spend_count > 0 AND epoch_ms(window_end) - epoch_ms(window_start) = $size
     AND customer_id IN (SELECT l.customer_id FROM leads l WHERE l.intent IN (${list(intents)}) AND ${UNJUDGED(outcome)}))`;

/** A spend window `s` overlaps lead `l`'s period of `$win` (a retention lead's customer stayed). */
const IN_PERIOD = `s.customer_id = l.customer_id AND s.window_end > l.created_at AND epoch_ms(s.window_start) < epoch_ms(l.created_at) + $win`;

/** The next seqs of `outcomes`, in a stable order (the caller holds the checkpoint's transaction). */
const NEXT_SEQ = `(SELECT coalesce(max(seq), 0) FROM outcomes) + row_number() OVER (ORDER BY created_at, lead_id)`;

/** Inserts the candidates this checkpoint's data newly shows; returns how many of each. */
export async function inferLeadOutcomes(conn: DuckDBConnection, p: LeadInference): Promise<{ won: number; retained: number; lost: number }> {
  const won = await conn.runAndReadAll(
    `INSERT INTO outcomes
     WITH ${spendOf(WON_INTENTS, 'won_candidate')},
     credited AS (
       SELECT l.customer_id, o."at" AS window_start FROM outcomes o JOIN leads l ON o.subject_kind = 'lead' AND o.subject_id = l.lead_id
        WHERE o.outcome = 'won_candidate' AND l.intent IN (${list(WON_INTENTS)})),
     owner AS (
       SELECT s.customer_id, s.window_start, s.spend_total, l.lead_id
         FROM spend s JOIN leads l ON s.customer_id = l.customer_id AND l.intent IN (${list(WON_INTENTS)})
          AND s.window_start >= l.created_at AND epoch_ms(s.window_start) < epoch_ms(l.created_at) + $win
        WHERE NOT EXISTS (SELECT 1 FROM credited c WHERE c.customer_id = s.customer_id AND c.window_start = s.window_start)
       QUALIFY row_number() OVER (PARTITION BY s.customer_id, s.window_start ORDER BY l.created_at DESC, l.lead_id DESC) = 1),
     found AS (
       SELECT l.lead_id, l.alert_id, l.created_at, min(w.window_start) AS first_at, arg_min(w.spend_total, w.window_start) AS value
         FROM leads l JOIN owner w ON w.lead_id = l.lead_id
        WHERE ${UNJUDGED('won_candidate')}
        GROUP BY l.lead_id, l.alert_id, l.created_at)
     SELECT ${NEXT_SEQ}, 'lead', lead_id, alert_id, 'won_candidate', value, 'pulse', 'inferred', first_at, 'a transaction within leads.win_window'
       FROM found
     RETURNING seq`,
    { win: p.winWindowMs, size: p.spendWindowMs },
  );
  const retained = await conn.runAndReadAll(
    `INSERT INTO outcomes
     WITH ${spendOf(RETENTION_INTENTS, 'won_candidate')},
     found AS (
       SELECT l.lead_id, l.alert_id, l.created_at, greatest(min(s.window_start), l.created_at) AS stayed_at
         FROM leads l JOIN spend s ON ${IN_PERIOD}
        WHERE l.intent IN (${list(RETENTION_INTENTS)}) AND ${UNJUDGED('won_candidate')}
        GROUP BY l.lead_id, l.alert_id, l.created_at)
     SELECT ${NEXT_SEQ}, 'lead', lead_id, alert_id, 'won_candidate', NULL, 'pulse', 'inferred', stayed_at, 'the customer stayed: a transaction within leads.win_window'
       FROM found
     RETURNING seq`,
    { win: p.winWindowMs, size: p.spendWindowMs },
  );
  const lost = await conn.runAndReadAll(
    `INSERT INTO outcomes
     WITH ${spendOf(RETENTION_INTENTS, 'lost_candidate')},
     found AS (
       SELECT l.lead_id, l.alert_id, l.created_at FROM leads l
        WHERE l.intent IN (${list(RETENTION_INTENTS)}) AND epoch_ms(l.created_at) + $win <= $watermark AND ${UNJUDGED('lost_candidate')}
          AND NOT EXISTS (SELECT 1 FROM spend s WHERE ${IN_PERIOD}))
     SELECT ${NEXT_SEQ}, 'lead', lead_id, alert_id, 'lost_candidate', NULL, 'pulse', 'inferred',
            make_timestamptz((epoch_ms(created_at) + $win) * 1000), 'no transaction within leads.win_window'
       FROM found
     RETURNING seq`,
    { win: p.winWindowMs, size: p.spendWindowMs, watermark: p.watermark },
  );
  return { won: won.getRows().length, retained: retained.getRows().length, lost: lost.getRows().length };
}
