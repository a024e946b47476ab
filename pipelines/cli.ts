#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { PulseError } from '../operators/errors.js';
import { demoCommand } from './commands/demo.js';
import { generateCommand } from './commands/generate.js';
import { casesCommand } from './commands/cases.js';
import { driftCommand } from './commands/drift.js';
import { outboxCommand } from './commands/outbox.js';
import { reportCommand } from './commands/report.js';
import { openDatabase } from './open-store.js';
import { runCommand } from './commands/run.js';

/** Exit codes of SPEC section 2. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('pulse')
    .description('customer-pulse: windowed customer aggregates, contact-center KPIs, shifts, drift and alerts in DuckDB')
    .exitOverride()
    .showHelpAfterError('(run pulse --help for usage)');

  program
    .command('run')
    .description('run a pipeline job; bounded input is processed to its end, Kafka runs until SIGINT/SIGTERM')
    .requiredOption('--config <file>', 'job YAML, e.g. pipelines/customer-analytics.yaml')
    .option('--input <path>', 'input file (NDJSON, Arrow IPC, Parquet) or - for stdin; repeatable; replaces the job sources', collect)
    .option('--db <path>', 'DuckDB database file (overrides store.path)')
    .option('--metrics-port <n>', 'serve /metrics, /healthz, /readyz on this port (0 = off)', integer('--metrics-port', 0, 65535))
    .option('--reports <dir>', 'directory for generated reports')
    .addOption(new Option('--source <name>', 'which of the job sources to read (e.g. kafka)'))
    .action(async (options) => {
      const summary = await runCommand(options);
      process.stderr.write(
        `processed ${summary.records} records: ${summary.accepted} accepted, ${summary.rejected} rejected` +
          ` (see the dead_letters table)${summary.completed ? '' : '; stopped before the end, run again to resume'}\n`,
      );
    });

  program
    .command('generate')
    .description('write realistic synthetic events (NDJSON) and a ground-truth JSON of what was injected')
    .requiredOption('--out <path>', 'output NDJSON file, or - for stdout (then --truth is required)')
    .option('--customers <n>', 'number of customers', integer('--customers', 1, 10_000_000), 1000)
    .option('--days <d>', 'number of days', integer('--days', 1, 3650), 30)
    .option('--seed <s>', 'random seed; the same seed gives the same bytes', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--start <iso>', 'first day, e.g. 2026-01-05T00:00:00Z')
    .option('--truth <path>', 'ground-truth JSON path (default: beside --out)')
    .action(async (options) => {
      await generateCommand(options);
    });

  program.addCommand(reportCommand());
  program.addCommand(casesCommand(openDatabase));
  program.addCommand(outboxCommand(openDatabase));
  program.addCommand(driftCommand(openDatabase));

  program
    .command('demo')
    .description('run the default job end to end on the bundled sample data and summarise the results')
    .option('--dir <dir>', 'where the demo database and reports go', 'demo-output')
    .action(async (options) => {
      await demoCommand(options);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof PulseError) {
      process.stderr.write(`pulse: ${error.message}\n`);
      return error.code === 'CONFIG_INVALID' || error.code === 'USAGE' ? EXIT_USAGE : EXIT_FAILURE;
    }
    if ((error as { code?: unknown }).code === 'CONFIG_INVALID') {
      // Operator option validators throw their own typed errors with this code.
      process.stderr.write(`pulse: configuration: ${(error as Error).message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`pulse: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}

process.exitCode = await main(process.argv);
