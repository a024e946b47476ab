import { CUSTOMER_PROFILES } from '../operators/customer-profiles.js';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../operators/errors.js';
import { requireDuration } from '../operators/duration.js';
import type { RecordLimits } from '../operators/record-limits.js';
import { parseTimestamp } from '../operators/timestamp.js';
import { AlertingConfigError, checkReceivers, isSecretKey, parseAlertingConfig } from '../sinks/alerts/index.js';
import type { ContactLabelLimits } from '../sinks/metrics/label-limits.js';
import { consoleSettings, type ConsoleSettings } from '../console/options.js';
import type { OutcomeThresholds } from '../sinks/outcomes/figures.js';
import { substituteEnv } from './env-vars.js';
import { lineOf, pathSegments } from './yaml-lines.js';
import { compileConfig, type ConfigProblem } from '../operators/config/schema.js';
import { JOB_SCHEMA } from './job-schema.js';
import { SOURCE_TYPES, type SourceConfig } from './source-binding.js';
import { OPERATOR_FACTORIES, type OperatorFactory } from './registry.js';
import { buildReportSchedules, type ReportLinks, type ReportSchedule } from './report-schedule.js';
import { MS_PER_DAY } from '../operators/contact-kpis/keys.js';
import { contactKpiOptionsFromConfig } from '../operators/contact-kpis/options.js';

export interface OperatorConfig {
  type: string;
  name: string;
  factory: OperatorFactory;
  settings: Record<string, unknown>;
}

/** A validated job, with durations already in milliseconds. */
export interface JobConfig {
  name: string;
  source: string;
  sources: Record<string, SourceConfig>;
  eventTime: { outOfOrdernessMs: number; allowedLatenessMs: number; idleTimeoutMs: number; maxFutureMs: number; minTimeMs: number; maxJumpMs: number };
  /** What one input record may be (`limits`); the sources enforce the byte size, the decoder the rest. */
  limits: RecordLimits;
  operators: OperatorConfig[];
  storePath: string;
  /** DuckDB's buffer pool limit (`store.memory_limit`), e.g. `256MB`. */
  storeMemoryLimit: string;
  /** handoffDir: where Kafka partition state moves between processes (unset: it does not move). */
  /** changelog: where Kafka partition state is carried instead (`checkpoint.changelog`). */
  checkpoint: { intervalMs: number; maxEvents: number; maxShare: number; handoffDir?: string; changelog?: { topic: string; minCompactionLagMs: number } };
  /** Population results merged across Kafka members through this topic (`merge`). */
  merge?: { topic: string };
  /** Worker threads running the shards (`workers`, `auto` resolved to the CPU cores; 0: main thread). */
  workers: number;
  rejectsFiles: boolean;
  metricsPort: number;
  /** Bounds on the contact gauges' queue and channel label values (`metrics.label_limits`). */
  metricsLabelLimits: ContactLabelLimits;
  reportsDir: string;
  /** When reports of alerts are rendered (`reports.render`). */
  reportsRender: 'auto' | 'at_end' | 'after_checkpoint';
  /** Threads rendering the reports pending at the end of a bounded input (`reports.render_threads`, `auto` resolved to the CPU cores). */
  reportRenderThreads: number;
  /** Scheduled reports (`reports.schedule`) and their links (`reports.links`); pipelines/report-schedule.ts. */
  reportSchedules: ReportSchedule[];
  reportLinks: ReportLinks;
  alerting: Record<string, unknown> | undefined;
  /** The web console (`console`): its port (0 = off), address and links. */
  console: ConsoleSettings;
  /**
   * Lead outcomes inferred at checkpoints (`leads.win_window`, sinks/outcomes/infer.ts); undefined
   * when the job has no customer_windows operator, whose rows are the evidence of transactions.
   */
  leadInference: { winWindowMs: number; spendWindowMs: number } | undefined;
  /** When a rule's precision is flagged for tuning (`outcomes`, sinks/outcomes/figures.ts). */
  outcomes: OutcomeThresholds;
}

const checkJob = compileConfig(JOB_SCHEMA);
const sourceChecks = new Map([...SOURCE_TYPES.values()].map((spec) => [spec.type, compileConfig(spec.schema)]));
const operatorChecks = new Map([...OPERATOR_FACTORIES.values()].map((factory) => [factory.type, compileConfig(factory.schema)]));

