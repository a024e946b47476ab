import { describe, expect, it } from 'vitest';
import { parseJobConfig } from '../../pipelines/job-config.js';
import { ScheduleCursor } from '../../pipelines/schedule-cursor.js';

const utc = (s: string): number => Date.parse(s);

const schedules = parseJobConfig(
  `
name: t
source: files
sources: { files: { type: files, paths: [x.ndjson] } }
operators: [{ type: contact_kpis, window_sizes: [1d] }]
reports:
  schedule:
    - { name: Daily, report: contact_center_scorecard, cron: "0 6 * * *", period: day }
    - { name: Weekly, report: contact_center_scorecard, cron: "0 7 * * 1", period: week }`,
  'job.yaml',
  {},
).reportSchedules;

const runs = (cursor: ScheduleCursor, until: string): string[] =>
  cursor.take({ at: utc(until), basis: 'event' }).map((a) => `${a.rule} ${new Date(a.window_start).toISOString().slice(0, 10)}`);

describe('scheduled report runs of a replay', () => {
  // Events from Monday 2026-01-05 00:00 on.
  const events = Float64Array.from({ length: 1000 }, (_, i) => utc('2026-01-05T00:00:00Z') + i * 60_000);

  it('leave out the runs of periods that end before the events start (they would report on nothing)', () => {
    const cursor = new ScheduleCursor(schedules, {});
    cursor.startAtEvents(events);
    // Daily at 06:00 on the 5th reports the 4th, Weekly at 07:00 on Monday the 5th the week before: both before the data.
    expect(runs(cursor, '2026-01-07T12:00:00Z')).toEqual(['Daily 2026-01-05', 'Daily 2026-01-06']);
    expect(runs(cursor, '2026-01-12T08:00:00Z')).toEqual([
      'Daily 2026-01-07',
      'Daily 2026-01-08',
      'Daily 2026-01-09',
      'Daily 2026-01-10',
      'Daily 2026-01-11',
      'Weekly 2026-01-05',
    ]);
  });

  it('a replay of history, then a live source on the same database: no catching up from the replay to today', () => {
    const replay = new ScheduleCursor(schedules, {});
    replay.startAtEvents(events);
    expect(runs(replay, '2026-01-07T12:00:00Z')).toEqual(['Daily 2026-01-05', 'Daily 2026-01-06']);
    // The checkpoint stores the cursor and the job clock; a live run restores both.
    const live = new ScheduleCursor(schedules, {});
    live.restore({ ...replay.jobState(), clock: { at: utc('2026-01-07T12:00:00Z'), basis: 'event' } });
    live.startAt(utc('2026-12-02T09:00:00Z'));
    const at = (when: string) => live.take({ at: utc(when), basis: 'wall' }).map((a) => `${a.rule} ${new Date(a.window_start).toISOString().slice(0, 10)}`);
    expect(at('2026-12-02T09:00:00Z')).toEqual([]); // was 330 daily and 47 weekly runs
    expect(at('2026-12-03T06:30:00Z')).toEqual(['Daily 2026-12-02']); // then on schedule
  });

  it('keep where the events started across a restart', () => {
    const first = new ScheduleCursor(schedules, {});
    first.startAtEvents(events);
    const restarted = new ScheduleCursor(schedules, {});
    restarted.restore(first.jobState());
    restarted.startAtEvents(Float64Array.of(utc('2026-01-09T00:00:00Z'))); // a checkpoint's cursor wins
    expect(runs(restarted, '2026-01-06T12:00:00Z')).toEqual(['Daily 2026-01-05']);
  });

  describe('at the end of a replay', () => {
    const names = (alerts: Array<{ rule: string; window_start: number }>): string[] =>
      alerts.map((a) => `${a.rule} ${new Date(a.window_start).toISOString().slice(0, 10)}`);
    /** A replay from Monday 5 January whose newest event is at `dataEnd`, its clock 5 minutes behind. */
    const replayTo = (dataEnd: string): { cursor: ScheduleCursor; ahead: string[] } => {
      const cursor = new ScheduleCursor(schedules, {});
      cursor.startAtEvents(events);
      const end = utc(dataEnd);
      const clock = { at: end - 5 * 60_000, basis: 'event' as const };
      // The checkpoints before the last: every run the clock passed.
      cursor.take({ at: clock.at - 3_600_000, basis: 'event' });
      return { cursor, ahead: names(cursor.takeAtInputEnd(clock, end)) };
    };

    it('makes the last day and week whose last hour the data reaches, though their time is after the data', () => {
      // Four weeks to Sunday 1 February 23:50: the daily run of the 1st is due on the 2nd at 06:00,
      // the weekly of 26 January on the 2nd at 07:00; the clock (the data) never gets there.
      expect(replayTo('2026-02-01T23:50:00Z').ahead).toEqual(['Daily 2026-02-01', 'Weekly 2026-01-26']);
      // The data reaches 23:00 exactly: the last hour is in.
      expect(replayTo('2026-02-01T23:00:00Z').ahead).toEqual(['Daily 2026-02-01', 'Weekly 2026-01-26']);
    });

    it('leaves out a day the data stops early in, and a week it stops in midweek', () => {
      // Wednesday 28 January 08:05: no day or week ends within the hour after.
      expect(replayTo('2026-01-28T08:05:00Z').ahead).toEqual([]);
      // 22:59: the day's last hour has no event.
      expect(replayTo('2026-01-28T22:59:00Z').ahead).toEqual([]);
      // Tuesday 23:30: the day is in, the week is not.
      expect(replayTo('2026-01-27T23:30:00Z').ahead).toEqual(['Daily 2026-01-27']);
    });

    it('a day the clock left before its run: made once, by its own run, not again ahead', () => {
      // The data ends on Tuesday 05:30, before Tuesday's 06:00 run of Monday: Monday is complete.
      expect(replayTo('2026-01-27T05:30:00Z').ahead).toEqual(['Daily 2026-01-26']);
      // Ending at 06:30, the clock passed that run (the checkpoints before made it): nothing more.
      const { cursor, ahead } = replayTo('2026-01-27T06:40:00Z');
      expect(ahead).toEqual(['Daily 2026-01-26']);
      expect(names(cursor.takeAtInputEnd({ at: utc('2026-01-27T06:35:00Z'), basis: 'event' }, utc('2026-01-27T06:40:00Z')))).toEqual([]);
    });

    it('a later run over the next days does not make them again, and goes on with the runs after them', () => {
      const { cursor } = replayTo('2026-02-01T23:50:00Z');
      const next = new ScheduleCursor(schedules, {});
      next.restore(cursor.jobState());
      expect(runs(next, '2026-02-03T12:00:00Z')).toEqual(['Daily 2026-02-02']);
      // Restarted again at its end without new data: nothing twice.
      const again = new ScheduleCursor(schedules, {});
      again.restore(cursor.jobState());
      expect(names(again.takeAtInputEnd({ at: utc('2026-02-01T23:45:00Z'), basis: 'event' }, utc('2026-02-01T23:50:00Z')))).toEqual([]);
    });

    it('a live job (wall clock) makes nothing ahead', () => {
      const live = new ScheduleCursor(schedules, {});
      live.startAt(utc('2026-02-01T12:00:00Z'));
      expect(live.takeAtInputEnd({ at: utc('2026-02-01T23:45:00Z'), basis: 'wall' }, utc('2026-02-01T23:50:00Z'))).toEqual([]);
    });
  });
});
