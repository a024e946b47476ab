/**
 * `pulse users add NAME --team T --role manager|member --db PATH` and `pulse users list --db PATH`:
 * the people who sign in to the console (console/users.ts).
 *
 * The password is asked for on a terminal (twice, not echoed) or read from the first line of
 * standard input when it is not a terminal (scripts, tests). It is hashed here, before the
 * database is opened: when a running job holds the file, the command goes to the job through its
 * API with `--password-hash` instead, so the password itself never leaves this process.
 */
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { StoreLockedError, UsageError } from '../../operators/errors.js';
import { ROLES, addUser, hashPassword, listUsers } from '../../console/users.js';
import type { OpenDatabase } from './database-access.js';

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

export function usersCommand(open: OpenDatabase, io: UsersCommandIO): Command {
  const now = io.now ?? Date.now;
  const users = new Command('users').description('people who sign in to the web console (pulse console)').exitOverride();

  users
    .command('add <name>')
    .description('add a console user; the password is asked for (or read from the first line of stdin)')
    .requiredOption('--team <team>', 'the team whose cases the user works (the team label of cases)')
    .addOption(new Option('--role <role>', 'manager (also closes cases, sees every team) or member').choices(ROLES).makeOptionMandatory())
    .addOption(new Option('--password-hash <hash>', 'an argon2 hash made by pulse users add (sent to a running job)').hideHelp())
    .option('--email <address>', "where the user gets e-mail notices of their team's cases (receivers with to_team_members)")
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .exitOverride()
    .action(async (name: string, options: { team: string; role: 'manager' | 'member'; db: string; passwordHash?: string; email?: string }) => {
      let passwordHash = options.passwordHash;
      if (passwordHash === undefined) {
        if (io.readPassword === undefined) throw new UsageError('give the password to pulse users add in a shell, not through the API');
        passwordHash = await hashPassword(await io.readPassword());
      }
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
      let opened;
      try {
        opened = await open(options.db);
      } catch (error) {
        if (error instanceof StoreLockedError) throw new StoreLockedError(error.path, error.cause, forwardArgs);
        throw error;
      }
      try {
        await addUser(opened.connection, { name, team: options.team, role: options.role }, passwordHash, now(), options.email);
      } finally {
        await opened.close();
      }
      io.write(`added ${options.role} ${name} of team ${options.team}\n`);
    });

  users
    .command('list')
    .description('list console users (name, team, role, e-mail address if any)')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .option('--json', 'print JSON')
    .exitOverride()
    .action(async (options: { db: string; json?: boolean }) => {
      const opened = await open(options.db);
      try {
        const all = await listUsers(opened.connection);
        io.write(
          options.json
            ? `${JSON.stringify(all, null, 2)}\n`
            : all.map((u) => `${u.name}\t${u.team}\t${u.role}${u.email !== undefined ? `\t${u.email}` : ''}\n`).join(''),
        );
      } finally {
        await opened.close();
      }
    });
  return users;
}
