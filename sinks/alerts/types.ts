/**
 * The delivery contract: a notification (one group of alerts for one receiver) and the receiver
 * interface every transport implements (webhook, Alertmanager, email, Slack, file; Kafka later).
 */

/** One alert as delivered: Alertmanager's alert fields plus the stable pulse ids. */
export interface DeliveredAlert {
  /** Stable alert id (also in labels.alert_id and as the webhook `fingerprint`). */
  alertId: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339; Alertmanager's zero time `0001-01-01T00:00:00Z` while firing. */
  endsAt: string;
  generatorURL: string;
  customerId: string | null;
}

export interface Notification {
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  /** `firing` when any alert fires, else `resolved` (Alertmanager's rule). */
  status: 'firing' | 'resolved';
  alerts: DeliveredAlert[];
  /**
   * Same value on every re-send of the same alerts: derived from the sorted `alert_id:status`
   * pairs (just `alert_id:status` for a one-alert notification) so receivers can deduplicate.
   */
  idempotencyKey: string;
  externalURL: string;
  /** A repeat of alerts already notified (repeat_interval): receivers need not resend their files. */
  repeat?: boolean;
}

/** The receiver types the config accepts. */
export const RECEIVER_TYPES = ['webhook', 'alertmanager', 'email', 'slack', 'file', 'kafka'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];

export interface Receiver {
  readonly name: string;
  readonly type: ReceiverType;
  /**
   * Delivers the notification or throws a DeliveryError (`permanent` when a retry cannot help).
   * Must be safe to call again with the same notification (at-least-once delivery).
   */
  send(notification: Notification): Promise<void>;
  /** Releases connections (SMTP pools, files). */
  close?(): Promise<void>;
}

/** Alertmanager's zero time, used as endsAt of firing alerts in webhook payloads. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
