import { formatInstant } from '../../sinks/reports/format.js';
import { formatDuration } from '../../operators/duration.js';
import { shellWord } from '../../sinks/terminal-text.js';
import { unmatchedRuleNamesText } from '../unmatched-rule-names.js';
import type { RunCommandResult } from './run.js';

/**
 * A share of late records above which a run says why: a file in another order than event time (a
 * per-customer export, files read one after another that overlap in time) loses most of its events
 * as `late`, and the counts alone read like a success. The generator's own late records are 0.1%.
 */
const LATE_SHARE_WORTH_A_WORD = 0.05;

/** The KPI rule windows left open at an input's end that the last lines name; the rest are counted. */
const OPEN_WINDOWS_NAMED = 5;

const COUNTED_BEFORE = 'this database has counted these events before, and a rerun over the same input changes nothing (SPEC section 2)';

/**
 * Why records of a run that accepted none were late: older than what the database has processed.
 * Either a rerun (beyond the duplicate ids kept, a rerun's records are late) or an export older than
 * the database's data, a back-fill, which a tester was told "this database has counted" though it
 * had never seen them.
 */
function behindTheDatabase(watermark: number): string {
  const at = Number.isFinite(watermark) ? ` (${formatInstant(watermark)})` : '';
  return (
    `their event times are further behind this database's watermark${at} than event_time.allowed_lateness: ` +
    'either it has counted them before (a rerun over the same input changes nothing) or they are older than its data ' +
    '(a back-fill of an earlier export comes too late for a database that went on past it)'
  );
}

/** What `pulse run` prints on stderr at its end: the counts, and what to do where they need it. */
export function runOutcomeText(summary: RunCommandResult, options: { db?: string; config: string }): string {
  const db = options.db === undefined ? '<store.path>' : shellWord(options.db);
  const lines = [
    `processed ${summary.records} records: ${summary.accepted} accepted, ${summary.rejected} rejected` +
      ` (see the dead_letters table)${summary.completed ? '' : '; stopped before the end, run again to resume'}`,
  ];
  if (summary.alertsPending > 0) {
    lines.push(
      `${summary.alertsPending} alert deliveries are still pending in the outbox; send them with: ` +
        `pulse outbox send --db ${db} --config ${shellWord(options.config)}`,
    );
  }
  if (summary.alertsDead > 0) {
    lines.push(
      `${summary.alertsDead} alert deliveries failed for good in this run and are still dead (a receiver refused them, they ran out of attempts, or their receiver is no longer configured); ` +
        `see why with: pulse outbox list --db ${db} --status dead; queue them again with: pulse outbox retry --db ${db}`,
    );
  }
  if (summary.reportsFailed > 0) {
    lines.push(
      `${summary.reportsFailed} alert reports could not be written (the log says why for each; also pulse_report_requests.last_error); ` +
        'their alerts are kept (and delivered) all the same, linking to reports that are not there',
    );
  }
  if (summary.ruleNames.unmatched.length > 0) lines.push(unmatchedRuleNamesText(summary.ruleNames));
  lines.push(...summary.notes);
  const open = summary.openRuleWindows;
  if (open.length > 0) {
    const shown = open.slice(0, OPEN_WINDOWS_NAMED).map((w) => `the ${formatDuration(w.sizeMs)} window from ${formatInstant(w.start)}`);
    const more = open.length > OPEN_WINDOWS_NAMED ? ` and ${open.length - OPEN_WINDOWS_NAMED} more` : '';
    lines.push(
      `the input's events ended at ${formatInstant(summary.reached)}, inside ${shown.join(', ')}${more}: their contact_kpis rows are written as they ` +
        'stand, and the KPI rules judge such a window once a later run over this database completes it (a part-filled window is not judged)',
    );
  }
  // Nothing accepted and records refused as late or duplicate: a rerun over input this database
  // has counted (its broken lines are refused again). Nothing accepted otherwise is most likely
  // the wrong file or format (a pretty-printed JSON file, a CSV), not bad data: say which rather
  // than let the counts pass for a success.
  const counted = summary.late + summary.duplicates;
  if (summary.records > 0 && summary.accepted === 0 && counted > 0) {
    const others = summary.rejected - counted;
    lines.push(
      `not one record was accepted, and ${counted} were refused as late (${summary.late}) or duplicate (${summary.duplicates}): ` +
        (summary.duplicates >= summary.late ? COUNTED_BEFORE : behindTheDatabase(summary.watermark)) +
        (others > 0 ? `; the other ${others} were refused for what is wrong with them, as before (dead_letters)` : '') +
        '. To process them anew, run into a new database (--db)',
    );
  } else if (summary.records > 0 && summary.accepted === 0) {
    lines.push(
      'not one record was accepted: is the input NDJSON, one event of SPEC section 1 per line (or Parquet or Arrow with the event fields as columns)? The reasons are in the dead_letters table',
    );
  } else if (summary.records > 0 && summary.late / summary.records > LATE_SHARE_WORTH_A_WORD) {
    const percent = ((100 * summary.late) / summary.records).toFixed(1);
    const late =
      `${summary.late} of ${summary.records} records (${percent}%) were refused as late: their event time was further behind ` +
      `the watermark (about the latest event time seen so far) than event_time.allowed_lateness. `;
    lines.push(
      summary.readKafka
        ? late +
            `Did a member of the group stop while it was behind (a backlog)? The member that takes its partitions over has gone on ` +
            `in event time, and their records come late to it (README, "Lateness across a take-over"); producers that send ` +
            `out of event-time order do the same. Raise event_time.allowed_lateness above how far behind a member may fall, ` +
            `and replay the refused records from dead_letters (or the dead-letter topic) into a new database`
        : late +
            `Is the input in event-time order? A file sorted by customer, or files that overlap in time read one after another, ` +
            `loses most of its events this way: sort it by event time, or raise event_time.allowed_lateness in the job file, ` +
            `and run it again into a new database`,
    );
  } else if (summary.lateLongContacts > 0) {
    lines.push(
      `${summary.lateLongContacts === 1 ? '1 contact was' : `${summary.lateLongContacts} contacts were`} refused as late because ` +
        "they lasted longer than event_time.allowed_lateness: a contact's record arrives when it ends and counts in the window it was " +
        'queued in, so a long one (an e-mail answered the next day) comes too late for it even from a source in order of arrival. ' +
        'Their KPIs miss them (the scorecards of their days say how many). If your contacts come ' +
        'when they end, raise event_time.allowed_lateness above your longest contacts (1d for e-mail) and run again into a new database',
    );
  }
  return `${lines.join('\n')}\n`;
}
