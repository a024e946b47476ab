import { pino } from 'pino';
import { parseJobConfig, type JobConfig } from '../../pipelines/job-config.js';
import type { RunContext, RunSummary } from '../../pipelines/run-context.js';
import { JobRunner } from '../../pipelines/runner.js';
import { DuckDBStore } from '../../sinks/duckdb/store.js';
import { PipelineMetrics } from '../../sinks/metrics/pipeline-metrics.js';
import { bindSource } from '../../pipelines/source-binding.js';

/** A job YAML for tests: files source, the given operators block, small batches. */
export function testJob(options: { paths: string[]; db: string; batchSize?: number; operators?: string; extra?: string }): JobConfig {
  const yaml = `
name: test
source: files
sources:
  files:
    type: files
    paths: ${JSON.stringify(options.paths)}
    batch_size: ${options.batchSize ?? 1}
event_time:
  max_out_of_orderness: 5m
  allowed_lateness: 1h
operators:
${options.operators ?? '  - type: customer_windows'}
store:
  path: ${JSON.stringify(options.db)}
checkpoint:
  interval: 1h
  max_events: 500
${options.extra ?? ''}`;
  return parseJobConfig(yaml, 'test.yaml', {});
}

/**
 * Runs a job in this process to the end of its input; `hooks` go to the runner as they are (give
 * `metrics` to read them while it runs).
 */
export async function runJob(
  job: JobConfig,
  { metrics = new PipelineMetrics({ defaultMetrics: false }), ...hooks }: Pick<RunContext, 'sinks' | 'now' | 'onProgress'> & { metrics?: PipelineMetrics } = {},
): Promise<{ summary: RunSummary; metrics: PipelineMetrics }> {
  const store = await DuckDBStore.open(job.storePath);
  const logger = pino({ level: 'silent' });
  const runner = new JobRunner({
    job,
    source: bindSource(job, metrics, logger).source,
    store,
    metrics,
    logger,
    signal: new AbortController().signal,
    ...hooks,
  });
  try {
    return { summary: await runner.run(), metrics };
  } finally {
    store.close();
  }
}
