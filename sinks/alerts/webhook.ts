import { postJson } from './http.js';
import { webhookPayload } from './payloads.js';
import type { Notification, Receiver } from './types.js';

export interface WebhookOptions {
  name: string;
  url: string;
  /** Already resolved from env or file. */
  bearerToken?: string;
  timeoutMs: number;
}

/** POSTs Alertmanager's webhook JSON (version 4) with an `Idempotency-Key` header. */
export class WebhookReceiver implements Receiver {
  readonly type = 'webhook' as const;
  readonly name: string;
  constructor(private readonly options: WebhookOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    const headers: Record<string, string> = { 'Idempotency-Key': n.idempotencyKey };
    if (this.options.bearerToken) headers.authorization = `Bearer ${this.options.bearerToken}`;
    await postJson(this.options.url, webhookPayload(n), { headers, timeoutMs: this.options.timeoutMs, secrets: [this.options.bearerToken] });
  }
}
