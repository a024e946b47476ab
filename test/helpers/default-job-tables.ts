/** Every output table of the default job, in a canonical order (times as epoch ms, JSON as text). */
export const DEFAULT_JOB_TABLES = [
  `SELECT customer_id, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, spend_total, spend_count, spend_max, refund_total,
          usage_total, CAST(usage AS VARCHAR) AS usage, contacts FROM customer_windows ORDER BY ALL`,
  `SELECT * EXCLUDE (window_start, window_end), epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we FROM contact_kpis ORDER BY ALL`,
  `SELECT * FROM contact_reason_volumes ORDER BY ALL`,
  `SELECT alert_id, kind, rule, severity, customer_id, epoch_ms(window_start) AS ws, epoch_ms(fired_at) AS fa, CAST(labels AS VARCHAR) AS labels,
          CAST(annotations AS VARCHAR) AS annotations, status FROM alerts ORDER BY ALL`,
  `SELECT * FROM drift_metrics ORDER BY ALL`,
  `SELECT case_id, alert_id, customer_id, category, severity, status, team, epoch_ms(opened_at) AS o, epoch_ms(due_at) AS d FROM cases ORDER BY ALL`,
  `SELECT * FROM customer_segments ORDER BY ALL`,
  `SELECT * FROM segment_migrations ORDER BY ALL`,
  `SELECT alert_id, customer_id, measure, rule, epoch_ms(onset_start) AS os, epoch_ms(window_start) AS ws FROM move_members ORDER BY ALL`,
  `SELECT source, position, reason, detail, event_type, raw FROM dead_letters ORDER BY ALL`,
];
