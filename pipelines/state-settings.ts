import { ConfigError } from '../operators/errors.js';
import type { OperatorConfig } from './job-config.js';

/**
 * The settings each operator's stored state was kept under. A job file is edited between runs on
 * one database (a drift period of 7d made 1d, a shift window of 1d made 1h): state kept on the old
 * grid would then be read on the new one (a week's spend compared with a day's, day indexes taken
 * for hours) and every later result would be wrong without a sign. Flink refuses a savepoint its
 * new job cannot read; so does this: the run stops before it reads anything, naming each setting
 * and what to do.
 *
 * Only settings that give stored state its meaning are compared (time grids, methods, what a
 * stored summary sums). Thresholds, rules and severities apply from the next event and are free to
 * change; so are settings added or removed (a new feature starts with the next event, like a new
 * operator; a new window size with its first window after the events already read:
 * window-sizes-since.ts). An operator brought back after runs without it read events is refused
 * (`checkOperatorsLeftOut`).
 */

/** `pulse_job_state` key of the settings, stored with every checkpoint. */
export const STATE_SETTINGS_KEY = 'operator_state_settings';

/** `pulse_job_state` key of the job's name (`name` in its job file), stored with every checkpoint. */
export const JOB_NAME_KEY = 'job_name';

/**
 * A warning when the database's checkpoint was written by a job of another name: the job goes on
 * from it (its positions in the inputs, its state), so input the other job read is not read again,
 * and a new window size of this job starts after the events that job read. Most likely a mistyped `--db`;
 * not refused, as renaming a job is allowed.
 */
export function otherJobWarning(storedName: unknown, name: string, dbPath: string): string | undefined {
  if (typeof storedName !== 'string' || storedName === name) return undefined;
  return (
    `${dbPath} holds the checkpoint of job '${storedName}', and this is job '${name}': it goes on from that checkpoint ` +
    `(the positions in its inputs, its state), so input that job read is not read again. If that is not meant, ` +
    `give this job a database of its own (--db or store.path)`
  );
}

/** By operator name: each state-shaping setting as canonical text (`type` included). */
export type StateSettings = Record<string, Record<string, string>>;

interface ChangedSetting {
  operator: string;
  setting: string;
  before: string;
  after: string;
}

/** The job's operators' state-shaping settings (OperatorFactory.stateSettings). */
export function stateSettingsOf(operators: readonly OperatorConfig[]): StateSettings {
  return Object.fromEntries(operators.map((op) => [op.name, { type: op.type, ...op.factory.stateSettings?.(op.settings) }]));
}

/**
 * The settings to store from now on: the stored ones, with this job's operators' in place of theirs.
 * Those of an operator no longer in the job are kept, so that bringing it back with other settings
 * is caught too (its state is still in the database). Throws a ConfigError (exit 2) naming every
 * setting of an operator with stored state that changed.
 */
export function checkStateSettings(stored: unknown, current: StateSettings, dbPath: string): StateSettings {
  const before = isStateSettings(stored) ? stored : {};
  const changed = changedSettings(before, current);
  if (changed.length > 0) throw new ConfigError(changedMessage(changed, dbPath), undefined, 'STATE_SETTINGS_CHANGED');
  return { ...before, ...current };
}

/**
 * `pulse_job_state` key of how many events the job has accepted over all its runs, stored with
 * every checkpoint: an operator that was not in the job while it grew missed events.
 */
export const EVENTS_ACCEPTED_KEY = 'events_accepted';

/**
 * `pulse_job_state` key of where each operator was at the last checkpoint that had it, stored with
 * every checkpoint; an operator taken out keeps its entry, as its settings do.
 */
export const OPERATOR_MARKS_KEY = 'operator_marks';

/** Where the job was at a checkpoint: events accepted over all runs, and the watermark (null before the first event). */
export interface JobMark {
  accepted: number;
  watermark: number | null;
}

/** By operator name: the job's mark at the last checkpoint that had the operator. */
export type OperatorMarks = Record<string, JobMark>;

