import { defineConfig } from 'vitest/config';

/**
 * Suites that run the built CLI as a process, a Kafka cluster, Chromium or a mail or Alertmanager
 * peer: `npm run test:integration`. Everything else runs in this process (short oracle scripts in
 * Python or promtool included): `npm test`. `npm run test:all` runs both.
 */
export const INTEGRATION_SUITES = [
  'test/console/console-browser.test.ts',
  'test/console/console-in-job.test.ts',
  'test/deploy/live-prometheus-kafka.test.ts',
  'test/deploy/live-prometheus.test.ts',
  'test/operators/service/intent-trigger.test.ts',
  'test/pipelines/alert-reports.test.ts',
  'test/pipelines/checkpoint-in-flight.test.ts',
  'test/pipelines/cli-edges.test.ts',
  'test/pipelines/console-command-api.test.ts',
  'test/pipelines/crash-resume-workers.test.ts',
  'test/pipelines/crash-resume.test.ts',
  'test/pipelines/demo.test.ts',
  'test/pipelines/generate-patterns-cli.test.ts',
  'test/pipelines/intent-cli.test.ts',
  'test/pipelines/job-api.test.ts',
  'test/pipelines/kafka-changelog.test.ts',
  'test/pipelines/kafka-config-errors.test.ts',
  'test/pipelines/kafka-three-members.test.ts',
  'test/pipelines/kafka-e2e.test.ts',
  'test/pipelines/kafka-merge.test.ts',
  'test/pipelines/kafka-merge-moves.test.ts',
  'test/pipelines/leads.test.ts',
  'test/pipelines/live-stdin.test.ts',
  'test/pipelines/open-store.test.ts',
  'test/pipelines/outbox-admin.test.ts',
  'test/pipelines/poison-records.test.ts',
  'test/pipelines/reasons-command.test.ts',
  'test/pipelines/report-crash-resume.test.ts',
  'test/pipelines/scheduled-reports-live.test.ts',
  'test/pipelines/scheduled-reports.test.ts',
  'test/pipelines/status-command.test.ts',
  'test/pipelines/users-command.test.ts',
  'test/pipelines/watermark-outlier.test.ts',
  'test/pipelines/workers-equality.test.ts',
  'test/sinks/alerts/alertmanager-binary.test.ts',
  'test/sinks/alerts/email.test.ts',
  'test/sinks/reports/browser.test.ts',
  'test/sinks/reports/drift-report.test.ts',
  'test/sinks/reports/report-command.test.ts',
  'test/sources/kafka/kafka-source.test.ts',
  'test/sources/kafka/producers.test.ts',
  'test/sources/kafka/rebalance.test.ts',
  'test/sources/kafka/repeated-warnings.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // DuckDB, Prometheus, Kafka and Chromium are heavy; two cores gain nothing from more files at once.
    maxWorkers: 2,
    // The JSON report is what .ci/run counts from; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION_SUITES } },
      { extends: true, test: { name: 'integration', include: INTEGRATION_SUITES } },
    ],
  },
});
