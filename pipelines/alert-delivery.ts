import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Alert } from '../operators/alert.js';
import type { OperatorOutput } from '../operators/operator.js';
import type { Router } from '../sinks/alerts/routing/index.js';
import { teamMemberEmails } from '../console/users.js';
import {
  DeliveryWorker,
  buildReceivers,
  deliverySettings,
  enqueueAlerts,
  lastError,
  parseAlertingConfig,
  promDeliveryMetrics,
  type DeliverySettings,
  type DrainResult,
  type Receiver,
} from '../sinks/alerts/index.js';
import { formatDuration } from '../operators/duration.js';
import type { CheckpointSink } from './checkpoint-sink.js';
import type { OutboxSender } from './commands/database-access.js';

/** What the end of a run's delivery leaves: the drain's result, and the deliveries that went dead during the run and are dead still. */
export type StopResult = DrainResult & { deadThisRun: number };

/**
 * Connects the job's alerts to their receivers: routed alerts are written to the outbox inside the
 * checkpoint transaction (so none is lost to a crash), and a worker on its own connection delivers
 * them with retries. See sinks/alerts/README.md for the `alerting:` section.
 */
export class AlertDelivery implements OutboxSender, CheckpointSink {
  private stopped: Promise<StopResult> | undefined;

  private constructor(
    private readonly router: Router,
    private readonly receivers: ReadonlyMap<string, Receiver>,
    private readonly externalURL: string | undefined,
    private readonly worker: DeliveryWorker,
    private readonly settings: DeliverySettings,
    private readonly logger: Logger,
  ) {}

  /** Validates the `alerting` section (a bad one is a configuration error, exit 2). */
  static create(raw: Record<string, unknown>, workerConnection: DuckDBConnection, registry: Registry, logger: Logger): AlertDelivery {
    const { config, router } = parseAlertingConfig(raw);
    const settings = deliverySettings(config.delivery);
    // E-mail receivers with `to_team_members` look the members' addresses up on the worker's connection.
    const receivers = buildReceivers(config.receivers, settings, process.env, 'alerting.receivers', {
      teamMembers: (team) => teamMemberEmails(workerConnection, [team]),
    });
    const externalURL = (raw['external_url'] as string | undefined) ?? undefined;
    const worker = new DeliveryWorker({
      conn: workerConnection,
      router,
      receivers,
      settings,
      metrics: promDeliveryMetrics(registry),
      ...(externalURL ? { externalURL } : {}),
      onError: (error) => logger.warn({ err: error }, 'alert delivery pass failed; will retry'),
      onUnreadableSilence: (error) => logger.warn({ err: error }, 'a stored silence is ignored: its matchers do not parse'),
    });
    return new AlertDelivery(router, receivers, externalURL, worker, settings, logger);
  }

  /**
   * In the checkpoint's transaction (CheckpointSink): puts its alerts in the outbox, except scheduled reports' (kind `report`): those wait
   * for their report, so that the mail carries it, and are enqueued by the report queue once it is
   * written (`enqueueAlerts`).
   */
  async write(connection: DuckDBConnection, outputs: readonly OperatorOutput[]): Promise<void> {
    const alerts = outputs.filter((o) => o.kind === 'alert').flatMap((o) => o.rows as unknown as Alert[]);
    await this.enqueueAlerts(
      connection,
      alerts.filter((a) => a.kind !== 'report'),
    );
  }

  /** Puts these alerts in the outbox (idempotent: an alert version already there is not added again). */
  async enqueueAlerts(connection: DuckDBConnection, alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await enqueueAlerts(connection, alerts, this.router, Date.now(), this.externalURL ? { externalURL: this.externalURL } : {});
  }

  start(): void {
    this.worker.start();
  }

  get receiverNames(): string[] {
    return [...this.receivers.keys()];
  }

  requeueDead(filter: { receiver?: string }): Promise<number> {
    return this.worker.requeueDead(filter);
  }

  /** Sends pending deliveries now, until none is pending or the timeout (default `drain_timeout`) passes. */
  drain(options: { receiver?: string; timeoutMs?: number } = {}): Promise<DrainResult> {
    return this.worker.drain({ timeoutMs: options.timeoutMs ?? this.settings.drainTimeoutMs, ...(options.receiver ? { receiver: options.receiver } : {}) });
  }

  /**
   * Stops polling, keeps sending what is pending for up to `drain_timeout` (the end of a run),
   * says plainly what is still pending, and closes the receivers. Calling it again returns the
   * first call's result.
   */
  stop(): Promise<StopResult> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<StopResult> {
    await this.worker.stop();
    try {
      const result = { ...(await this.drain()), deadThisRun: await this.worker.stillDeadDeliveries() };
      if (result.deadThisRun > 0) {
        this.logger.warn(
          { dead: result.deadThisRun },
          `${result.deadThisRun} alert deliveries failed for good in this run and are still dead (status dead: a receiver refused them, they ran out of attempts, or their receiver is no longer configured); ` +
            `\`pulse outbox list --status dead\` shows why, \`pulse outbox retry\` queues them again`,
        );
      }
      if (result.pending > 0) {
        const byReceiver = Object.entries(result.pendingByReceiver)
          .map(([name, n]) => `${name}: ${n}${lastError(result, name)}`)
          .join('; ');
        this.logger.warn(
          { pending: result.pending, pendingByReceiver: result.pendingByReceiver },
          `${result.pending} alert deliveries are still pending ` +
            (result.timedOut
              ? `after the ${formatDuration(this.settings.drainTimeoutMs)} drain timeout `
              : 'at the end of the run, their last attempt kept for the next run (the drain gives no delivery up for running out of attempts) ') +
            `(${byReceiver}); they stay in the outbox and go out with the next run or \`pulse outbox send\`` +
            (result.timedOut ? ' (alerting.delivery.drain_timeout sets how long a run waits)' : ''),
        );
      }
      return result;
    } finally {
      await this.close();
    }
  }

  /** Stops polling and releases the receivers' connections, without sending anything more. */
  async close(): Promise<void> {
    await this.worker.stop();
    for (const receiver of this.receivers.values()) await receiver.close?.();
  }
}
