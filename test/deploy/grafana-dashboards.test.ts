import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY, DASHBOARD_DIR, OPTIONAL_METRICS, dashboardFiles, loadDashboard, metricNames } from './promql-sources.js';

// The generator is plain JavaScript outside the TypeScript project; its exports are typed here.
const generator = (await import(join(DEPLOY, 'grafana', 'generate-dashboards.mjs'))) as {
  buildDashboards(): Record<string, unknown>;
  render(dashboard: unknown): string;
  DATASOURCE_UID: string;
};

/** Metric names the pipeline registers itself (sinks/metrics/*, sinks/alerts/metrics.ts, sinks/changelog/metrics.ts). */
function registeredMetricNames(): Set<string> {
  const sources = ['sinks/metrics/pipeline-metrics.ts', 'sinks/metrics/partition-restores.ts', 'sinks/alerts/metrics.ts', 'sinks/changelog/metrics.ts'].map(
    (p) => readFileSync(join(DEPLOY, '..', p), 'utf8'),
  );
  return new Set(sources.flatMap((s) => [...s.matchAll(/name: '(pulse_[a-z0-9_]+)'/g)].map((m) => m[1]!)));
}

describe('Grafana dashboards', () => {
  const files = dashboardFiles();

  it('are the four dashboards of the brief and are up to date with the generator', () => {
    expect(files).toEqual(['pulse-contact-center.json', 'pulse-customer-signals.json', 'pulse-drift.json', 'pulse-pipeline-health.json']);
    const built = generator.buildDashboards();
    for (const file of files) {
      expect(readFileSync(join(DASHBOARD_DIR, file), 'utf8'), `${file} is stale: run node deploy/grafana/generate-dashboards.mjs`).toBe(
        generator.render(built[file]),
      );
    }
  });

  it.each(dashboardFiles())('%s: valid JSON with unique uid, schemaVersion 39 and the datasource variable', (file) => {
    const d = loadDashboard(file);
    expect(d.schemaVersion).toBe(39);
    expect(d.uid).toMatch(/^pulse-[a-z-]+$/);
    const ds = d.templating.list.find((v) => v.name === 'DS_PROMETHEUS');
    expect(ds?.type).toBe('datasource');
    expect(ds?.query).toBe('prometheus');
  });

  it('uids and titles are unique across dashboards', () => {
    const all = files.map(loadDashboard);
    expect(new Set(all.map((d) => d.uid)).size).toBe(all.length);
    expect(new Set(all.map((d) => d.title)).size).toBe(all.length);
  });

  it.each(dashboardFiles())('%s: every panel has targets, a description and the datasource variable', (file) => {
    const d = loadDashboard(file);
    const panels = d.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(3);
    for (const p of panels) {
      expect(p.targets?.length, `${p.title}: no targets`).toBeGreaterThan(0);
      // A description says what the panel means and what to do when it looks bad.
      expect(p.description?.length ?? 0, `${p.title}: description too short`).toBeGreaterThan(80);
      expect(p.description, `${p.title}: no 'Bad:' advice`).toMatch(/\bBad: /);
      expect(p.datasource?.uid).toBe('${DS_PROMETHEUS}');
      for (const t of p.targets!) {
        expect(t.expr.trim().length, `${p.title} ${t.refId}`).toBeGreaterThan(0);
        expect(t.datasource?.uid).toBe('${DS_PROMETHEUS}');
      }
    }
    // Rows are headings only.
    for (const r of d.panels.filter((p) => p.type === 'row')) expect(r.targets ?? []).toEqual([]);
  });

  it.each(dashboardFiles())('%s: panels do not overlap and fit the 24-column grid', (file) => {
    const d = loadDashboard(file);
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect(cells.has(key), `${p.title} overlaps at ${key}`).toBe(false);
          cells.add(key);
        }
      }
    }
  });

  it.each(dashboardFiles())('%s: variables are used as =~ matchers so "All" (.*) works', (file) => {
    const d = loadDashboard(file);
    const vars = d.templating.list.filter((v) => v.type === 'query');
    for (const v of vars) expect(v.allValue, v.name).toBe('.*');
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        for (const m of t.expr.matchAll(/(\w+)\s*(=~|!~|=|!=)\s*"\$(\w+)"/g)) {
          expect(m[2], `${p.title}: ${m[0]}`).toBe('=~');
          expect(
            vars.map((v) => v.name),
            `${p.title}: unknown variable $${m[3]}`,
          ).toContain(m[3]);
        }
      }
    }
  });

  it("the brief's panels are present (pipeline health, contact center, signals, drift)", () => {
    const exprs = files.flatMap((f) => loadDashboard(f).panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)));
    const used = new Set(exprs.flatMap(metricNames));
    for (const name of [
      'pulse_events_ingested_total',
      'pulse_events_rejected_total',
      'pulse_watermark_lag_seconds',
      'pulse_source_lag_messages',
      'pulse_checkpoint_duration_seconds_bucket',
      'pulse_alert_outbox_depth',
      'pulse_alert_delivery_failures_total',
      'pulse_process_resident_memory_bytes',
      'pulse_nodejs_eventloop_lag_p99_seconds',
      'pulse_contact_offered',
      'pulse_contact_abandon_rate',
      'pulse_contact_service_level',
      'pulse_contact_aht_seconds',
      'pulse_contact_asa_seconds',
      'pulse_contact_fcr_rate',
      'pulse_alerts_total',
      'pulse_alert_latency_seconds_bucket',
      'pulse_cases_open',
      'pulse_cases_overdue',
      'pulse_drift_score',
      'pulse_drift_threshold',
      'pulse_segment_customers',
    ]) {
      expect(used, name).toContain(name);
    }
    expect(exprs.some((e) => e.includes('histogram_quantile(0.5,'))).toBe(true);
    expect(exprs.some((e) => e.includes('histogram_quantile(0.99,'))).toBe(true);
  });

  it('reference only metrics the pipeline registers, Node default metrics, up, or the documented optional ones', () => {
    const registered = registeredMetricNames();
    expect(registered.size).toBeGreaterThan(10); // the regex still finds the prom-client definitions
    const known = (name: string): boolean =>
      registered.has(name) ||
      registered.has(name.replace(/_(bucket|sum|count)$/, '')) ||
      name in OPTIONAL_METRICS ||
      /^pulse_(process|nodejs)_/.test(name) ||
      name === 'up';
    for (const file of files) {
      for (const p of loadDashboard(file).panels) {
        for (const t of p.targets ?? []) for (const name of metricNames(t.expr)) expect(known(name), `${file} / ${p.title}: ${name}`).toBe(true);
      }
    }
  });

  it.each(['contact', 'drift'])('KPI and drift panels draw threshold lines (%s)', (topic) => {
    const file = files.find((f) => f.includes(topic))!;
    const withLines = loadDashboard(file).panels.filter((p) => p.type === 'timeseries' && p.fieldConfig?.defaults.custom?.thresholdsStyle?.mode !== 'off');
    expect(withLines.length).toBeGreaterThan(0);
    for (const p of withLines) expect(p.fieldConfig?.defaults.thresholds?.steps.length, p.title).toBeGreaterThan(1);
  });
});

