import { createHash } from 'node:crypto';

/**
 * The alert shape of SPEC section 5, as operators produce it (times in epoch milliseconds). Kind
 * `report` is a scheduled report's notification (pipelines/report-schedule.ts), routed like alerts.
 */
export const ALERT_KINDS = ['analytic', 'sales', 'service', 'report'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AlertStatus = 'firing' | 'resolved';

export interface Alert {
  alert_id: string;
  kind: AlertKind;
  rule: string;
  severity: Severity;
  customer_id: string | null;
  /** Start of the window the alert is about (epoch ms), or the event time for instant triggers. */
  window_start: number;
  /**
   * When it fired, in event time (the watermark or the triggering event's time), so that a replay
   * of the same events produces the same alert.
   */
  fired_at: number;
  /** Bounded labels: alertname, kind, severity, queue, channel, segment, tier, account_owner, ... */
  labels: Record<string, string>;
  /** summary, description and the numbers that fired it (baseline, current, change, threshold). */
  annotations: Record<string, string>;
  status: AlertStatus;
}

/**
 * A stable alert id: the same rule firing for the same subject and window always yields the same
 * id, so replays and re-deliveries can be deduplicated downstream. `parts` identify the subject
 * (e.g. queue and channel, or customer and measure).
 */
export function stableAlertId(rule: string, windowStart: number, ...parts: Array<string | null>): string {
  const hash = createHash('sha256');
  hash.update(rule);
  for (const part of parts) hash.update('\u0000' + (part ?? ''));
  hash.update('\u0000' + String(windowStart));
  return hash.digest('hex').slice(0, 32);
}

/** Flattens an alert into an output row for the `alerts` table. */
export function alertRow(alert: Alert): Record<string, string | number | null | object> {
  return { ...alert };
}