export type { FileSourceConfig, KafkaSourceConfig, SourceConfig } from './source-binding.js';

/** How the job file is read for a run. */
export interface LoadOptions {
  /**
   * `--input` replaces the job's sources with its files: the `paths` of its file sources stay as
   * written, so that a variable they name (`${EXPORT_DIR}/events.ndjson`) need not be set for a run
   * on other files.
   */
  inputReplacesPaths?: boolean;
}

export function loadJobConfig(path: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): JobConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read job config ${path}: ${(error as Error).message}`, error);
  }
  return parseJobConfig(text, path, env, options);
}

/** A path of a file source (of any name: only file sources have `paths`). */
const FILES_SOURCE_PATH = /^sources\.[^.]+\.paths\[\d+\]$/;

export function parseJobConfig(text: string, origin: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): JobConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: true, lineCounter });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const where = first.linePos?.[0] ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}` : 'unknown position';
    throw new ConfigError(`${origin}: YAML syntax error at ${where}: ${first.message.split('\n')[0]}`);
  }
  let parsed: unknown;
  try {
    parsed = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // yaml refuses alias chains that expand exponentially ("billion laughs").
    throw new ConfigError(`${origin}: YAML aliases expand too far (${(error as Error).message}); write the values out`, error);
  }
  const loop = recursivePath(parsed);
  if (loop !== undefined) {
    throw new ConfigError(
      `${origin}: ${loop || '(top level)'}: a YAML alias refers to a node that contains it (a recursive alias); write the value out instead`,
    );
  }
  const keepAsWritten = (path: string): boolean => isReceiverSecret(parsed, path) || (options.inputReplacesPaths === true && FILES_SOURCE_PATH.test(path));
  const raw = withOrigin(origin, () => substituteEnv(parsed, env, '', keepAsWritten));
  // Schema problems name the file and line of the key: `job.yaml:14: event_time.allowed_lateness: ...`.
  const located =
    (within: ReadonlyArray<string | number>, label = '') =>
    ({ path, detail }: ConfigProblem): ConfigError => {
      const line = lineOf(document, lineCounter, [...within, ...pathSegments(path)]);
      return new ConfigError(`${origin}${line === undefined ? '' : `:${line}`}: ${label}${path}: ${detail}`);
    };
  const job = checkJob(raw, '', located([]));
  const sources: Record<string, SourceConfig> = {};
  for (const [name, source] of Object.entries(job.sources)) {
    // The job schema's enum admits only registered types.
    sources[name] = sourceChecks.get(source.type)!(source, `sources.${name}`, located([])) as SourceConfig;
  }
  if (!(job.source in job.sources)) {
    throw new ConfigError(`${origin}: source: '${job.source}' is not defined; defined sources are ${Object.keys(job.sources).join(', ')}`);
  }
  const operators = (job.operators as Array<Record<string, unknown>>).map((entry, index) => {
    const type = String(entry['type']);
    return operatorConfig(entry, index, origin, located(['operators', index], `operators[${index}] (${type}): `));
  });
  if (job.checkpoint.changelog !== undefined && job.checkpoint.handoff_dir !== undefined) {
    throw new ConfigError(
      `${origin}: checkpoint: handoff_dir and changelog both move partition state; set one (changelog for members on several hosts, handoff_dir for one host)`,
    );
  }
  const names = new Set<string>();
  operators.forEach((op, index) => {
    if (op.name === CUSTOMER_PROFILES) {
      throw located(
        ['operators', index],
        `operators[${index}] (${op.type}): `,
      )({
        path: 'name',
        detail: `'${CUSTOMER_PROFILES}' is the name of the job's store of customer profiles (its state in the database); give the operator another name`,
      });
    }
    if (names.has(op.name)) {
      throw located(
        ['operators', index],
        `operators[${index}] (${op.type}): `,
      )({ path: 'name', detail: `'${op.name}' is used twice (a type is its operator's name unless it has one); give each operator its own name` });
    }
    names.add(op.name);
  });
  // Tables with no operator column: two operators would write the same rows (or, for the KPI
  // gauges, register the same metrics and stop the run with a stack trace).
  const kpis = operators.findIndex((op) => op.type === 'contact_kpis');
  const secondKpis = operators.findIndex((op, index) => op.type === 'contact_kpis' && index > kpis);
  if (secondKpis >= 0) {
    throw located(
      ['operators', secondKpis],
      `operators[${secondKpis}] (contact_kpis): `,
    )({
      path: 'type',
      detail: `a job has one contact_kpis operator (operators[${kpis}] is one): its rows and gauges name no operator; give its window_sizes and rules to that one`,
    });
  }
  const sizeIn = new Map<string, number>();
  operators.forEach((op, index) => {
    if (op.type !== 'customer_windows') return;
    (op.settings['windows'] as Array<{ size: string }>).forEach((window, at) => {
      const size = requireDuration(window.size);
      // In one operator a size may come tumbling and sliding: it writes each window once.
      const other = sizeIn.get(String(size));
      if (other !== undefined && other !== index) {
        throw located(
          ['operators', index],
          `operators[${index}] (customer_windows): `,
        )({
          path: `windows[${at}].size`,
          detail: `windows of ${window.size} are already in operators[${other}]: table customer_windows keeps one row per customer and window, which both would write; keep each size in one`,
        });
      }
      sizeIn.set(String(size), index);
    });
  });
  const outcomes: OutcomeThresholds = { minPrecision: job.outcomes.min_precision, minJudged: job.outcomes.min_judged };
  const reportSchedules = withOrigin(origin, () => buildReportSchedules(job.reports.schedule, outcomes));
  checkScorecardSource(reportSchedules, operators, origin);
  if (job.alerting !== undefined) {
    try {
      const { config } = parseAlertingConfig(job.alerting);
      checkReceivers(config.receivers, env);
    } catch (error) {
      // As every other section's problems: the file and line of the key (the message names its path).
      const line = error instanceof AlertingConfigError ? lineOf(document, lineCounter, pathSegments(error.path)) : undefined;
      throw new ConfigError(`${origin}${line === undefined ? '' : `:${line}`}: ${(error as Error).message}`, error);
    }
  }
  return {
    name: job.name,
    source: job.source,
    sources,
    eventTime: {
      outOfOrdernessMs: requireDuration(job.event_time.max_out_of_orderness),
      allowedLatenessMs: requireDuration(job.event_time.allowed_lateness),
      idleTimeoutMs: requireDuration(job.event_time.idle_timeout),
      maxFutureMs: requireDuration(job.event_time.max_future),
      maxJumpMs: requireDuration(job.event_time.max_jump),
      minTimeMs: minTime(job.event_time.min_time, origin),
    },
    limits: {
      maxRecordBytes: job.limits.max_record_bytes,
      maxNestingDepth: job.limits.max_nesting_depth,
      maxIdLength: job.limits.max_id_length,
      maxAmount: job.limits.max_amount,
      maxQuantity: job.limits.max_quantity,
      maxContactSeconds: job.limits.max_contact_seconds,
      maxSurveyAnswer: job.limits.max_survey_answer,
    },
    operators,
    storePath: job.store.path,
    storeMemoryLimit: job.store.memory_limit,
    checkpoint: {
      intervalMs: requireDuration(job.checkpoint.interval),
      maxEvents: job.checkpoint.max_events,
      maxShare: job.checkpoint.max_share,
      ...(job.checkpoint.handoff_dir === undefined ? {} : { handoffDir: job.checkpoint.handoff_dir }),
      ...(job.checkpoint.changelog === undefined
        ? {}
        : { changelog: { topic: job.checkpoint.changelog.topic, minCompactionLagMs: requireDuration(job.checkpoint.changelog.min_compaction_lag ?? '1d') } }),
    },
    ...(job.merge === undefined ? {} : { merge: { topic: job.merge.topic } }),
    workers: job.workers === 'auto' ? availableParallelism() : job.workers,
    rejectsFiles: job.dead_letters.rejects_files,
    metricsPort: job.metrics.port,
    metricsLabelLimits: job.metrics.label_limits,
    reportsDir: job.reports.dir,
    reportsRender: job.reports.render,
    reportRenderThreads: job.reports.render_threads === 'auto' ? availableParallelism() : job.reports.render_threads,
    reportSchedules,
    reportLinks: job.reports.links,
    alerting: job.alerting,
    console: consoleSettings(job.console),
    leadInference: leadInference(operators, job.leads.win_window),
    outcomes,
  };
}

