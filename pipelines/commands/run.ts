import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { ConfigError } from '../../operators/errors.js';
import { AlertDelivery } from '../alert-delivery.js';
import { linkAlertReports, linkConsolePages, recordReportRequests } from '../alert-reports.js';
import { queuedDatabase } from '../../console/database.js';
import { startMetricsServer } from '../../sinks/metrics/http-server.js';
import { PipelineMetrics } from '../../sinks/metrics/pipeline-metrics.js';
import { loadJobConfig, replaysFiles, type JobConfig } from '../job-config.js';
import { createLogger } from '../logger.js';
import type { DuckDBStore } from '../../sinks/duckdb/store.js';
import { openStore } from '../open-store.js';
import { checkOutputDir } from '../output-dir.js';
import {
  JOB_NAME_KEY,
  EVENTS_ACCEPTED_KEY,
  OPERATOR_MARKS_KEY,
  STATE_SETTINGS_KEY,
  checkOperatorsLeftOut,
  checkStateSettings,
  otherJobWarning,
  stateSettingsOf,
  type StateSettings,
} from '../state-settings.js';
import { ProgressReporter } from '../progress.js';
import { bindSource, checkInputFiles, DEFAULT_LINGER } from '../source-binding.js';
import { bindStateChangelog } from '../changelog-binding.js';
import { bindMerge } from '../merge-binding.js';
import { PartitionHandoffDir } from '../../sinks/duckdb/partition-handoff.js';
import type { RunSummary } from '../run-context.js';
import type { CommittedCheckpoint } from '../checkpoint-sink.js';
import type { OperatorOutput } from '../../operators/operator.js';
import type { PackedStateRows } from '../../operators/state-pack.js';
import { JobRunner } from '../runner.js';
import { loadWindowSizesSince } from '../window-sizes-since.js';
import { unmatchedRuleNames, unmatchedRuleNamesText, type UnmatchedRuleNames } from '../unmatched-rule-names.js';
import { openRuleWindows } from '../kpi-rule-windows.js';
import type { OpenWindow } from '../../operators/input-end.js';
import { WATERMARK_KEY, type WatermarkSnapshot } from '../../operators/watermark.js';
import { COMMAND_API_PATH, JobCommandApi } from '../job-api.js';
import { JobStatus } from '../job-status.js';
import { newApiToken, publishApiAddress } from '../job-api-address.js';
import { SerialQueue } from '../../sinks/serial-queue.js';
import { ReportQueue } from '../report-queue.js';
import { promReportMetrics } from '../../sinks/reports/metrics.js';
import { reportWriter } from '../../sinks/reports/render-thread.js';
import { checkPortFree } from '../../sinks/listen-port.js';

export interface RunCommandOptions {
  config: string;
  input?: string[];
  db?: string;
  metricsPort?: number;
  /** Serve the web console on this port (overrides console.port; 0 = off). */
  consolePort?: number;
  reports?: string;
  source?: string;
  workers?: number;
  /** Where the job logs (default: JSON on stderr). */
  logger?: Logger;
}

/** Applies command-line overrides to the job: `--input` replaces the sources with those files. */
export function applyOverrides(job: JobConfig, options: RunCommandOptions): JobConfig {
  const sourceName = options.source ?? job.source;
  if (!(sourceName in job.sources)) {
    throw new ConfigError(`--source ${sourceName}: the job defines the sources ${Object.keys(job.sources).join(', ')}`);
  }
  let sources = job.sources;
  let source = sourceName;
  if (options.input && options.input.length > 0) {
    const named = job.sources[sourceName];
    const batch = named?.batch_size ?? 4096;
    const linger = named?.type === 'files' ? named.linger : DEFAULT_LINGER;
    source = 'files';
    sources = { ...job.sources, files: { type: 'files', paths: options.input, batch_size: batch, linger } };
  }
  return {
    ...job,
    source,
    sources,
    storePath: options.db ?? job.storePath,
    metricsPort: options.metricsPort ?? job.metricsPort,
    reportsDir: options.reports ?? job.reportsDir,
    workers: options.workers ?? job.workers,
    console: { ...job.console, port: options.consolePort ?? job.console.port },
  };
}

export interface RunCommandResult extends RunSummary {
  /** Alert deliveries still in the outbox when the run ended (after its drain timeout). */
  alertsPending: number;
  /** Alert deliveries that went dead during the run (refused, or out of attempts) and are dead still at its end (not requeued meanwhile). */
  alertsDead: number;
  /** Alert reports that could not be rendered or written in this run. */
  reportsFailed: number;
  /** Queues and reasons the rules name that no stored contact has (the rules never act on them). */
  ruleNames: UnmatchedRuleNames;
  /** The KPI rules' windows the input ended in: written as they stand, judged by a later run. */
  openRuleWindows: OpenWindow[];
  /** The job read Kafka, whose partitions may move between a group's members. */
  readKafka: boolean;
}

