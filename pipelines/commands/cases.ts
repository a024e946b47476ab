/**
 * `pulse cases list|show|update|close --db PATH ...`: look at and work on service cases.
 *
 * Mount with `program.addCommand(casesCommand(openConnection))`. Errors are typed: an unknown case
 * id, an ambiguous id prefix or a bad status is a UsageError (exit code 2, message naming it).
 * Output is a readable table, or the records as JSON with `--json`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../../operators/errors.js';
import { CASE_STATUSES } from '../../operators/service/case-status.js';
import { closeCase, ensureCaseTables, formatCaseDetail, formatCaseList, listCases, showCase, updateCase, type CaseRecord } from '../../sinks/cases/index.js';
import { commandNow, readJobClock } from '../../sinks/duckdb/job-clock.js';
import { requireKnownValue } from '../../sinks/reports/lookup.js';
import type { OpenDatabase } from './database-access.js';
import { defaultActor, positiveInteger } from './people-options.js';
import { collectList } from './list-option.js';

export interface CasesCommandIO {
  write?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * Wall clock (epoch ms); injectable for tests. Audit times and `--overdue` use the job clock the
   * database stores (sinks/duckdb/job-clock.ts): the event time a replayed input reached, else this.
   */
  now?: () => number;
}

function isoTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new InvalidArgumentError(`'${value}' is not a time like 2026-03-01T12:00:00Z`);
  }
  return ms;
}

export function casesCommand(openConnection: OpenDatabase, io: CasesCommandIO = {}): Command {
  const write = io.write ?? ((text: string) => void process.stdout.write(text));
  const env = io.env ?? process.env;
  const now = io.now ?? Date.now;

  /** `jobNow`: the job clock's "now" (the same clock escalation used). */
  async function withDb<T>(dbPath: string, work: (conn: DuckDBConnection, jobNow: number) => Promise<T>): Promise<T> {
    const { connection, close } = await openConnection(dbPath);
    try {
      await ensureCaseTables(connection);
      return await work(connection, commandNow(await readJobClock(connection), now()));
    } finally {
      await close();
    }
  }
  const emit = (json: boolean, value: unknown, text: string): void => write(json ? JSON.stringify(value, null, 2) + '\n' : text);
  const caseJson = (c: CaseRecord) => ({
    ...c,
    opened_at: new Date(c.opened_at).toISOString(),
    due_at: new Date(c.due_at).toISOString(),
    closed_at: c.closed_at === null ? null : new Date(c.closed_at).toISOString(),
  });
  const one = (c: CaseRecord, asOf: number): string => formatCaseList([c], asOf);

  const cases = new Command('cases').description('list, show, update and close service cases').exitOverride();
  const sub = (name: string, description: string): Command =>
    cases
      .command(name)
      .description(description)
      .requiredOption('--db <path>', 'DuckDB database file of the job')
      .option('--json', 'print JSON records instead of a table')
      .exitOverride();

  sub('list', 'list cases, soonest due first')
    .option('--status <status>', `only these statuses (repeatable or comma-separated): ${CASE_STATUSES.join(', ')}`, collectList)
    .option('--team <team>', 'only this team')
    .option('--customer <id>', 'only this customer')
    .option('--overdue', 'only cases not closed or resolved whose due time has passed')
    .option('--as-of <time>', "judge --overdue at this time instead of the job's clock (RFC 3339)", isoTime)
    .option('--limit <n>', 'at most this many cases', positiveInteger)
    .action(
      async (opts: { db: string; json?: boolean; status?: string[]; team?: string; customer?: string; overdue?: boolean; asOf?: number; limit?: number }) => {
        let asOf = 0;
        const found = await withDb(opts.db, async (conn, jobNow) => {
          asOf = opts.asOf ?? jobNow;
          const cases = await listCases(conn, {
            ...(opts.status ? { status: opts.status } : {}),
            ...(opts.team !== undefined ? { team: opts.team } : {}),
            ...(opts.customer !== undefined ? { customer: opts.customer } : {}),
            ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
            overdue: opts.overdue === true,
            asOf,
          });
          // Nothing found because no case has that team ('Billing', 'nosuchteam'): say so, with the close matches.
          if (cases.length === 0 && opts.team !== undefined) {
            await requireKnownValue(conn, { table: 'cases', column: 'team', value: opts.team, option: '--team', what: 'team' });
          }
          return cases;
        });
        emit(opts.json === true, found.map(caseJson), formatCaseList(found, asOf));
      },
    );

  sub('show', 'show one case with its history')
    .argument('<case-id>', 'case id (or a unique prefix of 6+ characters)')
    .action(async (caseId: string, opts: { db: string; json?: boolean }) => {
      const detail = await withDb(opts.db, (conn) => showCase(conn, caseId, opts.db));
      emit(
        opts.json === true,
        { ...detail, case: caseJson(detail.case), events: detail.events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) },
        formatCaseDetail(detail),
      );
    });

  sub('update', 'change the status, team or assignee of a case, or add a note')
    .argument('<case-id>', 'case id (or a unique prefix of 6+ characters)')
    .addOption(new Option('--status <status>', 'new status').choices([...CASE_STATUSES]))
    .option('--team <team>', 'hand the case to this team')
    .option('--new-team', 'the --team is new: no case or console user has it yet')
    .option('--assignee <name>', 'the person working on it')
    .option('--note <text>', 'a note for the history')
    .option('--actor <name>', 'who makes the change (default $USER)')
    .action(
      async (
        caseId: string,
        opts: { db: string; json?: boolean; status?: string; team?: string; newTeam?: boolean; assignee?: string; note?: string; actor?: string },
      ) => {
        if (opts.status === undefined && opts.team === undefined && opts.assignee === undefined && opts.note === undefined) {
          throw new UsageError('pulse cases update: give at least one of --status, --team, --assignee, --note');
        }
        const actor = opts.actor ?? defaultActor(env);
        const change = {
          ...(opts.status !== undefined ? { status: opts.status } : {}),
          ...(opts.team !== undefined ? { team: opts.team, newTeam: opts.newTeam === true } : {}),
          ...(opts.assignee !== undefined ? { assignee: opts.assignee } : {}),
          ...(opts.note !== undefined ? { note: opts.note } : {}),
        };
        const [updated, at] = await withDb(
          opts.db,
          async (conn, jobNow) => [await updateCase(conn, caseId, change, { actor, at: jobNow }, opts.db), jobNow] as const,
        );
        emit(opts.json === true, caseJson(updated), one(updated, at));
      },
    );

  sub('close', 'close a case (or mark it resolved)')
    .argument('<case-id>', 'case id (or a unique prefix of 6+ characters)')
    .option('--note <text>', 'a closing note for the history')
    .option('--resolved', 'record the status resolved instead of closed')
    .option('--actor <name>', 'who closes it (default $USER)')
    .action(async (caseId: string, opts: { db: string; json?: boolean; note?: string; resolved?: boolean; actor?: string }) => {
      const actor = opts.actor ?? defaultActor(env);
      const options = { ...(opts.note !== undefined ? { note: opts.note } : {}), status: opts.resolved ? ('resolved' as const) : ('closed' as const) };
      const [closed, at] = await withDb(
        opts.db,
        async (conn, jobNow) => [await closeCase(conn, caseId, options, { actor, at: jobNow }, opts.db), jobNow] as const,
      );
      emit(opts.json === true, caseJson(closed), one(closed, at));
    });

  return cases;
}