/**
 * True when the job replays files (not stdin, not Kafka): its clock is event time, the watermark
 * (sinks/duckdb/job-clock.ts), and its alert reports can wait for the end of the input.
 */
export function replaysFiles(job: Pick<JobConfig, 'sources' | 'source'>): boolean {
  const source = job.sources[job.source];
  return source?.type === 'files' && !source.paths.includes('-');
}

/** Lead outcome inference reads transactions from the smallest window of the job's customer_windows. */
function leadInference(operators: readonly OperatorConfig[], winWindow: string): JobConfig['leadInference'] {
  const sizes = operators
    .filter((op) => op.type === 'customer_windows')
    .flatMap((op) => (op.settings['windows'] as Array<{ size: string }>).map((w) => requireDuration(w.size)));
  return sizes.length === 0 ? undefined : { winWindowMs: requireDuration(winWindow), spendWindowMs: Math.min(...sizes) };
}

/** The contact-center scorecard is computed from the 1-day `contact_kpis` rows: the job must write them. */
function checkScorecardSource(schedules: readonly ReportSchedule[], operators: readonly OperatorConfig[], origin: string): void {
  const scorecard = schedules.find((s) => s.report === 'contact_center_scorecard');
  if (scorecard === undefined) return;
  const daily = operators.some((op) => op.type === 'contact_kpis' && contactKpiOptionsFromConfig(op.settings).windowSizesMs.includes(MS_PER_DAY));
  if (!daily) {
    throw new ConfigError(
      `${origin}: reports.schedule (${scorecard.name}): the contact-center scorecard is computed from the 1-day rows of contact_kpis; ` +
        'add a contact_kpis operator with 1d in its window_sizes (e.g. window_sizes: [15m, 1h, 1d])',
    );
  }
}

