import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeliveryError } from './errors.js';
import { webhookPayload } from './payloads.js';
import type { Notification, Receiver } from './types.js';

export interface FileOptions {
  name: string;
  path: string;
}

/** Appends one NDJSON line per notification: the webhook JSON plus `idempotencyKey`. */
export class FileReceiver implements Receiver {
  readonly type = 'file' as const;
  readonly name: string;
  constructor(private readonly options: FileOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    const line = JSON.stringify({ ...webhookPayload(n), idempotencyKey: n.idempotencyKey }) + '\n';
    try {
      await mkdir(dirname(this.options.path), { recursive: true });
      // One write call with O_APPEND, so concurrent appenders never interleave inside a line.
      await appendFile(this.options.path, line, { flag: 'a' });
    } catch (cause) {
      throw new DeliveryError('io', false, `cannot append to ${this.options.path}: ${(cause as Error).message}`, { cause });
    }
  }
}
