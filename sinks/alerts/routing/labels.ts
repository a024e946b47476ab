import type { Alert } from '../../../operators/alert.js';

/**
 * The labels an alert is routed and delivered with: the operator's labels plus `alertname`
 * (the rule when absent), `kind`, `severity` and `alert_id`. `alert_id` keeps two alerts with
 * otherwise equal labels distinct in Alertmanager, which deduplicates by label set.
 */
export function deliveryLabels(alert: Alert): Record<string, string> {
  return {
    ...alert.labels,
    alertname: alert.labels.alertname ?? alert.rule,
    kind: alert.labels.kind ?? alert.kind,
    severity: alert.labels.severity ?? alert.severity,
    alert_id: alert.alert_id,
  };
}
