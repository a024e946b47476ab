import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../operators/errors.js';
import { loadJobConfig } from '../../pipelines/job-config.js';
import { checkOperatorsLeftOut, checkStateSettings, operatorMarks, stateSettingsOf } from '../../pipelines/state-settings.js';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday

/** Writes a job of a files source on `input` with these operator blocks (YAML list items); returns its path. */
function writeJob(dir: string, name: string, input: string, operators: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: settings
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(input)}], batch_size: 64 }
operators:
${operators}
dead_letters: { rejects_files: false }
`,
  );
  return path;
}

const settingsOf = (dir: string, name: string, operators: string) =>
  stateSettingsOf(loadJobConfig(writeJob(dir, name, '/nonexistent.ndjson', operators)).operators);

describe("operators' state settings across runs on one database", () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-state-settings-'));
  const weekly = settingsOf(dir, 'weekly', '  - { type: population_drift, period: 7d }\n  - { type: customer_shifts, window: 1d }');

  it('the same settings written another way, a threshold, or a feature added: no change to refuse', () => {
    const same = settingsOf(
      dir,
      'same',
      `  - type: population_drift
    period: 168h
    share_threshold: 0.3
    features:
      - { name: spend_per_customer, source: spend, key: true }
      - { name: transactions_per_customer, source: transaction_count }
      - { name: transaction_channel, source: channel }
      - { name: contact_reason, source: contact_reason }
      - { name: survey_nps, source: survey, question: nps }
      - { name: region, source: profile, attribute: region }
      - { name: age_band, source: profile, attribute: age_band }
      - { name: value_tier, source: segment }
      - { name: minutes, source: usage, metric: minutes }
  - { type: customer_shifts, window: 24h, measures: [spend_total] }`,
    );
    expect(checkStateSettings(weekly, same, 'x.duckdb')).toEqual(same);
  });

  it('refuses a changed time grid, method, feature source or type, naming each setting before and after', () => {
    const changed = settingsOf(
      dir,
      'changed',
      `  - type: population_drift
    period: 1d
    features: [{ name: spend_per_customer, source: transaction_count }]
  - { type: customer_shifts, window: 1h, method: cusum }`,
    );
    let error: unknown;
    try {
      checkStateSettings(weekly, changed, 'x.duckdb');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('STATE_SETTINGS_CHANGED');
    const message = (error as Error).message;
    expect(message).toContain('state in x.duckdb');
    for (const line of [
      "operator 'population_drift': period was 1w, is now 1d",
      "operator 'population_drift': period_offset was 4d, is now 0ms",
      "operator 'population_drift': features.spend_per_customer was spend numeric, is now transaction_count numeric",
      "operator 'customer_shifts': window was 1d, is now 1h",
      "operator 'customer_shifts': method was glr, is now cusum",
    ]) {
      expect(message).toContain(line);
    }
    expect(message).toContain("give 'population_drift', 'customer_shifts' a new name");
    const kpis = settingsOf(dir, 'kpis', '  - { type: contact_kpis, fcr_lookahead_days: 7 }');
    expect(() => checkStateSettings(kpis, settingsOf(dir, 'kpis3', '  - { type: contact_kpis, fcr_lookahead_days: 3 }'), 'x.duckdb')).toThrow(
      /'contact_kpis': fcr_lookahead_days was 7, is now 3/,
    );
    const retyped = settingsOf(dir, 'retyped', '  - { type: customer_windows, name: population_drift }');
    expect(() => checkStateSettings(weekly, retyped, 'x.duckdb')).toThrow(/'population_drift': type was population_drift, is now customer_windows/);
  });

  it('keeps the settings of an operator taken out of the job, so that bringing it back changed is caught; a database without any is no change', () => {
    const shiftsOnly = settingsOf(dir, 'shifts-only', '  - { type: customer_shifts, window: 1d }');
    const kept = checkStateSettings(weekly, shiftsOnly, 'x.duckdb');
    expect(kept['population_drift']).toEqual(weekly['population_drift']);
    const daily = settingsOf(dir, 'daily', '  - { type: population_drift, period: 1d }');
    expect(() => checkStateSettings(kept, daily, 'x.duckdb')).toThrow(/period was 1w, is now 1d/);
    expect(checkStateSettings(undefined, daily, 'x.duckdb')).toEqual(daily);
  });

  it('a run after the period changed exits 2 and changes nothing; renamed, the operator starts afresh', async () => {
    const lines = Array.from({ length: 28 * 24 }, (_, i) =>
      JSON.stringify({ type: 'transaction', event_id: `t${i}`, ts: T0 + i * (DAY / 24), customer_id: `c${i % 9}`, amount: 10 + (i % 13), channel: 'web' }),
    );
    const first = join(dir, 'first.ndjson');
    const second = join(dir, 'second.ndjson');
    writeFileSync(first, lines.slice(0, 21 * 24).join('\n') + '\n');
    writeFileSync(second, lines.slice(21 * 24).join('\n') + '\n');
    const db = join(dir, 'run.duckdb');
    expect((await runPulse(['--config', writeJob(dir, 'run-weekly', first, '  - { type: population_drift, period: 7d }'), '--db', db])).code).toBe(0);
    const tables = ['SELECT count(*)::INTEGER AS n FROM drift_metrics', 'SELECT partition, "offset" FROM pulse_checkpoints ORDER BY ALL'];
    const before = await query(db, ...tables);
    expect(before[0]).not.toEqual([{ n: 0 }]);

    const refused = await runPulse(['--config', writeJob(dir, 'run-daily', second, '  - { type: population_drift, period: 1d }'), '--db', db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("operator 'population_drift': period was 1w, is now 1d");
    expect(await query(db, ...tables)).toEqual(before);

    const renamed = await runPulse([
      '--config',
      writeJob(dir, 'run-renamed', second, '  - { type: population_drift, name: daily_drift, period: 1d }'),
      '--db',
      db,
    ]);
    expect(renamed.code).toBe(0);
    const [daily] = await query(
      db,
      `SELECT count(DISTINCT run_id)::INTEGER AS n FROM drift_metrics WHERE epoch_ms(current_end) - epoch_ms(current_start) = ${DAY}`,
    );
    expect(daily![0]!['n']).toBeGreaterThan(0);
  });

  it('refuses an operator brought back after runs without it read events, naming the span it missed', () => {
    const at = (accepted: number, watermark: number | null) => ({ accepted, watermark });
    const marks = operatorMarks(undefined, ['customer_windows', 'customer_shifts'], at(100, T0));
    // A run without the shifts reads 700 events and moves the watermark a week on: the shifts keep their mark.
    const later = operatorMarks(marks, ['customer_windows'], at(800, T0 + 7 * DAY));
    expect(later).toEqual({ customer_windows: at(800, T0 + 7 * DAY), customer_shifts: at(100, T0) });
    let error: unknown;
    try {
      checkOperatorsLeftOut(later, ['customer_windows', 'customer_shifts'], at(800, T0 + 7 * DAY), 'x.duckdb');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('OPERATOR_LEFT_OUT');
    expect((error as Error).message).toContain(
      "operator 'customer_shifts': last in the job at watermark 2026-01-05T00:00:00.000Z, since then 700 events were read without it (the database is now at 2026-01-12T00:00:00.000Z)",
    );
    expect((error as Error).message).not.toContain("operator 'customer_windows'");
    expect((error as Error).message).toContain("give 'customer_shifts' a new name");
    // Late events read without it do not move the watermark, and are missed all the same.
    const lateOnly = operatorMarks(marks, ['customer_windows'], at(103, T0));
    expect(() => checkOperatorsLeftOut(lateOnly, ['customer_windows', 'customer_shifts'], at(103, T0), 'x.duckdb')).toThrow(
      /since then 3 events were read without it/,
    );
    // Brought back before anything was read without it, new, renamed, or on a database without marks: nothing to refuse.
    const idle = operatorMarks(marks, ['customer_windows'], at(100, T0));
    expect(() => checkOperatorsLeftOut(idle, ['customer_windows', 'customer_shifts'], at(100, T0), 'x.duckdb')).not.toThrow();
    expect(() => checkOperatorsLeftOut(later, ['customer_windows', 'customer_shifts_v2'], at(800, T0 + 7 * DAY), 'x.duckdb')).not.toThrow();
    expect(() => checkOperatorsLeftOut(undefined, ['customer_shifts'], at(800, T0 + 7 * DAY), 'x.duckdb')).not.toThrow();
    expect(() => checkOperatorsLeftOut(later, ['customer_shifts'], undefined, 'x.duckdb')).not.toThrow();
    // Marks older than the checkpoint (a version that keeps none ran since): nothing is known, nothing refused.
    expect(() => checkOperatorsLeftOut(later, ['customer_windows', 'customer_shifts'], at(900, T0 + 8 * DAY), 'x.duckdb')).not.toThrow();
    // Last in a checkpoint taken before any event: every event since was missed.
    const early = { ...operatorMarks(undefined, ['customer_shifts'], at(0, null)), customer_windows: at(100, T0) };
    expect(() => checkOperatorsLeftOut(early, ['customer_windows', 'customer_shifts'], at(100, T0), 'x.duckdb')).toThrow(
      /last in the job at watermark its start/,
    );
  });

  it('a run that brings the shifts back after runs without them read events (late ones too) exits 2 and changes nothing; with nothing read meanwhile it runs', async () => {
    const lines = Array.from({ length: 21 * 24 }, (_, i) =>
      JSON.stringify({ type: 'transaction', event_id: `g${i}`, ts: T0 + i * (DAY / 24), customer_id: `c${i % 9}`, amount: 10 + (i % 13), channel: 'web' }),
    );
    const parts = [0, 1, 2].map((week) => {
      const path = join(dir, `gap-week${week}.ndjson`);
      writeFileSync(path, lines.slice(week * 7 * 24, (week + 1) * 7 * 24).join('\n') + '\n');
      return path;
    });
    const both = '  - { type: customer_windows, windows: [{ size: 1d }] }\n  - { type: customer_shifts, window: 1d }';
    const windowsOnly = '  - { type: customer_windows, windows: [{ size: 1d }] }';
    const db = join(dir, 'gap.duckdb');
    const run = async (name: string, input: string, operators: string) => runPulse(['--config', writeJob(dir, name, input, operators), '--db', db]);
    expect((await run('gap-1', parts[0]!, both)).code).toBe(0);
    // Nothing new to read without the shifts: the watermark stays, so bringing them back is fine.
    expect((await run('gap-idle', parts[0]!, windowsOnly)).code).toBe(0);
    expect((await run('gap-back', parts[0]!, both)).code).toBe(0);
    const watermarkOf = async () => {
      const [rows] = await query(db, "SELECT value::VARCHAR AS v FROM pulse_job_state WHERE key = 'watermark'");
      return new Date((JSON.parse(String(rows![0]!['v'])) as { current: number }).current).toISOString();
    };
    const withShifts = await watermarkOf();
    // Two late events (within the lateness) read without the shifts do not move the watermark, yet the shifts missed them.
    const lastTs = T0 + (7 * 24 - 1) * (DAY / 24);
    const late = join(dir, 'gap-late.ndjson');
    writeFileSync(
      late,
      [1, 2]
        .map((k) => JSON.stringify({ type: 'transaction', event_id: `late${k}`, ts: lastTs - 10 * 60_000, customer_id: 'c1', amount: 5, channel: 'web' }))
        .join('\n') + '\n',
    );
    expect((await run('gap-late', late, windowsOnly)).code).toBe(0);
    expect(await watermarkOf()).toBe(withShifts);
    const lateRefused = await run('gap-late-back', late, both);
    expect(lateRefused.code).toBe(2);
    expect(lateRefused.stderr).toContain(`operator 'customer_shifts': last in the job at watermark ${withShifts}, since then 2 events were read without it`);
    expect((await run('gap-2', parts[1]!, windowsOnly)).code).toBe(0);
    const withoutShifts = await watermarkOf();
    expect(withoutShifts > withShifts).toBe(true);
    const tables = ['SELECT count(*)::INTEGER AS n FROM customer_windows', 'SELECT partition, "offset" FROM pulse_checkpoints ORDER BY ALL'];
    const before = await query(db, ...tables);

    const refused = await run('gap-3', parts[2]!, both);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `operator 'customer_shifts': last in the job at watermark ${withShifts}, since then ${2 + 7 * 24} events were read without it (the database is now at ${withoutShifts})`,
    );
    expect(await query(db, ...tables)).toEqual(before);
    expect((await run('gap-3-renamed', parts[2]!, both.replace('window: 1d', 'name: shifts_again, window: 1d'))).code).toBe(0);
  });

  it("warns when the database's checkpoint is another job's (a mistyped --db read like nothing to do)", async () => {
    const input = join(dir, 'named.ndjson');
    writeFileSync(input, JSON.stringify({ type: 'transaction', event_id: 'n1', ts: T0, customer_id: 'c1', amount: 10, channel: 'web' }) + '\n');
    const db = join(dir, 'named.duckdb');
    const job = writeJob(dir, 'named', input, '  - { type: customer_windows, windows: [{ size: 1d }] }');
    expect((await runPulse(['--config', job, '--db', db])).code).toBe(0);
    const again = await runPulse(['--config', job, '--db', db]);
    expect(again.stderr).not.toContain('holds the checkpoint of job');
    const other = join(dir, 'other.yaml');
    writeFileSync(other, readFileSync(job, 'utf8').replace('name: settings', 'name: other-job'));
    const ran = await runPulse(['--config', other, '--db', db]);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain(`${db} holds the checkpoint of job 'settings', and this is job 'other-job': it goes on from that checkpoint`);
  });
});
