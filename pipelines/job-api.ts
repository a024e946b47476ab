import { existsSync, realpathSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Command } from 'commander';
import { PulseError, UsageError } from '../operators/errors.js';
import type { OpenDatabase, OpenOutboxSender, OutboxSender } from './commands/database-access.js';
import { DATABASE_COMMANDS, databaseCommands } from './commands/database-commands.js';
import { checkRequiredOptionsLast } from './commands/required-options.js';
import { EXIT_USAGE, exitCodeOf } from './exit-codes.js';
import { apiAddressFile, readApiAddress } from './job-api-address.js';
import type { MemberStatus } from './job-status.js';
import type { SerialQueue } from '../sinks/serial-queue.js';

/**
 * A running job's command API. A running job owns its DuckDB file, so `pulse report`, `cases`,
 * `outbox` and `drift` cannot open it; they send their command line to the job instead, which runs
 * the very same command on its own database and returns what it printed and its exit code.
 *
 * - Served on the metrics port at `POST /api/v1/command`, to loopback callers that show the job's
 *   token (sinks/metrics/http-server.ts): run the commands on the job's host (`kubectl exec`), as
 *   the job's user.
 * - Found through `<db>.api.json` beside the database (job-api-address.ts), written while the job
 *   serves it.
 * - Paths in the command line (`--db`, `--out`, `--config`) are made absolute by the caller, so
 *   they mean the same files in the job's process; the job writes reports only under its own
 *   reports directory.
 */
export const COMMAND_API_PATH = '/api/v1/command';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface JobCommandApiOptions {
  dbPath: string;
  /** The job's reports directory: the only place its API writes report files. */
  reportsDir: string;
  connect: () => Promise<DuckDBConnection>;
  /** Checkpoints and the API's database work take turns through this queue. */
  queue: SerialQueue;
  /** The job's alert delivery (for `pulse outbox send`), when it has an `alerting` section. */
  outbox?: OutboxSender;
  /** The job's live status (for `pulse status`): answered as JSON, without the database. */
  status?: () => Promise<MemberStatus>;
}

/** Answered from the job's memory, not its database: the caller renders the JSON it gets. */
export const STATUS_COMMAND = 'status';

function realOrResolved(path: string): string {
  return existsSync(path) ? realpathSync(path) : resolve(path);
}

function sameFile(a: string, b: string): boolean {
  return realOrResolved(a) === realOrResolved(b);
}

/** `path` with its deepest existing ancestor's symlinks resolved (the rest does not exist yet). */
function realPathOf(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : resolve(realPathOf(parent), relative(parent, absolute));
}

/** True when `path` is `dir` or inside it, after symlinks. */
export function isWithin(dir: string, path: string): boolean {
  const rel = relative(realPathOf(dir), realPathOf(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The values of an option in a command line (`--out DIR` and `--out=DIR`). */
function optionValues(argv: readonly string[], name: string): string[] {
  const values: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === name && i + 1 < argv.length) values.push(argv[i + 1]!);
    else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
  });
  return values;
}

/** Gives every command and subcommand the same output functions (help and commander's errors). */
function redirectOutput(command: Command, writeOut: (text: string) => void, writeErr: (text: string) => void): void {
  command.configureOutput({ writeOut, writeErr });
  for (const sub of command.commands) redirectOutput(sub, writeOut, writeErr);
}

const usage = (message: string): CommandResult => ({ exitCode: EXIT_USAGE, stdout: '', stderr: `pulse: ${message}\n` });

/**
 * Runs database commands inside the job. Each command holds the queue from the moment it opens the
 * database until it closes it, so its reads and writes take turns with the checkpoints; work done
 * without it (`pulse outbox send` sends through the job's delivery worker and its own connection)
 * does not hold the checkpoints back.
 */
export class JobCommandApi {
  constructor(private readonly options: JobCommandApiOptions) {}

