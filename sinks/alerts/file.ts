import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DeliveryError } from './errors.js';
import { webhookPayload } from './payloads.js';
import type { Notification, Receiver } from './types.js';
import { SerialQueue } from '../serial-queue.js';

/** Writes all of `text` at the end of the file, or throws (possibly after writing part of it). */
export type AppendText = (file: FileHandle, text: string) => Promise<void>;

export interface FileOptions {
  name: string;
  path: string;
  /** How the line is written; tests pass one that fails part-way through, as a full disk does. */
  appendText?: AppendText;
}

/** `FileHandle.appendFile` writes again until every byte is in, or throws. */
const appendAll: AppendText = (file, text) => file.appendFile(text);

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
      await appendQueue(path).run(() => appendWholeLine(path, line, appendText));
    } catch (cause) {
      throw new DeliveryError('io', false, `cannot append to ${path}: ${(cause as Error).message}`, { cause });
    }
  }
}

/**
 * Appends `line` as a line of its own, or leaves the file as it was. On a full disk (ENOSPC) part
 * of a line was written, and the retry appended the whole notification after that fragment, on
 * the same line: a line no NDJSON reader could parse, while the outbox counted it delivered.
 */
async function appendWholeLine(path: string, line: string, appendText: AppendText): Promise<void> {
  // O_APPEND, read too: a line is never written over, and the last byte can be looked at.
  const file = await open(path, 'a+');
  try {
    const { size } = await file.stat();
    const text = (await endsInsideLine(file, size)) ? `\n${line}` : line;
    try {
      await appendText(file, text);
    } catch (error) {
      await file.truncate(size);
      throw error;
    }
  } finally {
    await file.close();
  }
}

/**
 * Whether the file's last line is unfinished: a process killed while writing, or a version
 * before the cut-back above on a full disk, left a fragment. The new line then starts on a line
 * of its own, so it can be parsed.
 */
async function endsInsideLine(file: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const { buffer } = await file.read(Buffer.alloc(1), 0, 1, size - 1);
  return buffer[0] !== NEWLINE;
}

const NEWLINE = 0x0a;
