import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DEFAULT_TIMING, type FiringAlert, type GroupTiming, isDue, type Route, type Router, RoutingConfigError, type Silence } from './routing/index.js';
import { backoffDelay } from './backoff.js';
import { DEFAULT_DELIVERY, type DeliverySettings } from './config.js';
import { asDeliveryError, type DeliveryError } from './errors.js';
import { redactCredentials } from './redact.js';
import { type DeliveryMetrics, NOOP_METRICS } from './metrics.js';
import type { OutboxPayload } from './outbox.js';
import { retryDead } from './outbox-admin.js';
import { bindRows } from '../duckdb/bind-list.js';
import { PassMarks, touchGroups, unresolvedFiring } from './pass-marks.js';
import { loadSilences } from './silences.js';
import type { DeliveredAlert, Notification, Receiver } from './types.js';
import { clipText } from '../../operators/text-clip.js';

/** The longest a receiver's Retry-After may hold its deliveries back: a date far ahead is a broken header, not a plan. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export interface WorkerOptions {
  /** A connection of its own (not the runner's, whose transactions it must not join). */
  conn: DuckDBConnection;
  router: Router;
  receivers: ReadonlyMap<string, Receiver>;
  settings?: Partial<DeliverySettings>;
  /** Wall clock in ms; tests inject a fake one. */
  clock?: () => number;
  /** Uniform [0, 1) for backoff jitter. */
  random?: () => number;
  metrics?: DeliveryMetrics;
  externalURL?: string;
  /** More silences to check besides the config's and those in `pulse_silences`. */
  silences?: () => readonly Silence[];
  onError?: (error: unknown) => void;
  /** A stored silence that no longer parses: it mutes nothing; told once per silence (default: onError). */
  onUnreadableSilence?: (error: RoutingConfigError) => void;
}

/** What one worker pass did, for tests and logs. */
export interface TickResult {
  /** Notifications sent. */
  sent: number;
  /** Notifications that failed and will be retried. */
  failed: number;
  /** Notifications given up (their rows went to `dead`). */
  dead: number;
  /** Outbox rows muted (silenced or inhibited). */
  muted: number;
  /** Outbox rows delivered. */
  delivered: number;
  /** Outbox rows still pending after the pass (of the receiver drained, or all). */
  pending: number;
}

/** What a drain did: the sum of its passes, and what is still pending per receiver. */
export interface DrainResult extends TickResult {
  /** Rows still pending when the drain ended, by receiver (empty when everything went out). */
  pendingByReceiver: Record<string, number>;
  /** The latest error of a receiver's pending rows that have failed an attempt (why they wait), by receiver. */
  lastErrorByReceiver: Record<string, string>;
  /** True when the drain stopped at its deadline with deliveries pending. */
  timedOut: boolean;
}

/** `, last error: ...` for a receiver whose pending deliveries have failed an attempt: why they wait; '' otherwise. */
export function lastError(result: DrainResult, receiver: string): string {
  const error = result.lastErrorByReceiver[receiver];
  return error === undefined ? '' : `, last error: ${error}`;
}

export interface DrainOptions {
  /** Give up waiting after this long (ms); what is pending stays in the outbox. */
  timeoutMs: number;
  /** Only this receiver's deliveries. */
  receiver?: string;
}

/**
 * How a pass treats the schedule. The polling worker honours everything; the end of a run sends
 * what is pending now, and then waits only for retries.
 */
interface PassMode {
  /** Honour group_wait and group_interval (a group is sent when due). */
  groupTiming: boolean;
  /** Honour the backoff of failed notifications. */
  backoff: boolean;
  /** Re-send unchanged firing groups every repeat_interval. */
  repeats: boolean;
  /**
   * A retryable failure of a delivery's last attempt moves it to `dead`. A drain's passes leave it
   * pending instead, with the attempt counted: a receiver that is down while a run ends keeps its
   * deliveries for the next run, whose worker makes the attempt that can give them up.
   */
  deadAfterMaxAttempts: boolean;
  /**
   * Retry a notification whose next attempt is its last. A drain's retry passes do not (they keep
   * it for the next run); its first pass does, so that every drain (`pulse outbox send` too) sends
   * each pending delivery once.
   */
  retriesLastAttempt: boolean;
  receiver?: string;
  /**
   * True when the pass is to end before its next group (a drain's deadline has passed, the polling
   * worker was stopped): a pass over thousands of groups for a receiver that fails or hangs must
   * not hold the end of a run past its drain timeout.
   */
  interrupted?: () => boolean;
}