  /** `body` is the request JSON: `{ "argv": ["cases", "list", "--db", "/abs/pulse.duckdb"] }`. */
  async handle(body: unknown): Promise<CommandResult> {
    const argv = (body as { argv?: unknown } | null)?.argv;
    if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === 'string')) {
      return usage('the request body must be {"argv": [strings]}');
    }
    if (argv[0] === STATUS_COMMAND && this.options.status) {
      return { exitCode: 0, stdout: `${JSON.stringify(await this.options.status())}\n`, stderr: '' };
    }
    if (!(DATABASE_COMMANDS as readonly string[]).includes(argv[0] ?? '')) {
      return usage(`a running job runs only these commands: ${[...DATABASE_COMMANDS, STATUS_COMMAND].join(', ')}; got '${argv[0] ?? ''}'`);
    }
    const reportsDir = resolve(this.options.reportsDir);
    const outside = optionValues(argv, '--out').find((out) => !isAbsolute(out) || !isWithin(reportsDir, out));
    if (outside !== undefined) {
      return usage(
        `a running job writes reports only under its reports directory ${reportsDir}; ` +
          `--out ${outside} is not in it (give --out ${reportsDir} or a directory inside it)`,
      );
    }
    let stdout = '';
    let stderr = '';
    const out = (text: string): void => void (stdout += text);
    const err = (text: string): void => void (stderr += text);
    const program = new Command('pulse').exitOverride();
    const access = { open: this.open, openReadOnly: this.open, openOutboxSender: this.openOutboxSender, write: out };
    for (const command of databaseCommands(access)) program.addCommand(command);
    checkRequiredOptionsLast(program);
    redirectOutput(program, out, err);
    try {
      await program.parseAsync(argv, { from: 'user' });
      return { exitCode: 0, stdout, stderr };
    } catch (error) {
      return { exitCode: exitCodeOf(error, err), stdout, stderr };
    }
  }

  private checkDatabase(path: string): void {
    const { dbPath } = this.options;
    if (!sameFile(path, dbPath)) throw new UsageError(`this job's database is ${resolve(dbPath)}, not ${resolve(path)}`);
  }

  private readonly open: OpenDatabase = async (path) => {
    this.checkDatabase(path);
    let release!: () => void;
    const held = new Promise<void>((resolveHeld) => (release = resolveHeld));
    await new Promise<void>((acquired) => {
      void this.options.queue.run(() => {
        acquired();
        return held;
      });
    });
    try {
      const connection = await this.options.connect();
      return {
        connection,
        close: () => {
          connection.closeSync();
          release();
        },
      };
    } catch (error) {
      release();
      throw error;
    }
  };

  /** The job's own receivers send (a `--config` given to the command is not needed and not used). */
  private readonly openOutboxSender: OpenOutboxSender = async (path) => {
    this.checkDatabase(path);
    const { outbox } = this.options;
    if (outbox === undefined) throw new UsageError('this job has no alerting section: there is no receiver to send to');
    // The job closes its receivers when it stops, not when one command is done.
    return { receiverNames: outbox.receiverNames, requeueDead: (f) => outbox.requeueDead(f), drain: (o) => outbox.drain(o), close: async () => {} };
  };
}

const PATH_OPTIONS = new Set(['--db', '--out', '--config', '--file']);

/** The command line with its path options made absolute (the job's working directory differs). */
export function withAbsolutePaths(argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    const eq = arg.indexOf('=');
    if (eq > 0 && PATH_OPTIONS.has(arg.slice(0, eq))) return `${arg.slice(0, eq)}=${resolve(arg.slice(eq + 1))}`;
    return i > 0 && PATH_OPTIONS.has(argv[i - 1]!) ? resolve(arg) : arg;
  });
}

/**
 * Sends a command line to the job that holds `dbPath`. Undefined when no job publishes an API for
 * that database; throws with the address when one is published but does not answer.
 */
export async function runInJob(dbPath: string, argv: readonly string[]): Promise<CommandResult | undefined> {
  const address = readApiAddress(dbPath);
  if (address === undefined) return undefined;
  const file = apiAddressFile(dbPath);
  let response: Response;
  try {
    response = await fetch(`${address.url}${COMMAND_API_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${address.token}` },
      body: JSON.stringify({ argv: withAbsolutePaths(argv) }),
      // Reports over a large database take a while; the job answers when the command is done.
      signal: AbortSignal.timeout(15 * 60_000),
    });
  } catch (error) {
    throw new PulseError(
      'STORE_LOCKED',
      `the job holding ${dbPath} (pid ${address.pid}) publishes its API at ${address.url} (${file}), but it does not answer: ` +
        `${(error as Error).message}. If that job is gone, delete ${file}.`,
      { cause: error },
    );
  }
  if (!response.ok) throw new PulseError('STORE_LOCKED', `the job's API at ${address.url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as CommandResult;
}
