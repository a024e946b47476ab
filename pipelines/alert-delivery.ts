import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Alert } from '../operators/alert.js';
import type { OperatorOutput } from '../operators/operator.js';
import type { Router } from '../operators/routing/index.js';
import {
  DeliveryWorker,
  buildReceivers,
  deliverySettings,
  enqueueAlerts,
  parseAlertingConfig,
  promDeliveryMetrics,
  type Receiver,
} from '../sinks/alerts/index.js';
// Registers the `kafka` receiver type with the receiver registry.
import '../sinks/alerts/kafka.js';

/**
 * Connects the job's alerts to their receivers: routed alerts are written to the outbox inside the
 * checkpoint transaction (so none is lost to a crash), and a worker on its own connection delivers
 * them with retries. See sinks/alerts/README.md for the `alerting:` section.
 */
export class AlertDelivery {
  private constructor(
    private readonly router: Router,
    private readonly receivers: ReadonlyMap<string, Receiver>,
    private readonly externalURL: string | undefined,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Validates the `alerting` section (a bad one is a configuration error, exit 2). */
  static create(raw: Record<string, unknown>, workerConnection: DuckDBConnection, registry: Registry, logger: Logger): AlertDelivery {
    const { config, router } = parseAlertingConfig(raw);
    const settings = deliverySettings(config.delivery);
    const receivers = buildReceivers(config.receivers, settings);
    const externalURL = (raw['external_url'] as string | undefined) ?? undefined;
    const worker = new DeliveryWorker({
      conn: workerConnection,
      router,
      receivers,
      settings,
      metrics: promDeliveryMetrics(registry),
      ...(externalURL ? { externalURL } : {}),
      onError: (error) => logger.warn({ err: error }, 'alert delivery pass failed; will retry'),
    });
    return new AlertDelivery(router, receivers, externalURL, worker);
  }

  /** Runs inside the checkpoint transaction. */
  async enqueue(connection: DuckDBConnection, outputs: readonly OperatorOutput[]): Promise<void> {
    const alerts = outputs.filter((o) => o.kind === 'alert').flatMap((o) => o.rows as unknown as Alert[]);
    if (alerts.length === 0) return;
    await enqueueAlerts(connection, alerts, this.router, Date.now(), this.externalURL ? { externalURL: this.externalURL } : {});
  }

  start(): void {
    this.worker.start();
  }

  /** Stops polling, sends what is pending now (end of a bounded run), and closes receivers. */
  async stop(): Promise<void> {
    await this.worker.stop();
    await this.worker.flush();
    for (const receiver of this.receivers.values()) await receiver.close?.();
  }
}
