import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.js';
import { runPulse } from '../helpers/pulse-run.js';
import { rng } from '../helpers/seeded-random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5);

/**
 * Ten days of calls, a few customers calling again within days (so first-contact resolution has
 * repeats, some of them across the split at day 5). Returns each contact's line and queued_at.
 */
function calls(): Array<{ line: string; queued: number }> {
  const random = rng(11);
  return Array.from({ length: 1200 }, (_, i) => {
    const queued = T0 + Math.floor((i / 1200) * 10 * DAY);
    const abandoned = random() < 0.1;
    const answered = abandoned ? null : queued + Math.floor(random() * 40_000);
    const line = JSON.stringify({
      type: 'contact',
      event_id: `k${i}`,
      customer_id: `c${Math.floor(random() * 150)}`,
      contact_id: `k${i}`,
      channel: i % 3 === 0 ? 'chat' : 'voice',
      queue: i % 2 === 0 ? 'billing' : 'support',
      reason: random() < 0.5 ? 'BILL' : 'TECH',
      agent_id: abandoned ? null : 'a1',
      queued_at: queued,
      answered_at: answered,
      ended_at: (answered ?? queued) + 60_000 + Math.floor(random() * 300_000),
      hold_seconds: 0,
      acw_seconds: 10,
      disposition: abandoned ? 'abandoned' : 'resolved',
    });
    return { line, queued };
  });
}

/**
 * Writes `file`.yaml, the job `successive` (one name: runs over one database are one job's) of a
 * files source on `input` (batch 100) with `body` (its operators and more); returns its path.
 */
function filesJob(dir: string, file: string, input: string, body: string): string {
  const path = join(dir, `${file}.yaml`);
  writeFileSync(
    path,
    `name: successive
source: files
sources:
  files: { type: files, paths: [${JSON.stringify(input)}], batch_size: 100 }
${body}
dead_letters: { rejects_files: false }
`,
  );
  return path;
}

function writeJob(dir: string, name: string, input: string): string {
  return filesJob(dir, name, input, 'operators:\n  - type: contact_kpis\n    window_sizes: [1h, 1d]\n    fcr_lookahead_days: 3');
}

/** A voice call of reason BILL, answered after 10 s (200 s in all) or abandoned after 60 s. */
function voiceCall(id: string, customer: string, queue: string, queued: number, abandoned: boolean): string {
  return JSON.stringify({
    type: 'contact',
    event_id: id,
    customer_id: customer,
    contact_id: id,
    channel: 'voice',
    queue,
    reason: 'BILL',
    agent_id: abandoned ? null : 'a1',
    queued_at: queued,
    answered_at: abandoned ? null : queued + 10_000,
    ended_at: queued + (abandoned ? 60_000 : 200_000),
    hold_seconds: 0,
    acw_seconds: 10,
    disposition: abandoned ? 'abandoned' : 'resolved',
  });
}

/**
 * Three days of calls on two voice queues, then one transaction on the fourth day that takes the
 * watermark past the third. On the third day `early` has a bad morning (9 of 30 abandoned) and a
 * clean afternoon (170 answered): 4.5% over the day. `late` has a clean morning (100 answered) and a
 * bad afternoon (20 of 50 abandoned): 13.3%. The days before are clean.
 */
function halfDays(): Array<{ line: string; queued: number }> {
  const lines: Array<{ line: string; queued: number }> = [];
  let n = 0;
  const call = (queue: string, queued: number, abandoned: boolean) => {
    n++;
    lines.push({ line: voiceCall(`h${n}`, `c${n % 40}`, queue, queued, abandoned), queued });
  };
  // `count` calls between the hours `from` and `to` of `day`, the first `abandoned` of them abandoned.
  const spread = (queue: string, day: number, from: number, to: number, count: number, abandoned: number) => {
    for (let i = 0; i < count; i++) call(queue, T0 + day * DAY + from * HOUR + Math.floor((i * (to - from) * HOUR) / count), i < abandoned);
  };
  for (const day of [0, 1]) for (const queue of ['early', 'late']) spread(queue, day, 8, 20, 60, 0);
  spread('early', 2, 8, 11, 30, 9);
  spread('late', 2, 8, 11, 100, 0);
  spread('early', 2, 13, 20, 170, 0);
  spread('late', 2, 13, 20, 50, 20);
  lines.sort((a, b) => a.queued - b.queued);
  const end = T0 + 3 * DAY + HOUR;
  lines.push({ line: JSON.stringify({ type: 'transaction', event_id: 'end', ts: end, customer_id: 'c1', amount: 1, channel: 'web' }), queued: end });
  return lines;
}

