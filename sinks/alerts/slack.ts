import { postJson } from './http.js';
import { slackMessage } from './payloads.js';
import type { Notification, Receiver } from './types.js';

export interface SlackOptions {
  name: string;
  /** Incoming-webhook URL (a secret: it holds the token). */
  url: string;
  timeoutMs: number;
}

/** Slack-compatible incoming webhook (`{text, blocks}`); Mattermost and others accept it too. */
export class SlackReceiver implements Receiver {
  readonly type = 'slack' as const;
  readonly name: string;
  constructor(private readonly options: SlackOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    await postJson(this.options.url, slackMessage(n), {
      headers: { 'Idempotency-Key': n.idempotencyKey },
      timeoutMs: this.options.timeoutMs,
    });
  }
}
