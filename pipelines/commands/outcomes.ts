/**
 * `pulse outcomes record|list|summary --db PATH ...`: what came of alerts, leads and cases
 * (issue 16, "the loop closed"); see sinks/outcomes.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_THRESHOLDS, outcomeFigures } from '../../sinks/outcomes/figures.js';
import { formatOutcomeFigures, formatOutcomes } from '../../sinks/outcomes/format.js';
import { ensureOutcomeTables, listOutcomes, PERSON_OUTCOMES, recordOutcome, SUBJECT_KINDS, type SubjectKind } from '../../sinks/outcomes/store.js';
import type { OpenDatabase } from './database-access.js';
import { amount, defaultActor, peopleIO, type PeopleCommandIO, positiveInteger, withDatabase } from './people-options.js';

export function outcomesCommand(openConnection: OpenDatabase, io: PeopleCommandIO = {}): Command {
  const { write, env, now } = peopleIO(io);
  const withDb = withDatabase(openConnection, ensureOutcomeTables);

  const outcomes = new Command('outcomes').description('record and measure what came of alerts, leads and cases').exitOverride();
  outcomes
    .command('record')
    .description('record an outcome of an alert, lead or case (e.g. --outcome useful)')
    .argument('<id>', 'alert, lead or case id')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .addOption(new Option('--outcome <outcome>', 'what came of it').choices([...PERSON_OUTCOMES]).makeOptionMandatory())
    .addOption(new Option('--kind <kind>', 'what the id names (default: looked up in alerts, leads, cases)').choices([...SUBJECT_KINDS]))
    .option('--value <amount>', 'value won (or lost)', amount)
    .option('--note <text>', 'why, or what was done')
    .option('--actor <name>', 'who records it (default $USER)')
    .option('--json', 'print the JSON record instead of a table')
    .exitOverride()
    .action(async (id: string, opts: { db: string; outcome: string; kind?: SubjectKind; value?: number; note?: string; actor?: string; json?: boolean }) => {
      const input = {
        subjectId: id,
        outcome: opts.outcome,
        ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
        ...(opts.value !== undefined ? { value: opts.value } : {}),
        ...(opts.note !== undefined ? { note: opts.note } : {}),
      };
      const recorded = await withDb(opts.db, (conn) => recordOutcome(conn, input, { actor: opts.actor ?? defaultActor(env), at: now() }, opts.db));
      write(opts.json ? `${JSON.stringify(recorded, null, 2)}\n` : formatOutcomes([recorded]));
    });
  outcomes
    .command('list')
    .description('outcomes recorded and inferred, newest first')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .option('--id <id>', 'only this alert, lead or case')
    .addOption(new Option('--kind <kind>', 'only this kind of subject').choices([...SUBJECT_KINDS]))
    .option('--limit <n>', 'at most this many', positiveInteger)
    .option('--json', 'print JSON records instead of a table')
    .exitOverride()
    .action(async (opts: { db: string; id?: string; kind?: SubjectKind; limit?: number; json?: boolean }) => {
      const found = await withDb(opts.db, (conn) =>
        listOutcomes(conn, {
          ...(opts.id !== undefined ? { subjectId: opts.id } : {}),
          ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        }),
      );
      write(opts.json ? `${JSON.stringify(found, null, 2)}\n` : formatOutcomes(found));
    });
  outcomes
    .command('summary')
    .description('precision per rule and intent, conversion and revenue per intent and team, time to first action')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .option('--min-precision <x>', 'flag rules judged less precise than this (0..1)', fraction, DEFAULT_THRESHOLDS.minPrecision)
    .option('--min-judged <n>', 'judged alerts a rule needs before it can be flagged', positiveInteger, DEFAULT_THRESHOLDS.minJudged)
    .option('--json', 'print JSON instead of tables')
    .exitOverride()
    .action(async (opts: { db: string; minPrecision: number; minJudged: number; json?: boolean }) => {
      const thresholds = { minPrecision: opts.minPrecision, minJudged: opts.minJudged };
      const figures = await withDb(opts.db, (conn) => outcomeFigures(conn, thresholds));
      write(opts.json ? `${JSON.stringify(figures, null, 2)}\n` : formatOutcomeFigures(figures, thresholds));
    });
  return outcomes;
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1, e.g. 0.5');
  return n;
}
