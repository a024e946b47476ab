import { describe, expect, it } from 'vitest';
import { runOutcomeText } from '../../pipelines/commands/run-outcome.js';

const summary = {
  records: 1000,
  accepted: 990,
  rejected: 10,
  late: 2,
  lateLongContacts: 0,
  duplicates: 0,
  watermark: 0,
  checkpoints: 1,
  completed: true,
  alertsPending: 0,
  alertsDead: 0,
  reportsFailed: 0,
  ruleNames: { unmatched: [], known: { queue: [], reason: [] } },
  openRuleWindows: [],
  notes: [],
  reached: 0,
  readKafka: false,
};
const options = { db: 'pulse.duckdb', config: 'job.yaml' };

describe('what pulse run prints at its end', () => {
  it("the KPI rules' windows the input ended in, and that a later run judges them", () => {
    const hour = 3_600_000;
    const day = Date.UTC(2026, 2, 11);
    const text = runOutcomeText({ ...summary, reached: day + 11 * hour + 55 * 60_000, openRuleWindows: [{ sizeMs: 24 * hour, start: day }] }, options);
    expect(text).toContain("the input's events ended at 2026-03-11T11:55:00Z, inside the 1d window from 2026-03-11T00:00:00Z:");
    expect(text).toContain('the KPI rules judge such a window once a later run over this database completes it');
    // Many (a watermark far behind the events leaves each 15m window after it open): five named, the rest counted.
    const many = Array.from({ length: 8 }, (_, i) => ({ sizeMs: hour / 4, start: day + i * (hour / 4) }));
    expect(runOutcomeText({ ...summary, reached: day + 2 * hour, openRuleWindows: many }, options)).toContain(
      'the 15m window from 2026-03-11T01:00:00Z and 3 more:',
    );
  });

  it('the counts alone when nothing needs a word', () => {
    expect(runOutcomeText(summary, options)).toBe('processed 1000 records: 990 accepted, 10 rejected (see the dead_letters table)\n');
  });

  it('says why when more than 5% of the records were late, and what to do', () => {
    const text = runOutcomeText({ ...summary, accepted: 80, rejected: 920, late: 915 }, options);
    expect(text).toContain('915 of 1000 records (91.5%) were refused as late');
    expect(text).toContain('Is the input in event-time order?');
    expect(text).toContain('raise event_time.allowed_lateness');
    // At the boundary: 5% is not more than 5%.
    expect(runOutcomeText({ ...summary, late: 50, rejected: 50, accepted: 950 }, options)).not.toContain('late');
    expect(runOutcomeText({ ...summary, late: 51, rejected: 51, accepted: 949 }, options)).toContain('51 of 1000 records (5.1%)');
  });

  it("on Kafka, many late records point at a take-over of a member's partitions, not at the order of a file", () => {
    const text = runOutcomeText({ ...summary, accepted: 400, rejected: 600, late: 600, readKafka: true }, options);
    expect(text).toContain('600 of 1000 records (60.0%) were refused as late');
    expect(text).toContain('Did a member of the group stop while it was behind (a backlog)?');
    expect(text).toContain('"Lateness across a take-over"');
    expect(text).not.toContain('sort it by event time');
  });

  it('contacts late by their length alone are said whatever their share, with the lateness to raise', () => {
    const text = runOutcomeText({ ...summary, late: 45, lateLongContacts: 45, rejected: 45, accepted: 955 }, options);
    expect(text).toContain('45 contacts were refused as late because they lasted longer than event_time.allowed_lateness');
    expect(text).toContain('raise event_time.allowed_lateness above your longest contacts (1d for e-mail)');
    expect(runOutcomeText({ ...summary, late: 1, lateLongContacts: 1, rejected: 1, accepted: 999 }, options)).toContain('1 contact was refused as late');
    // Contacts delivered late (not long) are late records like any: nothing to say below 5%.
    expect(runOutcomeText({ ...summary, late: 45, lateLongContacts: 0, rejected: 45, accepted: 955 }, options)).not.toContain('contacts');
  });

  it('pending deliveries with the command to send them, paths quoted for the shell; nothing accepted', () => {
    const text = runOutcomeText({ ...summary, alertsPending: 3, completed: false }, { db: 'my db.duckdb', config: 'job.yaml' });
    expect(text).toContain('; stopped before the end, run again to resume\n3 alert deliveries are still pending');
    expect(text).toContain("pulse outbox send --db 'my db.duckdb' --config job.yaml");
    expect(runOutcomeText({ ...summary, alertsDead: 33 }, { db: 'my db.duckdb', config: 'job.yaml' })).toContain(
      "33 alert deliveries failed for good in this run and are still dead (a receiver refused them, they ran out of attempts, or their receiver is no longer configured); see why with: pulse outbox list --db 'my db.duckdb' --status dead",
    );
    expect(runOutcomeText({ ...summary, reportsFailed: 4 }, options)).toContain(
      '4 alert reports could not be written (the log says why for each; also pulse_report_requests.last_error)',
    );
    const none = runOutcomeText({ ...summary, accepted: 0, rejected: 1000, late: 0 }, options);
    expect(none).toContain('not one record was accepted: is the input NDJSON');
  });

  it('a rerun over input the database has counted: said as such, not as a format problem, its broken lines counted apart', () => {
    const rerun = runOutcomeText({ ...summary, accepted: 0, rejected: 1000, late: 3, duplicates: 997 }, options);
    expect(rerun).toContain('not one record was accepted, and 1000 were refused as late (3) or duplicate (997): this database has counted these events before');
    expect(rerun).not.toContain('is the input NDJSON');
    expect(rerun).not.toContain('the other');
    const withBroken = runOutcomeText({ ...summary, accepted: 0, rejected: 1000, late: 3, duplicates: 980 }, options);
    expect(withBroken).toContain('; the other 17 were refused for what is wrong with them, as before (dead_letters)');
  });

  it('records all late, not duplicates: behind the database, a rerun or a back-fill of an older export, not "counted before"', () => {
    const backfill = runOutcomeText(
      { ...summary, accepted: 0, rejected: 100, late: 100, duplicates: 0, watermark: Date.parse('2026-02-01T23:55:00Z') },
      options,
    );
    expect(backfill).toContain(
      "not one record was accepted, and 100 were refused as late (100) or duplicate (0): their event times are further behind this database's watermark (2026-02-01T23:55:00Z) than event_time.allowed_lateness",
    );
    expect(backfill).toContain('or they are older than its data (a back-fill of an earlier export');
    expect(backfill).not.toContain('this database has counted these events before');
    expect(backfill).toContain('. To process them anew, run into a new database (--db)');
  });
});
