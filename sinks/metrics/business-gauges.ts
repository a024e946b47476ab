import type { DuckDBConnection } from '@duckdb/node-api';
import { Gauge, type Registry } from 'prom-client';
import { TERMINAL_CASE_STATUSES } from '../../operators/service/case-status.js';

const TERMINAL = [...TERMINAL_CASE_STATUSES].map((s) => `'${s}'`).join(', ');

export interface DriftScoreSample {
  feature: string;
  method: string;
  score: number | null;
  threshold: number | null;
  drifted?: boolean;
}

/**
 * Business metrics for the dashboards beyond the contact-center KPIs: drift scores against their
 * thresholds, segment sizes by tier, and open and overdue cases by team. Labels are features and
 * methods from the job, tiers and teams: bounded sets, never a customer id.
 */
export class BusinessGauges {
  private readonly driftScore: Gauge<'feature' | 'method'>;
  private readonly driftThreshold: Gauge<'feature' | 'method'>;
  private readonly driftDrifted: Gauge<'feature' | 'method'>;
  /**
   * Registered at the first verdict: a gauge without labels is exported as 0 from its creation, so
   * a dashboard read "no dataset drift" before any drift run had been made.
   */
  private datasetDrift: Gauge | undefined;
  private readonly registry: Registry;
  private readonly segmentCustomers: Gauge<'tier'>;
  private readonly casesOpen: Gauge<'team'>;
  private readonly casesOverdue: Gauge<'team'>;

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    this.driftScore = new Gauge({
      name: 'pulse_drift_score',
      help: 'Latest drift statistic of each population feature, by feature and the method that decided.',
      labelNames: ['feature', 'method'],
      registers,
    });
    this.driftThreshold = new Gauge({
      name: 'pulse_drift_threshold',
      help: 'Threshold the drift statistic is compared with (a p-value for ks and chisquare).',
      labelNames: ['feature', 'method'],
      registers,
    });
    this.driftDrifted = new Gauge({
      name: 'pulse_drift_drifted',
      help: "1 when the feature drifted at the latest drift run, else 0: the product's verdict, whatever the method (a p-value test, or a distance that its chi-square test confirms).",
      labelNames: ['feature', 'method'],
      registers,
    });
    this.segmentCustomers = new Gauge({
      name: 'pulse_segment_customers',
      help: 'Customers per value tier at the latest scoring.',
      labelNames: ['tier'],
      registers,
    });
    this.casesOpen = new Gauge({
      name: 'pulse_cases_open',
      help: 'Cases not closed or resolved, by team.',
      labelNames: ['team'],
      registers,
    });
    this.casesOverdue = new Gauge({
      name: 'pulse_cases_overdue',
      help: 'Open cases past their due time by event time (the watermark), by team.',
      labelNames: ['team'],
      registers,
    });
  }

  publishDrift(scores: readonly DriftScoreSample[], datasetDrifted?: boolean): void {
    this.driftScore.reset();
    this.driftThreshold.reset();
    this.driftDrifted.reset();
    for (const { feature, method, score, threshold, drifted } of scores) {
      if (score !== null && Number.isFinite(score)) this.driftScore.set({ feature, method }, score);
      if (threshold !== null && Number.isFinite(threshold)) this.driftThreshold.set({ feature, method }, threshold);
      if (drifted !== undefined) this.driftDrifted.set({ feature, method }, drifted ? 1 : 0);
    }
    if (datasetDrifted === undefined) return;
    this.datasetDrift ??= new Gauge({
      name: 'pulse_dataset_drift',
      help: '1 when the latest drift run found dataset drift (SPEC section 7: a key feature, or at least the share threshold of the features, drifted), else 0; absent before the first run.',
      registers: [this.registry],
    });
    this.datasetDrift.set(datasetDrifted ? 1 : 0);
  }

  publishSegments(sizes: Readonly<Record<string, number>>): void {
    for (const [tier, customers] of Object.entries(sizes)) this.segmentCustomers.set({ tier }, customers);
  }

  /** Reads case counts by team from the `cases` table (called at checkpoint, after the commit); overdue by the job clock. */
  async publishCases(connection: DuckDBConnection, clockMs: number): Promise<void> {
    const reader = await connection.runAndReadAll(
      `SELECT team, count(*) AS open,
              count(*) FILTER (WHERE epoch_ms(due_at) < $watermark) AS overdue
       FROM cases WHERE status NOT IN (${TERMINAL}) GROUP BY team`,
      { watermark: Number.isFinite(clockMs) ? clockMs : 0 },
    );
    this.casesOpen.reset();
    this.casesOverdue.reset();
    for (const row of reader.getRowObjectsJS()) {
      const team = String(row['team']);
      this.casesOpen.set({ team }, Number(row['open']));
      this.casesOverdue.set({ team }, Number(row['overdue']));
    }
  }
}
