/**
 * Bounded duplicate detection by `event_id`, per customer.
 *
 * A repeated `event_id` of the same customer (null for an unknown caller) is a duplicate. The runner
 * hashes customers to worker threads, so a customer's events and their copies always meet in the
 * same detector; the customer is part of the identity so that the verdict never depends on how
 * many workers there are (two customers' events that happen to share an id are both counted, with
 * one worker as with eight).
 *
 * The horizon is the job's lateness horizon: an id is remembered while its event time is at or
 * after `watermark - allowedLateness`. An older duplicate cannot be double-counted anyway, because
 * the lateness check rejects its copy as `late` before it reaches the operators. So memory grows
 * with the events of the horizon, not with the whole stream.
 */
const BUCKET_MS = 60_000;
/** The customer of a restored id whose customer is not known (see `restore`). */
const ANY_CUSTOMER = '\u0000any';

/**
 * Ids remembered since the last checkpoint (with the customer and the source partition each came
 * from, so that a partition's ids can move with it), and the horizon below which stored ids may go.
 */
export interface DedupChanges {
  ids: string[];
  customers: Array<string | null>;
  times: number[];
  partitions: string[];
  expiredBefore: number;
}

export class EventIdDedup {
  /** Event id -> the customer of its first occurrence: one hash lookup per event in the usual case. */
  private readonly seen = new Map<string, string | null>();
  /** `customer \0 id` of the rare further customers that used an id already seen for another. */
  private readonly shared = new Set<string>();
  /** Remembered ids by event-time minute ([id, customer] flattened), to expire them without a scan. */
  private readonly buckets = new Map<number, Array<string | null>>();
  // Parallel arrays rather than tuples: these live until the next checkpoint, and millions of
  // small objects would be promoted to the old generation and slow every major GC.
  private addedIds: string[] = [];
  private addedCustomers: Array<string | null> = [];
  private addedTimes: number[] = [];
  private addedPartitions: string[] = [];
  private expiredBefore = Number.NEGATIVE_INFINITY;
  /** The bucket of the last remembered id and its entries (undefined once expired). */
  private lastBucket = Number.NaN;
  private lastEntries: Array<string | null> | undefined;

  get size(): number {
    return this.seen.size + this.shared.size;
  }

  /** Returns true if the customer's `eventId` was seen before; otherwise remembers it as read from `partition`. */
  checkAndAdd(eventId: string, customerId: string | null, eventTime: number, partition: string): boolean {
    if (!this.remember(eventId, customerId, eventTime)) return true;
    this.addedIds.push(eventId);
    this.addedCustomers.push(customerId);
    this.addedTimes.push(eventTime);
    this.addedPartitions.push(partition);
    return false;
  }

  /** Forgets ids whose event time is before `horizon`. */
  expire(horizon: number): void {
    if (horizon <= this.expiredBefore) return;
    const limit = Math.floor(horizon / BUCKET_MS);
    for (const [bucket, entries] of this.buckets) {
      if (bucket >= limit) continue;
      for (let i = 0; i < entries.length; i += 2) {
        const id = entries[i]!;
        const customer = entries[i + 1]!;
        if (this.seen.get(id) === customer) this.seen.delete(id);
        else this.shared.delete(sharedKey(id, customer));
      }
      this.buckets.delete(bucket);
      if (bucket === this.lastBucket) this.lastEntries = undefined;
    }
    this.expiredBefore = limit * BUCKET_MS;
  }

  /**
   * Ids added since the previous call and still remembered, and the horizon below which persisted
   * ids may go. Ids that expired before the drain are left out: the checkpoint deletes below the
   * horizon before it inserts, so they would outlive the memory by one checkpoint, and what is
   * stored would depend on when checkpoints happened (wall-clock intervals), not on the input.
   */
  drainChanges(): DedupChanges {
    this.dropExpiredAdditions();
    const changes = {
      ids: this.addedIds,
      customers: this.addedCustomers,
      times: this.addedTimes,
      partitions: this.addedPartitions,
      expiredBefore: this.expiredBefore,
    };
    this.addedIds = [];
    this.addedCustomers = [];
    this.addedTimes = [];
    this.addedPartitions = [];
    return changes;
  }

  /** Compacts the additions in place, in one pass (a checkpoint can follow a million of them). */
  private dropExpiredAdditions(): void {
    const { addedIds: ids, addedCustomers: customers, addedTimes: times, addedPartitions: partitions } = this;
    let kept = 0;
    for (let i = 0; i < times.length; i++) {
      if (times[i]! < this.expiredBefore) continue;
      ids[kept] = ids[i]!;
      customers[kept] = customers[i] as string | null;
      times[kept] = times[i]!;
      partitions[kept] = partitions[i]!;
      kept++;
    }
    ids.length = customers.length = times.length = partitions.length = kept;
  }

  /**
   * Loads persisted ids. A stored id without a customer (an unknown caller's contact, or an id
   * stored by a version that did not keep customers) counts as a duplicate for every customer.
   */
  restore(entries: Iterable<[id: string, customer: string | null, ts: number]>): void {
    for (const [id, customer, ts] of entries) this.remember(id, customer ?? ANY_CUSTOMER, ts);
  }

  /** False when the customer's id is known already. */
  private remember(eventId: string, customerId: string | null, eventTime: number): boolean {
    // Values are a string or null, never undefined: one lookup tells an unseen id.
    const first = this.seen.get(eventId);
    if (first === undefined) {
      // Its first holder may have expired while a later customer's entry lives on.
      if (this.shared.size > 0 && this.shared.has(sharedKey(eventId, customerId))) return false;
      this.seen.set(eventId, customerId);
    } else {
      if (first === customerId || first === ANY_CUSTOMER) return false;
      const key = sharedKey(eventId, customerId);
      if (this.shared.has(key)) return false;
      this.shared.add(key);
    }
    const bucket = Math.floor(eventTime / BUCKET_MS);
    // Events arrive roughly in time order: most fall in the minute of the one before (no map lookup).
    if (bucket !== this.lastBucket || this.lastEntries === undefined) {
      this.lastBucket = bucket;
      this.lastEntries = this.buckets.get(bucket);
      if (this.lastEntries === undefined) this.buckets.set(bucket, (this.lastEntries = []));
    }
    this.lastEntries.push(eventId, customerId);
    return true;
  }
}

function sharedKey(eventId: string, customerId: string | null): string {
  return `${customerId ?? ''}\u0000${eventId}`;
}
