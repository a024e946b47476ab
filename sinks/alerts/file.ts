import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DeliveryError } from './errors.js';
import { webhookPayload } from './payloads.js';
import type { Notification, Receiver } from './types.js';
import { SerialQueue } from '../serial-queue.js';
import { appendAll, appendWholeLines, type AppendText } from '../append-lines.js';

export interface FileOptions {
  name: string;
  path: string;
  /** How the line is written; tests pass one that fails part-way through, as a full disk does. */
  appendText?: AppendText;
}

/**
 * One queue per file, shared by every receiver of this process that writes it: a failed append
 * cuts the file back to its size before, and must not cut off another send's line written
 * meanwhile. (Two processes appending to one file are not guarded against each other.)
 */
const appendQueues = new Map<string, SerialQueue>();

function appendQueue(path: string): SerialQueue {
  const key = resolve(path);
  const queue = appendQueues.get(key) ?? new SerialQueue();
  appendQueues.set(key, queue);
  return queue;
}

/** Appends one NDJSON line per notification: the webhook JSON plus `idempotencyKey`. */
export class FileReceiver implements Receiver {
  readonly type = 'file' as const;
  readonly name: string;
  constructor(private readonly options: FileOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    const { path, appendText = appendAll } = this.options;
    const line = JSON.stringify({ ...webhookPayload(n), idempotencyKey: n.idempotencyKey }) + '\n';
    try {
      await mkdir(dirname(path), { recursive: true });
      await appendQueue(path).run(() => appendWholeLines(path, line, appendText));
    } catch (cause) {
      throw new DeliveryError('io', false, `cannot append to ${path}: ${(cause as Error).message}`, { cause });
    }
  }
}