/** `reports.render`: `auto` renders a replay of files at its end (stdin may be a live producer). */
function rendersAtEnd(job: JobConfig): boolean {
  if (job.reportsRender !== 'auto') return job.reportsRender === 'at_end';
  return replaysFiles(job);
}

export async function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const job = applyOverrides(loadJobConfig(options.config, process.env, { inputReplacesPaths: (options.input?.length ?? 0) > 0 }), options);
  checkInputFiles(job, options.input?.length ? '--input' : `sources.${job.source}.paths:`);
  checkOutputDir(options.reports !== undefined ? '--reports' : 'reports.dir', job.reportsDir);
  const logger = options.logger ?? createLogger();
  const metrics = new PipelineMetrics();
  const handoff = job.checkpoint.handoffDir === undefined ? undefined : new PartitionHandoffDir(job.checkpoint.handoffDir);
  const binding = bindSource(job, metrics, logger, handoff);
  const changelog = bindStateChangelog(job, binding.source, metrics.registry);
  if (job.metricsPort > 0) await checkPortFree(job.metricsPort, '--metrics-port (metrics.port)');
  if (job.console.port > 0) await checkPortFree(job.console.port, '--console-port (console.port)', job.console.host);
  const store = await openStore(job.storePath, { memoryLimit: job.storeMemoryLimit });
  const stateSettings = await storedStateSettings(store, job, logger).catch((error: unknown) => {
    store.close();
    throw error;
  });
  const windowsSince = await loadWindowSizesSince(store, job.operators, logger).catch((error: unknown) => {
    store.close();
    throw error;
  });
  if (changelog) {
    const warning = await changelog.start(await store.loadOwners()).catch(async (error: unknown) => {
      store.close();
      throw error;
    });
    if (warning !== undefined) logger.warn(warning);
  }
  const merge = bindMerge(job, binding.source, logger, metrics.registry);
  if (merge) {
    const warning = await merge.start().catch(async (error: unknown) => {
      store.close();
      throw error;
    });
    if (warning !== undefined) logger.warn(warning);
  }
  // Checkpoints and the commands of the job's API take turns on the database.
  const queue = new SerialQueue();
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping: draining and checkpointing');
    abort.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let delivery: AlertDelivery | undefined;
  let workerConnection: Awaited<ReturnType<typeof store.connect>> | undefined;
  if (job.alerting) {
    workerConnection = await store.connect();
    try {
      delivery = AlertDelivery.create(job.alerting, workerConnection, metrics.registry, logger);
    } catch (error) {
      workerConnection.closeSync();
      store.close();
      throw error;
    }
  }
  const progress = new ProgressReporter(logger, process.stderr.isTTY === true);
  // What `pulse status` shows: kept from the checkpoints and asked of the source when requested.
  const status = new JobStatus({ job: job.name, db: job.storePath, source: binding.source, metrics, ...(merge ? { merge } : {}) });
  const runner = new JobRunner({
    job,
    source: binding.source,
    store,
    metrics,
    logger,
    signal: abort.signal,
    exclusive: queue,
    stateSettings,
    windowsSince,
    ...(handoff ? { handoff } : {}),
    ...(changelog ? { changelog } : {}),
    ...(merge ? { merge } : {}),
    // Reports deferred to the end render while the last windows close and the final checkpoint commits.
    onInputEnd: () => reports.inputEnded(),
    onProgress: (p) => progress.update(p),
    sinks: [
      {
        // Alerts link to their reports and console pages, and ask for their reports to be rendered.
        beforeWrites: async (_connection, outputs) => {
          linkAlertReports(outputs, job.reportsDir);
          if (job.console.baseUrl !== undefined) linkConsolePages(outputs, job.console.baseUrl);
        },
        write: async (connection, outputs) => void (await recordReportRequests(connection, outputs)),
        // The reports are rendered after the commit, off the hot path.
        committed: async () => reports.notify(),
      },
      // Routed alerts go to the delivery outbox in the same transaction.
      ...(delivery ? [delivery] : []),
      // The changelog before the source's offsets: a marker is in Kafka before the group's offset passes it.
      ...(changelog
        ? [
            {
              drained: (state: readonly PackedStateRows[]) => changelog.captureState(state),
              beforeWrites: async (_c: unknown, outputs: readonly OperatorOutput[]) => changelog.capture(outputs),
              committed: (c: CommittedCheckpoint) => changelog.committed(c),
            },
          ]
        : []),
      // The merge's partials after the commit and before the source's offsets, as the changelog's.
      ...(merge ? [merge.sink] : []),
      binding,
      status.sink,
    ],
  });
  // Reports of alerts are rendered after each commit, on a connection and a thread of their own.
  const reports = new ReportQueue({
    connection: await store.connect(),
    connect: () => store.connect(),
    writer: reportWriter(job.reportRenderThreads),
    metrics: promReportMetrics(metrics.registry),
    logger,
    deferUntilDrain: rendersAtEnd(job),
    // Scheduled reports' notifications go out once their report is written (the mail carries it).
    ...(delivery ? { afterRender: async (connection, alert) => (alert.kind === 'report' ? delivery.enqueueAlerts(connection, [alert]) : undefined) } : {}),
  });
  let server: Server | undefined;
  let unpublish: (() => void) | undefined;
  let webConsole: { close: () => Promise<void> } | undefined;
  try {
    if (job.console.port > 0) {
      // The web server and its templates load only for a console (about 60 ms of each start).
      const { startConsole } = await import('../../console/server.js');
      // The console's database work takes turns with the checkpoints, like the command API's.
      webConsole = await startConsole({
        db: queuedDatabase(queue, () => store.connect()),
        port: job.console.port,
        host: job.console.host,
        dueSoonMs: job.console.dueSoonMs,
        reportsDir: job.reportsDir,
        ...(job.console.baseUrl === undefined ? {} : { baseUrl: job.console.baseUrl }),
      });
      logger.info({ port: job.console.port, host: job.console.host }, 'serving the web console');
    }
    if (job.metricsPort > 0) {
      const api = new JobCommandApi({
        dbPath: job.storePath,
        reportsDir: job.reportsDir,
        connect: () => store.connect(),
        queue,
        ...(delivery ? { outbox: delivery } : {}),
        status: () => status.report(),
      });
      const token = newApiToken();
      server = await startMetricsServer(job.metricsPort, metrics.registry, { healthy: () => true, ready: () => runner.ready }, [
        { path: COMMAND_API_PATH, token, handle: (body) => api.handle(body) },
      ]);
      unpublish = publishApiAddress(job.storePath, job.metricsPort, token);
      logger.info({ port: job.metricsPort }, `serving /metrics, /healthz, /readyz and ${COMMAND_API_PATH} (pulse report, cases, outbox, drift, status)`);
    }
    const files = job.sources[job.source];
    const inputs = files?.type === 'files' ? { inputs: files.paths.map((path) => (path === '-' ? 'stdin' : path)) } : {};
    logger.info({ job: job.name, source: job.source, ...inputs, db: job.storePath }, 'job starting');
    delivery?.start();
    const summary = await runner.run();
    if (summary.completed) {
      // A bounded input has ended: nothing more will be requested, so render what is left.
      const { rendered, failed } = await reports.drain();
      if (rendered + failed > 0) logger.info({ rendered, failed }, `alert reports pending at the end of the input: ${rendered} rendered, ${failed} failed`);
    }
    // Before the API goes away: `pulse outbox send` may still reach the job while it drains.
    const drained = await delivery?.stop();
    const ruleNames = await unmatchedRuleNames(store.connection, job.operators);
    if (ruleNames.unmatched.length > 0) logger.warn({ unmatched: ruleNames.unmatched }, unmatchedRuleNamesText(ruleNames));
    for (const note of summary.notes) logger.warn(note);
    const ruleWindows = summary.completed ? await openRuleWindows(store.connection, job.operators, summary.reached) : [];
    return {
      ...summary,
      alertsPending: drained?.pending ?? 0,
      alertsDead: drained?.deadThisRun ?? 0,
      reportsFailed: reports.failures,
      ruleNames,
      openRuleWindows: ruleWindows,
      readKafka: job.sources[job.source]?.type === 'kafka',
    };
  } finally {
    progress.stop();
    await reports.stop();
    await delivery?.stop();
    workerConnection?.closeSync();
    await binding.close();
    await changelog?.close();
    await merge?.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    unpublish?.();
    server?.close();
    await webConsole?.close();
    store.close();
  }
}

/**
 * The operators' state settings to store from now on; refuses a job whose stored state was kept
 * under others, or that brings back an operator which runs without it have moved past.
 */
async function storedStateSettings(store: DuckDBStore, job: JobConfig, logger: Logger): Promise<StateSettings> {
  const { jobState } = await store.loadCheckpoint();
  const otherJob = otherJobWarning(jobState[JOB_NAME_KEY], job.name, job.storePath);
  if (otherJob !== undefined) logger.warn(otherJob);
  // Left out first: its remedies (leave it out, a new database, a new name) also settle a changed
  // setting of the same operator, while putting an old setting back would only meet this refusal next.
  const accepted = jobState[EVENTS_ACCEPTED_KEY];
  const watermark = (jobState[WATERMARK_KEY] as WatermarkSnapshot | undefined)?.current ?? null;
  checkOperatorsLeftOut(
    jobState[OPERATOR_MARKS_KEY],
    job.operators.map((op) => op.name),
    typeof accepted === 'number' ? { accepted, watermark } : undefined,
    job.storePath,
  );
  return checkStateSettings(jobState[STATE_SETTINGS_KEY], stateSettingsOf(job.operators), job.storePath);
}