describe('deploy/README.md', () => {
  it('explains every dashboard panel', () => {
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    for (const file of dashboardFiles()) {
      for (const p of loadDashboard(file).panels.filter((x) => x.type !== 'row')) expect(readme, p.title).toContain(`| ${p.title} |`);
    }
  });
});

describe('Grafana provisioning', () => {
  it("the datasource uid is the dashboards' default and points at the compose Prometheus", () => {
    const ds = parse(readFileSync(join(DEPLOY, 'grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as {
      apiVersion: number;
      datasources: Array<{ uid: string; type: string; url: string }>;
    };
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources[0]?.uid).toBe(generator.DATASOURCE_UID);
    expect(ds.datasources[0]?.type).toBe('prometheus');
    expect(ds.datasources[0]?.url).toBe('http://prometheus:9090');
    for (const file of dashboardFiles()) {
      const v = loadDashboard(file).templating.list.find((x) => x.name === 'DS_PROMETHEUS') as { current?: { value?: string } };
      expect(v.current?.value).toBe(generator.DATASOURCE_UID);
    }
  });

  it('the dashboard provider reads the folder the compose file mounts the dashboards at', () => {
    const provider = parse(readFileSync(join(DEPLOY, 'grafana/provisioning/dashboards/pulse.yaml'), 'utf8')) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as { services: Record<string, { volumes?: string[] }> };
    const mounts = compose.services['grafana']?.volumes ?? [];
    expect(provider.providers[0]?.type).toBe('file');
    expect(mounts).toContain(`./grafana/dashboards:${provider.providers[0]?.options.path}:ro`);
    expect(mounts).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});
