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
});
