import type { Command } from 'commander';
import { casesCommand } from './cases.js';
import type { DatabaseAccess } from './database-access.js';
import { driftCommand } from './drift.js';
import { leadsCommand } from './leads.js';
import { outboxCommand } from './outbox.js';
import { outcomesCommand } from './outcomes.js';
import { reasonsCommand } from './reasons.js';
import { reportCommand } from './report.js';
import { usersCommand } from './users.js';

/** The commands that work on a job's database: the same ones from a shell and through a job's API. */
export function databaseCommands(access: DatabaseAccess): Command[] {
  return [
    reportCommand(access.openReadOnly, access.write),
    casesCommand(access.open, { write: access.write }),
    outboxCommand(access.open, access.openOutboxSender, access.write),
    driftCommand(access.open, { write: access.write }),
    reasonsCommand(access.open, { write: access.write }),
    usersCommand(access.open, { write: access.write, ...(access.readPassword ? { readPassword: access.readPassword } : {}) }),
    leadsCommand(access.open, { write: access.write }),
    outcomesCommand(access.open, { write: access.write }),
  ];
}

/** Their names: what a running job's API accepts as the first word of a command line. */
export const DATABASE_COMMANDS = ['report', 'cases', 'outbox', 'drift', 'reasons', 'users', 'leads', 'outcomes'] as const;
