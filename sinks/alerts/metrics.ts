import { Counter, Gauge, type Registry } from 'prom-client';
import type { FailureReason } from './errors.js';
import type { ReceiverType } from './types.js';

/**
 * What the delivery worker reports; the runner binds it to prom-client with `promDeliveryMetrics`.
 * Labels are bounded: receiver type (6 values) and failure reason (FAILURE_REASONS).
 */
export interface DeliveryMetrics {
  /** A send attempt failed (retried or not). */
  failure(receiverType: ReceiverType, reason: FailureReason): void;
  /** Alerts given up: their outbox rows moved to `dead` (one notification may carry several), counted as `delivered` counts them. */
  dead(receiverType: ReceiverType, reason: FailureReason, alerts: number): void;
  /** Alerts delivered (one notification may carry several). */
  delivered(receiverType: ReceiverType, alerts: number): void;
  /** Messages waiting in the outbox after a worker pass. */
  outboxDepth(pending: number): void;
}

export const NOOP_METRICS: DeliveryMetrics = {
  failure() {},
  dead() {},
  delivered() {},
  outboxDepth() {},
};

export function promDeliveryMetrics(registry: Registry): DeliveryMetrics {
  const failures = new Counter({
    name: 'pulse_alert_delivery_failures_total',
    help: 'Failed alert delivery attempts by receiver type and reason.',
    labelNames: ['receiver_type', 'reason'],
    registers: [registry],
  });
  const dead = new Counter({
    name: 'pulse_alert_delivery_dead_total',
    help: 'Alerts given up (outbox rows moved to dead; one notification may carry several) by receiver type and reason.',
    labelNames: ['receiver_type', 'reason'],
    registers: [registry],
  });
  const delivered = new Counter({
    name: 'pulse_alerts_delivered_total',
    help: 'Alerts delivered by receiver type.',
    labelNames: ['receiver_type'],
    registers: [registry],
  });
  const depth = new Gauge({
    name: 'pulse_alert_outbox_depth',
    help: 'Alert deliveries waiting in the outbox.',
    registers: [registry],
  });
  return {
    failure: (t, r) => failures.inc({ receiver_type: t, reason: r }),
    dead: (t, r, n) => dead.inc({ receiver_type: t, reason: r }, n),
    delivered: (t, n) => delivered.inc({ receiver_type: t }, n),
    outboxDepth: (n) => depth.set(n),
  };
}
