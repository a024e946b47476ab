/**
 * The outcomes of a delivery pass's sends, written to the outbox as the sends finish, each write
 * taking every outcome marked since the last one instead of four statements per notification (about
 * 34 ms of DuckDB time each: a pass over thousands of groups, one per customer or per alert, took
 * minutes). A notification is named by its receiver and key (worker.ts `notificationKey`); only
 * its rows still pending are marked.
 *
 * Sends whose outcomes are not written yet when the process dies are sent again with the same key
 * (at-least-once, as a crash between a send and its mark always was). That is why outcomes are
 * written as soon as the connection is free rather than when the pass ends: a receiver that takes
 * seconds to answer held the written outcomes of every other receiver back, and a crash then sent
 * their e-mails and file lines again. The groups' bookkeeping (`touchGroups`, `unresolvedFiring`)
 * is here too; the worker's repeats and reads use it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { bindRows } from '../duckdb/bind-list.js';

const TS = (p: string): string => `make_timestamptz(${p}::BIGINT * 1000)`;
const PENDING_OF = (v: string): string =>
  `pulse_outbox.receiver = ${v}.receiver AND pulse_outbox.notification_key = ${v}.k AND pulse_outbox.status = 'pending'`;

/** Outcomes written by one statement each (rows of its VALUES list). */
const ROWS_PER_STATEMENT = 500;

export class PassMarks {
  private delivered: Array<Array<string | number>> = [];
  private retries: Array<Array<string | number>> = [];
  private dead: string[][] = [];
  /** Groups notified, by receiver and group key. */
  private readonly touched = new Map<string, [string, string]>();
  /** The last write started or queued: writes go one after the other, a failure stops the rest. */
  private writing: Promise<void> = Promise.resolve();
  /** True while a write is queued behind the one in progress (it takes whatever is marked when it starts). */
  private queued = false;

  constructor(
    private readonly conn: DuckDBConnection,
    /** The pass's clock: the groups' last_notified_at (group timing counts from the pass). */
    private readonly now: number,
    /** A firing alert older than this (ms) no longer keeps its group alive (see `write`). */
    private readonly resolveTimeoutMs: number,
  ) {}

  /** Notifications whose outcome is not written yet. */
  get size(): number {
    return this.delivered.length + this.retries.length + this.dead.length;
  }

  /** `at`: when the receiver took it (delivered_at; a pass over a slow receiver lasts long). */
  markDelivered(receiver: string, key: string, groupKey: string, at: number): void {
    this.delivered.push([receiver, key, at]);
    this.touched.set(`${receiver}\u0000${groupKey}`, [receiver, groupKey]);
  }

  markRetry(receiver: string, key: string, lastError: string, nextAttemptAt: number): void {
    this.retries.push([receiver, key, lastError, nextAttemptAt]);
  }

  markDead(receiver: string, key: string, lastError: string): void {
    this.dead.push([receiver, key, lastError]);
  }

  /**
   * Writes what is marked as soon as the write in progress, if any, is done: the outcomes marked
   * while one write runs all go in the next (group commit), so a fast receiver's sends still share
   * statements and a slow one's outcome is written right after its send. Resolves once everything
   * marked before the call is written; rejects, now and on every later call, with a write's failure.
   */
  written(): Promise<void> {
    if (!this.queued) {
      this.queued = true;
      this.writing = this.writing.then(() => {
        this.queued = false;
        return this.write();
      });
    }
    return this.writing;
  }

  /** Writes what was marked since the last write. */
  private async write(): Promise<void> {
    const { delivered, retries, dead, touched } = this;
    this.delivered = [];
    this.retries = [];
    this.dead = [];
    const groups = [...touched.values()];
    touched.clear();
    for (const rows of chunks(delivered)) {
      await this.update(rows, 'v(receiver, k, t)', `status = 'delivered', attempts = attempts + 1, delivered_at = ${TS('v.t')}, last_error = NULL`);
    }
    for (const rows of chunks(retries)) {
      await this.update(rows, 'v(receiver, k, e, n)', `attempts = attempts + 1, last_error = v.e, next_attempt_at = ${TS('v.n')}`);
    }
    for (const rows of chunks(dead)) await this.update(rows, 'v(receiver, k, e)', `status = 'dead', attempts = attempts + 1, last_error = v.e`);
    for (const rows of chunks(groups)) await touchGroups(this.conn, rows, this.now, this.resolveTimeoutMs);
  }

  private async update(rows: ReadonlyArray<ReadonlyArray<string | number>>, as: string, set: string, extra: Record<string, number> = {}): Promise<void> {
    const params: Record<string, string | number> = { ...extra };
    const values = bindRows(params, 'r', rows);
    await this.conn.run(`UPDATE pulse_outbox SET ${set} FROM (VALUES ${values}) ${as} WHERE ${PENDING_OF('v')}`, params);
  }
}

/**
 * Firing rows of `pulse_outbox f` in one of `statuses`, enqueued after `since` (SQL, epoch ms) and
 * not resolved: what still fires for a group (an alert without a resolution counts as resolved
 * resolve_timeout after it was enqueued).
 */
export function unresolvedFiring(statuses: string, since: string): string {
  return `f.alert_status = 'firing' AND f.status IN (${statuses}) AND f.created_at > ${TS(since)}
    AND NOT EXISTS (SELECT 1 FROM pulse_outbox r WHERE r.alert_id = f.alert_id AND r.receiver = f.receiver
                    AND r.alert_status = 'resolved' AND r.status <> 'dead')`;
}

/**
 * The groups were last notified at `at`; a group whose alerts are all resolved (nothing of it
 * still fires, `unresolvedFiring`) ends, and a new alert starts it again with group_wait.
 */
export async function touchGroups(
  conn: DuckDBConnection,
  groups: ReadonlyArray<readonly [string, string]>,
  at: number,
  resolveTimeoutMs: number,
): Promise<void> {
  const upsert: Record<string, string | number> = { at };
  await conn.run(
    `INSERT INTO pulse_alert_groups (receiver, group_key, last_notified_at)
     SELECT receiver, group_key, ${TS('$at')} FROM (VALUES ${bindRows(upsert, 'g', groups)}) t(receiver, group_key)
     ON CONFLICT (receiver, group_key) DO UPDATE SET last_notified_at = excluded.last_notified_at`,
    upsert,
  );
  const params: Record<string, string | number> = { since: at - resolveTimeoutMs };
  const values = bindRows(params, 'g', groups);
  await conn.run(
    `DELETE FROM pulse_alert_groups g USING (VALUES ${values}) t(receiver, group_key)
      WHERE g.receiver = t.receiver AND g.group_key = t.group_key AND NOT EXISTS (
       SELECT 1 FROM pulse_outbox f WHERE f.receiver = g.receiver AND f.group_key = g.group_key
         AND ${unresolvedFiring(`'pending', 'delivered'`, '$since')})`,
    params,
  );
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) yield rows.slice(i, i + ROWS_PER_STATEMENT);
}
