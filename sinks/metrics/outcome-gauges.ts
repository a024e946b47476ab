/**
 * Gauges of the closed loop (issue 16, sinks/outcomes/figures.ts), published after checkpoints:
 * precision and judged alerts per alert rule with the tuning flag, leads, conversion and revenue
 * per lead intent and team, and the median time to first action per kind of subject. Labels are
 * bounded sets: rule names come from the job's config, intents from the classifier's five classes,
 * teams from the routing config, kinds are alert, lead and case; never an id.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { Gauge, type Registry } from 'prom-client';
import { outcomeFigures, type OutcomeThresholds } from '../outcomes/figures.js';

export class OutcomeGauges {
  private readonly precision: Gauge<'rule'>;
  private readonly judged: Gauge<'rule'>;
  private readonly flagged: Gauge<'rule'>;
  private readonly leads: Gauge<'intent' | 'team'>;
  private readonly conversion: Gauge<'intent' | 'team'>;
  private readonly revenue: Gauge<'intent' | 'team'>;
  private readonly firstAction: Gauge<'subject_kind'>;

  constructor(
    registry: Registry,
    private readonly thresholds: OutcomeThresholds,
  ) {
    const registers = [registry];
    this.precision = new Gauge({
      name: 'pulse_rule_precision',
      help: 'Judged alerts of the rule that were useful or won, as a fraction of those judged.',
      labelNames: ['rule'],
      registers,
    });
    this.judged = new Gauge({
      name: 'pulse_rule_judged_alerts',
      help: 'Alerts of the rule with a verdict (useful, not useful, won, lost, or inferred).',
      labelNames: ['rule'],
      registers,
    });
    this.flagged = new Gauge({
      name: 'pulse_rule_flagged_for_tuning',
      help: '1 when the rule is judged less precise than outcomes.min_precision over at least outcomes.min_judged alerts.',
      labelNames: ['rule'],
      registers,
    });
    this.leads = new Gauge({ name: 'pulse_leads', help: 'Leads by intent and team.', labelNames: ['intent', 'team'], registers });
    this.conversion = new Gauge({
      name: 'pulse_lead_conversion',
      help: 'Leads won (by a person or inferred from a transaction) as a fraction of leads.',
      labelNames: ['intent', 'team'],
      registers,
    });
    this.revenue = new Gauge({ name: 'pulse_lead_revenue', help: 'Value of the won leads.', labelNames: ['intent', 'team'], registers });
    this.firstAction = new Gauge({
      name: 'pulse_time_to_first_action_seconds',
      help: 'Median seconds from an alert, lead or case to the first outcome a person recorded on it.',
      labelNames: ['subject_kind'],
      registers,
    });
  }

  async publish(connection: DuckDBConnection): Promise<void> {
    const f = await outcomeFigures(connection, this.thresholds);
    for (const gauge of [this.precision, this.judged, this.flagged, this.leads, this.conversion, this.revenue, this.firstAction]) gauge.reset();
    // A rule of several alert kinds (rare) is summed into one series per rule.
    const byRule = new Map<string, { judged: number; positive: number; flagged: boolean }>();
    for (const r of f.rules) {
      const sum = byRule.get(r.rule) ?? { judged: 0, positive: 0, flagged: false };
      byRule.set(r.rule, { judged: sum.judged + r.judged, positive: sum.positive + r.positive, flagged: sum.flagged || r.flagged });
    }
    for (const [rule, r] of byRule) {
      this.judged.set({ rule }, r.judged);
      this.flagged.set({ rule }, r.flagged ? 1 : 0);
      if (r.judged > 0) this.precision.set({ rule }, r.positive / r.judged);
    }
    for (const r of f.intents) {
      const labels = { intent: r.intent, team: r.team };
      this.leads.set(labels, r.leads);
      this.revenue.set(labels, r.revenue);
      if (r.conversion !== null) this.conversion.set(labels, r.conversion);
    }
    for (const d of f.delays) if (d.median_seconds !== null) this.firstAction.set({ subject_kind: d.subject_kind }, d.median_seconds);
  }
}
