import { quantile } from 'simple-statistics';
import type { Alert } from '../operators/alert.js';
import { JOB_CLOCK_KEY, type ClockBasis, type JobClock } from '../sinks/duckdb/job-clock.js';
import {
  dueReportAlerts,
  runsCoveredByData,
  SCHEDULE_CURSOR_KEY,
  SCHEDULE_DATA_FROM_KEY,
  SCHEDULE_MADE_AHEAD_KEY,
  type ReportLinks,
  type ReportSchedule,
} from './report-schedule.js';

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
  /** Per schedule, the last run made ahead of its time at the end of a replay (`takeAtInputEnd`): runs up to it are made. */
  private madeAhead: Record<string, number> = {};

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
    const madeAhead = jobState[SCHEDULE_MADE_AHEAD_KEY];
    if (typeof madeAhead === 'object' && madeAhead !== null) this.madeAhead = { ...(madeAhead as Record<string, number>) };
  }

  /** Where a live job's clock (the wall clock) starts, unless a checkpoint had a cursor. */
  startAt(at: number): void {
    this.cursor ??= at;
  }

  /**
   * A replay's clock starts where its first batch's events start, not at its first watermark: that
   * comes after the whole batch, and a file of a few weeks that fits in one batch (4,096 lines by
   * default) made no report of its weeks. Its first percentile, so that a few records dated far
   * back do not add months of empty reports. Not where the watermark first moves: several files
   * move it from where the files waiting for their turn start, before any batch (`next`), and the
   * start of the data was then unknown (the runs before it were made: four empty reports).
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
    const due = this.schedules.length > 0 ? dueReportAlerts(this.schedules, this.cursor, clock.at, this.links, this.dataFrom) : [];
    this.cursor = clock.at;
    return due.filter((alert) => alert.fired_at > (this.madeAhead[alert.rule] ?? Number.NEGATIVE_INFINITY));
  }

  /**
   * The last checkpoint of a replay read to its end, whose newest events are at `dataEnd`: the
   * runs due by `clock`, and ahead of their time those whose period the data covers (it reaches
   * into the period's last hour: report-schedule.ts, runsCoveredByData), so that a month replayed
   * gets the report of its last day and week. A later run over more input does not make them again.
   */
  takeAtInputEnd(clock: JobClock | undefined, dataEnd: number): Alert[] {
    const due = this.take(clock);
    if (clock?.basis !== 'event' || this.cursor === undefined || !Number.isFinite(dataEnd)) return due;
    const ahead: Alert[] = [];
    for (const schedule of this.schedules) {
      const madeThrough = Math.max(this.cursor, this.madeAhead[schedule.name] ?? Number.NEGATIVE_INFINITY);
      for (const alert of runsCoveredByData(schedule, madeThrough, { from: this.dataFrom ?? Number.NEGATIVE_INFINITY, end: dataEnd }, this.links)) {
        ahead.push(alert);
        this.madeAhead[schedule.name] = alert.fired_at;
      }
    }
    return [...due, ...ahead].sort((a, b) => a.fired_at - b.fired_at || a.rule.localeCompare(b.rule));
  }

  /** Its `pulse_job_state` entry, once the clock has started. */
  jobState(): Record<string, number | Record<string, number>> {
    return {
      ...(this.cursor === undefined ? {} : { [SCHEDULE_CURSOR_KEY]: this.cursor }),
      ...(this.dataFrom === undefined ? {} : { [SCHEDULE_DATA_FROM_KEY]: this.dataFrom }),
      ...(Object.keys(this.madeAhead).length === 0 ? {} : { [SCHEDULE_MADE_AHEAD_KEY]: { ...this.madeAhead } }),
    };
  }
}
