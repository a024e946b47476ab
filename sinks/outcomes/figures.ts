/**
 * The closed-loop figures (issue 16) from `outcomes`: precision per alert rule and per lead intent,
 * conversion and revenue per lead intent and team, and the median time to first action. The same
 * figures feed `pulse outcomes summary`, the weekly closed-loop report and the gauges.
 *
 * The verdict on an alert is the latest verdict recorded on it, its lead or its case (they share
 * `alert_id`): a person's verdict (useful, not_useful, won, lost) beats one the job inferred
 * (won_candidate, lost_candidate) whatever their order; among equals the latest (seq) counts. A
 * person's `reopened` voids the verdicts people recorded before it.
 * useful, won and won_candidate are positive. Precision = positive / judged.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { exactSumSql } from '../duckdb/exact-sum.js';

export interface OutcomeThresholds {
  /** A rule judged less precise than this is flagged for tuning. */
  minPrecision: number;
  /** Judged alerts a rule needs before it can be flagged. */
  minJudged: number;
}

/** The defaults of the job's `outcomes` section. */
export const DEFAULT_THRESHOLDS: OutcomeThresholds = { minPrecision: 0.5, minJudged: 10 };

export interface RulePrecision {
  rule: string;
  kind: string;
  alerts: number;
  judged: number;
  positive: number;
  /** positive / judged; null when none was judged. */
  precision: number | null;
  /** judged >= minJudged and precision < minPrecision: the rule needs tuning. */
  flagged: boolean;
}

export interface IntentFigures {
  intent: string;
  team: string;
  leads: number;
  judged: number;
  positive: number;
  precision: number | null;
  /** Leads won by a person's word. */
  won: number;
  /** Leads the job saw a transaction after (won_candidate) and no person judged. */
  won_inferred: number;
  lost: number;
  /** (won + won_inferred) / leads. */
  conversion: number | null;
  /** Sum of the value of the winning verdicts. */
  revenue: number;
}

export interface ActionDelay {
  subject_kind: string;
  /** Subjects with a person's outcome. */
  acted: number;
  /** Median seconds from the subject's creation to its first outcome by a person. */
  median_seconds: number | null;
}

export interface OutcomeFigures {
  rules: RulePrecision[];
  intents: IntentFigures[];
  delays: ActionDelay[];
}

const POSITIVE = `('useful', 'won', 'won_candidate')`;
const VERDICTS = `('useful', 'not_useful', 'won', 'lost', 'won_candidate', 'lost_candidate')`;

/**
 * One verdict per alert id (see the module comment), with who gave it; people's verdicts before a
 * `reopened` are void. A query of its own so that the console shows the verdict these figures count.
 */
export const VERDICTS_BY_ALERT_SQL = `
  SELECT alert_id, outcome, value, actor FROM (
    SELECT *, max(seq) FILTER (WHERE outcome = 'reopened') OVER (PARTITION BY alert_id) AS reopened_at
      FROM outcomes WHERE alert_id IS NOT NULL)
   WHERE outcome IN ${VERDICTS} AND NOT (source = 'person' AND seq < coalesce(reopened_at, -1))
   QUALIFY row_number() OVER (PARTITION BY alert_id ORDER BY source = 'person' DESC, seq DESC) = 1`;

const VERDICT_CTE = `verdict AS (${VERDICTS_BY_ALERT_SQL})`;

/**
 * The figures over the subjects created before `until` (epoch ms; all when omitted), with every
 * outcome the database holds.
 */
export async function outcomeFigures(conn: DuckDBConnection, thresholds: OutcomeThresholds, until?: number): Promise<OutcomeFigures> {
  const params = { until: until ?? Number.MAX_SAFE_INTEGER };
  const ruleRows = await conn.runAndReadAll(
    `WITH ${VERDICT_CTE},
     fired AS (SELECT alert_id, any_value(rule) AS rule, any_value(kind) AS kind FROM alerts
                WHERE epoch_ms(fired_at) < $until GROUP BY alert_id)
     SELECT f.rule, f.kind, CAST(count(*) AS INTEGER) AS alerts,
            CAST(count(v.outcome) AS INTEGER) AS judged,
            CAST(count(*) FILTER (WHERE v.outcome IN ${POSITIVE}) AS INTEGER) AS positive
       FROM fired f LEFT JOIN verdict v USING (alert_id)
      GROUP BY f.rule, f.kind
      -- scheduled reports' notifications (kind report) only once someone judged one
     HAVING f.kind <> 'report' OR count(v.outcome) > 0
      ORDER BY f.rule, f.kind`,
    params,
  );
  const rules = (ruleRows.getRowObjectsJS() as unknown as Array<Omit<RulePrecision, 'precision' | 'flagged'>>).map((r) => {
    const precision = r.judged > 0 ? r.positive / r.judged : null;
    return { ...r, precision, flagged: precision !== null && r.judged >= thresholds.minJudged && precision < thresholds.minPrecision };
  });
  const intentRows = await conn.runAndReadAll(
    `WITH ${VERDICT_CTE}
     SELECT l.intent, l.team, CAST(count(*) AS INTEGER) AS leads,
            CAST(count(v.outcome) AS INTEGER) AS judged,
            CAST(count(*) FILTER (WHERE v.outcome IN ${POSITIVE}) AS INTEGER) AS positive,
            CAST(count(*) FILTER (WHERE v.outcome = 'won') AS INTEGER) AS won,
            CAST(count(*) FILTER (WHERE v.outcome = 'won_candidate') AS INTEGER) AS won_inferred,
            CAST(count(*) FILTER (WHERE v.outcome IN ('lost', 'lost_candidate')) AS INTEGER) AS lost,
            coalesce(${exactSumSql('v.value', "v.outcome IN ('won', 'won_candidate')")}, 0) AS revenue
       FROM leads l LEFT JOIN verdict v USING (alert_id)
      WHERE epoch_ms(l.created_at) < $until
      GROUP BY l.intent, l.team ORDER BY l.intent, l.team`,
    params,
  );
  const intents = (intentRows.getRowObjectsJS() as unknown as Array<Omit<IntentFigures, 'precision' | 'conversion'>>).map((r) => ({
    ...r,
    precision: r.judged > 0 ? r.positive / r.judged : null,
    conversion: r.leads > 0 ? (r.won + r.won_inferred) / r.leads : null,
  }));
  const delayRows = await conn.runAndReadAll(
    `WITH created AS (
       SELECT 'alert' AS subject_kind, alert_id AS subject_id, min(fired_at) AS created_at FROM alerts GROUP BY alert_id
       UNION ALL SELECT 'lead', lead_id, created_at FROM leads
       UNION ALL SELECT 'case', case_id, opened_at FROM cases),
     first_action AS (
       SELECT subject_kind, subject_id, min("at") AS first_at FROM outcomes WHERE source = 'person' GROUP BY subject_kind, subject_id)
     SELECT c.subject_kind, CAST(count(*) AS INTEGER) AS acted,
            quantile_cont((epoch_ms(a.first_at) - epoch_ms(c.created_at)) / 1000.0, 0.5) AS median_seconds
       FROM created c JOIN first_action a USING (subject_kind, subject_id)
      WHERE epoch_ms(c.created_at) < $until
      GROUP BY c.subject_kind ORDER BY c.subject_kind`,
    params,
  );
  const delays = (delayRows.getRowObjectsJS() as Array<Record<string, unknown>>).map((r) => ({
    subject_kind: String(r['subject_kind']),
    acted: Number(r['acted']),
    median_seconds: r['median_seconds'] === null ? null : Number(r['median_seconds']),
  }));
  return { rules, intents, delays };
}