/** Runs `build`, prefixing a ConfigError's message with the job file it came from. */
function withOrigin<T>(origin: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${origin}: ${error.message}`, error);
    throw error;
  }
}

function minTime(text: string, origin: string): number {
  const ms = parseTimestamp(text);
  if (Number.isNaN(ms)) {
    throw new ConfigError(`${origin}: event_time.min_time: ${JSON.stringify(text)} is not an RFC 3339 timestamp such as 2000-01-01T00:00:00Z`);
  }
  return ms;
}

/** The path of the first value that contains itself (a recursive YAML alias), or undefined. */
function recursivePath(value: unknown, path = '', ancestors: ReadonlySet<unknown> = new Set()): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (ancestors.has(value)) return path;
  const inside = new Set(ancestors).add(value);
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, i) => [`${path}[${i}]`, item])
    : Object.entries(value).map(([key, item]) => [path ? `${path}.${key}` : key, item]);
  for (const [childPath, child] of entries) {
    const found = recursivePath(child, childPath, inside);
    if (found !== undefined) return found;
  }
  return undefined;
}

const RECEIVER_KEY = /^alerting\.receivers\[(\d+)\]\.([A-Za-z_]+)$/;

/** True for `alerting.receivers[i].KEY` where KEY holds a secret of that receiver's type. */
function isReceiverSecret(document: unknown, path: string): boolean {
  const match = RECEIVER_KEY.exec(path);
  if (!match) return false;
  const receivers = (document as { alerting?: { receivers?: unknown } }).alerting?.receivers;
  const receiver = Array.isArray(receivers) ? (receivers[Number(match[1])] as { type?: unknown } | undefined) : undefined;
  return isSecretKey(receiver?.type, match[2]!);
}

function operatorConfig(entry: Record<string, unknown>, index: number, origin: string, located: (problem: ConfigProblem) => ConfigError): OperatorConfig {
  const type = String(entry['type']);
  const factory = OPERATOR_FACTORIES.get(type);
  if (!factory) throw located({ path: 'type', detail: `unknown operator '${type}'; allowed: ${OPERATOR_FACTORIES.types.join(', ')}` });
  const { type: _type, name, ...settings } = entry;
  operatorChecks.get(type)!(settings, '', located);
  const operatorName = typeof name === 'string' ? name : type;
  try {
    // Building once here runs the operator's own checks (rules, thresholds), so that a bad job
    // fails before anything is opened or read.
    factory.build(operatorName, settings, { allowedLatenessMs: 0 });
  } catch (error) {
    throw new ConfigError(`${origin}: operators[${index}] (${type}): ${(error as Error).message}`, error);
  }
  return { type, name: operatorName, factory, settings };
}
