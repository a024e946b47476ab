/**
 * Event-time watermarks with bounded out-of-orderness, tracked per source partition.
 *
 * A partition's watermark is the largest event time it has shown minus the allowed
 * out-of-orderness. The job's watermark is the minimum over active partitions: a partition that has
 * ended no longer holds it back, and one that has been silent for longer than the idle timeout
 * (processing time) is skipped, so a quiet Kafka partition does not stall every window. The job
 * watermark never moves backwards.
 *
 * One record cannot drag a partition's clock: its progress moves through the event times of each
 * batch in order of time, each within `maxJumpMs` of the progress so far. A time beyond that (a
 * broken timestamp, say next June in a January stream) is processed like any early event but
 * counts only once another time within `maxJumpMs` of it confirms it (the end of a long silence is
 * confirmed by the next records); until then it waits, and a lone outlier never counts. In a stream
 * whose events are less than `maxJumpMs` apart (every ordinary one) this is exactly the newest
 * event time. Without it, one such record would make every on-time event after it late. The whole
 * batch's times decide, so the result does not depend on how the batch was split over workers.
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

interface PartitionClock {
  maxEventTime: number;
  lastActiveAt: number;
  ended: boolean;
  /** Far-ahead times waiting for confirmation, ascending. */
  pending: number[];
  /** Where the partition's next batch starts, while it waits for its turn (`expect`); counts until it has shown an event time. */
  nextAt: number;
}

/** The clock of a partition that has shown no event time yet. */
function unreadClock(lastActiveAt: number, ended: boolean): PartitionClock {
  return { maxEventTime: Number.NEGATIVE_INFINITY, lastActiveAt, ended, pending: [], nextAt: Number.NEGATIVE_INFINITY };
}

/** Job-state key (`pulse_job_state`) under which every checkpoint stores its WatermarkSnapshot. */
export const WATERMARK_KEY = 'watermark';

/** What a checkpoint stores to resume the same watermark after a restart. */
export interface WatermarkSnapshot {
  current: number | null;
  /** `maxEventTime` is null for a partition with no event time yet (JSON has no -Infinity). */
  partitions: Record<string, { maxEventTime: number | null; ended: boolean; pending?: number[] }>;
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
    this.wakeAfterQuiet(now);
    const clock = this.clock(partition, now);
    if (eventTime > clock.maxEventTime) clock.maxEventTime = eventTime;
    clock.lastActiveAt = now;
  }

  /** Records the (plausible) event times of a batch of the partition, in any order. */
  observeBatch(partition: string, times: Float64Array, now: number): void {
    this.wakeAfterQuiet(now);
    const clock = this.clock(partition, now);
    clock.lastActiveAt = now;
    const limit = this.options.maxJumpMs ?? Number.POSITIVE_INFINITY;
    const all = new Float64Array(times.length + clock.pending.length);
    all.set(times);
    all.set(clock.pending, times.length);
    all.sort();
    let progress = clock.maxEventTime;
    // The first batch of a partition starts from its earliest time.
    let reach = Number.isFinite(progress) ? progress + limit : all.length > 0 ? all[0]! + limit : progress;
    const pending: number[] = [];
    for (let i = 0; i < all.length; i++) {
      const t = all[i]!;
      // Within reach of the progress, or confirmed by the next time.
      if (t <= reach || (i + 1 < all.length && all[i + 1]! - t <= limit)) {
        if (t > progress) progress = t;
        if (t + limit > reach) reach = t + limit;
      } else if (pending.length < PENDING_KEPT) {
        pending.push(t);
      }
    }
    clock.maxEventTime = progress;
    clock.pending = pending;
  }

  /**
   * The partition's next batch starts at about `eventTime` (a reader made it wait while others
   * went first). A partition with no event time of its own yet holds the watermark back from there,
   * not from -Infinity (which would hold every window open until its turn). One that has shown
   * times goes on holding it at its own progress: its next batch is never judged against a preview
   * of itself. It moves no clock.
   */
  expect(partition: string, eventTime: number, now: number): void {
    this.clock(partition, now).nextAt = eventTime;
  }

  private clock(partition: string, now: number): PartitionClock {
    let clock = this.partitions.get(partition);
    if (clock === undefined) {
      clock = unreadClock(now, false);
      this.partitions.set(partition, clock);
    }
    return clock;
  }

  /**
   * Records arriving after the whole source was quiet (every open partition idle: a producer that
   * paused, a backfill sent in chunks) may come on every partition, and the first to be read must
   * not move the watermark alone: the others, still idle, would not hold it, and their records,
   * which go on where they stopped, would be late (a tester's backlog after 40 s of silence lost
   * 37% of its records so). So each open partition counts as active again from now: it holds the
   * watermark at its progress until it delivers, or until it has been silent for the idle timeout
   * once more.
   */
  private wakeAfterQuiet(now: number): void {
    let open = false;
    for (const clock of this.partitions.values()) {
      if (clock.ended) continue;
      if (now - clock.lastActiveAt <= this.options.idleTimeoutMs) return;
      open = true;
    }
    if (!open) return;
    for (const clock of this.partitions.values()) if (!clock.ended) clock.lastActiveAt = now;
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
    else this.partitions.set(partition, unreadClock(0, true));
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
      const progress = clock.maxEventTime === Number.NEGATIVE_INFINITY ? clock.nextAt : clock.maxEventTime;
      const partitionWatermark = progress - this.options.outOfOrdernessMs;
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

  /** The newest event time over every partition (as far as its times confirm it: see `observeBatch`); -Infinity before any. */
  newestEventTime(): number {
    let newest = Number.NEGATIVE_INFINITY;
    for (const clock of this.partitions.values()) if (clock.maxEventTime > newest) newest = clock.maxEventTime;
    return newest;
  }

  /** How far one partition has got: see `partitionWatermark`; null before it has an event time. */
  partitionWatermarkOf(partition: string): number | null {
    return partitionWatermark(this.currentWatermark, this.partitions.get(partition)?.maxEventTime, this.options.outOfOrdernessMs);
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
      const maxEventTime = Number.isFinite(clock.maxEventTime) ? clock.maxEventTime : null;
      partitions[name] = { maxEventTime, ended: clock.ended, ...(clock.pending.length > 0 ? { pending: [...clock.pending] } : {}) };
    }
    return { current: Number.isFinite(this.lastEventWatermark) ? this.lastEventWatermark : null, partitions };
  }

  restore(snapshot: WatermarkSnapshot, now: number): void {
    this.partitions.clear();
    for (const [name, saved] of Object.entries(snapshot.partitions)) {
      const clock = unreadClock(now, saved.ended);
      clock.maxEventTime = saved.maxEventTime ?? Number.NEGATIVE_INFINITY;
      clock.pending = [...(saved.pending ?? [])];
      this.partitions.set(name, clock);
    }
    this.currentWatermark = snapshot.current ?? Number.NEGATIVE_INFINITY;
    this.lastEventWatermark = this.currentWatermark;
  }
}

/**
 * How far one partition has got: the job's watermark, but never beyond the partition's own (its
 * newest event time less the out-of-orderness). The job watermark never moves back, so a partition
 * just restored at its last marker or snapshot (its records since then not read again yet) is
 * behind it. Null before the job or the partition has a finite time.
 */
export function partitionWatermark(job: number | null, maxEventTime: number | undefined, outOfOrdernessMs: number): number | null {
  if (job === null || job === Number.NEGATIVE_INFINITY || maxEventTime === undefined || !Number.isFinite(maxEventTime)) return null;
  return Math.min(job, maxEventTime - outOfOrdernessMs);
}
