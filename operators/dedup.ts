/**
 * Bounded duplicate detection by `event_id`.
 *
 * The horizon is the job's lateness horizon: an id is remembered while its event time is at or
 * after `watermark - allowedLateness`. An older duplicate cannot be double-counted anyway, because
 * the lateness check rejects its copy as `late` before it reaches the operators. So memory grows
 * with the events of the lateness horizon, not with the whole stream.
 */
const BUCKET_MS = 60_000;

/**
 * Ids remembered since the last checkpoint (with the source partition each came from, so that a
 * partition's ids can move with it), and the horizon below which stored ids may go.
 */
export interface DedupChanges {
  ids: string[];
  times: number[];
  partitions: string[];
  expiredBefore: number;
}

export class EventIdDedup {
  private readonly seen = new Set<string>();
  /** Ids by event-time minute, to expire them without scanning the whole set. */
  private readonly buckets = new Map<number, string[]>();
  // Parallel arrays rather than [id, ts] pairs: these live until the next checkpoint, and millions
  // of small pair objects would be promoted to the old generation and slow every major GC.
  private addedIds: string[] = [];
  private addedTimes: number[] = [];
  private addedPartitions: string[] = [];
  private expiredBefore = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.seen.size;
  }

  /** Returns true if `eventId` was seen before; otherwise remembers it as read from `partition`. */
  checkAndAdd(eventId: string, eventTime: number, partition: string): boolean {
    // One hash lookup instead of has() + add(): this runs for every record.
    const before = this.seen.size;
    this.seen.add(eventId);
    if (this.seen.size === before) return true;
    this.remember(eventId, eventTime);
    this.addedIds.push(eventId);
    this.addedTimes.push(eventTime);
    this.addedPartitions.push(partition);
    return false;
  }

  /** Forgets ids whose event time is before `horizon`. */
  expire(horizon: number): void {
    if (horizon <= this.expiredBefore) return;
    const limit = Math.floor(horizon / BUCKET_MS);
    for (const [bucket, ids] of this.buckets) {
      if (bucket >= limit) continue;
      for (const id of ids) this.seen.delete(id);
      this.buckets.delete(bucket);
    }
    this.expiredBefore = limit * BUCKET_MS;
  }

  /** Ids added since the previous call, and the horizon below which persisted ids may go. */
  drainChanges(): DedupChanges {
    const changes = { ids: this.addedIds, times: this.addedTimes, partitions: this.addedPartitions, expiredBefore: this.expiredBefore };
    this.addedIds = [];
    this.addedTimes = [];
    this.addedPartitions = [];
    return changes;
  }

  restore(entries: Iterable<[string, number]>): void {
    for (const [id, ts] of entries) {
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      this.remember(id, ts);
    }
  }

  private remember(eventId: string, eventTime: number): void {
    const bucket = Math.floor(eventTime / BUCKET_MS);
    const ids = this.buckets.get(bucket);
    if (ids) ids.push(eventId);
    else this.buckets.set(bucket, [eventId]);
  }
}
