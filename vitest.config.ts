import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // DuckDB, Prometheus, Kafka and Chromium are heavy; two cores gain nothing from more files at once.
    maxWorkers: 2,
    // The JSON report is what .ci/run counts from; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
