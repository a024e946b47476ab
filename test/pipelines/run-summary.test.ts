import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answeredContact } from '../helpers/contact-event.js';
import { runPulse } from '../helpers/pulse-run.js';

describe("pulse run's summary", () => {
  it('says so when not one record was accepted (a pretty-printed JSON file passed for a success)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-run-summary-'));
    const input = join(dir, 'export.json');
    writeFileSync(input, JSON.stringify([{ type: 'transaction', customer_id: 'c1' }], null, 2) + '\n');
    const result = await runPulse([
      '--config',
      'pipelines/customer-analytics.yaml',
      '--input',
      input,
      '--db',
      join(dir, 'x.duckdb'),
      '--reports',
      join(dir, 'r'),
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/processed \d+ records: 0 accepted, \d+ rejected/);
    expect(result.stderr).toContain('not one record was accepted: is the input NDJSON, one event of SPEC section 1 per line (or Parquet');
  });

  it('names the queues and reasons rules name that no contact has: the rules never act on them, and the run looked fine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-run-rule-names-'));
    const input = join(dir, 'contacts.ndjson');
    const start = Date.parse('2026-01-05T09:00:00Z');
    // Queues and reasons as a business may call them: one queue in another case than the default job's rule has it.
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify(
        answeredContact(start + i * 600_000, {
          event_id: `K${i}`,
          customer_id: `C${i % 5}`,
          contact_id: `K${i}`,
          queue: i % 2 === 0 ? 'Billing' : 'customer_care',
          reason: i % 3 === 0 ? 'CANCEL_REQUEST' : 'BILLING_QUESTION',
        }),
      ),
    );
    writeFileSync(input, lines.join('\n') + '\n');
    const run = (config: string, db: string) => runPulse(['--config', config, '--input', input, '--db', join(dir, db), '--reports', join(dir, 'r')]);
    const defaults = await run('pipelines/customer-analytics.yaml', 'default.duckdb');
    expect(defaults.code).toBe(0);
    // billing matches Billing (rules ignore case); tech_support and RET_CANCEL are not the data's.
    expect(defaults.stderr).toContain(
      "rules name queues or reasons that no contact in this database has, so they never act on them: KPI rule ResolvedPerMinuteLow: queue 'tech_support'; " +
        "service rule CancellationRisk: reason 'ret_cancel' (its queues: billing, customer_care; its reasons: billing_question, cancel_request)",
    );
    expect(defaults.stderr).not.toContain('BillingAbandonRateHigh');
    // A misspelt queue, with the queue it likely meant.
    const job = join(dir, 'job.yaml');
    writeFileSync(
      job,
      [
        'name: misspelt',
        'source: files',
        'sources: { files: { type: files, paths: [unused.ndjson] } }',
        'operators:',
        '  - type: contact_kpis',
        '    window_sizes: [1d]',
        '    rules:',
        '      - { name: CareAbandons, when: abandon_rate > 0.1, window: 1d, queue: custmer_care }',
        '      - { name: AllQueues, when: abandon_rate > 0.1, window: 1d }',
      ].join('\n') + '\n',
    );
    const misspelt = await run(job, 'misspelt.duckdb');
    expect(misspelt.code).toBe(0);
    expect(misspelt.stderr).toContain("KPI rule CareAbandons: queue 'custmer_care' (did you mean 'customer_care'?) (its queues: billing, customer_care)");
    expect(misspelt.stderr).not.toContain('AllQueues');
  });

  it('a metrics port in use is a usage error naming the option, and creates no database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-run-port-'));
    const input = join(dir, 'day.ndjson');
    writeFileSync(input, JSON.stringify({ type: 'transaction', event_id: 'E1', ts: 0, customer_id: 'C1', amount: 1, channel: 'web' }) + '\n');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const db = join(dir, 'x.duckdb');
      const result = await runPulse(['--config', 'pipelines/customer-analytics.yaml', '--input', input, '--db', db, '--metrics-port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`port ${port} is in use`);
      expect(result.stderr).toContain('give --metrics-port (metrics.port) another port');
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(db)).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('a rerun of the same events from another path says the database has counted them, not that the format is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-run-rerun-'));
    const input = join(dir, 'day.ndjson');
    const start = Date.parse('2026-01-05T00:00:00Z');
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ type: 'transaction', event_id: `E${i}`, ts: start + i * 60_000, customer_id: `C${i % 4}`, amount: 10, channel: 'web' }),
    );
    writeFileSync(input, lines.join('\n') + '\n');
    const copy = join(dir, 'day-again.ndjson');
    copyFileSync(input, copy);
    const db = join(dir, 'x.duckdb');
    const run = (path: string) => runPulse(['--config', 'pipelines/customer-analytics.yaml', '--input', path, '--db', db, '--reports', join(dir, 'r')]);
    expect((await run(input)).code).toBe(0);
    const again = await run(copy);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('processed 40 records: 0 accepted, 40 rejected');
    expect(again.stderr).toMatch(
      /not one record was accepted, and 40 were refused as late \(\d+\) or duplicate \(\d+\): this database has counted these events before/,
    );
    expect(again.stderr).not.toContain('is the input NDJSON');
  });
});
