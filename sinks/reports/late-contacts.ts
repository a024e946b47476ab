/**
 * Contacts queued in a period that were refused as `late` (dead letters): they are in no KPI of the
 * period, and a report of its KPIs must say so. A contact's record arrives when the contact ends,
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

/** The late contacts queued in [start, end). */
export async function lateContacts(connection: DuckDBConnection, start: number, end: number): Promise<LateContacts> {
  const rows = await queryRows(connection, `SELECT raw FROM dead_letters WHERE reason = 'late' AND event_type = 'contact'`);
  const counts = new Map<string, { queue: string; channel: string; contacts: number }>();
  let total = 0;
  for (const row of rows) {
    const contact = parsedObject(str(row['raw']));
    if (contact === null) continue; // not a record the decoder read: it cannot be a late contact
    const queuedAt = contact['queued_at'];
    const queued = typeof queuedAt === 'number' ? queuedAt : typeof queuedAt === 'string' ? parseTimestamp(queuedAt) : Number.NaN;
    if (!(queued >= start && queued < end)) continue;
    const queue = String(contact['queue']);
    const channel = String(contact['channel']).trim().toLowerCase();
    const key = JSON.stringify([queue, channel]);
    const counted = counts.get(key) ?? { queue, channel, contacts: 0 };
    counted.contacts += 1;
    counts.set(key, counted);
    total += 1;
  }
  const byQueue = [...counts.values()].sort((a, b) => b.contacts - a.contacts || order(a.queue, b.queue) || order(a.channel, b.channel));
  return { total, byQueue };
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