/**
 * Refuses a job that brings back an operator which runs without it have read events past (late
 * ones too, which do not move the watermark): its state misses them, and would read them as none
 * (a customer who bought all along looks gone quiet; an FCR look-ahead that never saw the repeats
 * closes at 100%). `now` is the checkpoint's mark (undefined when it has none). An operator without
 * an entry (new, or stored before these entries) is not judged, nor is any when no entry is the
 * checkpoint's own (an older version wrote the checkpoint). Throws a ConfigError (exit 2) naming
 * each such operator and the span it missed.
 */
export function checkOperatorsLeftOut(stored: unknown, operators: readonly string[], now: JobMark | undefined, dbPath: string): void {
  const marks = operatorMarksOf(stored);
  // The last checkpoint's operators have its mark. If none has, that checkpoint was written by a
  // version that keeps no marks (a rollback): who was in the job since is unknown.
  if (now === undefined || !Object.values(marks).some((mark) => mark.accepted === now.accepted)) return;
  const leftOut = operators.filter((name) => marks[name] !== undefined && marks[name].accepted < now.accepted);
  if (leftOut.length === 0) return;
  const when = (at: number | null) => (at === null ? 'its start' : new Date(at).toISOString());
  const names = leftOut.map((name) => `'${name}'`).join(', ');
  throw new ConfigError(
    [
      `the job brings back operators that earlier runs on ${dbPath} left out, and their state there misses the events those runs read:`,
      ...leftOut.map((name) => {
        const mark = marks[name]!;
        return `  operator '${name}': last in the job at watermark ${when(mark.watermark)}, since then ${now.accepted - mark.accepted} events were read without it (the database is now at ${when(now.watermark)})`;
      }),
      'Resuming from that state would take the missed events for none (false "went quiet" and drop alerts, FCR closed without the repeats). Do one of these:',
      '  - leave it out of the job;',
      `  - run into a new database (--db or store.path) and read the input from its start, so that it sees every event;`,
      `  - give ${names} a new name (operators[].name): it starts afresh with the next event, without the history of its state under the old name.`,
    ].join('\n'),
    undefined,
    'OPERATOR_LEFT_OUT',
  );
}

/** The marks to store with a checkpoint at `now`: the stored ones, with the job's operators' moved to it. */
export function operatorMarks(stored: unknown, operators: readonly string[], now: JobMark): OperatorMarks {
  return { ...operatorMarksOf(stored), ...Object.fromEntries(operators.map((name) => [name, now])) };
}

function operatorMarksOf(stored: unknown): OperatorMarks {
  if (typeof stored !== 'object' || stored === null) return {};
  return Object.fromEntries(Object.entries(stored).filter((entry): entry is [string, JobMark] => isJobMark(entry[1])));
}

function isJobMark(value: unknown): value is JobMark {
  const mark = value as Partial<JobMark> | null;
  return typeof mark === 'object' && mark !== null && typeof mark.accepted === 'number' && (mark.watermark === null || typeof mark.watermark === 'number');
}

function changedSettings(stored: StateSettings, current: StateSettings): ChangedSetting[] {
  const changed: ChangedSetting[] = [];
  for (const [operator, settings] of Object.entries(current)) {
    const previous = stored[operator];
    if (previous === undefined) continue;
    for (const [setting, after] of Object.entries(settings)) {
      const before = previous[setting];
      if (before !== undefined && before !== after) changed.push({ operator, setting, before, after });
    }
  }
  return changed;
}

function changedMessage(changed: readonly ChangedSetting[], dbPath: string): string {
  const lines = changed.map((c) => `  operator '${c.operator}': ${c.setting} was ${c.before}, is now ${c.after}`);
  const operators = [...new Set(changed.map((c) => `'${c.operator}'`))].join(', ');
  return [
    `the job's settings changed since its state in ${dbPath} was stored, and that state cannot be read under the new ones:`,
    ...lines,
    'Do one of these:',
    '  - put the old settings back;',
    `  - run into a new database (--db or store.path) and read the input from its start, so that every result is computed under the new settings;`,
    `  - give ${operators} a new name (operators[].name): it starts afresh with the next event, without the history of its state under the old name.`,
  ].join('\n');
}

function isStateSettings(value: unknown): value is StateSettings {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'object' && v !== null);
}
