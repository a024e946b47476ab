import type { SourceMessage } from '../source.js';

/**
 * FIFO of messages between the Kafka poll loop and the runner, counting the records it holds so
 * the source can pause fetching when the runner falls behind. Control messages (assign, revoke,
 * end) are never refused: they must stay in order with the batches around them.
 */
export class MessageBuffer {
  private items: SourceMessage[] = [];
  private head = 0;
  private records = 0;
  private wake: (() => void) | undefined;

  get bufferedRecords(): number {
    return this.records;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(message: SourceMessage): void {
    this.items.push(message);
    if (message.kind === 'records') this.records += message.records.length;
    this.notify();
  }

  shift(): SourceMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const message = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as SourceMessage;
    this.head++;
    // Compact now and then instead of Array.shift (O(n) per call).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (message.kind === 'records') this.records -= message.records.length;
    return message;
  }

  /** Resolves when a message arrives or `notify` is called (stop, failure, abort). */
  waitForMessage(): Promise<void> {
    if (this.length > 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Drops everything (close); returns the dropped messages so pending revokes can be released. */
  clear(): SourceMessage[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.records = 0;
    return rest;
  }
}