const POLLING: PassMode = { groupTiming: true, backoff: true, repeats: true, deadAfterMaxAttempts: true, retriesLastAttempt: true };
const NOW: PassMode = { groupTiming: false, backoff: false, repeats: false, deadAfterMaxAttempts: false, retriesLastAttempt: true };
const RETRIES_ONLY: PassMode = { groupTiming: false, backoff: true, repeats: false, deadAfterMaxAttempts: false, retriesLastAttempt: false };

interface PendingRow {
  alertId: string;
  alertStatus: 'firing' | 'resolved';
  receiver: string;
  groupKey: string;
  payload: OutboxPayload;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  notificationKey: string | null;
}

/**
 * Pending rows one pass reads, oldest first; the next pass (at once, in a drain) takes the rest.
 * A receiver down for a day leaves tens of thousands pending, and reading and parsing every one
 * each pass took `pulse outbox send` to 1 GB at 76,000 (340 MB at 1,000).
 */
const PENDING_ROWS_PER_PASS = 5_000;

/**
 * How long one receiver's notifications may keep a pass going when the worker has other
 * receivers: passes do not overlap, so a slow receiver working through a backlog (five sends of
 * 8 s each, under the timeout) held every other receiver's new alerts back for the whole of it
 * (up to 37 s, a tester measured). Past this it leaves the rest for the next pass, in order.
 */
const LANE_SHARE_MS = 5_000;

/** Rows bound in one statement (`setKeys`, `stillDeadDeliveries`). */
const ROWS_PER_STATEMENT = 500;
/** Outcomes waiting for a write past which a lane stops sending until they are written (pass-marks.ts). */
const MARKS_PER_WRITE = 200;

/** Same notification key on every re-send of the same alerts (order-independent). */
export function notificationKey(alerts: ReadonlyArray<{ alertId: string; status: string }>): string {
  const parts = alerts.map((a) => `${a.alertId}:${a.status}`).sort();
  if (parts.length === 1) return parts[0] as string;
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p + '\n');
  return hash.digest('hex').slice(0, 32);
}

/**
 * Sends outbox messages: groups pending rows by receiver and group, waits as the route's
 * timings say, drops silenced and inhibited alerts (status `muted`), sends with a timeout,
 * retries with exponential backoff and full jitter, and moves permanent failures to `dead`.
 *
 * At-least-once: a batch gets its notification key written before the send, so a crash between
 * send and mark-delivered re-sends the same alerts with the same key.
 */
export class DeliveryWorker {
  private readonly settings: DeliverySettings;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly metrics: DeliveryMetrics;
  private readonly routes = new Map<string, Route>();
  /** The pass (or requeue) in progress on the connection; they never overlap, a new one starts after it. */
  private running: Promise<unknown> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /**
   * Outbox rows (alert id, status, receiver) that went dead since this worker was made, by their
   * key: a run says how many of them are dead still at its end (`stillDeadDeliveries`).
   */
  private readonly deadSinceStart = new Map<string, [string, string, string]>();
  /** Ids of stored silences already reported as unreadable. */
  private readonly unreadableSilences = new Set<string>();
  /** The polling worker's passes: group timing, backoff and repeats honoured; ended by `stop()`. */
  private readonly pollingPass: PassMode = { ...POLLING, interrupted: () => this.stopped };

  constructor(private readonly options: WorkerOptions) {
    this.settings = { ...DEFAULT_DELIVERY, ...options.settings };
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.metrics = options.metrics ?? NOOP_METRICS;
    const walk = (r: Route): void => {
      this.routes.set(r.key, r);
      r.routes.forEach(walk);
    };
    walk(options.router.root);
  }

