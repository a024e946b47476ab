import { quantile } from 'simple-statistics';
import type { Alert } from '../operators/alert.js';
import { JOB_CLOCK_KEY, type ClockBasis, type JobClock } from '../sinks/duckdb/job-clock.js';
import { dueReportAlerts, SCHEDULE_CURSOR_KEY, SCHEDULE_DATA_FROM_KEY, type ReportLinks, type ReportSchedule } from './report-schedule.js';

const FIRST_EVENTS_QUANTILE = 0.01;

/**
 * Where the job's scheduled reports are (pipelines/report-schedule.ts): the job clock up to which
 * their runs were made. It comes from the checkpoint, or on a job's first run from where the
 * clock started (where the first events of a bounded input start, the wall clock at start for a
 * live source), and each checkpoint stores it with the report alerts it made, so a run happens once.
 */
export class ScheduleCursor {
  private cursor: number | undefined;
  /**
   * Where a replay's events start: the runs just after it (a daily report at 06:00 on the first
   * day) are of periods before it, and would be empty reports, sent as notifications too.
   */
  private dataFrom: number | undefined;
  /** What the cursor's time is: event time (a replay) or the wall clock (a live source). */
  private basis: ClockBasis | undefined;

  constructor(
    private readonly schedules: readonly ReportSchedule[],
    private readonly links: ReportLinks,
  ) {}

  /** Takes the cursor of a checkpoint's job state, if it has one. */
  restore(jobState: Readonly<Record<string, unknown>>): void {
    const cursor = jobState[SCHEDULE_CURSOR_KEY];
    if (typeof cursor === 'number') this.cursor = cursor;
    const dataFrom = jobState[SCHEDULE_DATA_FROM_KEY];
    if (typeof dataFrom === 'number') this.dataFrom = dataFrom;
    const clock = jobState[JOB_CLOCK_KEY] as Partial<JobClock> | undefined;
    if (clock?.basis === 'event' || clock?.basis === 'wall') this.basis = clock.basis;
  }

  /** Where the clock starts, unless a checkpoint had a cursor. */
  startAt(at: number): void {
    this.cursor ??= at;
  }

  /**
   * A replay's clock starts where its first batch's events start, not at its first watermark: that
   * comes after the whole batch, and a file of a few weeks that fits in one batch (4,096 lines by
   * default) made no report of its weeks. Its first percentile, so that a few records dated far
   * back do not add months of empty reports.
   */
  startAtEvents(times: Float64Array): void {
    if (this.cursor !== undefined || times.length === 0) return;
    this.cursor = quantile(Array.from(times), FIRST_EVENTS_QUANTILE);
    this.dataFrom = this.cursor;
  }

  /** True when a schedule's run is due by `now`: a live job's clock moves while its source is silent. */
  dueBy(now: number): boolean {
    const cursor = this.cursor;
    if (cursor === undefined) return false;
    return this.schedules.some((s) => (s.cron.nextRun(new Date(cursor))?.getTime() ?? Infinity) <= now);
  }

  /**
   * The runs whose time the job clock passed since the last checkpoint, as `report` alerts; moves
   * the cursor, which this checkpoint stores with them (exactly once).
   */
  take(clock: JobClock | undefined): Alert[] {
    if (clock === undefined || this.cursor === undefined) return [];
    // A replay of history, then a live source on the same database: the clock jumps from the
    // replay's event time to today. Its runs in between are not made up (450 empty reports, and as
    // many notifications, after a backfill of January went live in December), as a live job's
    // first start makes none before it; from the wall clock on, the schedule runs as usual.
    const switched = this.basis !== undefined && clock.basis !== this.basis;
    this.basis = clock.basis;
    if (switched) this.cursor = Math.max(this.cursor, clock.at);
    if (clock.at <= this.cursor) return [];
    // The cursor moves without schedules too: schedules added later start from then, not from the job's first day.
    const alerts = this.schedules.length > 0 ? dueReportAlerts(this.schedules, this.cursor, clock.at, this.links, this.dataFrom) : [];
    this.cursor = clock.at;
    return alerts;
  }

  /** Its `pulse_job_state` entry, once the clock has started. */
  jobState(): Record<string, number> {
    return {
      ...(this.cursor === undefined ? {} : { [SCHEDULE_CURSOR_KEY]: this.cursor }),
      ...(this.dataFrom === undefined ? {} : { [SCHEDULE_DATA_FROM_KEY]: this.dataFrom }),
    };
  }
}
