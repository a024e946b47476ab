/**
 * `pulse users add|list|update|passwd|remove`: the people who sign in to the console
 * (console/users.ts).
 *
 * A password (add, passwd) is asked for on a terminal (twice, not echoed) or read from the first
 * line of standard input when it is not a terminal (scripts, tests). It is hashed here, before the
 * database is opened: when a running job holds the file, the command goes to the job through its
 * API with `--password-hash` instead, so the password itself never leaves this process.
 */
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { StoreLockedError, UsageError } from '../../operators/errors.js';
import { ROLES, addUser, hashPassword, listUsers, removeUser, setPassword, updateUser, type Role } from '../../console/users.js';
import type { OpenDatabase, OpenedDatabase } from './database-access.js';

export interface UsersCommandIO {
  write: (text: string) => void;
  /** Asks for the password; absent inside a running job (its stdin is not the person's). */
  readPassword?: () => Promise<string>;
  now?: () => number;
}

/** The first line of a non-terminal stdin. */
async function firstLineOfStdin(): Promise<string> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new UsageError('no password on standard input (give it on the first line)');
}

/** Asks on the terminal without echoing what is typed. */
function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const output = rl as unknown as { _writeToOutput: (text: string) => void };
  let asked = false;
  output._writeToOutput = (text: string): void => {
    if (!asked) process.stdout.write(text);
  };
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      process.stdout.write('\n');
      rl.close();
      resolve(answer);
    });
    asked = true;
  });
}

/** The password from the terminal (typed twice) or from stdin's first line. */
export async function promptPassword(): Promise<string> {
  if (!process.stdin.isTTY) return firstLineOfStdin();
  const first = await ask('password: ');
  const again = await ask('password again: ');
  if (first !== again) throw new UsageError('the two passwords differ; nothing was changed');
  return first;
}

/** The hash a running job was sent (`--password-hash`), else the hash of the password the person gives. */
async function passwordHashOf(options: { passwordHash?: string }, io: UsersCommandIO, command: string): Promise<string> {
  if (options.passwordHash !== undefined) return options.passwordHash;
  if (io.readPassword === undefined) throw new UsageError(`give the password to pulse users ${command} in a shell, not through the API`);
  return hashPassword(await io.readPassword());
}

/**
 * Runs `work` on the database at `db`. When a job holds the file, the command line goes to the job
 * instead: `forwardArgs` when given (the password's hash in place of the password), else as typed.
 */
async function onDatabase<T>(open: OpenDatabase, db: string, forwardArgs: string[] | undefined, work: (opened: OpenedDatabase) => Promise<T>): Promise<T> {
  let opened;
  try {
    opened = await open(db);
  } catch (error) {
    if (error instanceof StoreLockedError && forwardArgs !== undefined) throw new StoreLockedError(error.path, error.cause, forwardArgs);
    throw error;
  }
  try {
    return await work(opened);
  } finally {
    await opened.close();
  }
}

const DB_OPTION = ['--db <path>', 'DuckDB database file of the job'] as const;
const hiddenPasswordHash = (command: string): Option =>
  new Option('--password-hash <hash>', `an argon2 hash made by pulse users ${command} (sent to a running job)`).hideHelp();

export function usersCommand(open: OpenDatabase, io: UsersCommandIO): Command {
  const now = io.now ?? Date.now;
  const users = new Command('users').description('people who sign in to the web console (pulse console)').exitOverride();

  users
    .command('add <name>')
    .description('add a console user; the password is asked for (or read from the first line of stdin)')
    .requiredOption('--team <team>', 'the team whose cases the user works (the team label of cases)')
    .addOption(new Option('--role <role>', 'manager (also closes cases, sees every team) or member').choices(ROLES).makeOptionMandatory())
    .addOption(hiddenPasswordHash('add'))
    .option('--email <address>', "where the user gets e-mail notices of their team's cases (receivers with to_team_members)")
    .requiredOption(...DB_OPTION)
    .exitOverride()
    .action(async (name: string, options: { team: string; role: Role; db: string; passwordHash?: string; email?: string }) => {
      const passwordHash = await passwordHashOf(options, io, 'add');
      const forwardArgs = [
        'users',
        'add',
        name,
        '--team',
        options.team,
        '--role',
        options.role,
        '--db',
        options.db,
        '--password-hash',
        passwordHash,
        ...(options.email !== undefined ? ['--email', options.email] : []),
      ];
      await onDatabase(open, options.db, forwardArgs, (opened) =>
        addUser(opened.connection, { name, team: options.team, role: options.role }, passwordHash, now(), options.email),
      );
      io.write(`added ${options.role} ${name} of team ${options.team}\n`);
    });

  users
    .command('passwd <name>')
    .description("give a user a new password (asked for, or read from the first line of stdin); ends the user's console sessions")
    .addOption(hiddenPasswordHash('passwd'))
    .requiredOption(...DB_OPTION)
    .exitOverride()
    .action(async (name: string, options: { db: string; passwordHash?: string }) => {
      const passwordHash = await passwordHashOf(options, io, 'passwd');
      const forwardArgs = ['users', 'passwd', name, '--db', options.db, '--password-hash', passwordHash];
      await onDatabase(open, options.db, forwardArgs, (opened) => setPassword(opened.connection, name, passwordHash));
      io.write(`new password for ${name}; their console sessions have ended\n`);
    });

  users
    .command('update <name>')
    .description("change a user's team, role or e-mail address; their sessions go on with the new team and role")
    .option('--team <team>', 'the team whose cases the user works from now on')
    .addOption(new Option('--role <role>', 'manager or member').choices(ROLES))
    .option('--email <address>', "where the user gets e-mail notices of their team's cases")
    .requiredOption(...DB_OPTION)
    .exitOverride()
    .action(async (name: string, options: { db: string; team?: string; role?: Role; email?: string }) => {
      const { db, ...changes } = options;
      const user = await onDatabase(open, db, undefined, (opened) => updateUser(opened.connection, name, changes));
      io.write(`${user.name} is now a ${user.role} of team ${user.team}\n`);
    });

  users
    .command('remove <name>')
    .description('remove a console user; their sessions end at their next request')
    .requiredOption(...DB_OPTION)
    .exitOverride()
    .action(async (name: string, options: { db: string }) => {
      const user = await onDatabase(open, options.db, undefined, (opened) => removeUser(opened.connection, name));
      io.write(`removed ${user.role} ${user.name} of team ${user.team}\n`);
    });

  users
    .command('list')
    .description('list console users (name, team, role, e-mail address if any)')
    .requiredOption(...DB_OPTION)
    .option('--json', 'print JSON')
    .exitOverride()
    .action(async (options: { db: string; json?: boolean }) => {
      const all = await onDatabase(open, options.db, undefined, (opened) => listUsers(opened.connection));
      io.write(
        options.json
          ? `${JSON.stringify(all, null, 2)}\n`
          : all.map((u) => `${u.name}\t${u.team}\t${u.role}${u.email !== undefined ? `\t${u.email}` : ''}\n`).join(''),
      );
    });
  return users;
}
