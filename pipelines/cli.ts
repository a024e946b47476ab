#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { StoreLockedError } from '../operators/errors.js';
import { openReadOnly } from '../sinks/reports/db.js';
import { DATABASE_COMMANDS, databaseCommands } from './commands/database-commands.js';
import { consoleCommand } from './commands/console.js';
import { demoCommand } from './commands/demo.js';
import { checkRequiredOptionsLast } from './commands/required-options.js';
import { generateCommand } from './commands/generate.js';
import { promptPassword } from './commands/users.js';
import { statusCommand } from './commands/status.js';
import { intentCommand } from './commands/intent.js';
import { runCommand } from './commands/run.js';
import { runOutcomeText } from './commands/run-outcome.js';
import { EXIT_FAILURE, EXIT_OK, exitCodeOf } from './exit-codes.js';
import { runInJob } from './job-api.js';
import { apiAddressFile } from './job-api-address.js';
import { openDatabase } from './open-store.js';
import { openOutboxSender } from './outbox-sender.js';
import { BEHAVIOUR_PATTERNS } from '../sources/generator/patterns.js';
import type { BehaviourPattern } from '../sources/generator/patterns.js';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

/** `--patterns weekend,gaps`: known behaviour pattern names, comma-separated. */
function patternList(value: string): BehaviourPattern[] {
  const names = value.split(',').map((p) => p.trim());
  const known: readonly string[] = BEHAVIOUR_PATTERNS;
  const unknown = names.filter((p) => !known.includes(p));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown pattern ${unknown.join(', ')}; use a comma-separated list of ${BEHAVIOUR_PATTERNS.join(', ')}`);
  return names as BehaviourPattern[];
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
    // Variadic, so that a shell glob (`--input exports/*.ndjson`, as the message for a directory
    // suggests) gives every file it matches; with one value each, the second file was "too many
    // arguments for 'run'".
    .option('--input <paths...>', 'input files (NDJSON, Arrow IPC, Parquet) or - for stdin; several, or repeated; replace the job sources')
    .option('--db <path>', 'DuckDB database file (overrides store.path)')
    .option('--metrics-port <n>', 'serve /metrics, /healthz, /readyz on this port (0 = off)', integer('--metrics-port', 0, 65535))
    .option('--reports <dir>', 'directory for generated reports')
    .option('--console-port <n>', 'serve the web console on this port (overrides console.port; 0 = off)', integer('--console-port', 0, 65535))
    .option('--workers <n>', 'worker threads (overrides workers; 0 = everything on the main thread)', integer('--workers', 0, 64))
    .addOption(new Option('--source <name>', 'which of the job sources to read (e.g. kafka)'))
    .action(async (options) => {
      const summary = await runCommand(options);
      process.stderr.write(runOutcomeText(summary, options));
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
    .option('--intent-texts', 'contact texts with known intents, listed in the ground truth (intent_texts)')
    .option('--patterns <list>', 'opt-in behaviour patterns, comma-separated: weekend,payday,holiday,bigticket,gaps', patternList)
    .action(async (options) => {
      await generateCommand(options);
    });

  const write = (text: string): void => void process.stdout.write(text);
  program.addCommand(intentCommand({ write, writeErr: (text) => void process.stderr.write(text), stdin: process.stdin }));
  for (const command of databaseCommands({ open: openDatabase, openReadOnly, openOutboxSender, write, readPassword: promptPassword }))
    program.addCommand(command);

  program.addCommand(statusCommand({ write }));

  program
    .command('console')
    .description('serve the web console (cases, alerts) over a database no job is running on')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .option('--port <n>', 'port to listen on', integer('--port', 1, 65535), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--base-url <url>', 'external address of the console (https:// makes its cookies Secure)')
    .option('--reports <dir>', "the job's reports directory (alert reports are served from it)")
    .option('--due-soon <duration>', 'cases due within this are marked due soon', '24h')
    .action(async (options) => {
      await consoleCommand(options);
    });

  program
    .command('demo')
    .description('run the default job end to end on the bundled sample data and summarise the results')
    .option('--dir <dir>', 'where the demo database and reports go', 'demo-output')
    .action(async (options) => {
      await demoCommand(options);
    });

  pointToOwnHelp(program, 'pulse');
  return checkRequiredOptionsLast(program);
}

/**
 * After an error, each command points to its own help (`run pulse cases update --help`): every
 * subcommand inherited the program's "run pulse --help", which does not list its options.
 */
function pointToOwnHelp(command: Command, path: string): void {
  command.showHelpAfterError(`(run ${path} --help for usage)`);
  for (const sub of command.commands) pointToOwnHelp(sub, `${path} ${sub.name()}`);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const writeErr = (text: string): void => void process.stderr.write(text);
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    const args = error instanceof StoreLockedError && error.forwardArgs ? [...error.forwardArgs] : argv.slice(2);
    if (error instanceof StoreLockedError && (DATABASE_COMMANDS as readonly string[]).includes(args[0] ?? '')) {
      return runInRunningJob(error, args).catch((failure: unknown) => exitCodeOf(failure, writeErr));
    }
    return exitCodeOf(error, writeErr);
  }
}

/** A job holds the database: the command runs inside it, through its API, and prints what it printed. */
async function runInRunningJob(locked: StoreLockedError, args: string[]): Promise<number> {
  const result = await runInJob(locked.path, args);
  if (result === undefined) {
    process.stderr.write(
      `pulse: ${locked.message}\npulse: what holds it serves no API (no ${apiAddressFile(locked.path)}): ` +
        `a job started without a metrics port, or a job or \`pulse console\` still opening it (they serve the API once ` +
        `they have opened it: try again in a few seconds). Restart a job with --metrics-port N (or metrics.port in the job YAML) ` +
        `to use pulse commands while it runs, or stop it first.\n`,
    );
    return EXIT_FAILURE;
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode;
}

process.exitCode = await main(process.argv);
