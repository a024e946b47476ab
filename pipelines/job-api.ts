import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Command } from 'commander';
import { UsageError } from '../operators/errors.js';
import type { OpenDatabase } from './commands/database-access.js';
import { DATABASE_COMMANDS, databaseCommands } from './commands/database-commands.js';
import { EXIT_USAGE, exitCodeOf } from './exit-codes.js';
import type { SerialQueue } from './serial-queue.js';

/**
 * A running job's command API. A running job owns its DuckDB file, so `pulse report`, `cases`,
 * `outbox` and `drift` cannot open it; they send their command line to the job instead, which runs
 * the very same command on its own database and returns what it printed and its exit code.
 *
 * - Served on the metrics port at `POST /api/v1/command`, from loopback addresses only (the
 *   commands write files and change cases): run them on the job's host (`kubectl exec`).
 * - Found through `<db>.api.json` beside the database, written while the job serves it.
 * - Paths in the command line (`--db`, `--out`) are made absolute by the caller, so they mean the
 *   same files in the job's process.
 */
export const COMMAND_API_PATH = '/api/v1/command';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ApiAddress {
  url: string;
  pid: number;
  db: string;
}

/** Where a job serving `dbPath` says how to reach it. */
export function apiAddressFile(dbPath: string): string {
  return `${resolve(dbPath)}.api.json`;
}

/** Writes the address file; returns a function that removes it (when the job stops). */
export function publishApiAddress(dbPath: string, port: number): () => void {
  const file = apiAddressFile(dbPath);
  const address: ApiAddress = { url: `http://127.0.0.1:${port}`, pid: process.pid, db: resolve(dbPath) };
  writeFileSync(file, `${JSON.stringify(address)}\n`);
  return () => rmSync(file, { force: true });
}

function sameFile(a: string, b: string): boolean {
  const real = (path: string): string => (existsSync(path) ? realpathSync(path) : resolve(path));
  return real(a) === real(b);
}

/** Gives every command and subcommand the same output functions (help and commander's errors). */
function redirectOutput(command: Command, writeOut: (text: string) => void, writeErr: (text: string) => void): void {
  command.configureOutput({ writeOut, writeErr });
  for (const sub of command.commands) redirectOutput(sub, writeOut, writeErr);
}

/** Runs database commands inside the job, one at a time with its checkpoints. */
export class JobCommandApi {
  constructor(
    private readonly dbPath: string,
    private readonly connect: () => Promise<DuckDBConnection>,
    private readonly queue: SerialQueue,
  ) {}

  /** `body` is the request JSON: `{ "argv": ["cases", "list", "--db", "/abs/pulse.duckdb"] }`. */
  async handle(body: unknown): Promise<CommandResult> {
    const argv = (body as { argv?: unknown } | null)?.argv;
    if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === 'string')) {
      return { exitCode: EXIT_USAGE, stdout: '', stderr: 'pulse: the request body must be {"argv": [strings]}\n' };
    }
    if (!(DATABASE_COMMANDS as readonly string[]).includes(argv[0] ?? '')) {
      return {
        exitCode: EXIT_USAGE,
        stdout: '',
        stderr: `pulse: a running job runs only these commands: ${DATABASE_COMMANDS.join(', ')}; got '${argv[0] ?? ''}'\n`,
      };
    }
    let stdout = '';
    let stderr = '';
    const out = (text: string): void => void (stdout += text);
    const err = (text: string): void => void (stderr += text);
    const open: OpenDatabase = async (path) => {
      if (!sameFile(path, this.dbPath)) throw new UsageError(`this job's database is ${resolve(this.dbPath)}, not ${resolve(path)}`);
      const connection = await this.connect();
      return { connection, close: () => connection.closeSync() };
    };
    const program = new Command('pulse').exitOverride();
    for (const command of databaseCommands({ open, openReadOnly: open, write: out })) program.addCommand(command);
    redirectOutput(program, out, err);
    try {
      await this.queue.run(() => program.parseAsync(argv, { from: 'user' }));
      return { exitCode: 0, stdout, stderr };
    } catch (error) {
      return { exitCode: exitCodeOf(error, err), stdout, stderr };
    }
  }
}

const PATH_OPTIONS = new Set(['--db', '--out']);

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
  const file = apiAddressFile(dbPath);
  if (!existsSync(file)) return undefined;
  const address = JSON.parse(readFileSync(file, 'utf8')) as ApiAddress;
  let response: Response;
  try {
    response = await fetch(`${address.url}${COMMAND_API_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ argv: withAbsolutePaths(argv) }),
      // Reports over a large database take a while; the job answers when the command is done.
      signal: AbortSignal.timeout(15 * 60_000),
    });
  } catch (error) {
    throw new Error(
      `the job holding ${dbPath} (pid ${address.pid}) publishes its API at ${address.url} (${file}), but it does not answer: ` +
        `${(error as Error).message}. If that job is gone, delete ${file}.`,
      { cause: error },
    );
  }
  if (!response.ok) throw new Error(`the job's API at ${address.url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as CommandResult;
}