  /**
   * Deliveries (an alert to a receiver) that went dead since this worker was made and are dead
   * still: read from the outbox, so that those requeued meanwhile (`pulse outbox retry` through the
   * running job) and delivered are not counted, nor dead rows of earlier runs.
   */
  stillDeadDeliveries(): Promise<number> {
    return this.serialized(async () => {
      const rows = [...this.deadSinceStart.values()];
      let dead = 0;
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const params: Record<string, string> = {};
        const values = bindRows(params, 'r', rows.slice(i, i + ROWS_PER_STATEMENT));
        const reader = await this.options.conn.runAndReadAll(
          `SELECT count(*) AS n FROM pulse_outbox o JOIN (VALUES ${values}) v(alert_id, alert_status, receiver)
             ON o.alert_id = v.alert_id AND o.alert_status = v.alert_status AND o.receiver = v.receiver
            WHERE o.status = 'dead'`,
          params,
        );
        dead += Number(reader.getRowObjectsJS()[0]?.['n'] ?? 0);
      }
      return dead;
    });
  }

  /** Polls every `poll_interval` until `stop()`. */
  start(): void {
    this.stopped = false;
    const loop = (): void => {
      if (this.stopped) return;
      this.tick()
        .catch((e: unknown) => this.options.onError?.(e))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.settings.pollIntervalMs);
        });
    };
    loop();
  }

  /** Stops polling and waits for the pass in progress, which ends before its next group. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running.catch(() => undefined);
  }

  /** One pass over the outbox; passes never overlap. */
  tick(): Promise<TickResult> {
    return this.once(this.pollingPass);
  }

  /**
   * Sends what is pending until nothing is, or `timeoutMs` has passed (the end of a run, and
   * `pulse outbox send`): one pass that sends every group now, ignoring group timings and backoff
   * (with `timeoutMs: 0`, only that pass, whole), then, while retries are pending,
   * a pass whenever the earliest retry is due (at most every `poll_interval`). Retries keep their
   * backoff, so a receiver that stays down is not hammered, and a drain never gives a delivery up
   * for running out of attempts: it does not retry one whose next attempt is its last, and a
   * failure leaves it pending, for the next run (it ends early when only such ones are left). The
   * deadline is measured on the monotonic clock, and a pass sends no group after it.
   */
  async drain(options: DrainOptions): Promise<DrainResult> {
    const deadline = performance.now() + options.timeoutMs;
    const receiver = options.receiver === undefined ? {} : { receiver: options.receiver };
    const total: TickResult = { sent: 0, failed: 0, dead: 0, muted: 0, delivered: 0, pending: 0 };
    const late = (): boolean => performance.now() >= deadline;
    let mode: PassMode = { ...NOW, ...receiver, ...(options.timeoutMs > 0 ? { interrupted: late } : {}) };
    let timedOut = false;
    for (;;) {
      const result = await this.once(mode);
      for (const key of ['sent', 'failed', 'dead', 'muted', 'delivered'] as const) total[key] += result[key];
      total.pending = result.pending;
      const left = deadline - performance.now();
      if (result.pending === 0) break;
      if (left <= 0) {
        timedOut = true;
        break;
      }
      mode = { ...RETRIES_ONLY, ...receiver, interrupted: late };
      const nextDue = await this.nextRetryAt(options.receiver);
      // Only deliveries whose last attempt is kept for the next run are left.
      if (nextDue === null) break;
      const wait = Math.max(this.settings.pollIntervalMs, nextDue - this.clock());
      await sleep(Math.min(wait, left));
    }
    const { pendingByReceiver, lastErrorByReceiver } = await this.pendingByReceiver(options.receiver);
    return { ...total, pendingByReceiver, lastErrorByReceiver, timedOut };
  }

  /**
   * Puts dead deliveries back in the queue (`pulse outbox send`), in turn with the passes on this
   * worker's connection. Returns how many.
   */
  requeueDead(filter: { receiver?: string; alertId?: string } = {}): Promise<number> {
    return this.serialized(() => retryDead(this.options.conn, filter, this.clock()));
  }

  private once(mode: PassMode): Promise<TickResult> {
    return this.serialized(() => this.pass(mode));
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.running?.catch(() => undefined) ?? Promise.resolve();
    const current: Promise<T> = previous.then(work).finally(() => {
      if (this.running === current) this.running = null;
    });
    this.running = current;
    return current;
  }

  /** When the earliest pending delivery a drain's retry passes would send is due (`lastAttemptIsNext` ones are not), or null. */
  private async nextRetryAt(receiver: string | undefined): Promise<number | null> {
    const rows = await this.query(
      `SELECT epoch_ms(min(next_attempt_at)) AS at FROM pulse_outbox
        WHERE status = 'pending' AND ($1 IS NULL OR receiver = $1) AND (attempts = 0 OR attempts + 1 < $2)`,
      [receiver ?? null, this.settings.maxAttempts],
    );
    const at = rows[0]?.at;
    return at === null || at === undefined ? null : Number(at);
  }

  private async pendingByReceiver(receiver: string | undefined): Promise<Pick<DrainResult, 'pendingByReceiver' | 'lastErrorByReceiver'>> {
    const rows = await this.query(
      `SELECT receiver, count(*) AS n, arg_max(last_error, next_attempt_at) FILTER (WHERE last_error IS NOT NULL) AS error
         FROM pulse_outbox WHERE status = 'pending' AND ($1 IS NULL OR receiver = $1) GROUP BY receiver ORDER BY receiver`,
      [receiver ?? null],
    );
    return {
      pendingByReceiver: Object.fromEntries(rows.map((r) => [r.receiver as string, Number(r.n)])),
      lastErrorByReceiver: Object.fromEntries(rows.filter((r) => typeof r.error === 'string').map((r) => [r.receiver as string, r.error as string])),
    };
  }

  /**
   * The number of pending deliveries when a polling pass would do nothing (no group due for its
   * first notification, for the next one or for a retry, no repeat due), else null. It reads no
   * payload: with a receiver down, thousands of deliveries wait in backoff, and reading and parsing
   * all of them every `poll_interval` took 200-270 ms of the job's main thread a second at 6,910.
   * It decides as the pass does (`isDue` for new notifications, the earliest retry of a group's
   * notifications in flight, repeats of groups with delivered firing alerts and nothing pending).
   */
  private async idlePending(now: number): Promise<number | null> {
    let pending = 0;
    const groupsWithPending = new Set<string>();
    const lastNotified = new Map<string, number>();
    for (const r of await this.query(`SELECT receiver, group_key, epoch_ms(last_notified_at) AS at FROM pulse_alert_groups`)) {
      lastNotified.set(`${r.receiver as string}\u0000${r.group_key as string}`, Number(r.at));
    }
    const groups = await this.query(
      `SELECT receiver, group_key, count(*) AS n, count(notification_key) AS keyed, epoch_ms(min(created_at)) AS first_at,
              epoch_ms(min(next_attempt_at) FILTER (WHERE notification_key IS NOT NULL)) AS retry_at, any_value(payload->>'$.routeKey') AS route
         FROM pulse_outbox WHERE status = 'pending' GROUP BY receiver, group_key`,
    );
    for (const g of groups) {
      const key = `${g.receiver as string}\u0000${g.group_key as string}`;
      pending += Number(g.n);
      groupsWithPending.add(key);
      // In flight: due when one of its notifications' retries is; new rows wait for it either way.
      if (Number(g.keyed) > 0) {
        if (Number(g.retry_at) <= now) return null;
        continue;
      }
      const facts = { firstPendingAt: Number(g.first_at), lastNotifiedAt: lastNotified.get(key) ?? null, hasFiring: false };
      if (isDue(facts, this.routeTiming(g.route as string), now)) return null;
    }
    const repeatable = await this.query(
      `SELECT f.receiver, f.group_key, any_value(f.payload->>'$.routeKey') AS route FROM pulse_outbox f
        WHERE ${unresolvedFiring(`'delivered'`, '$1')}
        GROUP BY f.receiver, f.group_key`,
      [now - this.settings.resolveTimeoutMs],
    );
    for (const g of repeatable) {
      const key = `${g.receiver as string}\u0000${g.group_key as string}`;
      if (groupsWithPending.has(key)) continue;
      const facts = { firstPendingAt: null, lastNotifiedAt: lastNotified.get(key) ?? null, hasFiring: true };
      if (isDue(facts, this.routeTiming(g.route as string), now)) return null;
    }
    return pending;
  }

  private routeTiming(routeKey: string): GroupTiming {
    return this.routes.get(routeKey)?.timing ?? DEFAULT_TIMING;
  }

  private timingOf(payload: OutboxPayload): GroupTiming {
    return this.routeTiming(payload.routeKey);
  }

  private async query(sql: string, values: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    const reader = await this.options.conn.runAndReadAll(sql, values);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  private async pass(mode: PassMode): Promise<TickResult> {
    const now = this.clock();
    const result: TickResult = { sent: 0, failed: 0, dead: 0, muted: 0, delivered: 0, pending: 0 };
    if (mode === this.pollingPass) {
      const idle = await this.idlePending(now);
      if (idle !== null) {
        this.metrics.outboxDepth(idle);
        return { ...result, pending: idle };
      }
    }
    const pending = (
      await this.query(
        `SELECT alert_id, alert_status, receiver, group_key, payload, attempts,
            epoch_ms(next_attempt_at) AS next_at, epoch_ms(created_at) AS created, notification_key
          FROM pulse_outbox WHERE status = 'pending' AND ($1 IS NULL OR receiver = $1) ORDER BY created_at, alert_id LIMIT $2`,
        [mode.receiver ?? null, PENDING_ROWS_PER_PASS],
      )
    ).map((r): PendingRow => ({
      alertId: r.alert_id as string,
      alertStatus: r.alert_status as 'firing' | 'resolved',
      receiver: r.receiver as string,
      groupKey: r.group_key as string,
      payload: JSON.parse(r.payload as string) as OutboxPayload,
      attempts: Number(r.attempts),
      nextAttemptAt: Number(r.next_at),
      createdAt: Number(r.created),
      notificationKey: (r.notification_key as string | null) ?? null,
    }));
    // Delivered or pending firing alerts without a resolution, younger than resolve_timeout
    // (one-shot alerts are never resolved by their operator): the inhibition sources and the
    // content of repeat notifications.
    // Only the labels of pending ones (the inhibition sources): their whole payloads, annotations
    // and all, are what a long outage piles up.
    const firingRows = await this.query(
      `SELECT f.alert_id, f.receiver, f.group_key, f.status, f.payload->>'$.alert.labels' AS labels,
              CASE WHEN f.status = 'delivered' THEN f.payload END AS payload
        FROM pulse_outbox f
        WHERE ${unresolvedFiring(`'pending', 'delivered'`, '$1')}`,
      [now - this.settings.resolveTimeoutMs],
    );
    const firing = new Map<string, FiringAlert>();
    const deliveredFiring = new Map<string, OutboxPayload[]>();
    for (const r of firingRows) {
      firing.set(r.alert_id as string, { alertId: r.alert_id as string, labels: JSON.parse(r.labels as string) as Record<string, string> });
      if (r.status === 'delivered') {
        const key = `${r.receiver as string}\u0000${r.group_key as string}`;
        const list = deliveredFiring.get(key) ?? [];
        list.push(JSON.parse(r.payload as string) as OutboxPayload);
        deliveredFiring.set(key, list);
      }
    }
    const lastNotified = new Map<string, number>();
    for (const r of await this.query(`SELECT receiver, group_key, epoch_ms(last_notified_at) AS at FROM pulse_alert_groups`)) {
      lastNotified.set(`${r.receiver as string}\u0000${r.group_key as string}`, Number(r.at));
    }
    const muted = await this.mutedFiringIds();

    const groups = new Map<string, PendingRow[]>();
    for (const row of pending) {
      const key = `${row.receiver}\u0000${row.groupKey}`;
      const list = groups.get(key) ?? [];
      list.push(row);
      groups.set(key, list);
    }
    const silences = [...(this.options.silences?.() ?? []), ...(await loadSilences(this.options.conn, now, (id, e) => this.reportUnreadableSilence(id, e)))];

    // First what to send (muting on the way), then every new notification's key in one write, then
    // the sends, whose outcomes are written while the next sends go on, each write taking all that
    // finished meanwhile (PassMarks): statements per notification, about 34 ms of them, held a pass
    // over thousands of groups for minutes.
    const toSend: Array<{ key: string; first: PendingRow; batch: PendingRow[] }> = [];
    const keyed: PendingRow[][] = [];
    for (const [key, rows] of groups) {
      const first = rows[0] as PendingRow;
      const timing = this.timingOf(first.payload);
      const batches = this.inFlightBatches(rows);
      if (batches.length === 0) {
        // Nothing in flight: the group's pending rows become one new notification when it is due.
        const facts = {
          firstPendingAt: Math.min(...rows.map((r) => r.createdAt)),
          lastNotifiedAt: lastNotified.get(key) ?? null,
          hasFiring: (deliveredFiring.get(key)?.length ?? 0) > 0,
        };
        if (mode.groupTiming && !isDue(facts, timing, now)) continue;
        const batch: PendingRow[] = [];
        for (const row of rows) {
          const reason =
            row.alertStatus === 'firing'
              ? this.options.router.muted({ alertId: row.alertId, labels: row.payload.alert.labels }, firing.values(), now, silences)
              : muted.has(`${row.alertId}\u0000${row.receiver}`)
                ? 'inhibited'
                : null;
          if (reason) {
            await this.markMuted(row, reason);
            if (row.alertStatus === 'firing') muted.add(`${row.alertId}\u0000${row.receiver}`);
            result.muted++;
          } else batch.push(row);
        }
        if (batch.length === 0) continue;
        const nkey = notificationKey(batch.map((r) => ({ alertId: r.alertId, status: r.alertStatus })));
        for (const r of batch) r.notificationKey = nkey;
        keyed.push(batch);
        batches.push(batch);
      }
      for (const batch of batches) {
        // A notification that failed before is retried with the same alerts and key, after its backoff.
        if (mode.backoff && Math.min(...batch.map((r) => r.nextAttemptAt)) > now) continue;
        if (!mode.retriesLastAttempt && this.lastAttemptIsNext(batch)) continue;
        toSend.push({ key, first, batch });
      }
    }
    // Keys before sends: a crash after a send re-sends the same alerts with the same key.
    await this.setKeys(keyed);
    const marks = new PassMarks(this.options.conn, now, this.settings.resolveTimeoutMs);
    // Each receiver's notifications in turn, the receivers side by side: one that hangs (a webhook
    // that never answers) held every other receiver's notifications behind its timeouts. A receiver
    // whose send timed out is not tried again this pass: its other notifications would wait out the
    // same timeout one after the other; they keep their place for the next pass.
    const shared = this.options.receivers.size > 1;
    const lane = async (sends: typeof toSend): Promise<void> => {
      const started = performance.now();
      for (const { key, first, batch } of sends) {
        if (mode.interrupted?.()) return;
        if (shared && performance.now() - started > LANE_SHARE_MS) return;
        const outcome = await this.sendBatch(first.receiver, first.groupKey, first.payload.groupLabels, batch, now, marks, mode);
        // Written at once, not when the slowest lane ends: a crash re-sends only what is not written
        // yet. The lane goes on meanwhile and waits only when sends outpace the writes; a failed
        // write stops the pass at that wait or at the last one below.
        const unwritten = marks.size;
        const write = marks.written();
        if (unwritten >= MARKS_PER_WRITE) await write;
        else write.catch(() => undefined);
        if (outcome === 'sent') {
          result.sent++;
          result.delivered += batch.length;
          lastNotified.set(key, now);
        } else if (outcome === 'dead') {
          result.dead++;
          for (const r of batch) this.deadSinceStart.set(`${r.alertId}\u0000${r.alertStatus}\u0000${r.receiver}`, [r.alertId, r.alertStatus, r.receiver]);
        } else {
          result.failed++;
          if (outcome === 'timed_out') return;
        }
      }
    };
    await Promise.all([...groupBy(toSend, (send) => send.first.receiver).values()].map(lane));
    await marks.written();

    if (mode.repeats) await this.repeats(deliveredFiring, groups, lastNotified, firing, silences, now, result);
    const depth = await this.query(`SELECT receiver, count(*) AS n FROM pulse_outbox WHERE status = 'pending' GROUP BY receiver`);
    const all = depth.reduce((sum, r) => sum + Number(r.n), 0);
    this.metrics.outboxDepth(all);
    result.pending = mode.receiver === undefined ? all : Number(depth.find((r) => r.receiver === mode.receiver)?.n ?? 0);
    return result;
  }

  /**
   * The group's notifications in flight (rows with a notification key: written before a send that
   * failed or was cut short), each with its own rows; every one is retried, not only the first,
   * so rows requeued from several earlier notifications all go out in one pass.
   */
  private inFlightBatches(rows: readonly PendingRow[]): PendingRow[][] {
    const byKey = new Map<string, PendingRow[]>();
    for (const row of rows) {
      if (row.notificationKey === null) continue;
      const batch = byKey.get(row.notificationKey) ?? [];
      batch.push(row);
      byKey.set(row.notificationKey, batch);
    }
    return [...byKey.values()];
  }

  /** True when the notification has failed before and its next attempt is its last (max_attempts). */
  private lastAttemptIsNext(batch: readonly PendingRow[]): boolean {
    const attempts = Math.max(...batch.map((r) => r.attempts));
    return attempts > 0 && attempts + 1 >= this.settings.maxAttempts;
  }

  /** Reports a stored silence RE2 cannot read, once per process, not on every pass (`poll_interval`, default 1s). */
  private reportUnreadableSilence(id: string, error: unknown): void {
    if (this.unreadableSilences.has(id)) return;
    this.unreadableSilences.add(id);
    const reason = error instanceof Error ? error.message : String(error);
    const report = this.options.onUnreadableSilence ?? this.options.onError;
    report?.(
      new RoutingConfigError(
        'ROUTING_MATCHER_INVALID',
        `pulse_silences (silence ${id})`,
        `this stored silence mutes nothing: ${reason}; expire it (expireSilence) and store it again with an RE2 pattern`,
        { cause: error },
      ),
    );
  }

  /** Firing rows that were muted: their resolutions are muted too (never notified as firing). */
  private async mutedFiringIds(): Promise<Set<string>> {
    const rows = await this.query(`SELECT alert_id, receiver FROM pulse_outbox WHERE alert_status = 'firing' AND status = 'muted'`);
    return new Set(rows.map((r) => `${r.alert_id as string}\u0000${r.receiver as string}`));
  }

  private async markMuted(row: PendingRow, reason: string): Promise<void> {
    await this.options.conn.run(
      `UPDATE pulse_outbox SET status = 'muted', last_error = $1
       WHERE alert_id = $2 AND alert_status = $3 AND receiver = $4`,
      [reason, row.alertId, row.alertStatus, row.receiver],
    );
  }

  /**
   * Writes each new notification's key on its rows, every notification of the pass in a few
   * statements (one per row made a pass over thousands of pending alerts take minutes).
   */
  private async setKeys(batches: readonly PendingRow[][]): Promise<void> {
    const rows = batches.flatMap((batch) => batch.map((r) => [r.alertId, r.alertStatus, r.receiver, r.notificationKey as string]));
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const params: Record<string, string> = {};
      const values = bindRows(params, 'r', rows.slice(i, i + ROWS_PER_STATEMENT));
      await this.options.conn.run(
        `UPDATE pulse_outbox SET notification_key = v.k FROM (VALUES ${values}) v(alert_id, alert_status, receiver, k)
          WHERE pulse_outbox.alert_id = v.alert_id AND pulse_outbox.alert_status = v.alert_status AND pulse_outbox.receiver = v.receiver`,
        params,
      );
    }
  }

  private notification(receiver: string, groupKey: string, groupLabels: Record<string, string>, alerts: DeliveredAlert[], key: string): Notification {
    return {
      receiver,
      groupKey,
      groupLabels,
      status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      alerts,
      idempotencyKey: key,
      externalURL: this.options.externalURL ?? '',
    };
  }

  private async sendBatch(
    receiverName: string,
    groupKey: string,
    groupLabels: Record<string, string>,
    batch: PendingRow[],
    now: number,
    marks: PassMarks,
    mode: PassMode,
  ): Promise<'sent' | 'retry' | 'timed_out' | 'dead'> {
    const receiver = this.options.receivers.get(receiverName);
    const key = batch[0]?.notificationKey as string;
    if (!receiver) {
      // The receiver was removed from the config, or renamed: nothing can deliver these.
      marks.markDead(
        receiverName,
        key,
        `receiver '${receiverName}' is not in alerting.receivers any more (removed or renamed since these were queued): ` +
          'define a receiver of that name again and run pulse outbox retry to deliver them',
      );
      return 'dead';
    }
    // An alert that fired and resolved before it was notified is sent once, as resolved.
    const resolvedHere = new Set(batch.filter((r) => r.alertStatus === 'resolved').map((r) => r.alertId));
    const alerts = batch.filter((r) => r.alertStatus === 'resolved' || !resolvedHere.has(r.alertId)).map((r) => r.payload.alert);
    const n = this.notification(receiverName, groupKey, groupLabels, alerts, key);
    let error: DeliveryError | null = null;
    try {
      await receiver.send(n);
    } catch (e) {
      error = asDeliveryError(e);
    }
    if (!error) {
      marks.markDelivered(receiverName, key, groupKey, this.clock());
      this.metrics.delivered(receiver.type, batch.length);
      return 'sent';
    }
    this.metrics.failure(receiver.type, error.reason);
    // Receivers redact what they know is secret; this catches what has the shape of a credential.
    const lastError = clipText(redactCredentials(error.message), 1000, '');
    const attempts = Math.max(...batch.map((r) => r.attempts)) + 1;
    if (error.permanent || (mode.deadAfterMaxAttempts && attempts >= this.settings.maxAttempts)) {
      marks.markDead(receiverName, key, lastError);
      this.metrics.dead(receiver.type, error.permanent ? error.reason : 'attempts_exhausted', batch.length);
      return 'dead';
    }
    // Never sooner than the receiver asked (Retry-After), and never later than a day for it.
    const asked = Math.min(error.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
    marks.markRetry(
      receiverName,
      key,
      lastError,
      now + Math.max(asked, backoffDelay(attempts, this.settings.backoffBaseMs, this.settings.backoffMaxMs, this.random)),
    );
    return error.reason === 'timeout' ? 'timed_out' : 'retry';
  }

  /** Re-sends unchanged groups that still fire, every repeat_interval (best effort, not outboxed). */
  private async repeats(
    deliveredFiring: Map<string, OutboxPayload[]>,
    pendingGroups: Map<string, PendingRow[]>,
    lastNotified: Map<string, number>,
    firing: Map<string, FiringAlert>,
    silences: readonly Silence[],
    now: number,
    result: TickResult,
  ): Promise<void> {
    for (const [key, payloads] of deliveredFiring) {
      if (pendingGroups.has(key)) continue;
      const last = lastNotified.get(key);
      const first = payloads[0] as OutboxPayload;
      const timing = this.timingOf(first);
      const plan = isDue({ firstPendingAt: null, lastNotifiedAt: last ?? null, hasFiring: true }, timing, now);
      if (!plan) continue;
      const [receiverName, groupKey] = key.split('\u0000') as [string, string];
      const receiver = this.options.receivers.get(receiverName);
      if (!receiver) continue;
      const alerts = payloads
        .filter((p) => !this.options.router.muted({ alertId: p.alert.alertId, labels: p.alert.labels }, firing.values(), now, silences))
        .map((p) => p.alert);
      if (alerts.length === 0) continue;
      // A repeat must not be deduplicated away by the receiver: its key names the repeat instant.
      const key2 = `${notificationKey(alerts.map((a) => ({ alertId: a.alertId, status: a.status })))}@${plan.at}`;
      try {
        await receiver.send({ ...this.notification(receiverName, groupKey, first.groupLabels, alerts, key2), repeat: true });
        await touchGroups(this.options.conn, [[receiverName, groupKey]], now, this.settings.resolveTimeoutMs);
        this.metrics.delivered(receiver.type, alerts.length);
        result.sent++;
      } catch (e) {
        const error = asDeliveryError(e);
        this.metrics.failure(receiver.type, error.reason);
        result.failed++;
        // Try again after one group_interval rather than on every poll.
        await touchGroups(this.options.conn, [[receiverName, groupKey]], now - timing.repeatInterval + timing.groupInterval, this.settings.resolveTimeoutMs);
      }
    }
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
