import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY, RULES_DIR, metricNames, ruleExpressions } from './promql-sources.js';

const PROMTOOL = '/usr/bin/promtool';
const AMTOOL = '/usr/bin/amtool';
const hasPromtool = existsSync(PROMTOOL);

function promtool(args: string[]): { code: number; output: string } {
  const run = spawnSync(PROMTOOL, args, { cwd: DEPLOY, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(!hasPromtool)('Prometheus configuration (promtool)', () => {
  it('prometheus.yml passes promtool check config, including the rule files it loads', () => {
    const { code, output } = promtool(['check', 'config', 'prometheus/prometheus.yml']);
    expect(output, output).toContain('SUCCESS');
    expect(code, output).toBe(0);
    // The config must load every rule file in rules/, not an empty glob.
    const files = readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml'));
    expect(output).toMatch(new RegExp(`SUCCESS: ${files.length} rule files found`));
  });

  it('the rule files pass promtool check rules', () => {
    const files = readdirSync(RULES_DIR).map((f) => `prometheus/rules/${f}`);
    const { code, output } = promtool(['check', 'rules', ...files]);
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/FAILED/);
  });

  it('the rule unit tests pass (promtool test rules)', () => {
    const tests = readdirSync(join(DEPLOY, 'prometheus', 'tests')).map((f) => `prometheus/tests/${f}`);
    expect(tests.length).toBeGreaterThan(0);
    const { code, output } = promtool(['test', 'rules', ...tests]);
    expect(output, output).toContain('SUCCESS');
    expect(code, output).toBe(0);
  });

  it('promtool test rules would catch a broken rule (the tests are not vacuous)', () => {
    // Copy rules and tests, loosen the dead-letter threshold, and expect the unit tests to fail.
    const dir = mkdtempSync(join(tmpdir(), 'pulse-rules-'));
    execFileSync('cp', ['-r', join(DEPLOY, 'prometheus', 'rules'), join(DEPLOY, 'prometheus', 'tests'), dir]);
    const alerts = join(dir, 'rules', 'pulse-alerts.yml');
    writeFileSync(alerts, readFileSync(alerts, 'utf8').replace('pulse:dead_letter_ratio:rate5m > 0.05', 'pulse:dead_letter_ratio:rate5m > 0.005'));
    const run = spawnSync(PROMTOOL, ['test', 'rules', ...readdirSync(join(dir, 'tests')).map((f) => join(dir, 'tests', f))], {
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain('PulseDeadLetterRateHigh');
  });
});

describe('alerting rules', () => {
  const rules = ruleExpressions();
  const alerts = parse(readFileSync(join(RULES_DIR, 'pulse-alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }>;
  };

  it('cover the pipeline failures the runbook names', () => {
    const names = rules.filter((r) => r.kind === 'alert').map((r) => r.name);
    for (const needed of [
      'PulseWatermarkStalled',
      'PulseWatermarkLagGrowing',
      'PulseSourceLagGrowing',
      'PulseAlertDeliveryFailing',
      'PulseDeadLetterRateHigh',
      'PulseCheckpointFailed',
    ]) {
      expect(names).toContain(needed);
    }
  });

  it('every alert has a severity from the SPEC set, a summary, a description and a runbook', () => {
    for (const rule of alerts.groups.flatMap((g) => g.rules)) {
      expect(['info', 'warning', 'critical'], rule.alert).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary'], rule.alert).toBeTruthy();
      expect(rule.annotations?.['description'], rule.alert).toBeTruthy();
      expect(rule.annotations?.['runbook'], rule.alert).toBeTruthy();
    }
  });

  it('every alert is exercised by a promtool unit test', () => {
    const tests = readdirSync(join(DEPLOY, 'prometheus', 'tests'))
      .map((f) => readFileSync(join(DEPLOY, 'prometheus', 'tests', f), 'utf8'))
      .join('\n');
    for (const rule of rules.filter((r) => r.kind === 'alert')) {
      expect(tests, `no promtool test for ${rule.name}`).toMatch(new RegExp(`alertname: ${rule.name}\\b`));
    }
  });

  it('reference only pulse_ metrics, recorded pulse: series and up', () => {
    for (const rule of rules) {
      for (const name of metricNames(rule.expr)) {
        expect(name.startsWith('pulse_') || name.startsWith('pulse:') || name === 'up', `${rule.name}: ${name}`).toBe(true);
      }
    }
  });
});

describe.skipIf(!existsSync(AMTOOL))('Alertmanager configuration (amtool)', () => {
  it('alertmanager.yml passes amtool check-config', () => {
    const run = spawnSync(AMTOOL, ['check-config', join(DEPLOY, 'alertmanager', 'alertmanager.yml')], { encoding: 'utf8' });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('SUCCESS');
  });

  /** The receiver amtool's router picks for an alert with these labels. */
  const receiverOf = (...labels: string[]): string =>
    spawnSync(AMTOOL, ['config', 'routes', 'test', `--config.file=${join(DEPLOY, 'alertmanager', 'alertmanager.yml')}`, ...labels], {
      encoding: 'utf8',
    }).stdout.trim();

  it('routes customer alerts (kind label, SPEC section 5) away from the pipeline receiver', () => {
    expect(receiverOf('kind=sales', 'alertname=ChurnRisk')).toBe('customer-mail');
    expect(receiverOf('alertname=PulseCheckpointFailed', 'severity=critical', 'component=store')).toBe('ops-mail');
  });

  it("routes pulse's scheduled reports (kind=report) with the customer alerts, not to the pipeline inbox", () => {
    expect(receiverOf('kind=report', 'alertname=WeeklySignals', 'severity=info')).toBe('customer-mail');
  });
});

describe('metricNames (PromQL lexer used by the live test)', () => {
  it.each([
    ['sum by (type) (rate(pulse_events_ingested_total{instance=~"$instance"}[1m]))', ['pulse_events_ingested_total']],
    ['histogram_quantile(0.99, sum by (job, le) (rate(pulse_checkpoint_duration_seconds_bucket[5m])))', ['pulse_checkpoint_duration_seconds_bucket']],
    ['a_total / on (feature, method) group_left b_total > 0.5 and up{job="x y"} == 0', ['a_total', 'b_total', 'up']],
    ['pulse:source_lag_messages:sum > 10000 and deriv(pulse:source_lag_messages:sum[10m]) > 0', ['pulse:source_lag_messages:sum']],
    ['pulse_process_resident_memory_bytes > 2.5 * 1024 * 1024 * 1e3', ['pulse_process_resident_memory_bytes']],
  ])('%s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });
});
