import { postJson } from './http.js';
import { postableAlerts } from './payloads.js';
import type { Notification, Receiver } from './types.js';

export interface AlertmanagerOptions {
  name: string;
  /** Base URL, e.g. http://alertmanager:9093 (a trailing slash is fine). */
  url: string;
  bearerToken?: string;
  timeoutMs: number;
}

/**
 * POSTs to Alertmanager's API v2 (`/api/v2/alerts`). Re-posting the same alert is harmless:
 * Alertmanager merges alerts by label set, and labels include the stable alert_id.
 */
export class AlertmanagerReceiver implements Receiver {
  readonly type = 'alertmanager' as const;
  readonly name: string;
  private readonly endpoint: string;
  constructor(private readonly options: AlertmanagerOptions) {
    this.name = options.name;
    this.endpoint = `${options.url.replace(/\/+$/, '')}/api/v2/alerts`;
  }

  async send(n: Notification): Promise<void> {
    const headers: Record<string, string> = { 'Idempotency-Key': n.idempotencyKey };
    if (this.options.bearerToken) headers.authorization = `Bearer ${this.options.bearerToken}`;
    await postJson(this.endpoint, postableAlerts(n), { headers, timeoutMs: this.options.timeoutMs, secrets: [this.options.bearerToken] });
  }
}
