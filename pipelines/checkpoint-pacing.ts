/**
 * When the next checkpoint may start. A checkpoint drains every changed customer's state, stages
 * it in DuckDB and commits it (the commit on DuckDB's threads, beside the processing), so its
 * length grows with the customers active since the previous one: at a quarter of a million
 * customers it takes seconds, and a fixed interval of a few seconds would spend most of the job's
 * time in checkpoints. Like Flink's minimum pause between checkpoints, but sized by the last
 * checkpoint: after one that took d from its start to its commit, the next waits d x (1 / maxShare
 * - 1), so checkpoints take at most `maxShare` of the job's time. None starts while one commits
 * (it would only wait for it) unless `maxShare` is 1: then checkpoints come exactly at the job's
 * interval or event count, as tests that cut a run at given checkpoints need.
 */
export class CheckpointPacing {
  private earliest = Number.NEGATIVE_INFINITY;
  private startedAt = 0;

  /** `maxShare` in (0, 1]; 1 never delays a checkpoint. */
  constructor(private readonly maxShare: number) {}

  /** Whether a checkpoint that is due by interval or event count may start at `now`. */
  mayStart(now: number): boolean {
    return now >= this.earliest;
  }

  started(at: number): void {
    this.startedAt = at;
    if (this.maxShare < 1) this.earliest = Number.POSITIVE_INFINITY;
  }

  committed(at: number): void {
    const took = Math.max(0, at - this.startedAt);
    this.earliest = at + took * (1 / this.maxShare - 1);
  }
}
