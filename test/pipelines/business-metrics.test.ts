import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../../pipelines/commands/run.js';
import { bindSource } from '../../pipelines/source-binding.js';
import { loadJobConfig } from '../../pipelines/job-config.js';
import { JobRunner } from '../../pipelines/runner.js';
import { DuckDBStore } from '../../sinks/duckdb/store.js';
import { PipelineMetrics } from '../../sinks/metrics/pipeline-metrics.js';
import { query } from '../helpers/duckdb.js';
import { sampleIn } from '../helpers/sample.js';

type Sample = { labels: Record<string, string | number>; value: number };

describe('business metrics of the default job', () => {
  it('export drift scores, segment sizes, cases by team, contact KPIs and alerts held back by moves consistent with the tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-business-'));
    const db = join(dir, 'pulse.duckdb');
    const job = applyOverrides(loadJobConfig('pipelines/customer-analytics.yaml', {}), {
      config: '',
      input: [sampleIn(dir)],
      db,
      reports: join(dir, 'reports'),
    });
    const store = await DuckDBStore.open(db);
    const metrics = new PipelineMetrics({ defaultMetrics: false });
    const logger = pino({ level: 'silent' });
    const { source } = bindSource(job, metrics, logger);
    await new JobRunner({ job, source, store, metrics, logger, signal: new AbortController().signal }).run();
    const values = async (name: string): Promise<Sample[]> => (await metrics.registry.getSingleMetric(name)!.get()).values as Sample[];
    const drift = await values('pulse_drift_score');
    const drifted = await values('pulse_drift_drifted');
    const dataset = await values('pulse_dataset_drift');
    const segments = await values('pulse_segment_customers');
    const open = await values('pulse_cases_open');
    const offered = await values('pulse_contact_offered');
    const heldBack = await values('pulse_alerts_held_back_total');
    const raised = await values('pulse_alerts_total');
    store.close();

    const [lastRun, tiers, cases, members] = await query(
      db,
      `SELECT feature, method, score, drifted FROM drift_metrics WHERE run_id = (SELECT max(run_id) FROM drift_metrics) AND score IS NOT NULL`,
      `SELECT tier, count(*) AS n FROM customer_segments GROUP BY tier`,
      `SELECT team, count(*) AS n FROM cases WHERE status = 'open' GROUP BY team`,
      `SELECT rule, count(*) AS n FROM move_members GROUP BY rule`,
    );
    expect(drift.length).toBe(lastRun!.length);
    for (const row of lastRun!) {
      const sample = drift.find((s) => s.labels['feature'] === row['feature'] && s.labels['method'] === row['method']);
      expect(sample?.value).toBeCloseTo(Number(row['score']), 9);
      // The verdict as stored, whatever the method: a Prometheus rule or panel reads it, not score >= threshold.
      const verdict = drifted.find((s) => s.labels['feature'] === row['feature'] && s.labels['method'] === row['method']);
      expect(verdict?.value).toBe(row['drifted'] === true ? 1 : 0);
    }
    // The last run's dataset verdict: its rescoring alert, if it raised one.
    const [rescored] = await query(
      db,
      `SELECT count(*)::INTEGER AS n FROM alerts WHERE rule = 'SegmentationRescoreNeeded' AND window_start = (SELECT max(current_start) FROM drift_metrics)`,
    );
    expect(dataset.map((s) => s.value)).toEqual([rescored![0]!['n'] === 0 ? 0 : 1]);
    expect(Object.fromEntries(segments.map((s) => [s.labels['tier'], s.value]))).toEqual(Object.fromEntries(tiers!.map((r) => [r['tier'], Number(r['n'])])));
    expect(Object.fromEntries(open.map((s) => [s.labels['team'], s.value]))).toEqual(Object.fromEntries(cases!.map((r) => [r['team'], Number(r['n'])])));
    // The sample's drift group pays 1.8x from 2026-02-09: a move together, its customers' jump alerts held back.
    expect(members!.length).toBeGreaterThan(0);
    expect(Object.fromEntries(heldBack.map((s) => [s.labels['rule'], s.value]))).toEqual(Object.fromEntries(members!.map((r) => [r['rule'], Number(r['n'])])));
    // Alerts raised, each once, not their resolutions too (the table keeps an alert's latest status;
    // a resolved alert counted again showed 23 analytic alerts for 13).
    const [firing] = await query(db, `SELECT kind, severity, count(*)::INTEGER AS n FROM alerts GROUP BY ALL`);
    const key = (kind: unknown, severity: unknown): string => `${String(kind)}/${String(severity)}`;
    expect(Object.fromEntries(raised.map((s) => [key(s.labels['kind'], s.labels['severity']), s.value]))).toEqual(
      Object.fromEntries(firing!.map((r) => [key(r['kind'], r['severity']), r['n']])),
    );
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.every((s) => typeof s.labels['queue'] === 'string' && typeof s.labels['channel'] === 'string')).toBe(true);
  }, 120_000);
});
