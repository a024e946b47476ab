/**
 * Contacts queued in a period that were refused (dead letters): they are in no KPI of the period,
 * and a report of its KPIs must say so. Those refused as `late` most of all: A contact's record arrives when the contact ends,
 * so one longer than `event_time.allowed_lateness` (an e-mail answered the next day) is refused
 * even from a source in order of arrival; a tester's contact-center export, in that order, lost 45
 * e-mail and web contacts, and the scorecards showed their queues' figures without a word.
 *
 * Read from the raw record (the table keeps no event time) as the decoder read it: JSON.parse (a
 * repeated key's last value; DuckDB's JSON reader takes the first, and refuses a lone surrogate
 * escape the decoder accepts, which stopped every scorecard of the run), `queued_at` as epoch
 * milliseconds or RFC 3339 text by the decoder's own parser (DuckDB's cast refused a lower-case
 * `t` or `z`), the channel trimmed and in lower case.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseTimestamp } from '../../operators/timestamp.js';
import { queryRows, str } from './db.js';

export interface LateContacts {
  /** Every late contact queued in the period. */
  total: number;
  /** By queue and channel, the most first. */
  byQueue: Array<{ queue: string; channel: string; contacts: number }>;
}

/** Contacts of the period refused for what their record said (a field missing, of the wrong type, impossible). */
export interface InvalidContacts {
  total: number;
  /** By dead-letter reason, the most first. */
  byReason: Array<{ reason: string; contacts: number }>;
}

/**
 * The contacts queued in [start, end) that are in no KPI: those refused as late, and those refused
 * for their record (a day whose every record failed the same way, an export whose format changed,
 * read as a day without contacts). A duplicate is not missing: the first copy counts.
 */
export async function refusedContacts(connection: DuckDBConnection, start: number, end: number): Promise<{ late: LateContacts; invalid: InvalidContacts }> {
  const rows = await queryRows(connection, `SELECT reason, raw FROM dead_letters WHERE event_type = 'contact' AND reason <> 'duplicate'`);
  const late = new Map<string, { queue: string; channel: string; contacts: number }>();
  const invalid = new Map<string, number>();
  let lateTotal = 0;
  let invalidTotal = 0;
  for (const row of rows) {
    const contact = parsedObject(str(row['raw']));
    if (contact === null) continue; // not a record the decoder read: nothing places it in a period
    const queuedAt = contact['queued_at'];
    const queued = typeof queuedAt === 'number' ? queuedAt : typeof queuedAt === 'string' ? parseTimestamp(queuedAt) : Number.NaN;
    if (!(queued >= start && queued < end)) continue;
    const reason = str(row['reason']);
    if (reason !== 'late') {
      invalid.set(reason, (invalid.get(reason) ?? 0) + 1);
      invalidTotal += 1;
      continue;
    }
    const queue = String(contact['queue']);
    const channel = String(contact['channel']).trim().toLowerCase();
    const key = JSON.stringify([queue, channel]);
    const counted = late.get(key) ?? { queue, channel, contacts: 0 };
    counted.contacts += 1;
    late.set(key, counted);
    lateTotal += 1;
  }
  const byQueue = [...late.values()].sort((a, b) => b.contacts - a.contacts || order(a.queue, b.queue) || order(a.channel, b.channel));
  const byReason = [...invalid].map(([reason, contacts]) => ({ reason, contacts })).sort((a, b) => b.contacts - a.contacts || order(a.reason, b.reason));
  return { late: { total: lateTotal, byQueue }, invalid: { total: invalidTotal, byReason } };
}

function parsedObject(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function order(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many, where (the first few queues) and why, for a report's notice; null when none. */
export function lateContactsText(late: LateContacts): string | null {
  if (late.total === 0) return null;
  const shown = late.byQueue.slice(0, 4).map((q) => `${q.queue}/${q.channel} ${q.contacts}`);
  const more = late.byQueue.length > shown.length ? `, and ${late.byQueue.length - shown.length} more queues and channels` : '';
  return (
    `${late.total === 1 ? '1 contact' : `${late.total} contacts`} queued in this period came more than event_time.allowed_lateness ` +
    `behind the watermark and ${late.total === 1 ? 'is' : 'are'} in none of the figures below (${shown.join(', ')}${more}); without its repeats, a contact before ` +
    `them may read as resolved first time (FCR too high). A contact's record arrives when it ends, so one longer than the lateness ` +
    `(an e-mail answered the next day) comes too late even from a source in order of arrival. The records are in dead_letters (reason late).`
  );
}

/** How many were refused and why, for a report's notice; null when none. */
export function invalidContactsText(invalid: InvalidContacts): string | null {
  if (invalid.total === 0) return null;
  const reasons = invalid.byReason.map((r) => `${r.reason} ${r.contacts}`).join(', ');
  return (
    `${invalid.total === 1 ? '1 contact record' : `${invalid.total} contact records`} of this period ${invalid.total === 1 ? 'was' : 'were'} refused ` +
    `(${reasons}) and ${invalid.total === 1 ? 'is' : 'are'} in none of the figures below. Many of one reason often mean the export's format changed. ` +
    `The records are in dead_letters, with what was wrong with each.`
  );
}
