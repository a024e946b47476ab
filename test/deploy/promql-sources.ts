import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Repository root (tests run with the repo as working directory, but do not rely on it). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEPLOY = join(ROOT, 'deploy');
export const DASHBOARD_DIR = join(DEPLOY, 'grafana', 'dashboards');
export const RULES_DIR = join(DEPLOY, 'prometheus', 'rules');

/**
 * Metrics that exist only when a feature beyond the default bounded run is active, so a live run
 * of the default job on a small stdin stream may not show them. Everything else that a dashboard
 * or rule references must return data in the live test (test/deploy/live-prometheus.test.ts).
 */
export const OPTIONAL_METRICS: Readonly<Record<string, string>> = {
  pulse_contact_offered: 'contact-KPI gauges: set when a contact_kpis window is emitted',
  pulse_contact_abandon_rate: 'contact-KPI gauges',
  pulse_contact_service_level: 'contact-KPI gauges',
  pulse_contact_aht_seconds: 'contact-KPI gauges',
  pulse_contact_asa_seconds: 'contact-KPI gauges',
  pulse_contact_fcr_rate: 'contact-KPI gauges',
  pulse_drift_score: 'drift gauges: set after a drift run',
  pulse_drift_threshold: 'drift gauges: set after a drift run',
  pulse_drift_drifted: 'drift gauges: set after a drift run',
  pulse_dataset_drift: 'drift gauges: set after a drift run',
  pulse_segment_customers: 'segment gauges: set after segment scoring',
  pulse_cases_open: 'cases gauges: need the cases feature',
  pulse_cases_overdue: 'cases gauges: need the cases feature',
  pulse_rule_precision: 'closed-loop gauges: set once an alert of the rule has a verdict',
  pulse_lead_conversion: 'closed-loop gauges: need leads (an intent rule)',
  pulse_time_to_first_action_seconds: 'closed-loop gauges: set once a person records an outcome',
  pulse_source_lag_messages: 'Kafka source only',
  pulse_partitions_assigned: 'Kafka source only (test/deploy/live-prometheus-kafka.test.ts checks these panels on the mock cluster)',
  pulse_alerts_total: 'labelled counter: appears with the first alert an operator emits',
  pulse_alerts_held_back_total: 'labelled counter: appears with the first customer a move together holds back',
  pulse_alert_latency_seconds_bucket: 'labelled histogram: appears with the first firing alert',
  pulse_alert_outbox_depth: 'delivery worker: only with an alerting section in the job',
  pulse_alert_delivery_failures_total: 'delivery worker: appears with the first failed send',
  pulse_alert_delivery_dead_total: 'delivery worker: appears with the first delivery given up',
  pulse_alerts_delivered_total: 'delivery worker: appears with the first delivery',
  pulse_customer_partition_moves_total: 'Kafka source only, and stays 0 on a customer-keyed topic',
  pulse_changelog_records_total: 'state changelog only (checkpoint.changelog, Kafka source)',
  pulse_changelog_unrouted_total: 'state changelog only (checkpoint.changelog, Kafka source)',
  pulse_merge_high_watermark: 'merge only (job option merge, Kafka source)',
  pulse_merge_offset: 'merge only (job option merge, Kafka source)',
};

export interface DashboardTarget {
  dashboard: string;
  panel: string;
  expr: string;
}

export interface DashboardVariable {
  dashboard: string;
  name: string;
  query: string;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ refId: string; expr: string; legendFormat?: string; datasource?: { type: string; uid: string } }>;
  fieldConfig?: { defaults: { unit?: string; custom?: { thresholdsStyle?: { mode: string } }; thresholds?: { steps: Array<{ value: number | null }> } } };
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string; allValue?: string }> };
}

export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadDashboard(file: string): GrafanaDashboard {
  return JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as GrafanaDashboard;
}

export function dashboardTargets(): DashboardTarget[] {
  return dashboardFiles().flatMap((file) =>
    loadDashboard(file).panels.flatMap((p) => (p.targets ?? []).map((t) => ({ dashboard: file, panel: p.title, expr: t.expr }))),
  );
}

/** `label_values(metric, label)` variable queries, as written in the dashboards. */
export function dashboardVariables(): DashboardVariable[] {
  return dashboardFiles().flatMap((file) =>
    loadDashboard(file)
      .templating.list.filter((v) => v.type === 'query')
      .map((v) => ({ dashboard: file, name: v.name, query: String(v.definition) })),
  );
}

export interface RuleExpr {
  file: string;
  name: string;
  kind: 'alert' | 'record';
  expr: string;
}

export function ruleFiles(): string[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort();
}

export function ruleExpressions(): RuleExpr[] {
  return ruleFiles().flatMap((file) => {
    const doc = parse(readFileSync(join(RULES_DIR, file), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
    };
    return doc.groups.flatMap((g) =>
      g.rules.map((r) => ({
        file,
        name: r.alert ?? r.record ?? '?',
        kind: r.alert ? ('alert' as const) : ('record' as const),
        expr: String(r.expr).trim(),
      })),
    );
  });
}

/**
 * Grafana variables as the live test substitutes them: every dashboard variable by ".*" (its
 * "All" value) and Grafana's interval macros by fixed windows longer than two 1 s scrapes.
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '5m')
    .replace(/\$\{(\w+)\}|\$(\w+)/g, '.*');
}

/** `label_values(metric, label)` as an equivalent PromQL query for /api/v1/query. */
export function labelValuesToPromql(query: string): string {
  const m = /^label_values\(\s*([^,]+?)\s*,\s*(\w+)\s*\)$/.exec(query.trim());
  if (!m) throw new Error(`unsupported variable query '${query}': only label_values(metric, label) is handled`);
  return `group by (${m[2]}) (${m[1]})`;
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * Metric names referenced by a PromQL expression. A small lexer, enough for the expressions in
 * this repo: strings, label matchers, range selectors and grouping clauses are removed first; what
 * remains as an identifier not followed by "(" is a metric name.
 */
export function metricNames(expr: string): string[] {
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  rest = rest.replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, ' ');
  const names = new Set<string>();
  for (const m of rest.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)) {
    const name = m[1]!;
    if (m[2] || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}
