/**
 * Event-time watermarks with bounded out-of-orderness, tracked per source partition.
 *
 * A partition's watermark is the largest event time it has shown minus the allowed
 * out-of-orderness. The job's watermark is the minimum over active partitions: a partition that has
 * ended no longer holds it back, and one that has been silent for longer than the idle timeout
 * (processing time) is skipped, so a quiet Kafka partition does not stall every window. The job
 * watermark never moves backwards.
 */
export interface WatermarkOptions {
  outOfOrdernessMs: number;
  /** A partition silent this long (processing time) stops holding the watermark back. */
  idleTimeoutMs: number;
}

interface PartitionClock {
  maxEventTime: number;
  lastActiveAt: number;
  ended: boolean;
}

/** What a checkpoint stores to resume the same watermark after a restart. */
export interface WatermarkSnapshot {
  current: number | null;
  partitions: Record<string, { maxEventTime: number; ended: boolean }>;
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

  /** Records an event time seen on a partition (call for every accepted or late record). */
  observe(partition: string, eventTime: number, now: number): void {
    const clock = this.partitions.get(partition);
    if (clock === undefined) {
      this.partitions.set(partition, { maxEventTime: eventTime, lastActiveAt: now, ended: false });
    } else {
      if (eventTime > clock.maxEventTime) clock.maxEventTime = eventTime;
      clock.lastActiveAt = now;
    }
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
    else this.partitions.set(partition, { maxEventTime: Number.NEGATIVE_INFINITY, lastActiveAt: 0, ended: true });
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
      partitions[name] = { maxEventTime: clock.maxEventTime, ended: clock.ended };
    }
    return { current: Number.isFinite(this.lastEventWatermark) ? this.lastEventWatermark : null, partitions };
  }

  restore(snapshot: WatermarkSnapshot, now: number): void {
    this.partitions.clear();
    for (const [name, saved] of Object.entries(snapshot.partitions)) {
      this.partitions.set(name, { maxEventTime: saved.maxEventTime, lastActiveAt: now, ended: saved.ended });
    }
    this.currentWatermark = snapshot.current ?? Number.NEGATIVE_INFINITY;
    this.lastEventWatermark = this.currentWatermark;
  }
}
