import type { DuckDBConnection } from '@duckdb/node-api';
import { redactCredentials } from './redact.js';

/** Delivery states of an outbox row (see worker.ts). */
export const OUTBOX_STATUSES = ['pending', 'delivered', 'dead', 'muted'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface OutboxEntry {
  alert_id: string;
  alert_status: string;
  receiver: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/**
 * Outbox rows for people: newest first, optionally one status and one receiver. Errors are shown
 * redacted again: rows written by an older version may hold credentials.
 */
export async function listOutbox(
  connection: DuckDBConnection,
  filter: { status?: OutboxStatus; receiver?: string; limit?: number } = {},
): Promise<OutboxEntry[]> {
  const reader = await connection.runAndReadAll(
    `SELECT alert_id, alert_status, receiver, status, attempts, epoch_ms(next_attempt_at) AS next_attempt_at,
            last_error, epoch_ms(created_at) AS created_at, epoch_ms(delivered_at) AS delivered_at
     FROM pulse_outbox
     WHERE ($status IS NULL OR status = $status) AND ($receiver IS NULL OR receiver = $receiver)
     ORDER BY created_at DESC, alert_id LIMIT $limit`,
    { status: filter.status ?? null, receiver: filter.receiver ?? null, limit: filter.limit ?? 100 },
  );
  return reader.getRowObjectsJS().map((row) => ({
    alert_id: String(row['alert_id']),
    alert_status: String(row['alert_status']),
    receiver: String(row['receiver']),
    status: String(row['status']) as OutboxStatus,
    attempts: Number(row['attempts']),
    next_attempt_at: Number(row['next_attempt_at']),
    last_error: row['last_error'] === null ? null : redactCredentials(String(row['last_error'])),
    created_at: Number(row['created_at']),
    delivered_at: row['delivered_at'] === null ? null : Number(row['delivered_at']),
  }));
}

/**
 * Puts dead deliveries back in the queue (after the receiver was fixed): attempts restart and the
 * next job run's worker (or `pulse outbox send`) sends them. Their old notification keys are
 * cleared, so the requeued rows of a group go out together as one notification, keyed by the
 * alerts it carries (the same alerts give the same key). Returns how many.
 */
export async function retryDead(connection: DuckDBConnection, filter: { alertId?: string; receiver?: string }, now: number): Promise<number> {
  const reader = await connection.runAndReadAll(
    `UPDATE pulse_outbox SET status = 'pending', attempts = 0, notification_key = NULL, next_attempt_at = make_timestamptz($now * 1000)
     WHERE status = 'dead' AND ($alert IS NULL OR alert_id = $alert) AND ($receiver IS NULL OR receiver = $receiver)
     RETURNING alert_id`,
    { now, alert: filter.alertId ?? null, receiver: filter.receiver ?? null },
  );
  return reader.getRows().length;
}
