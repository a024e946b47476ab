/**
 * `pulse leads list|update --db PATH ...`: the leads of issue 16 and what came of them.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../operators/errors.js';
import { LEAD_STATUSES } from '../../operators/service/leads.js';
import { requireKnownValue } from '../../sinks/reports/lookup.js';
import { ensureLeadTable, formatLeadSummary, formatLeads, leadSummary, listLeads, updateLead } from '../../sinks/leads/store.js';
import type { OpenDatabase } from './database-access.js';
import { amount, defaultActor, peopleIO, type PeopleCommandIO, positiveInteger, withDatabase } from './people-options.js';

export function leadsCommand(openConnection: OpenDatabase, io: PeopleCommandIO = {}): Command {
  const { write, env, now } = peopleIO(io);
  const withDb = withDatabase(openConnection, ensureLeadTable);

  const leads = new Command('leads').description('list leads from intent and record their outcome').exitOverride();
  leads
    .command('list')
    .description('list leads, newest first')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .addOption(new Option('--status <status>', 'only this status').choices([...LEAD_STATUSES]))
    .option('--intent <intent>', 'only this intent')
    .option('--team <team>', 'only this team')
    .option('--limit <n>', 'at most this many', positiveInteger)
    .option('--json', 'print JSON records instead of a table')
    .exitOverride()
    .action(async (opts: { db: string; status?: string; intent?: string; team?: string; limit?: number; json?: boolean }) => {
      const found = await withDb(opts.db, async (conn) => {
        const leads = await listLeads(conn, {
          ...(opts.status ? { status: [opts.status] } : {}),
          ...(opts.intent !== undefined ? { intent: opts.intent } : {}),
          ...(opts.team !== undefined ? { team: opts.team } : {}),
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        });
        // Nothing found: a misspelt filter ('Sales', 'bogus') says so, with the close matches, rather than "no leads".
        if (leads.length === 0) {
          if (opts.intent !== undefined)
            await requireKnownValue(conn, { table: 'leads', column: 'intent', value: opts.intent, option: '--intent', what: 'intent' });
          if (opts.team !== undefined) await requireKnownValue(conn, { table: 'leads', column: 'team', value: opts.team, option: '--team', what: 'team' });
        }
        return leads;
      });
      write(opts.json ? `${JSON.stringify(found, null, 2)}\n` : formatLeads(found));
    });

  leads
    .command('update')
    .description('record the status and/or value of a lead (e.g. --status won --value 1200)')
    .argument('<lead-id>', 'lead id, e.g. lead-3f2a9c0d1b2e4f56')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .addOption(new Option('--status <status>', 'new status').choices([...LEAD_STATUSES]))
    .option('--value <amount>', 'value won (or expected)', amount)
    .option('--actor <name>', 'who records it (default $USER)')
    .option('--json', 'print the JSON record instead of a table')
    .exitOverride()
    .action(async (leadId: string, opts: { db: string; status?: string; value?: number; actor?: string; json?: boolean }) => {
      if (opts.status === undefined && opts.value === undefined) throw new UsageError('pulse leads update: give --status, --value or both');
      const change = { ...(opts.status !== undefined ? { status: opts.status } : {}), ...(opts.value !== undefined ? { value: opts.value } : {}) };
      const updated = await withDb(opts.db, (conn) => updateLead(conn, leadId, change, { actor: opts.actor ?? defaultActor(env), at: now() }, opts.db));
      write(opts.json ? `${JSON.stringify(updated, null, 2)}\n` : formatLeads([updated]));
    });
  leads
    .command('summary')
    .description('conversion and revenue per intent and team, from the recorded outcomes')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .option('--json', 'print JSON records instead of a table')
    .exitOverride()
    .action(async (opts: { db: string; json?: boolean }) => {
      const rows = await withDb(opts.db, leadSummary);
      write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLeadSummary(rows));
    });
  return leads;
}
