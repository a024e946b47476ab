/**
 * Event-time watermarks with bounded out-of-orderness, tracked per source partition.
 *
 * A partition's watermark is the largest event time it has shown minus the allowed
 * out-of-orderness. The job's watermark is the minimum over active partitions: a partition that has
 * ended no longer holds it back, and one that has been silent for longer than the idle timeout
 * (processing time) is skipped, so a quiet Kafka partition does not stall every window. The job
 * watermark never moves backwards.
 *
 * One record cannot drag a partition's clock: an event time more than `maxJumpMs` ahead of the
 * partition's progress (a broken timestamp, say next June in a January stream) is processed like
 * any early event but moves nothing until a record read after it, and not far before it, confirms
 * the jump (the end of a long silence is confirmed by the next record); a lone outlier stays
 * pending, and never confirms a later jump either. Without this, one such record would make
 * every on-time event after it late. The same holds within a partition's first batch: its largest
 * time counts only if it is within `maxJumpMs` of the second largest.
 */
export interface WatermarkOptions {
  outOfOrdernessMs: number;
  /** A partition silent this long (processing time) stops holding the watermark back. */
  idleTimeoutMs: number;
  /** How far ahead of its progress one record may move a partition's clock (`event_time.max_jump`). */
  maxJumpMs?: number;
}

/** Unconfirmed far-ahead times kept per partition (the earliest ones). */
const PENDING_KEPT = 8;

/** The event times of one batch of a partition, as the gates saw them against `aheadAfter`. */
export interface BatchEventTimes {
  /** Largest time not ahead (-Infinity if none). */
  max: number;
  /** Second largest time not ahead (-Infinity if none). */
  second: number;
  /** Times ahead of the partition's `aheadAfter`, the earliest ones, ascending. */
  ahead: number[];
}

interface PartitionClock {
  maxEventTime: number;
  lastActiveAt: number;
  ended: boolean;
  /** Far-ahead times waiting for confirmation, ascending. */
  pending: number[];
}

/** What a checkpoint stores to resume the same watermark after a restart. */
export interface WatermarkSnapshot {
  current: number | null;
  partitions: Record<string, { maxEventTime: number; ended: boolean; pending?: number[] }>;
}

