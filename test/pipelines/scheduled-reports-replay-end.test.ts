import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answeredContact } from '../helpers/contact-event.js';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';

const DAY = 86_400_000;
/** Monday 2026-03-02 00:00 UTC. */
const MONDAY = Date.UTC(2026, 2, 2);

/** Contacts on `days` days from `first` (days after MONDAY): one an hour from 00:30 to 23:30, as a round-the-clock service has. */
function contacts(first: number, days: number): string {
  const lines: string[] = [];
  for (let day = first; day < first + days; day++) {
    for (let hour = 0; hour < 24; hour++) {
      const queued = MONDAY + day * DAY + hour * 3_600_000 + 30 * 60_000;
      const id = `k${day}-${hour}`;
      lines.push(JSON.stringify(answeredContact(queued, { event_id: id, customer_id: `c${hour % 5}`, contact_id: id, queue: 'billing', reason: 'GENERAL' })));
    }
  }
  return lines.join('\n') + '\n';
}

const JOB = `
name: replay-end
source: files
sources: { files: { type: files, paths: [unused.ndjson] } }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h }
operators:
  - type: contact_kpis
    window_sizes: [1d]
workers: 0
reports:
  schedule:
    - { name: Daily, report: contact_center_scorecard, cron: "0 6 * * *", period: day }
    - { name: Weekly, report: contact_center_scorecard, cron: "0 7 * * 1", period: week }
`;

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

describe('scheduled reports at the end of a replay', () => {
  it("the data's last day and week get their reports, though their time is after the data; the next replay makes neither again", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-replay-end-'));
    writeFileSync(join(dir, 'job.yaml'), JOB);
    // Two weeks, Monday 2 to Sunday 15 March, the last contact at 23:30: then the third week.
    writeFileSync(join(dir, 'weeks-1-2.ndjson'), contacts(0, 14));
    writeFileSync(join(dir, 'week-3.ndjson'), contacts(14, 7));
    const db = join(dir, 'pulse.duckdb');
    const reports = join(dir, 'reports');
    const run = (input: string) => runPulse(['--config', join(dir, 'job.yaml'), '--input', join(dir, input), '--db', db, '--reports', reports]);
    const scorecards = () =>
      readdirSync(reports)
        .filter((f) => f.endsWith('.html'))
        .sort();
    const expected = (days: number, weeks: number) => [
      ...Array.from({ length: days }, (_, d) => `scorecard-daily-${isoDay(MONDAY + d * DAY)}.html`),
      ...Array.from({ length: weeks }, (_, w) => `scorecard-weekly-${isoDay(MONDAY + w * 7 * DAY)}.html`),
    ];

    expect((await run('weeks-1-2.ndjson')).code).toBe(0);
    // Every day, 15 March too (due on the 16th at 06:00), and both weeks (the second due on the 16th at 07:00).
    expect(scorecards()).toEqual(expected(14, 2));

    expect((await run('week-3.ndjson')).code).toBe(0);
    expect(scorecards()).toEqual(expected(21, 3));
    // Each run once: one report alert per schedule and period.
    const [alerts] = await query(
      db,
      `SELECT rule, count(*)::INTEGER AS n, count(DISTINCT window_start)::INTEGER AS periods FROM alerts WHERE kind = 'report' GROUP BY rule ORDER BY rule`,
    );
    expect(alerts).toEqual([
      { rule: 'Daily', n: 21, periods: 21 },
      { rule: 'Weekly', n: 3, periods: 3 },
    ]);
  });
});