describe('successive runs over one database (a daily job on each day’s file)', () => {
  it('the contact KPIs of two runs, on the first five days then the next five, equal those of one run over all ten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-successive-'));
    const all = calls();
    const split = T0 + 5 * DAY;
    const files = { all: join(dir, 'all.ndjson'), first: join(dir, 'first.ndjson'), second: join(dir, 'second.ndjson') };
    writeFileSync(files.all, all.map((c) => c.line).join('\n') + '\n');
    writeFileSync(
      files.first,
      all
        .filter((c) => c.queued < split)
        .map((c) => c.line)
        .join('\n') + '\n',
    );
    writeFileSync(
      files.second,
      all
        .filter((c) => c.queued >= split)
        .map((c) => c.line)
        .join('\n') + '\n',
    );
    const one = join(dir, 'one.duckdb');
    const two = join(dir, 'two.duckdb');
    expect((await runPulse(['--config', writeJob(dir, 'all', files.all), '--db', one])).code).toBe(0);
    expect((await runPulse(['--config', writeJob(dir, 'first', files.first), '--db', two])).code).toBe(0);
    expect((await runPulse(['--config', writeJob(dir, 'second', files.second), '--db', two])).code).toBe(0);

    const rows = (table: string, db: string) => `SELECT * FROM ${db}.${table}`;
    const [diffs, offered, oracle] = await query(
      ':memory:',
      `ATTACH '${one}' AS one (READ_ONLY)`,
      `ATTACH '${two}' AS two (READ_ONLY)`,
      `SELECT (SELECT count(*) FROM (${rows('contact_kpis', 'one')} EXCEPT ALL ${rows('contact_kpis', 'two')}))::INTEGER AS kpis_lost,
              (SELECT count(*) FROM (${rows('contact_kpis', 'two')} EXCEPT ALL ${rows('contact_kpis', 'one')}))::INTEGER AS kpis_added,
              (SELECT count(*) FROM (${rows('contact_reason_volumes', 'one')} EXCEPT ALL ${rows('contact_reason_volumes', 'two')}))::INTEGER AS reasons_lost,
              (SELECT count(*) FROM (${rows('contact_reason_volumes', 'two')} EXCEPT ALL ${rows('contact_reason_volumes', 'one')}))::INTEGER AS reasons_added`,
      `SELECT epoch_ms(window_start) AS day, sum(offered)::INTEGER AS offered, sum(fcr_eligible)::INTEGER AS eligible, sum(fcr_resolved)::INTEGER AS resolved
         FROM two.contact_kpis WHERE window_end - window_start = INTERVAL 1 DAY GROUP BY ALL ORDER BY ALL`,
      // The oracle: SPEC section 4's FCR (same reason, look-ahead 3 days) by SQL over the file.
      `WITH c AS (SELECT * FROM read_json('${files.all}', columns = {customer_id: 'VARCHAR', reason: 'VARCHAR', queued_at: 'BIGINT', ended_at: 'BIGINT', answered_at: 'BIGINT'}))
       SELECT (a.queued_at // ${DAY}) * ${DAY} AS day, count(*)::INTEGER AS offered,
              count(*) FILTER (WHERE a.answered_at IS NOT NULL)::INTEGER AS eligible,
              count(*) FILTER (WHERE a.answered_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM c b WHERE b.customer_id = a.customer_id AND b.reason = a.reason
                AND b.queued_at > a.ended_at AND b.queued_at <= a.ended_at + ${3 * DAY}))::INTEGER AS resolved
         FROM c a GROUP BY ALL ORDER BY ALL`,
    ).then((results) => results.slice(2));
    expect(diffs).toEqual([{ kpis_lost: 0, kpis_added: 0, reasons_lost: 0, reasons_added: 0 }]);
    expect(offered!.map((r) => ({ ...r, day: Number(r['day']) }))).toEqual(oracle!.map((r) => ({ ...r, day: Number(r['day']) })));
    expect(offered).toHaveLength(10);
  });

  it('the default job over two halves of an input, in two runs, writes the tables of one run over all of it (drift aside)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-successive-default-'));
    const all = join(dir, 'all.ndjson');
    const generated = spawnSync(
      process.execPath,
      [
        join(process.cwd(), 'dist/pipelines/cli.js'),
        'generate',
        '--out',
        all,
        '--customers',
        '150',
        '--days',
        '14',
        '--seed',
        '4',
        '--start',
        '2026-01-05T00:00:00Z',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(generated.status, generated.stderr).toBe(0);
    // Split by position where the records' claimed time reaches day 7, as daily exports are cut:
    // stragglers and malformed lines stay where they are.
    const lines = readFileSync(all, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const cut = lines.findIndex((line) => {
      try {
        const r = JSON.parse(line) as { ts?: unknown; queued_at?: unknown };
        const t = r.queued_at ?? r.ts;
        return (typeof t === 'number' ? t : Date.parse(String(t))) >= T0 + 7 * DAY;
      } catch {
        return false;
      }
    });
    const first = join(dir, 'first.ndjson');
    const second = join(dir, 'second.ndjson');
    writeFileSync(first, lines.slice(0, cut).join('\n') + '\n');
    writeFileSync(second, lines.slice(cut).join('\n') + '\n');
    // The default job with a lateness that covers the generator's stragglers: which straggler is
    // late depends on where batches end (the first run's end moves the watermark to its last
    // event), and that is the watermark's contract, not what this test is about.
    const job = join(dir, 'job.yaml');
    const defaultJob = readFileSync('pipelines/customer-analytics.yaml', 'utf8');
    expect(defaultJob).toMatch(/ {2}allowed_lateness: 1h /);
    writeFileSync(job, defaultJob.replace(/ {2}allowed_lateness: 1h /, '  allowed_lateness: 30d'));
    const one = join(dir, 'one.duckdb');
    const two = join(dir, 'two.duckdb');
    expect((await runPulse(['--config', job, '--input', all, '--db', one, '--reports', join(dir, 'r1')])).code).toBe(0);
    expect((await runPulse(['--config', job, '--input', first, '--db', two, '--reports', join(dir, 'r2')])).code).toBe(0);
    expect((await runPulse(['--config', job, '--input', second, '--db', two, '--reports', join(dir, 'r2')])).code).toBe(0);
    // Every output table but dead_letters (whose source and line differ by file) and drift's
    // (population_drift closes its last period at the end of an input whose events reach within
    // final_period_slack of the period's end, and does not count records of it that a later run
    // brings: README "Noticed and left"); alerts without their annotations (each run writes its
    // reports into its own directory).
    const tables: Array<[string, string]> = [
      ['alerts', '* EXCLUDE (annotations)'],
      ['cases', '*'],
      // An escalation is recorded at the job clock of the checkpoint that settles it: when that is
      // depends on the checkpoints, so its time and number are left out.
      ['case_events', '* EXCLUDE (seq, "at")'],
      ['contact_kpis', '*'],
      ['contact_reason_volumes', '*'],
      ['customer_windows', '*'],
      ['leads', '*'],
      ['move_members', '*'],
      ['outcomes', '*'],
    ];
    const differences = await query(
      ':memory:',
      `ATTACH '${one}' AS one (READ_ONLY)`,
      `ATTACH '${two}' AS two (READ_ONLY)`,
      ...tables.map(
        ([table, columns]) =>
          `SELECT '${table}' AS t, (SELECT count(*) FROM one.${table})::INTEGER AS n,
                  (SELECT count(*) FROM (SELECT ${columns} FROM one.${table} EXCEPT ALL SELECT ${columns} FROM two.${table}))::INTEGER AS lost,
                  (SELECT count(*) FROM (SELECT ${columns} FROM two.${table} EXCEPT ALL SELECT ${columns} FROM one.${table}))::INTEGER AS added`,
      ),
    );
    const rows = differences.slice(2).map((r) => r[0]!);
    expect(rows.filter((r) => r['lost'] !== 0 || r['added'] !== 0)).toEqual([]);
    expect(rows.find((r) => r['t'] === 'contact_kpis')!['n']).toBeGreaterThan(0);
  }, 180_000);
  it('a KPI rule judges a day that the first run ended in once the second run completes it, as one run over both does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-successive-rules-'));
    const all = halfDays();
    const split = T0 + 2 * DAY + 12 * HOUR;
    const files = { all: join(dir, 'all.ndjson'), first: join(dir, 'first.ndjson'), second: join(dir, 'second.ndjson') };
    const write = (path: string, keep: (queued: number) => boolean) =>
      writeFileSync(
        path,
        all
          .filter((c) => keep(c.queued))
          .map((c) => c.line)
          .join('\n') + '\n',
      );
    write(files.all, () => true);
    write(files.first, (queued) => queued < split);
    write(files.second, (queued) => queued >= split);
    const job = (name: string, input: string) =>
      filesJob(
        dir,
        name,
        input,
        `operators:
  - type: contact_kpis
    window_sizes: [1d]
    rules:
      - { name: AbandonRateHigh, when: abandon_rate > 0.1, window: 1d, min_offered: 10, severity: warning }`,
      );
    const one = join(dir, 'one.duckdb');
    const two = join(dir, 'two.duckdb');
    expect((await runPulse(['--config', job('all', files.all), '--db', one, '--reports', join(dir, 'r1')])).code).toBe(0);
    const first = await runPulse(['--config', job('first', files.first), '--db', two, '--reports', join(dir, 'r2')]);
    expect(first.code).toBe(0);
    // The first run ends on the third day's morning: it says that the day is left for a later run.
    expect(first.stderr).toContain('inside the 1d window from 2026-01-07T00:00:00Z');
    const second = await runPulse(['--config', job('second', files.second), '--db', two, '--reports', join(dir, 'r2')]);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('inside the');
    const alerts = async (db: string) =>
      (await query(db, `SELECT rule, labels->>'queue' AS queue, status, epoch_ms(window_start) AS day FROM alerts ORDER BY ALL`))[0]!.map((r) => ({
        ...r,
        day: Number(r['day']),
      }));
    // One run: `late`'s day fires (13.3%), `early`'s does not (4.5%). Judged at the cut, the first
    // run fired on `early`'s morning (30%) and never judged `late`'s afternoon.
    const expected = [{ rule: 'AbandonRateHigh', queue: 'late', status: 'firing', day: T0 + 2 * DAY }];
    expect(await alerts(one)).toEqual(expected);
    expect(await alerts(two)).toEqual(expected);
  }, 120_000);
  it("drift's stragglers of a week an earlier run closed are counted and said, not left out silently", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-successive-drift-'));
    // T0 is a Monday: a week of purchases up to Sunday 23:20, which closes the week at the input's
    // end (within final_period_slack, 1h); the next file brings a Sunday 23:40 purchase, then Monday's.
    const tx = (n: number, ts: number) =>
      JSON.stringify({ type: 'transaction', event_id: `t${n}`, ts, customer_id: `c${n % 20}`, amount: 10 + (n % 7), channel: 'web' });
    const sunday = T0 + 6 * DAY;
    const first = Array.from({ length: 140 }, (_, i) => tx(i, T0 + Math.floor((i * (6 * DAY + 23 * HOUR + 20 * 60_000)) / 139)));
    const second = [tx(1000, sunday + 23 * HOUR + 40 * 60_000), ...Array.from({ length: 20 }, (_, i) => tx(2000 + i, T0 + 7 * DAY + i * HOUR))];
    writeFileSync(join(dir, 'first.ndjson'), first.join('\n') + '\n');
    writeFileSync(join(dir, 'second.ndjson'), second.join('\n') + '\n');
    const job = filesJob(dir, 'successive-drift', 'first.ndjson', 'operators:\n  - type: population_drift\n    period: 7d');
    const db = join(dir, 'pulse.duckdb');
    const one = await runPulse(['--config', job, '--input', join(dir, 'first.ndjson'), '--db', db, '--reports', join(dir, 'r')]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).not.toContain('periods closed before they came');
    const two = await runPulse(['--config', job, '--input', join(dir, 'second.ndjson'), '--db', db, '--reports', join(dir, 'r')]);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr).toContain('population_drift: 1 events of periods closed before they came (from 2026-01-05) are left out of drift and customer_segments');
  }, 120_000);

  it('a replay whose watermark trails its events by an hour still judges its last hour: completeness is how far the events reached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-input-end-'));
    const contact = (n: number, queued: number, abandoned: boolean) => voiceCall(`k${n}`, `c${n % 30}`, 'billing', queued, abandoned);
    // A clean day up to 22:00, then 20 calls from 23:00 to 23:57 of which 10 abandoned.
    const lines = [
      ...Array.from({ length: 60 }, (_, i) => contact(i, T0 + 8 * HOUR + i * 14 * 60_000, false)),
      ...Array.from({ length: 20 }, (_, i) => contact(100 + i, T0 + 23 * HOUR + i * 3 * 60_000, i % 2 === 0)),
    ];
    writeFileSync(join(dir, 'day.ndjson'), lines.join('\n') + '\n');
    const job = filesJob(
      dir,
      'input-end',
      'day.ndjson',
      `event_time: { max_out_of_orderness: 1h, allowed_lateness: 2h }
operators:
  - type: contact_kpis
    window_sizes: [1h, 1d]
    rules:
      - { name: HourAbandon, when: abandon_rate > 0.3, window: 1h, min_offered: 10, severity: warning }`,
    );
    const db = join(dir, 'pulse.duckdb');
    const run = await runPulse(['--config', job, '--input', join(dir, 'day.ndjson'), '--db', db, '--reports', join(dir, 'r')]);
    expect(run.code, run.stderr).toBe(0);
    // The watermark ended at 22:57 (the newest call less 1h), but the events reached 23:57, into the hour's last quarter.
    const [alerts] = await query(db, `SELECT rule, status, epoch_ms(window_start) AS start FROM alerts`);
    expect(alerts!.map((a) => ({ ...a, start: Number(a['start']) }))).toEqual([{ rule: 'HourAbandon', status: 'firing', start: T0 + 23 * HOUR }]);
    expect(run.stderr).not.toContain('inside the');
  }, 120_000);
});
