/**
 * When the next checkpoint may start. A checkpoint drains every changed customer's state and
 * stages it in DuckDB; that part holds the main thread (and, until the cut, the shards), and its
 * length grows with the customers active since the previous checkpoint: at a quarter of a million
 * customers it takes seconds, and a fixed interval of a few seconds would spend most of the job's
 * time there. Like Flink's minimum pause between checkpoints, but sized by the last checkpoint:
 * after one whose draining and staging took d, the next waits d x (1 / maxShare - 1), so they take
 * at most `maxShare` of the job's time. The commit that follows runs on DuckDB's threads beside the
 * processing and does not count (the runner's commit chain keeps one commit at a time).
 */
export class CheckpointPacing {
  private earliest = Number.NEGATIVE_INFINITY;

  /** `maxShare` in (0, 1]; 1 never delays a checkpoint. */
  constructor(private readonly maxShare: number) {}

  /** Whether a checkpoint that is due by interval or event count may start at `now`. */
  mayStart(now: number): boolean {
    return now >= this.earliest;
  }

  /** A checkpoint that started at `startedAt` was drained and staged at `stagedAt`. */
  staged(startedAt: number, stagedAt: number): void {
    const took = Math.max(0, stagedAt - startedAt);
    this.earliest = stagedAt + took * (1 / this.maxShare - 1);
  }
}
