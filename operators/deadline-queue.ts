/**
 * Keys due at an event time, so that a watermark advance touches only the windows and customers
 * that may change, never a scan of all state. In memory only: after a restart the operator
 * re-schedules every restored key once (a deadline that comes early is harmless: the owner
 * re-checks and re-schedules).
 */
export class DeadlineQueue {
  private readonly heap: Array<{ at: number; key: string }> = [];
  private readonly due = new Map<string, number>();

  get size(): number {
    return this.due.size;
  }

  /** Schedules `key` at `at`, or earlier if it is already scheduled earlier. */
  schedule(key: string, at: number): void {
    const current = this.due.get(key);
    if (current !== undefined && current <= at) return;
    this.due.set(key, at);
    this.push({ at, key });
  }

  /** Removes and returns the keys due at or before `time`, earliest first. */
  popDue(time: number): string[] {
    const keys: string[] = [];
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.at > time) break;
      this.pop();
      // A key re-scheduled earlier leaves a stale entry behind; only the current one counts.
      if (this.due.get(top.key) === top.at) {
        this.due.delete(top.key);
        keys.push(top.key);
      }
    }
    return keys;
  }

  clear(): void {
    this.heap.length = 0;
    this.due.clear();
  }

  private push(item: { at: number; key: string }): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= item.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
