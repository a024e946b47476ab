import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../pipelines/commands/run.js';
import { query } from '../helpers/duckdb.js';
import { stopPeer } from '../helpers/peer-process.js';
import { runPulse } from '../helpers/pulse-run.js';
import { HAS_CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { freePort } from '../../bench/free-port.js';

const PYTHON = '/usr/bin/python3';
const SMTP_SERVER = join(process.cwd(), 'test/sinks/alerts/smtp_server.py');
const DAY = 86_400_000;
const MINUTE = 60_000;
/** Monday 2026-03-02 00:00 UTC. */
const MONDAY = Date.UTC(2026, 2, 2);
/** Days of contacts: Monday 2 March to Tuesday 31 March, a month of replay. */
const DAYS = 30;
/** The Mondays whose 07:00 weekly run falls in the replay: 9, 16, 23 and 30 March. */
const WEEKS = 4;
/** Daily runs: from Tue 3 March (covering Monday 2) to Wed 1 April 06:00 (covering Tuesday 31). */
const RUNS = DAYS + WEEKS;

/**
 * A month of contacts, Monday 2 March to Tuesday 31 March (across four week boundaries). Every
 * day at 09:00: queue billing on voice gets 10 contacts of which 2 are abandoned
 * after 60 s (not short), the other 8 answered after 10 s; queue tech on chat and on voice 10
 * contacts each, all answered after 10 s. Every handled contact takes 290 s from answer to end plus
 * 30 s of after-contact work. So, per day and per week, by SPEC section 4:
 *   billing/voice:    abandon rate 2/10 = 20.0%, service level 8/10 = 80.0%, AHT 320 s, ASA 10 s;
 *   tech/chat, voice: abandon rate 0.0%,          service level 100.0%,     AHT 320 s, ASA 10 s;
 *   all queues, voice: abandon rate 2/20 = 10.0%, service level 18/20 = 90.0%; chat as tech/chat.
 */
function events(): string {
  const lines: object[] = [];
  let n = 0;
  for (let day = 0; day < DAYS; day++) {
    for (const [queue, channel, abandoned] of [
      ['billing', 'voice', 2],
      ['tech', 'chat', 0],
      ['tech', 'voice', 0],
    ] as const) {
      for (let i = 0; i < 10; i++) {
        const queued = MONDAY + day * DAY + 9 * 60 * MINUTE + i * 5 * MINUTE;
        const abandon = i < abandoned;
        lines.push({
          type: 'contact',
          event_id: `e${++n}`,
          customer_id: null,
          contact_id: `k${n}`,
          channel,
          queue,
          reason: 'GENERAL',
          agent_id: abandon ? null : 'A1',
          queued_at: new Date(queued).toISOString(),
          answered_at: abandon ? null : new Date(queued + 10_000).toISOString(),
          ended_at: new Date(queued + (abandon ? 60_000 : 300_000)).toISOString(),
          hold_seconds: 0,
          acw_seconds: abandon ? 0 : 30,
          disposition: abandon ? 'abandoned' : 'resolved',
        });
      }
    }
  }
  // Moves the clock (the watermark) to Wednesday 1 April 08:00, past the daily 06:00 run of that day.
  lines.push({
    type: 'transaction',
    event_id: 'end',
    ts: new Date(MONDAY + DAYS * DAY + 8 * 60 * MINUTE + 5 * MINUTE).toISOString(),
    customer_id: 'c1',
    amount: 1,
    channel: 'web',
  });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

function jobYaml(dir: string, smtpPort: number | null, maxEvents: number, batchSize: number, paths = [join(dir, 'events.ndjson')]): string {
  const alerting =
    smtpPort === null
      ? ''
      : `
alerting:
  receivers:
    - { name: ops-mail, type: email, to: ops@example.test, from: pulse@example.test, smarthost: "127.0.0.1:${smtpPort}", require_tls: false }
  route: { receiver: ops-mail, group_by: ["..."], group_wait: 0s, group_interval: 1s, repeat_interval: 1000h }`;
  return `
name: scheduled-reports-test
source: files
sources:
  files: { type: files, paths: ${JSON.stringify(paths)}, batch_size: ${batchSize} }
event_time: { max_out_of_orderness: 5m, allowed_lateness: 1h }
operators:
  - type: contact_kpis
    window_sizes: [1h, 1d]
store: { path: "${join(dir, 'pulse.duckdb')}" }
checkpoint: { interval: 1h, max_events: ${maxEvents} }
workers: 0
reports:
  dir: "${join(dir, 'reports')}"
  links: { grafana: "https://grafana.example.test", cases: "https://pulse.example.test/cases" }
  schedule:
    - name: DailyScorecard
      report: contact_center_scorecard
      cron: "0 6 * * *"
      period: day
      highlight:
        - { kpi: abandon_rate, above: 0.08, colour: red }
        - { kpi: service_level, below: 0.85, colour: amber, apply: row }
    - name: WeeklyScorecard
      report: contact_center_scorecard
      cron: "0 7 * * 1"
      period: week
      highlight:
        - { kpi: abandon_rate, above: 0.15, colour: red }
        - { kpi: aht_seconds, above: 100, colour: blue, apply: column }
${alerting}
`;
}

/** Runs the job on the month's events, in `parts` files of consecutive lines (one run over all of them). */
async function runIn(dir: string, smtpPort: number | null, maxEvents: number, batchSize = 16, parts = 1): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const lines = events().split('\n').slice(0, -1);
  const size = Math.ceil(lines.length / parts);
  const paths = Array.from({ length: parts }, (_, i) => join(dir, parts === 1 ? 'events.ndjson' : `events.part${i + 1}.ndjson`));
  paths.forEach((path, i) => writeFileSync(path, lines.slice(i * size, (i + 1) * size).join('\n') + '\n'));
  writeFileSync(join(dir, 'job.yaml'), jobYaml(dir, smtpPort, maxEvents, batchSize, paths));
  process.env['PULSE_LOG_LEVEL'] = 'silent';
  await runCommand({ config: join(dir, 'job.yaml') });
}

const RED = 'rgb(248, 215, 218)';
const AMBER = 'rgb(255, 243, 205)';
const BLUE = 'rgb(214, 233, 248)';
const NONE = 'rgba(0, 0, 0, 0)';

describe.skipIf(!HAS_CHROMIUM || !existsSync(PYTHON))('scheduled, colour-coded reports', () => {
  let root: string;
  let smtp: ChildProcess;
  let mailDir: string;
  let browser: Browser;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pulse-scheduled-'));
    mailDir = join(root, 'mail');
    mkdirSync(mailDir);
    const port = await freePort();
    smtp = spawn(PYTHON, [SMTP_SERVER, String(port), mailDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    smtp.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      smtp.stdout?.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
      smtp.on('exit', () => reject(new Error(`SMTP server exited: ${err}`)));
    });
    browser = await launchChromium();
    await runIn(join(root, 'run'), port, 40);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (smtp) await stopPeer(smtp, root);
  });

  /** The reports of the run in `name` are those of the first run, byte for byte. */
  function expectReportsOfRun(name: string): void {
    const a = join(root, 'run', 'reports');
    const b = join(root, name, 'reports');
    const files = readdirSync(a).sort();
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect([f, readFileSync(join(b, f), 'utf8')]).toEqual([f, readFileSync(join(a, f), 'utf8')]);
  }

  /** Every table cell of a report's scorecard: row (queue/channel) -> column label -> text and background. */
  async function cells(htmlPath: string): Promise<Map<string, Map<string, { text: string; background: string }>>> {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    const table = await page.evaluate(() => {
      const t = document.querySelector('table')!;
      const heads = [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
      return [...t.querySelectorAll('tbody tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td, i) => ({ column: heads[i]!, text: td.textContent ?? '', background: getComputedStyle(td).backgroundColor })),
      );
    });
    await context.close();
    return new Map(table.map((row) => [`${row[0]!.text}/${row[1]!.text}`, new Map(row.map((c) => [c.column, { text: c.text, background: c.background }]))]));
  }

  it('writes one daily report per day and one weekly report per week of a replayed month, as the clock (event time) passed their times', () => {
    const files = readdirSync(join(root, 'run', 'reports'))
      .filter((f) => f.endsWith('.html'))
      .sort();
    // The clock starts at the first event (Mon 2 March 09:00, less the 5 minutes of out-of-orderness),
    // after that day's 06:00: daily runs from Tue 3 March (covering Monday 2) to Wed 1 April
    // (covering Tuesday 31); the weekly Monday 07:00 runs cover the weeks of 2, 9, 16 and 23 March.
    const days = Array.from({ length: DAYS }, (_, d) => new Date(MONDAY + d * DAY).toISOString().slice(0, 10));
    const weeks = Array.from({ length: WEEKS }, (_, w) => new Date(MONDAY + w * 7 * DAY).toISOString().slice(0, 10));
    expect(files).toEqual([...days.map((d) => `scorecard-dailyscorecard-${d}.html`), ...weeks.map((w) => `scorecard-weeklyscorecard-${w}.html`)]);
    for (const f of files) expect(existsSync(join(root, 'run', 'reports', f.replace(/\.html$/, '.md')))).toBe(true);
  });

  it('colours the daily scorecard as its highlight rules say (computed styles in Chromium)', async () => {
    const daily = await cells(join(root, 'run', 'reports', 'scorecard-dailyscorecard-2026-03-08.html'));
    // All queues per channel: no total across channels.
    expect([...daily.keys()]).toEqual(['billing/voice', 'tech/chat', 'tech/voice', '(all)/chat', '(all)/voice']);
    const billing = daily.get('billing/voice')!;
    expect(billing.get('Abandon rate')).toEqual({ text: '20.0% (0.0 pp)', background: RED });
    expect(billing.get('Service level')).toEqual({ text: '80.0% (0.0 pp)', background: AMBER });
    // The row rule colours the whole row; the red cell rule wins on its own cell.
    for (const [column, cell] of billing) if (column !== 'Abandon rate') expect([column, cell.background]).toEqual([column, AMBER]);
    expect(billing.get('Offered')!.text).toBe('10 (0.0%)');
    expect(billing.get('AHT')!.text).toBe('320.0 s (0.0 s)');
    expect(billing.get('ASA')!.text).toBe('10.0 s (0.0 s)');
    const tech = daily.get('tech/chat')!;
    for (const [column, cell] of tech) expect([column, cell.background]).toEqual([column, NONE]);
    expect(tech.get('Abandon rate')!.text).toBe('0.0% (0.0 pp)');
    const voice = daily.get('(all)/voice')!;
    expect(voice.get('Offered')!.text).toBe('20 (0.0%)');
    expect(voice.get('Abandon rate')).toEqual({ text: '10.0% (0.0 pp)', background: RED });
    expect(voice.get('Service level')).toEqual({ text: '90.0% (0.0 pp)', background: NONE });
    expect(daily.get('(all)/chat')!.get('Abandon rate')).toEqual({ text: '0.0% (0.0 pp)', background: NONE });
  });

  it('colours the weekly scorecard: a cell rule and a column rule judged on the total', async () => {
    const weekly = await cells(join(root, 'run', 'reports', 'scorecard-weeklyscorecard-2026-03-02.html'));
    const billing = weekly.get('billing/voice')!;
    // A week of 7 days x 10 contacts; the week before had none, so no change.
    expect(billing.get('Offered')!.text).toBe('70 (n/a)');
    // The next week is compared with this one.
    const next = await cells(join(root, 'run', 'reports', 'scorecard-weeklyscorecard-2026-03-09.html'));
    expect(next.get('billing/voice')!.get('Offered')!.text).toBe('70 (0.0%)');
    expect(next.get('billing/voice')!.get('Abandon rate')!.text).toBe('20.0% (0.0 pp)');
    expect(billing.get('Abandon rate')).toEqual({ text: '20.0% (n/a)', background: RED });
    expect(weekly.get('tech/chat')!.get('Abandon rate')!.background).toBe(NONE);
    expect(weekly.get('(all)/voice')!.get('Abandon rate')!.background).toBe(NONE); // 10.0% is not above 15%
    for (const row of weekly.values()) expect(row.get('AHT')!.background).toBe(BLUE);
    expect(weekly.get('tech/chat')!.get('ASA')!.background).toBe(NONE);
    const md = readFileSync(join(root, 'run', 'reports', 'scorecard-weeklyscorecard-2026-03-02.md'), 'utf8');
    expect(md).toContain('**20.0% (n/a)** (red)');
  });

  it('mails each report through the routing tree: the report as the body, the file attached, the links', async () => {
    const mails = readdirSync(mailDir)
      .filter((f) => f.endsWith('.json'))
      .map(
        (f) =>
          JSON.parse(readFileSync(join(mailDir, f), 'utf8')) as { subject: string; html: string; attachments: Array<{ filename: string; content: string }> },
      );
    expect(mails).toHaveLength(RUNS);
    const weekly = mails.find((m) => m.subject.includes('WeeklyScorecard') && m.attachments[0]?.filename.endsWith('2026-03-02.html'))!;
    const file = readFileSync(join(root, 'run', 'reports', 'scorecard-weeklyscorecard-2026-03-02.html'), 'utf8');
    expect(weekly.attachments).toEqual([{ filename: 'scorecard-weeklyscorecard-2026-03-02.html', content: file }]);
    expect(weekly.html).toContain('<td class="num hl-red">20.0% (n/a)</td>');
    const from = Date.UTC(2026, 2, 2);
    const to = Date.UTC(2026, 2, 9);
    expect(weekly.html).toContain(`<a href="https://grafana.example.test/d/pulse-contact-center?from=${from}&#38;to=${to}">`);
    expect(weekly.html).toContain(`<a href="https://pulse.example.test/cases?from=${from}&#38;to=${to}">`);
    const [outbox] = await query(join(root, 'run', 'pulse.duckdb'), `SELECT status, count(*) AS n FROM pulse_outbox GROUP BY status`);
    expect(outbox!.map((r) => [r['status'], Number(r['n'])])).toEqual([['delivered', RUNS]]);
  });

  it('a replay with other checkpoint boundaries writes the same reports, byte for byte', async () => {
    await runIn(join(root, 'replay'), null, 1_000_000);
    expectReportsOfRun('replay');
    const [alerts] = await query(join(root, 'replay', 'pulse.duckdb'), `SELECT count(*) AS n FROM alerts WHERE kind = 'report'`);
    expect(Number(alerts![0]!['n'])).toBe(RUNS);
  }, 120_000);

  it('a replay whose month fits in one batch (the default 4,096 lines) writes the same reports: the clock starts at its first events, not at its first watermark', async () => {
    await runIn(join(root, 'one-batch'), null, 1_000_000, 4096);
    expectReportsOfRun('one-batch');
  }, 120_000);

  it('a replay of the month in four files, in one run, writes the same reports: none of the day and week before its events', async () => {
    await runIn(join(root, 'four-files'), null, 1_000_000, 16, 4);
    expectReportsOfRun('four-files');
  }, 120_000);

  it('exactly once across crashes: runs killed at any moment, then resumed, give the same reports, each run once', async () => {
    const dir = join(root, 'crash');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'events.ndjson'), events());
    // Small checkpoints, so that kills fall between checkpoints that made some runs and not others.
    writeFileSync(join(dir, 'job.yaml'), jobYaml(dir, null, 24, 16));
    const config = ['--config', join(dir, 'job.yaml')];
    for (const killAfterMs of [700, 1400, 2100]) {
      const { code, killed, stderr } = await runPulse(config, killAfterMs);
      expect(killed || code === 0, stderr).toBe(true);
    }
    expect((await runPulse(config)).code).toBe(0);
    const a = join(root, 'run', 'reports');
    const b = join(dir, 'reports');
    const files = readdirSync(a).sort();
    expect(
      readdirSync(b)
        .filter((f) => !f.endsWith('.tmp'))
        .sort(),
    ).toEqual(files);
    for (const f of files) expect([f, readFileSync(join(b, f), 'utf8')]).toEqual([f, readFileSync(join(a, f), 'utf8')]);
    const [alerts, requests] = await query(
      join(dir, 'pulse.duckdb'),
      `SELECT alert_id, count(*) AS n FROM alerts WHERE kind = 'report' GROUP BY alert_id`,
      `SELECT r.status, count(*) AS n FROM pulse_report_requests r JOIN alerts a USING (alert_id) WHERE a.kind = 'report' GROUP BY r.status`,
    );
    expect(alerts!.map((r) => Number(r['n']))).toEqual(Array(RUNS).fill(1));
    expect(requests!.map((r) => [r['status'], Number(r['n'])])).toEqual([['done', RUNS]]);
  }, 240_000);
});
