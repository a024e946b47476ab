import { Command, InvalidArgumentError } from 'commander';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkOutputDir } from '../output-dir.js';
import { UsageError } from '../../operators/errors.js';
import { loadAlert } from '../../sinks/reports/alerts-data.js';
import { requireKnownValue } from '../../sinks/reports/lookup.js';
import { renderCustomerReport } from '../../sinks/reports/customer-report.js';
import { openReadOnly } from '../../sinks/reports/db.js';
import type { OpenDatabase } from './database-access.js';
import { renderDriftReport } from '../../sinks/reports/drift-report.js';
import { renderKpiReport } from '../../sinks/reports/kpi-report.js';
import type { ReportPaths } from '../../sinks/reports/write.js';

/** Options every report kind gets: `--db` and `--out`. */
export interface CommonReportOptions {
  db: string;
  out: string;
}

/**
 * One `pulse report <kind>`: `configure` adds the kind's own options to its subcommand, `render`
 * writes the report with a read-only connection. Add a kind (e.g. drift) by adding an entry to
 * REPORT_KINDS (or calling registerReportKind before reportCommand()).
 */
export interface ReportKind {
  description: string;
  configure(command: Command): void;
  render(connection: DuckDBConnection, options: CommonReportOptions & Record<string, unknown>): Promise<ReportPaths>;
}

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
    return n;
  };
}

function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number, e.g. 0.08');
  return n;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const kpiKind: ReportKind = {
  description: 'contact-center KPI report: a KPI per queue x channel over the last windows, latest breakdown, top contact reasons',
  configure(command) {
    command
      .option('--window <size>', "window size: 15m, 1h or 1d (default: the alert's, else 1d: the last complete day; else the smallest present)")
      .option('--queue <queue>', 'only this queue')
      .option('--channel <channel>', 'only this channel')
      .option('--kpi <kpi>', "KPI column of contact_kpis, e.g. service_level, aht_seconds (default: the alert's, else abandon_rate)")
      .option('--last <n>', 'number of consecutive windows to chart, ending at the reported one (gaps shown)', positiveInteger('--last'), 48)
      .option('--threshold <x>', 'draw this threshold as a line', finiteNumber)
      .option('--alert <id>', 'explain this alert (alerts.alert_id): its numbers at the top, its window last');
  },
  async render(connection, o) {
    const alertId = optionalString(o.alert);
    const alert = alertId === undefined ? undefined : await loadAlert(connection, alertId);
    if (alert === null) throw new UsageError(`no alert with id ${alertId} in the alerts table`);
    const window = optionalString(o.window);
    const given = optionalString(o.queue);
    const channel = optionalString(o.channel);
    const kpi = optionalString(o.kpi);
    // Case ignored, as KPI rules match queues.
    const queue =
      given === undefined
        ? undefined
        : await requireKnownValue(connection, { table: 'contact_kpis', column: 'queue', value: given, option: '--queue', what: 'queue', ignoreCase: true });
    if (channel !== undefined)
      await requireKnownValue(connection, { table: 'contact_kpis', column: 'channel', value: channel, option: '--channel', what: 'channel' });
    return renderKpiReport(connection, {
      outDir: o.out,
      ...(kpi === undefined ? {} : { kpi }),
      last: typeof o.last === 'number' ? o.last : 48,
      ...(window === undefined ? {} : { windowSize: window }),
      ...(queue === undefined ? {} : { queue }),
      ...(channel === undefined ? {} : { channel }),
      ...(typeof o.threshold === 'number' ? { threshold: o.threshold } : {}),
      ...(alert === undefined ? {} : { alert }),
    });
  },
};

const customerKind: ReportKind = {
  description: "customer report: spend and usage history with sales-alert shifts marked, and the customer's alerts",
  configure(command) {
    command.requiredOption('--customer <id>', 'customer_id').option('--window <size>', 'window size of customer_windows', '1d');
  },
  async render(connection, o) {
    await requireKnownValue(connection, {
      table: 'customer_windows',
      column: 'customer_id',
      value: String(o.customer),
      option: '--customer',
      what: 'customer',
    });
    return renderCustomerReport(connection, {
      outDir: o.out,
      customerId: String(o.customer),
      windowSize: optionalString(o.window) ?? '1d',
    });
  },
};

const driftKind: ReportKind = {
  description: 'population drift report: verdict and recommendation, features ranked by drift, distributions, tier migration, scores over runs',
  configure(command) {
    command.option('--run <id>', 'drift_metrics.run_id (default: the latest run)');
  },
  async render(connection, o) {
    const runId = optionalString(o.run);
    // Also writes a JSON file; the command prints the HTML and Markdown paths like every kind.
    return renderDriftReport(connection, { outDir: o.out, ...(runId === undefined ? {} : { runId }) });
  },
};

/** Report kind -> handler; `pulse report <kind>` is built from this map. */
export const REPORT_KINDS = new Map<string, ReportKind>([
  ['kpi', kpiKind],
  ['customer', customerKind],
  ['drift', driftKind],
]);

/** Adds a report kind (e.g. `drift`); refuses a name already taken. */
export function registerReportKind(name: string, kind: ReportKind): void {
  if (REPORT_KINDS.has(name)) throw new Error(`report kind "${name}" is already registered`);
  REPORT_KINDS.set(name, kind);
}

/**
 * Writes a report from the database once, read-only. While a job runs it owns the DuckDB file;
 * opening the file then fails with StoreLockedError, and the CLI asks the job (its HTTP API) to
 * run the command instead, with `open` giving the job's own database.
 */
export async function runReport(kind: string, options: CommonReportOptions & Record<string, unknown>, open: OpenDatabase = openReadOnly): Promise<ReportPaths> {
  const handler = REPORT_KINDS.get(kind);
  if (handler === undefined) throw new UsageError(`unknown report kind "${kind}"; use one of ${[...REPORT_KINDS.keys()].join(', ')}`);
  const db = await open(options.db);
  try {
    return await handler.render(db.connection, options);
  } finally {
    await db.close();
  }
}

/** `pulse report <kind> --db PATH --out DIR ...`: prints the written HTML and Markdown paths. */
export function reportCommand(open: OpenDatabase = openReadOnly, write: (text: string) => void = (text) => void process.stdout.write(text)): Command {
  const report = new Command('report')
    .description('write a report (HTML with charts, plus a Markdown summary) from the database')
    .exitOverride()
    .showHelpAfterError('(run pulse report --help for usage)');
  for (const [name, kind] of REPORT_KINDS) {
    const command = report
      .command(name)
      .description(kind.description)
      .requiredOption('--db <path>', 'DuckDB database file of the job')
      .requiredOption('--out <dir>', 'directory to write the report into');
    kind.configure(command);
    command.action(async (options: CommonReportOptions & Record<string, unknown>) => {
      checkOutputDir('--out', options.out);
      const paths = await runReport(name, options, open);
      write(`${paths.htmlPath}\n${paths.markdownPath}\n`);
    });
  }
  return report;
}