export class WatermarkTracker {
  private readonly partitions = new Map<string, PartitionClock>();
  private currentWatermark = Number.NEGATIVE_INFINITY;
  /** The last watermark implied by event times; kept when `finish` moves to +infinity. */
  private lastEventWatermark = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: WatermarkOptions) {}

  get current(): number {
    return this.currentWatermark;
  }

  /** Records an event time known to be plausible (a hand-over's, or -Infinity to register a partition). */
  observe(partition: string, eventTime: number, now: number): void {
    const clock = this.clock(partition, now);
    if (eventTime > clock.maxEventTime) clock.maxEventTime = eventTime;
    clock.lastActiveAt = now;
  }

  /** Event times after this are far ahead of the partition's progress (see the module comment). */
  aheadAfter(partition: string): number {
    const clock = this.partitions.get(partition);
    const limit = this.options.maxJumpMs;
    return clock === undefined || limit === undefined || !Number.isFinite(clock.maxEventTime) ? Number.POSITIVE_INFINITY : clock.maxEventTime + limit;
  }

  /** Records the event times of a batch, judged against `aheadAfter(partition)` before it. */
  observeBatch(partition: string, times: BatchEventTimes, now: number): void {
    const clock = this.clock(partition, now);
    clock.lastActiveAt = now;
    const limit = this.options.maxJumpMs ?? Number.POSITIVE_INFINITY;
    let max = times.max;
    // A first batch has no progress to judge against: its largest time needs the second's support.
    if (!Number.isFinite(clock.maxEventTime) && times.second > Number.NEGATIVE_INFINITY && max - times.second > limit) {
      clock.pending.push(max);
      max = times.second;
    }
    if (max > clock.maxEventTime) clock.maxEventTime = max;
    if (times.ahead.length === 0 && clock.pending.length === 0) return;
    // A far time is confirmed by a record read after it that is not far before it: earlier
    // batches' pending times by this batch, and within this batch each by a later one.
    const latest = Math.max(max, times.ahead.at(-1) ?? Number.NEGATIVE_INFINITY);
    const pending: number[] = [];
    for (const t of clock.pending) {
      if (latest >= t - limit) clock.maxEventTime = Math.max(clock.maxEventTime, t);
      else pending.push(t);
    }
    times.ahead.forEach((t, i) => {
      if (i < times.ahead.length - 1) clock.maxEventTime = Math.max(clock.maxEventTime, t);
      else pending.push(t);
    });
    pending.sort((x, y) => x - y);
    // Times now within reach of the progress are plausible.
    while (pending.length > 0 && pending[0]! <= clock.maxEventTime + limit) clock.maxEventTime = Math.max(clock.maxEventTime, pending.shift()!);
    clock.pending = pending.slice(0, PENDING_KEPT);
  }

  private clock(partition: string, now: number): PartitionClock {
    let clock = this.partitions.get(partition);
    if (clock === undefined) {
      clock = { maxEventTime: Number.NEGATIVE_INFINITY, lastActiveAt: now, ended: false, pending: [] };
      this.partitions.set(partition, clock);
    }
    return clock;
  }

  /** Marks a partition as read but empty for now (keeps it from being treated as idle). */
  heartbeat(partition: string, now: number): void {
    const clock = this.partitions.get(partition);
    if (clock) clock.lastActiveAt = now;
  }

  /** The partition has no more records (end of file, partition revoked). */
  end(partition: string): void {
    const clock = this.partitions.get(partition);
    if (clock) clock.ended = true;
    else this.partitions.set(partition, { maxEventTime: Number.NEGATIVE_INFINITY, lastActiveAt: 0, ended: true, pending: [] });
  }

  /** A revoked partition that comes back (Kafka reassignment) is active again. */
  reopen(partition: string, now: number): void {
    const clock = this.partitions.get(partition);
    if (clock) {
      clock.ended = false;
      clock.lastActiveAt = now;
    }
  }

  /** Recomputes the job watermark; returns it (monotone). */
  advance(now: number): number {
    let min = Number.POSITIVE_INFINITY;
    let anyActive = false;
    let allIdleMax = Number.NEGATIVE_INFINITY;
    for (const clock of this.partitions.values()) {
      if (clock.ended) continue;
      const partitionWatermark = clock.maxEventTime - this.options.outOfOrdernessMs;
      if (now - clock.lastActiveAt > this.options.idleTimeoutMs) {
        allIdleMax = Math.max(allIdleMax, partitionWatermark);
        continue;
      }
      anyActive = true;
      if (partitionWatermark < min) min = partitionWatermark;
    }
    // When every open partition is idle, hold at the most advanced of them rather than jumping to
    // infinity: idleness must not close windows that an idle partition may still fill.
    const candidate = anyActive ? min : allIdleMax;
    if (candidate > this.currentWatermark) {
      this.currentWatermark = candidate;
      this.lastEventWatermark = candidate;
    }
    return this.currentWatermark;
  }

  /** Highest event time seen on a partition (-Infinity if none). */
  maxEventTimeOf(partition: string): number {
    return this.partitions.get(partition)?.maxEventTime ?? Number.NEGATIVE_INFINITY;
  }

  /** True when every partition seen has ended (a bounded input is fully read). */
  allEnded(): boolean {
    for (const clock of this.partitions.values()) if (!clock.ended) return false;
    return true;
  }

  /**
   * Closes everything: the final watermark of a bounded input. The snapshot keeps the last
   * event-time watermark, so a later run over more input goes on from there.
   */
  finish(): number {
    this.currentWatermark = Number.POSITIVE_INFINITY;
    return this.currentWatermark;
  }

  snapshot(): WatermarkSnapshot {
    const partitions: WatermarkSnapshot['partitions'] = {};
    for (const [name, clock] of this.partitions) {
      partitions[name] = { maxEventTime: clock.maxEventTime, ended: clock.ended, ...(clock.pending.length > 0 ? { pending: [...clock.pending] } : {}) };
    }
    return { current: Number.isFinite(this.lastEventWatermark) ? this.lastEventWatermark : null, partitions };
  }

  restore(snapshot: WatermarkSnapshot, now: number): void {
    this.partitions.clear();
    for (const [name, saved] of Object.entries(snapshot.partitions)) {
      this.partitions.set(name, { maxEventTime: saved.maxEventTime, lastActiveAt: now, ended: saved.ended, pending: [...(saved.pending ?? [])] });
    }
    this.currentWatermark = snapshot.current ?? Number.NEGATIVE_INFINITY;
    this.lastEventWatermark = this.currentWatermark;
  }
}
