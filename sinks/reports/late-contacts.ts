/**
 * Contacts queued in a period that were refused as `late` (dead letters): they are in no KPI of the
 * period, and a report of its KPIs must say so. A contact's record arrives when the contact ends,
 * so one longer than `event_time.allowed_lateness` (an e-mail answered the next day) is refused
 * even from a source in order of arrival; a tester's contact-center export, in that order, lost 45
 * e-mail and web contacts, and the scorecards showed their queues' figures without a word.
 *
 * Read from the raw record (the table keeps no event time): `queued_at` is RFC 3339 text or epoch
 * milliseconds (SPEC section 1), the channel as the decoder reads it (trimmed, lower case).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, str } from './db.js';

export interface LateContacts {
  /** Every late contact queued in the period. */
  total: number;
  /** By queue and channel, the most first. */
  byQueue: Array<{ queue: string; channel: string; contacts: number }>;
}

const LATE_CONTACTS_SQL = `
  WITH late AS (
    SELECT raw->>'$.queue' AS queue, lower(trim(raw->>'$.channel')) AS channel,
           CASE WHEN json_type(raw, '$.queued_at') IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST(raw->>'$.queued_at' AS DOUBLE)
                ELSE epoch_ms(TRY_CAST(raw->>'$.queued_at' AS TIMESTAMPTZ)) END AS queued_ms
      FROM dead_letters WHERE reason = 'late' AND event_type = 'contact')
  SELECT queue, channel, count(*)::INTEGER AS contacts FROM late
   WHERE queued_ms >= $start AND queued_ms < $end
   GROUP BY queue, channel ORDER BY contacts DESC, queue, channel`;

/** The late contacts queued in [start, end). */
export async function lateContacts(connection: DuckDBConnection, start: number, end: number): Promise<LateContacts> {
  const rows = await queryRows(connection, LATE_CONTACTS_SQL, { start, end });
  const byQueue = rows.map((r) => ({ queue: str(r['queue']), channel: str(r['channel']), contacts: Number(r['contacts']) }));
  return { total: byQueue.reduce((sum, q) => sum + q.contacts, 0), byQueue };
}

/** How many, where (the first few queues) and why, for a report's notice; null when none. */
export function lateContactsText(late: LateContacts): string | null {
  if (late.total === 0) return null;
  const shown = late.byQueue.slice(0, 4).map((q) => `${q.queue}/${q.channel} ${q.contacts}`);
  const more = late.byQueue.length > shown.length ? `, and ${late.byQueue.length - shown.length} more queues and channels` : '';
  return (
    `${late.total} ${late.total === 1 ? 'contact' : 'contacts'} queued in this period came more than event_time.allowed_lateness ` +
    `behind the watermark and are in none of the figures below (${shown.join(', ')}${more}); without its repeats, a contact before ` +
    `them may read as resolved first time (FCR too high). A contact's record arrives when it ends, so one longer than the lateness ` +
    `(an e-mail answered the next day) comes too late even from a source in order of arrival. The records are in dead_letters (reason late).`
  );
}
